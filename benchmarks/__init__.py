"""Benchmarks of the demos: ratios measured side by side, not timed tests (see README.md)."""
