"""One thread for the native math libraries while a model learns and scores.

BLAS and OpenMP start as many threads as there are cores. Next to the terminal UI, or next to
another run, those threads fight for the same cores (see ``../shared/NOTES.md``: a 0.2 s fit
took 1.5-4 s), so the worker and ``altool simulate`` run with one.

``threadpoolctl.threadpool_limits`` only limits the libraries loaded when it is entered.
scikit-learn brings its own OpenMP and scipy its own OpenBLAS (liblinear's dot products call
it); both load on first use, usually *after* the limit was set, and would run with every core.
:func:`one_thread` loads them first.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def one_thread() -> Iterator[None]:
    """Run the block with one BLAS / OpenMP thread in every library that has them."""
    import scipy.linalg  # noqa: F401  scipy's OpenBLAS
    import sklearn.svm  # noqa: F401  liblinear and scikit-learn's OpenMP runtime
    from threadpoolctl import threadpool_limits

    with threadpool_limits(1):
        yield
