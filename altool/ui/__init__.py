"""altool.ui.app."""
