"""The strategies ``--strategy`` can name. Built-in entries are imported on first use, so the
names (for ``--help`` and option checks) come without NumPy; :func:`register_strategy` adds
your own."""

from __future__ import annotations

from collections.abc import Iterator, MutableMapping
from importlib import import_module
from typing import TYPE_CHECKING, Any

from ..errors import AltoolError

if TYPE_CHECKING:
    from .base import Strategy

# ``default``, chosen on the tuning half of benchmarks/suite.py (README, Which strategy?): for a
# model whose vectors place texts of similar meaning near each other (sentence embeddings)...
DEFAULT_STRATEGY = "tcm"
# ... and for any other (hashed n-grams: typical texts there are the ones with common words;
# spaCy's textcat: no feature vectors at all)
DEFAULT_OTHERWISE = "diverse"
_BUILTIN = {  # name -> "module:function" inside altool.strategies
    "margin": "uncertainty:margin",
    "entropy": "uncertainty:entropy",
    "least-confidence": "uncertainty:least_confidence",
    "random": "uncertainty:random_order",
    "diverse": "diversity:diverse",
    "ema": "streaming:ema",
    "qbc": "committee:qbc",
    "egl": "uncertainty:egl",
    "bald": "committee:bald",
    "coreset": "diversity:coreset",
    "badge": "diversity:badge",
    "stream": "streaming:stream",
    "spread": "diversity:spread",
    "typiclust": "typicality:typiclust",
    "tcm": "typicality:tcm",
}


class StrategyRegistry(MutableMapping):
    """``name -> strategy function``; a built-in one is imported when it is first looked up."""

    def __init__(self) -> None:
        self._entries: dict[str, Any] = dict(_BUILTIN)

    def __getitem__(self, name: str) -> Strategy:
        entry = self._entries[name]
        if isinstance(entry, str):
            module, _, attr = entry.partition(":")
            entry = self._entries[name] = getattr(
                import_module(f"altool.strategies.{module}"), attr)
        return entry

    def __setitem__(self, name: str, fn: Strategy) -> None:
        self._entries[name] = fn

    def __delitem__(self, name: str) -> None:
        del self._entries[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._entries)

    def __len__(self) -> int:
        return len(self._entries)


STRATEGIES = StrategyRegistry()


def strategy_names() -> list[str]:
    """The registered names, built-ins first (nothing is imported)."""
    return list(STRATEGIES)


def default_strategy(capabilities: frozenset[str] | set[str] | None = None) -> str:
    """What ``default`` stands for with a model that can do ``capabilities`` (None: not
    known, taken to be the default model's: sentence embeddings)."""
    if capabilities is not None and "semantic" not in capabilities:
        return DEFAULT_OTHERWISE
    return DEFAULT_STRATEGY


def resolve_name(name: str, capabilities: frozenset[str] | set[str] | None = None) -> str:
    """The registered name ``name`` stands for (``default``: :func:`default_strategy` for a
    model with ``capabilities``); a clear error for an unknown one."""
    name = default_strategy(capabilities) if name == "default" else name
    if name not in STRATEGIES:
        raise AltoolError(
            f"unknown strategy {name!r}; choose one of: {', '.join(STRATEGIES)}"
        )
    return name


def get_strategy(name: str) -> Strategy:
    return STRATEGIES[resolve_name(name)]


def register_strategy(name: str, fn: Strategy, **spec: Any) -> Strategy:
    """Make ``fn`` available as ``--strategy name``; keyword arguments declare its spec
    (:class:`~altool.strategies.base.StrategySpec`: ``needs``, ``context``, ...)."""
    if spec:
        from .base import declare

        declare(fn, **spec)
    STRATEGIES[name] = fn
    return fn


def strategy_name(strategy: Strategy) -> str:
    """The registered name of ``strategy`` (its function name if it is not registered)."""
    for name in STRATEGIES:
        if STRATEGIES[name] is strategy:
            return name
    return getattr(strategy, "__name__", "strategy")
