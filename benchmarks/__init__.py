"""Benchmarks, synthetic data and the soak test: measuring the product, not part of it (not installed)."""
