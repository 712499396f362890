"""Tests of altool.io: loaders, hashing, spans."""
