"""Layer 1: pure formulas (FLOP, architecture, time/cost/energy, units, distributions)."""
