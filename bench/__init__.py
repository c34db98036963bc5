"""Nexus benchmarks: `python -m bench` (full run) or `python -m bench --smoke` (seconds).

Not part of the default test run; tests/bench/test_bench_smoke.py runs the smoke mode.
"""
