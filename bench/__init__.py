"""Benchmarks, chaos runs and long fuzz runs: the numbers that say how fast and how safe the system is."""
