"""Tests of altool.ui: the terminal views, driven without a terminal."""
