"""The peak a given ``mfu`` is a fraction of (``mfu_basis``), and the notes that say so.

DESIGN (added 2026-12-04): a user's ``mfu`` is a fraction of the accelerator's dense 16-bit
peak, as published MFU figures are (DeepSeek-V3's 38.94% divides by the H800's 989 TFLOP/s
BF16 peak: DeepSeek-AI, ISCA'25, arXiv 2505.09343, Table 4), unless ``mfu_basis`` names the
FP8 peak or the run precision's own (blended, for ``mixed``) peak. The achieved rate is
``mfu`` × that peak; the result's ``peak_flop_per_s`` stays the run precision's peak.
:class:`ReadsBasis` resolves the basis per (accelerator, precision) once
(:meth:`~costmodel.model.hardware.Hardware.basis_table`), and states it in ``assumptions``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..errors import InputError, arg
from ..formulas.distbase import Dist
from .evaluation import Evaluates
from .hardware import Hardware

__all__ = ["ReadsBasis"]


class ReadsBasis(Evaluates):
    """Base of :class:`~costmodel.model.resolution.ResolvesHardware`: ``mfu_basis``."""

    def _resolve_basis(self, hw: Hardware) -> None:
        """The peak a given ``mfu`` is a fraction of (``mfu_basis``), per (accelerator,
        precision): :attr:`basis_peaks` (``None`` for the run's own peak) and
        :attr:`basis_names`, the precision whose peak it is per pair."""
        self.basis_peaks: np.ndarray | None = None
        self.basis_names: dict[tuple[str, str], str] = {pair: pair[1] for pair in hw.pairs()}
        if self.mfu_basis == "blended":
            return
        table, names = hw.basis_table(self.mfu_basis)
        lack = sorted({g for g, p in hw.pairs() if (g, p) not in names})
        if lack:
            have = "; ".join(f"{g}: {', '.join(self.accelerators[g].precisions)}" for g in lack)
            raise InputError(
                f"mfu_basis: {self.mfu_basis!r} reads mfu against the "
                f"{'FP8' if self.mfu_basis == 'fp8' else '16-bit'} dense peak, which "
                f"{', '.join(lack)} {'lacks' if len(lack) == 1 else 'lack'} (dense peaks: "
                f"{have}); give {arg('mfu_basis', '16bit', repr('16bit'))} or "
                f"{arg('mfu_basis', 'blended', repr('blended'))}"
            )
        self.basis_names = names
        same = all(p != "mixed" and table[self._pair_index(hw, g, p)] == self.accelerators[
            g
        ].peak_flop_per_s(p) for g, p in hw.pairs())  # fmt: skip
        if not same:  # where every pair reads against its own peak, the peak is the basis
            self.basis_peaks = table

    @staticmethod
    def _pair_index(hw: Hardware, g: str, p: str) -> tuple[int, int]:
        return hw.gpu_ids.index(g), hw.precisions.index(p)

    def _point_fp8_fraction(self) -> Any:
        f8 = self.fp8_fraction
        return None if f8 is None else (f8.median() if isinstance(f8, Dist) else f8)

    def basis_over_peak(self) -> Any:
        """Basis peak / the run's own peak at the inputs' medians [1]: 1.0 where they are
        the same; below 1 for the 16-bit basis of an FP8 or mixed run."""
        if getattr(self, "basis_peaks", None) is None or self.hardware is None:
            return 1.0
        peak = self.peak(self._point_fp8_fraction())
        return np.asarray(self.basis_peak(peak), float) / np.asarray(peak, float)

    def _basis_words(self) -> str:
        """The basis in words: ``16-bit dense``, ``FP8 dense``, ``run precision's dense``."""
        names = set(getattr(self, "basis_names", {}).values())
        if self.mfu_basis == "fp8":
            return "FP8 dense"
        if self.mfu_basis == "16bit":
            return f"16-bit dense ({', '.join(sorted(names))})" if names else "16-bit dense"
        return "run precision's dense"

    def _run_peak_words(self) -> str:
        """The run's own peak in words (``blended FP8/BF16 dense``, ``bf16 dense``)."""
        p = self.precision
        if np.ndim(p) != 0:
            return "dense"
        return "blended FP8/BF16 dense" if p == "mixed" else f"{p} dense"

    def _basis_note(self) -> None:
        """State the peak a given ``mfu`` is a fraction of, and what it means against the
        run's own peak (DESIGN 2026-12-04: a user's mfu is on the 16-bit dense peak)."""
        m = self.mfu
        if isinstance(m, Dist):
            what = f"mfu (median {float(np.ravel(m.median())[0]):.4g})"
            m0: float | None = float(np.ravel(m.median())[0])
        elif np.size(m) == 1:
            m0 = float(np.ravel(m)[0])
            what = f"mfu {m0:.4g}"
        else:
            m0, what = None, "mfu"
        basis = self.mfu_basis
        other = arg("mfu_basis", "blended", repr("blended"))
        default = f"the default {arg('mfu_basis', '16bit', repr('16bit'))}"
        single = np.ndim(self.gpu) == 0 and np.ndim(self.precision) == 0
        f8 = self._point_fp8_fraction()
        if not single or np.size(f8) > 1:
            self.assumptions.append(
                f"{what} is a fraction of each element's {self._basis_words()} peak "
                f"(mfu_basis {basis}; see mfu_basis in the result)"
                + ("; published MFU figures divide by the 16-bit peak" if basis != "16bit" else "")
            )
            return
        peak = float(np.ravel(np.asarray(self.peak(f8), float))[0])
        bpeak = float(np.ravel(np.asarray(self.basis_peak(peak), float))[0])
        gpu, prec = str(self.gpu), str(self.precision)
        name = self.basis_names.get((gpu, prec), prec)
        run = f"the run's {self._run_peak_words()} peak"
        if prec == "mixed" and f8 is not None:
            run += f" ({float(np.ravel(f8)[0]):.1%} of FLOP in FP8)"
        tf = f"{bpeak / 1e12:,.1f} TFLOP/s of {gpu}"
        if basis == "16bit" and name not in ("bf16", "fp16"):
            self.assumptions.append(
                f"{what} is a fraction of the {name} dense peak ({tf}), the run's own "
                f"precision: its peak is below the 16-bit one, which it cannot reach"
            )
            return
        head = {
            "16bit": f"the 16-bit dense peak ({name}, {tf}), as published MFU figures are",
            "fp8": f"the FP8 dense peak ({tf}; {arg('mfu_basis', 'fp8', repr('fp8'))})",
            "blended": f"{run} ({tf}; {other})",
        }[basis]
        text = f"{what} is a fraction of {head}"
        if bpeak != peak:
            achieved = f"{m0 * bpeak / 1e12:,.0f} TFLOP/s per GPU, " if m0 is not None else ""
            share = f"{m0 * bpeak / peak:.1%} of " if m0 is not None else "against "
            text += f": {achieved}{share}{run} of {peak / 1e12:,.1f} TFLOP/s" + (
                f"; {other} reads mfu against that peak" if basis == "16bit" else ""
            )
        hw = self.hardware
        if basis != "16bit" and hw is not None:
            i, j = self._pair_index(hw, gpu, prec)
            v = float(hw.basis_table("16bit")[0][i, j])
            if np.isfinite(v) and v != bpeak:
                text += (
                    f"; published MFU figures divide by the 16-bit peak ({v / 1e12:,.1f} "
                    f"TFLOP/s), {default}"
                )
        self.assumptions.append(text)

    def _note_over_ceiling(self, hw: Hardware) -> None:
        """Note each (gpu, 16-bit precision) whose mfu exceeds the measured matmul ceiling
        (a fraction of the run precision's peak, converted to the mfu's basis)."""
        mfu = np.asarray(self.mfu, float)
        table = hw.matmul_ceiling_table()
        scale = np.ones_like(table)
        if self.basis_peaks is not None:
            for gid, prec in hw.pairs():
                i, j = self._pair_index(hw, gid, prec)
                if prec != "mixed" and np.isfinite(table[i, j]):
                    own = self.accelerators[gid].peak_flop_per_s(prec)
                    scale[i, j] = own / self.basis_peaks[i, j]
            table = table * scale
        # one reduction settles the common case (every mfu below every ceiling) before any
        # array of the full shape is built
        if np.max(mfu) <= np.min(table):
            return
        try:
            m, ceil, g, p = np.broadcast_arrays(
                mfu, hw.by_pair(table), hw.gpu_codes, hw.precision_codes
            )
        except ValueError:  # shapes that only broadcast with other inputs: skip the note
            return
        over = m > ceil
        if not np.any(over):
            return
        key = p[over] * len(hw.gpu_ids) + g[over]
        for k in np.unique(key):
            gi = hw.gpu_ids[k % len(hw.gpu_ids)]
            pj = k // len(hw.gpu_ids)
            ceiling = self.accelerators[gi].matmul_ceiling_fraction
            s = float(scale[hw.gpu_ids.index(gi), pj])
            basis = "" if s == 1.0 else f" of the {self._basis_words()} peak"
            own = "" if s == 1.0 else f", {ceiling * s:.1%} of the {self._basis_words()} peak"
            self.assumptions.append(
                f"mfu {float(np.max(m[over][key == k])):.0%}{basis} exceeds {gi}'s best measured "
                f"dense matmul throughput ({ceiling:.1%} of peak{own}): no training run can "
                f"reach it"
            )
