"""`chinwag bench`: the load generator and its scenarios (see docs/benchmarks.md)."""
