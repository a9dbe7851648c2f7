"""Layer 6: analyses over the model (sensitivity, sweep, solve, backtest)."""
