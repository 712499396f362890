"""Smoke tests of the benchmark scripts (tiny settings)."""
