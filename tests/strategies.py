"""Hypothesis strategies with physically sensible bounds (one place for all tests)."""

from hypothesis import strategies as st

params = st.floats(min_value=1e6, max_value=1e13)
tokens = st.floats(min_value=1e6, max_value=1e15)
mfu = st.floats(min_value=1e-3, max_value=1.0)
goodput = st.floats(min_value=0.05, max_value=1.0)
price = st.floats(min_value=0.01, max_value=100.0)
n_gpus = st.integers(min_value=1, max_value=1_000_000)
positive_scale = st.floats(min_value=0.01, max_value=100.0)
gpu_id = st.sampled_from(
    ["h800-sxm", "h100-sxm", "a100-sxm4-80gb", "h20", "b200", "mi300x", "tpu-v4", "v100-sxm2-32gb"]
)
# magnitudes that SI formatting must round-trip
magnitude = st.floats(min_value=1e-2, max_value=1e30, allow_nan=False, allow_infinity=False)
suffix = st.sampled_from(["", "K", "M", "B", "T", "P", "E", "k", "G"])
# performance-model layouts: bandwidth multipliers and micro-batches
bandwidth_scale = st.floats(min_value=1.0, max_value=16.0)
micro_batch = st.integers(min_value=1, max_value=16)
