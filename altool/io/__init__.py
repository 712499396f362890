"""altool.io."""
