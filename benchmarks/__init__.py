"""Benchmarks of the fast paths against baselines measured in the same run (see README.md)."""
