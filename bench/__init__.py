"""Benchmarks: run as `python -m bench.NAME`; each ends with one JSON line."""
