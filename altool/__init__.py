"""altool: terminal-native text annotation with a model in the loop."""

__version__ = "0.1.0"

from .errors import AltoolError  # noqa: E402
from .hashing import set_hashes  # noqa: E402
from .loaders import get_stream  # noqa: E402
from .recipes import recipe  # noqa: E402

__all__ = ["AltoolError", "__version__", "get_stream", "recipe", "set_hashes"]
