"""Layer 7: the claim check and its parts, and export-control rules."""
