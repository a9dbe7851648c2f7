"""Layer 3: presentation of plain data (text tables, number formatting, plots)."""
