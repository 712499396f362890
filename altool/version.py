"""altool's version (one place; ``altool.__version__`` and ``altool --version`` read it)."""

__version__ = "0.1.0"
