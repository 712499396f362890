"""One BLAS / OpenMP thread while models learn, whatever was imported before."""

from __future__ import annotations

import json
import os
import subprocess
import sys

# A fresh interpreter where numpy is loaded but scikit-learn and scipy are not yet: their native
# libraries load inside the block, as they do in `altool simulate` and the worker.
PROBE = """
import json
import numpy
from threadpoolctl import threadpool_info
from altool.loop.threads import one_thread
with one_thread():
    from altool.models import make_model
    make_model("sklearn", ["a", "b"], exclusive=True)
    inside = [(i["filepath"].rsplit("/", 1)[-1], i["num_threads"]) for i in threadpool_info()]
print(json.dumps(inside))
"""


def test_one_thread_limits_libraries_loaded_inside_the_block():
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "3", "OMP_NUM_THREADS": "3"}
    out = subprocess.run([sys.executable, "-c", PROBE], env=env, capture_output=True,
                         text=True, check=True).stdout
    inside = json.loads(out)
    names = " ".join(name for name, _ in inside)
    assert "openblas" in names and "gomp" in names  # numpy's, scipy's and sklearn's runtimes
    assert all(n == 1 for _, n in inside), inside
