"""Benchmarks: `make bench` runs them and writes docs/benchmarks.md (figures as ratios against a same-run baseline)."""
