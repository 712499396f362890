"""altool.loop."""
