"""Benchmarks: what one daphne process holds and how fast a message travels (issue 6).

See docs/performance.md. `make bench` runs `python -m bench.run`.
"""
