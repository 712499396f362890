"""End-to-end tests: the real program driven in tmux, and fault injection."""
