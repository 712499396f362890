"""Tests of altool.simulate."""
