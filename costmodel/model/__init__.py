"""Layer 4: scenarios, priors, the forward estimate and uncertainty sampling."""
