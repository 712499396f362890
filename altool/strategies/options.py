"""The user's strategy settings, validated once: ``--committee-size``, ``--qbc-measure``,
``--mix random=SHARE`` and ``--like``. No NumPy here: ``--help`` and option checks stay quick."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ..errors import AltoolError

QBC_MEASURES = ("vote", "kl")


@dataclass(frozen=True)
class StrategyOptions:
    """User options of the strategies (``--committee-size``, ``--qbc-measure``)."""

    committee_size: int = 5
    qbc_measure: str = "vote"

    def __post_init__(self) -> None:
        if self.committee_size < 2:
            raise AltoolError(f"--committee-size must be at least 2, got {self.committee_size}")
        if self.qbc_measure not in QBC_MEASURES:
            raise AltoolError(f"--qbc-measure must be one of {', '.join(QBC_MEASURES)}, "
                              f"got {self.qbc_measure!r}")


@dataclass(frozen=True)
class StrategySettings:
    """Everything the user said about picking questions besides the strategy's name."""

    options: StrategyOptions = field(default_factory=StrategyOptions)
    random_share: float = 0.0  # --mix random=SHARE
    like: tuple[str, ...] = ()  # --like texts


def check_share(share: float) -> float:
    if not 0.0 <= share < 1.0:
        raise AltoolError(f"the random share must be in [0, 1), got {share}")
    return share


def parse_mix(value: str | None) -> float:
    """The random share of ``--mix random=0.1`` (0 for None or an empty value)."""
    if not value:
        return 0.0
    name, sep, share = value.partition("=")
    if name.strip() != "random" or not sep:
        raise AltoolError(f"--mix takes random=SHARE, e.g. --mix random=0.1 (got {value!r})")
    try:
        number = float(share)
    except ValueError:
        number = -1.0
    if not 0.0 <= number < 1.0:
        raise AltoolError(f"--mix random=SHARE needs a share in [0, 1), got {share!r}")
    return number


def read_like(value: str | None) -> list[str]:
    """The texts of ``--like``: a JSONL/CSV/TXT file's texts if ``value`` is a file, else
    ``value`` itself."""
    if not value:
        return []
    if Path(value).is_file():
        from ..io.loaders import iter_records

        texts = [r.example["text"] for r in iter_records(value, None)]
        if not texts:
            raise AltoolError(f"{value}: no texts for --like")
        return texts
    return [value]


def strategy_settings(committee_size: int = 5, qbc_measure: str = "vote",
                      like: str | None = None, mix: str | None = None) -> StrategySettings:
    """The settings of these command-line values (a clear :class:`AltoolError` on bad ones)."""
    return StrategySettings(StrategyOptions(committee_size, qbc_measure), parse_mix(mix),
                            tuple(read_like(like)))
