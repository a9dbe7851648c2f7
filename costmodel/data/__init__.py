"""Layer 2: the preset catalog (TOML store, strict schemas, user overrides)."""
