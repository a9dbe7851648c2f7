"""Performance model: step time, utilization and memory of a training layout (issue 11).

Layer-1 formula modules (pure, broadcasting, no I/O): :mod:`.kernels` (GEMM roofline,
attention, memory-bound work), :mod:`.collectives` (TP/EP/CP/PP/DP communication),
:mod:`.pipeline` (bubbles), :mod:`.memory`, :mod:`.step` (the vectorized
:func:`~costmodel.perf.step.evaluate`), :mod:`.spread` (MFU uncertainty). The thin binding
to the catalog is :mod:`.bind`; :mod:`.validation` checks the model against published
throughput (``docs/perf_validation.md``). Layout search (``plan``) is in
``costmodel.analysis.planning``.
"""
