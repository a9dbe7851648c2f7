"""Registers every sub-command on the group (each lives in its own small module)."""

from . import analysis_cmd, backtest_cmd, catalog_cmd, check_cmd, estimate_cmd  # noqa: F401
