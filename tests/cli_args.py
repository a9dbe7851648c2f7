"""Command-line arguments shared by the CLI tests."""

#: DeepSeek-V3's pre-training (arXiv 2412.19437: 37B active parameters, 14.8T tokens, H800)
V3 = ["--active-params", "37B", "--tokens", "14.8T", "--gpu", "h800-sxm"]
#: the same, priced against the BF16 dense peak
V3_BF16 = [*V3, "--precision", "bf16"]
