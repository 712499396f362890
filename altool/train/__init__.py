"""altool.train."""
