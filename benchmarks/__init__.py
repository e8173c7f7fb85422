"""Benchmarks: scripts run from the command line (`python benchmarks/bench.py`), on top of everything they measure.

A package only so that the import contract in pyproject.toml can see them.
"""
