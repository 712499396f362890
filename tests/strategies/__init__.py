"""Tests of altool.strategies: every query strategy."""
