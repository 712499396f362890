"""One teach session's settings, validated once: :class:`TeachConfig`.

The recipe (``textcat.teach``, ``ner.teach``) builds it from its command-line options; the
worker process gets it whole (it is plain data, pickled to the child), builds its learner
from it, and the session's ``config`` component comes from it too, so no setting is copied
by hand or checked in two places.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import AltoolError
from ..models.registry import model_capabilities, require_capabilities
from ..store.checks import check_recheck
from ..strategies.options import StrategyOptions, StrategySettings, check_share
from ..strategies.registry import resolve_name

TASKS = {"textcat": ("binary", "choice"), "ner": ("ner",)}  # task -> its views
DEFAULT_POOL_SIZE = 20_000


def default_queue_size(batch_size: int) -> int:
    """Questions kept ready: enough that a fast annotator doesn't run dry while the model
    refits and rescores (seconds on a large source)."""
    return max(5 * batch_size, 50)


def check_support(strategy: str, model: str, like: bool,
                  capabilities: frozenset[str] | None = None) -> None:
    """Fail before a session on a strategy (or ``--like``) the model can't serve, e.g. core-set
    without feature vectors. ``capabilities`` of a built model; else from the registry (a saved
    model's path is checked once it is built)."""
    from ..models.base import VECTORS
    from ..strategies.base import spec_of
    from ..strategies.registry import get_strategy

    if capabilities is None:
        capabilities = model_capabilities(model)
    needs = spec_of(get_strategy(strategy)).needs
    require_capabilities(f"--strategy {resolve_name(strategy)}", needs, model, capabilities)
    if like:
        require_capabilities("--like", frozenset({VECTORS}), model, capabilities)


@dataclass(frozen=True)
class TeachConfig:
    """Everything a teach session's worker needs (plain data: it is pickled to the worker
    process). Built once by the recipe; ``__post_init__`` validates and normalises it."""

    db_path: Path
    dataset: str
    source: str
    labels: tuple[str, ...]
    view: str
    task: str = "textcat"
    multilabel: bool = False
    model: str = "sklearn"
    strategy: str = "default"  # a registered name, or default (resolved for the model)
    settings: StrategySettings = field(default_factory=StrategySettings)
    batch_size: int = 10
    exclude: tuple[str, ...] = ()
    pool_size: int = DEFAULT_POOL_SIZE
    seed: int | None = None
    model_path: Path | None = None  # where the model is saved; None: see save_model
    save_model: bool = False  # keep the model between sessions, where the store says
    queue_size: int | None = None  # questions kept ready (None: default_queue_size)
    lang: str = "en"  # ner: the blank pipeline's language
    patterns: str | None = None  # ner: a patterns file
    budget: int | None = None  # answers the dataset may hold (the session stops asking)
    recheck: float = 0.0  # share of questions that re-ask an earlier answer, blind
    # a Dask scheduler's address: a pool of pool_size rows is featurised and scored there
    # (:mod:`.cluster_pool`); the local pool is then at most DEFAULT_POOL_SIZE rows
    cluster: str | None = None

    def __post_init__(self) -> None:
        set_ = object.__setattr__  # frozen: normalise once, here
        set_(self, "labels", tuple(self.labels))
        set_(self, "exclude", tuple(self.exclude))
        if self.task not in TASKS:
            raise AltoolError(f"unknown task {self.task!r}; use {', '.join(TASKS)}")
        if self.view not in TASKS[self.task]:
            raise AltoolError(f"--view must be {' or '.join(TASKS[self.task])}, "
                              f"got {self.view!r}")
        sizes = [("--batch-size", self.batch_size), ("--pool-size", self.pool_size)]
        if self.budget is not None:
            sizes.append(("--budget", self.budget))
        for name, value in sizes:
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise AltoolError(f"{name} must be a positive integer, got {value!r}")
        if self.cluster is not None and (not isinstance(self.cluster, str)
                                         or not self.cluster.strip()):
            raise AltoolError("--cluster must be a Dask scheduler's address (tcp://HOST:8786)")
        if self.queue_size is None:
            set_(self, "queue_size", default_queue_size(self.batch_size))
        check_share(self.settings.random_share)
        check_recheck(self.recheck, self.view)
        if self.task == "textcat":
            capabilities = model_capabilities(self.model)
            if self.strategy != "default" or capabilities is not None:
                # (a saved model's path: the worker resolves ``default`` once it is loaded)
                set_(self, "strategy", resolve_name(self.strategy, capabilities))
            check_support(self.strategy, self.model, bool(self.settings.like))

    @property
    def local_pool_size(self) -> int:
        """Rows of the pool featurised and scored in this process: ``pool_size``, or with a
        cluster at most ``DEFAULT_POOL_SIZE`` (the cluster's pool narrowed to its best, or
        the sampled pool the session falls back to)."""
        return min(self.pool_size, DEFAULT_POOL_SIZE) if self.cluster else self.pool_size

    @property
    def exclusive(self) -> bool:
        return not self.multilabel

    @property
    def options(self) -> StrategyOptions:
        return self.settings.options

    def model_file(self) -> Path | None:
        """The file the in-the-loop model is resumed from and saved to: ``model_path``, or
        with ``save_model`` the store's file for this dataset of this database (None while
        the dataset does not exist: it is made by the first answer)."""
        if self.model_path is not None or not self.save_model:
            return self.model_path
        from ..store import Store

        with Store(self.db_path) as store:
            return store.model_state_path(self.dataset) if store.has_dataset(self.dataset) \
                else None

    def components_config(self, title: str) -> dict[str, Any]:
        """The ``config`` component of the recipe's session (the same batch size and labels
        the worker uses)."""
        return {"labels": list(self.labels), "batch_size": self.batch_size,
                "multilabel": self.multilabel, "title": title, "budget": self.budget,
                "recheck": self.recheck, "seed": self.seed}
