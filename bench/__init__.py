"""Benchmarks: each bench_*.py measures one thing and writes bench/results/<name>.json."""
