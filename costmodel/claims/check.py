"""``costmodel.check``: test a published training-cost claim the way a careful analyst would.

Everything is computed from the claim preset, the run preset (the model's shape), the
accelerator catalog, the price presets, the utilization prior and the export rules; nothing
in the report is typed in. See ``docs/methodology.md``. The parts: ``facts`` and
``consistency`` (what the claim's numbers imply and whether they agree), ``implied`` (FLOPs
and utilization), ``compare`` (published runs), ``likelihood`` (the prior), ``verdict`` (the
rules), ``ledger`` (cost and hardware what-ifs).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..data import store
from ..data.schemas import ClaimPreset
from ..errors import InputError, PresetError, UnknownPresetError
from ..model.inputs import Rng
from .compare import comparison, decomposition, history
from .consistency import TOLERANCE, check_row, consistency, resolve
from .implied import implied
from .ledger import RESEARCH_MULTIPLIER, WHAT_IF_GPUS, hardware, ledger
from .likelihood import likelihood
from .physics import section
from .tables import rows, short_repr
from .verdict import THRESHOLDS, verdict_of

__all__ = [
    "ClaimCheck",
    "check",
    "load_claim",
    "RESEARCH_MULTIPLIER",
    "WHAT_IF_GPUS",
    "THRESHOLDS",
    "TOLERANCE",
]

SCHEMA = "costmodel.check/1"
#: Fewest Monte Carlo samples the check accepts (the verdict's probability is exact; the
#: samples give the cost distribution at market prices).
MIN_SAMPLES = 1000


def load_claim(claim: str | os.PathLike[str] | dict[str, Any] | ClaimPreset) -> ClaimPreset:
    """A claim from a preset id, a TOML file, a dict or a :class:`ClaimPreset`."""
    if isinstance(claim, ClaimPreset):
        return claim
    if isinstance(claim, dict):
        from pydantic import ValidationError

        try:
            return ClaimPreset.model_validate(claim)
        except ValidationError as e:
            from ..data.store import describe_validation_error

            raise PresetError(describe_validation_error(e, "claim")) from None
    if isinstance(claim, os.PathLike):  # a file only when the caller says so
        from pathlib import Path

        p = Path(claim)
        if not p.exists():
            raise InputError(f"claim: file {p} does not exist")
        return store.read_file(p, "claims")
    from ..model.validate import shown

    if not isinstance(claim, str):
        raise InputError(
            f"claim: expected a claim id, a pathlib.Path, a dict or a ClaimPreset, "
            f"got {shown(claim)}"
        )
    if claim.endswith(".toml") or os.path.sep in claim:
        raise UnknownPresetError(
            f"claim: {shown(claim)} is read as a preset id, not a file; pass "
            f"path={shown(claim)} or a pathlib.Path to read a file"
        )
    return store.get("claims", claim)


@dataclass
class ClaimCheck:
    """Result of :func:`check`; ``to_dict()`` is the JSON report, ``table()`` the text."""

    data: dict[str, Any]
    cost_samples: np.ndarray | None = field(default=None, repr=False)
    #: Draws of the analysed stage's GPU-hours under the prior (the likelihood chart).
    gpu_hours_samples: np.ndarray | None = field(default=None, repr=False)

    def __getitem__(self, key: str) -> Any:
        return self.data[key]

    @property
    def verdict(self) -> str:
        return self.data["verdict"]["verdict"]

    def __repr__(self) -> str:
        return short_repr(self.data)

    def rows(self, table: str = "consistency") -> list[dict[str, Any]]:
        """A table of the report as flat dicts (no pandas); names in ``claims.tables``."""
        return rows(self.data, table)

    def to_pandas(self, table: str = "consistency") -> Any:
        """A table of the report (see :meth:`rows`) as a DataFrame; needs pandas."""
        from ..errors import require_pandas

        return require_pandas().DataFrame(self.rows(table))

    def to_dict(self) -> dict[str, Any]:
        from ..model.estimation import to_jsonable

        return to_jsonable(self.data)

    def table(self, verbose: bool = False) -> str:
        """The text report; ``verbose`` adds the utilization prior's full table."""
        from ..render.claims_report import render

        return render(self.to_dict(), verbose=verbose)

    __str__ = table  # print(): the text report, as `costmodel check` prints it

    def to_html(self, command: str | None = None) -> str:
        """A self-contained HTML page: the whole check, charts included.

        ``command``, if given, is shown as the way to regenerate the page.
        """
        from ..render import html_check as r

        return r.page(self.to_dict(), self.gpu_hours_samples, command=command)

    def _repr_html_(self) -> str:
        """Notebook display: the same HTML without the page chrome."""
        from ..render.html import fragment
        from ..render.html_check import body

        return fragment(body(self.to_dict(), self.gpu_hours_samples))

    def plot(self, path: str) -> None:
        """Distribution of the predicted total cost at market prices, the claim marked."""
        from ..render.plots import distribution_plot

        if self.cost_samples is None:
            raise InputError("plot: this claim has no token count, so no cost distribution")
        c = self.data["claim"]
        distribution_plot(
            self.cost_samples,
            path,
            output="cost_usd",
            claimed=c.get("cost_usd"),
            title="Predicted cost vs the claim",
            subtitle=f"{c['name']}: predicted cost at market rental prices",
        )


def check(
    claim: str | os.PathLike[str] | dict[str, Any] | ClaimPreset | None = None,
    *,
    path: str | os.PathLike[str] | None = None,
    samples: int = 20_000,
    rng: Rng = 0,
) -> ClaimCheck:
    """Check a training-cost claim.

    Parameters
    ----------
    claim : str, pathlib.Path, dict or ClaimPreset
        A preset id (``"deepseek-v3"``), a :class:`pathlib.Path` to a TOML file with the
        claim schema, or the fields. A string is always an id, never a file name.
    path : str or path, optional
        Instead of ``claim``: a TOML file with the claim schema.
    samples : int, default 20000
        Monte Carlo samples for the likelihood (utilization prior × FLOP convention ×
        market price).
    rng : Generator, int or None, default 0
        Random source; the default 0 gives the same report every run.

    Returns
    -------
    ClaimCheck
    """
    from ..model.uncertainty import check_samples
    from ..model.validate import check_rng

    if (claim is None) == (path is None):
        raise InputError("claim: give exactly one of claim (an id, Path, dict) or path=")
    if path is not None:
        if not isinstance(path, str | os.PathLike):
            raise InputError(f"path: expected a file name, got {path!r:.40}")
        from pathlib import Path

        claim = Path(path)
    samples = check_samples(samples)
    check_rng(rng)
    if samples < MIN_SAMPLES:
        raise InputError(
            f"samples: {samples} is too few for the cost distribution; use at least {MIN_SAMPLES:,}"
        )
    c = load_claim(claim)
    acc = store.get("accelerators", c.gpu)
    run = store.get("runs", c.run) if c.run else None
    arch = c.architecture or (run.architecture if run else None)
    active = c.active_params or (run.active_params_ if run else None) or c.params
    dense_assumed = c.active_params is None and run is None and c.params is not None
    precision = c.precision or (run.precision if run else None) or "bf16"
    fp8_fraction = None
    if precision == "mixed" and arch is not None:
        fp8_fraction = arch.fp8_flop_fraction()
    elif precision == "fp8":
        fp8_fraction = 1.0
    stage = None
    if c.analysis_stage:
        stage = next(s for s in c.stages if s.name == c.analysis_stage)
    elif len(c.stages) == 1:
        stage = c.stages[0]
    # every quantity the claim implies, derived before anything is compared (issue 9.2)
    facts = resolve(c, run)
    level = facts.analysis
    tokens = facts.get(level, "T") if level is not None else c.tokens
    n_gpus = (facts.get(level, "N") if level is not None else None) or c.n_gpus
    if n_gpus is not None and float(n_gpus).is_integer():
        n_gpus = int(n_gpus)
    price = c.price_usd_per_gpu_hour
    assumptions: list[str] = []
    warnings: list[str] = []
    if dense_assumed:
        assumptions.append("active_params not given: dense model assumed (active = params)")
    basis_hours = facts.get(level, "H") if level is not None else None
    hv = facts.value(level, "H") if level is not None else None
    if hv is not None and not hv.stated:
        assumptions.append(f"GPU-hours not stated: {hv.how} = {basis_hours:,.0f}")
    tv = facts.value(level, "T") if level is not None else None
    if tv is not None and not tv.stated:
        assumptions.append(f"tokens not stated: {tv.how} = {tokens:.4g}")
    total_hours = facts.get("", "H")
    total_cost = facts.get("", "C")
    if price is None and total_cost and total_hours:
        price = total_cost / total_hours
        assumptions.append(
            f"price not stated: cost / GPU-hours = ${price:.2f} per GPU-hour (implied)"
        )
    other_hours = (total_hours - basis_hours) if total_hours and basis_hours else 0.0
    if other_hours < 0:  # a stage larger than the total: the consistency check reports it
        other_hours = 0.0
    if acc.form_factor == "pcie":
        warnings.append(
            f"{acc.id} is a PCIe part: its peaks are below the SXM version's; "
            f"make sure the cluster used it"
        )

    data: dict[str, Any] = {"schema": SCHEMA}
    data["claim"] = {
        "id": c.id,
        "name": c.name,
        "claimant": c.claimant,
        "date": c.date,
        "quote": c.quote,
        "kind": c.kind,
        "scope": c.scope,
        "excludes": list(c.excludes),
        "gpu": acc.id,
        "n_gpus": c.n_gpus or n_gpus,
        "precision": precision,
        "params": c.params or (run.params if run else None),
        "active_params": active,
        "tokens": tokens,
        "gpu_hours": total_hours,
        "cost_usd": total_cost,
        "price_usd_per_gpu_hour": c.price_usd_per_gpu_hour,
        "stages": [s.model_dump(exclude_none=True) for s in c.stages],
        "related_claims": list(c.related_claims),
        "source": c.source,
    }
    data["basis"] = {
        "stage": stage.name if stage else "whole claim",
        "tokens": tokens,
        "gpu_hours": basis_hours,
        "n_gpus": n_gpus,
    }
    data["consistency"] = consistency(facts)
    data["derived"] = facts.derived_notes(facts.used())

    cost_samples: np.ndarray | None = None
    hours_samples: np.ndarray | None = None
    if tokens is not None and basis_hours is not None and active is not None:
        data.update(
            implied(c, acc, arch, active, tokens, basis_hours, n_gpus, fp8_fraction, warnings)
        )
        data["comparison"] = comparison(run, acc, data["implied_mfu_16bit"])
        data["history"] = history(run, tokens, basis_hours, active, acc)
        data["decomposition"] = decomposition(run, acc, active, tokens, basis_hours)
        for st in c.statements:  # a stated FLOP total, against the same convention
            conv = st.convention or "6nd"
            if st.kind == "model_flop" and conv in data["flop"]:
                data["consistency"].append(
                    check_row(f"stated model FLOP vs {conv}", st.value, data["flop"][conv]["total"])
                )
        lik, cost_samples, hours_samples = likelihood(
            total_cost,
            acc,
            run,
            arch,
            active,
            tokens,
            basis_hours,
            other_hours,
            c.price_usd_per_gpu_hour,  # only a stated price, never one implied by cost/hours
            samples,
            rng,
            assumptions,
            n_gpus=n_gpus,
        )
        data["likelihood"] = lik
    else:
        data["not_analysed_because"] = _why_not_analysed(c, tokens, basis_hours, active)
        assumptions.append(f"no utilization analysis: {data['not_analysed_because']}")
    per_t = next(
        (st.value for st in c.statements if st.kind == "gpu_hours_per_trillion_tokens"), None
    )
    if per_t and tokens and basis_hours and abs(per_t * tokens / 1e12 / basis_hours - 1) < 1e-3:
        data["throughput_derived_hours"] = True
        assumptions.append(
            f"the {data['basis']['stage']} GPU-hours equal the per-trillion-token "
            f"rate × tokens ({per_t:,.0f} × {tokens / 1e12:g}T): a steady-state "
            f"throughput figure, so downtime and restarts are not in them "
            f"(published runs' hours usually include them)"
        )
    if tokens is not None and basis_hours is not None:
        section(data, c, run, arch, acc, tokens, basis_hours, n_gpus, assumptions)
    data["verdict"] = verdict_of(data)
    data["ledger"] = ledger(c, acc, total_hours, price, total_cost, c.n_gpus or n_gpus)
    data["hardware"] = hardware(
        acc,
        data.get("implied_mfu_16bit"),
        basis_hours,
        n_gpus,
        active,
        tokens,
        run,
        data["basis"]["stage"],
    )
    if arch is not None and arch.moe is not None and acc.id == "h800-sxm" and n_gpus:
        from ..perf.compare import nvlink_cost

        ph = data.get("physics")
        pub = ph["layout"] if ph and "no published layout" not in ph["layout_source"] else None
        data["nvlink"] = nvlink_cost(
            arch,
            int(n_gpus),
            layout=pub,
            layout_source=ph["layout_source"] if pub is not None and ph else None,
        )
    data["warnings"] = warnings
    data["assumptions"] = assumptions
    return ClaimCheck(data, cost_samples, hours_samples)


def _why_not_analysed(
    c: ClaimPreset, tokens: float | None, basis_hours: float | None, active: float | None
) -> str:
    """Name exactly what stops the FLOP and utilization analysis."""
    missing = []
    if tokens is None:
        missing.append("no token count" + (" for any stage" if len(c.stages) > 1 else ""))
    if active is None:
        missing.append("no active_params (or params, or a run preset with the model's shape)")
    if basis_hours is None:
        if len(c.stages) > 1 and not c.analysis_stage:
            missing.append(
                "no stage marked as the one whose tokens and GPU-hours go together (analysis_stage)"
            )
        else:
            missing.append("no GPU-hours (nor GPUs × duration, nor cost and price) for it")
    return "the claim gives " + "; ".join(missing)
