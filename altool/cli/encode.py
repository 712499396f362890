"""``altool encode``: precompute the sentence encoder's vectors of a whole source."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from ..errors import AltoolError
from ..safe import safe
from ..store.context import open_store
from ..ui.progress import count_bar
from .common import DbOption, err_console, use_db

if TYPE_CHECKING:
    from ..loop.encoding import EncodeResult

ENCODE_CHUNK = 1_000  # altool.loop.encoding.ENCODE_CHUNK (imported on use: it loads numpy)


class _Stopped(AltoolError):
    exit_code = 130  # Ctrl-C


def _summary(result: EncodeResult) -> str:
    return (f"{result.rows:,} of {result.total:,} texts: {result.encoded:,} encoded now, "
            f"{result.cached:,} already cached")


def encode(
    source: Annotated[str, typer.Argument(help="The stored source to encode (altool load).")],
    model: Annotated[
        str, typer.Option("--model", help="The model whose vectors to cache: embed (default; "
                          "the same vectors as blend and stack, textcat.teach's default), "
                          "embed:fp32, or embed:torch.")
    ] = "embed",
    chunk_size: Annotated[
        int, typer.Option("--chunk-size", min=1, help="Texts per chunk: each chunk is "
                          "committed at once, so a stopped run loses at most one.")
    ] = ENCODE_CHUNK,
    cluster: Annotated[
        str | None, typer.Option("--cluster", help="Encode on the Dask cluster whose scheduler "
                                 "is at this address (tcp://HOST:8786); needs the cluster "
                                 "extra. This process still writes the vectors.",
                                 show_default=False)
    ] = None,
    db: DbOption = None,
) -> None:
    """Encode every text of a source once and cache the vectors (beside the database, in
    altool.db-vectors), so textcat.teach never waits for the encoder. Resumable: run it again
    after Ctrl-C or a crash and it goes on from the last finished chunk."""
    from ..loop.cluster import chunk_encoder
    from ..loop.encoding import EncodingInterrupted, encode_source, encoder_model

    use_db(db)
    encoder = encoder_model(model)
    with open_store(create=False) as store:
        total = store.count_source(source)
        try:
            with chunk_encoder(cluster, encoder) as run, \
                    count_bar(err_console, "encoding", source, total) as update:
                result = encode_source(store, source, encoder, chunk=chunk_size, run=run,
                                       progress=lambda r: update(r.rows, f"{r.cached:,} cached"))
        except EncodingInterrupted as stop:
            raise _Stopped(f"stopped: {_summary(stop.result)}. The finished chunks are kept: "
                           f"run altool encode {source} again to go on") from None
    err_console.print(f"[green]✔[/] {safe(source)}: {safe(_summary(result))} "
                      f"({safe(encoder.cache_key)}, in {safe(str(store.vectors_path))})",
                      soft_wrap=True)
