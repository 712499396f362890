"""Tests of altool.store: the SQLite store, migrations, faults, merging, export."""
