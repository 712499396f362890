"""PNG charts (``--plot FILE``): matplotlib, an optional extra, loaded only when asked for."""

from __future__ import annotations

from typing import Any

from .errors import AltoolError


def require_matplotlib() -> Any:
    """``matplotlib.pyplot`` on the file-only Agg backend, or a clear error saying how to
    install it."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        raise AltoolError("--plot needs matplotlib: pip install 'altool[plot]'") from None
    return plt


def save_figure(fig: Any, path: str, plt: Any) -> None:
    """Write ``fig`` to ``path`` and close it; a path that can't be written is an error."""
    try:
        fig.savefig(path)
    except OSError as err:
        raise AltoolError(f"{path}: can't write the plot ({err.strerror or err})") from None
    finally:
        plt.close(fig)
