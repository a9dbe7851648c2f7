"""Layer 3: presentation of plain data (text tables, number formatting, plots, HTML pages).

Text: :mod:`.report`, :mod:`.claims_report`. Plots: :mod:`.plots` (matplotlib, imported only
when a plot is asked for). HTML (standard library only, so ``--html`` works without the
``plot`` extra): :mod:`.html` (page, escaping, generic tables), :mod:`.style` (the
stylesheet), :mod:`.svg` (charts as inline SVG), :mod:`.html_check`,
:mod:`.html_check_parts` and :mod:`.html_check_costs` (a claim check), :mod:`.html_sources`
(sources as links), :mod:`.html_results` (estimate, sensitivity,
backtest).
"""
