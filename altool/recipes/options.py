"""The strategy options ``textcat.teach`` and ``altool simulate`` share: their Typer
declarations and their validation, in one place."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated

import typer

from ..errors import AltoolError

if TYPE_CHECKING:  # the strategies import numpy: not at start-up of every command
    from ..strategies import StrategyOptions

QBC_MEASURE_NAMES = ("vote", "kl")  # strategies.QBC_MEASURES, for --help (a test keeps them equal)
# strategies.STRATEGIES's built-in names and DEFAULT_STRATEGY, for --help (a test keeps them equal)
BUILTIN_STRATEGY_NAMES = ("margin", "entropy", "least-confidence", "random", "diverse", "ema",
                          "qbc", "egl", "bald", "coreset", "badge", "stream", "spread")
DEFAULT_STRATEGY_NAME = "diverse"

CommitteeSizeOption = Annotated[
    int, typer.Option("--committee-size", help="Committee members for qbc and bald "
                      "(bootstrap resamples of the answers).")
]
QbcMeasureOption = Annotated[
    str, typer.Option("--qbc-measure", help=f"How qbc scores disagreement: "
                      f"{' or '.join(QBC_MEASURE_NAMES)} (vote entropy or mean KL divergence from "
                      "the consensus).")
]
LikeOption = Annotated[
    str | None, typer.Option("--like", help="TEXT or FILE (JSONL/CSV/TXT): half of every "
                             "batch goes to the examples most similar to these texts, so a "
                             "weak spot gets patched first. Works with any strategy.")
]
MixOption = Annotated[
    str | None, typer.Option("--mix", help="random=SHARE: that share of every batch is picked "
                             "at random (meta.pick = \"random\"), an unbiased audit sample. "
                             "Works with any strategy.")
]


@dataclass(frozen=True)
class StrategySettings:
    options: StrategyOptions
    random_share: float
    like: list[str]


MATRIX_STRATEGIES = ("qbc", "bald", "coreset", "badge")  # need feature matrices, refittable


def check_model_support(strategy: str, model: str, like: bool) -> None:
    """Fail before a session on a strategy the model can't serve: the committee, core-set,
    BADGE and ``--like`` work on feature matrices (``--model sklearn`` or ``embed``)."""
    if not model.startswith("spacy"):
        return
    if strategy in MATRIX_STRATEGIES or like:
        what = f"--strategy {strategy}" if strategy in MATRIX_STRATEGIES else "--like"
        raise AltoolError(f"{what} needs --model sklearn or embed (feature vectors), not "
                          f"{model}")


def strategy_settings(committee_size: int = 5, qbc_measure: str = "vote",
                      like: str | None = None, mix: str | None = None) -> StrategySettings:
    """Validate the options (clear :class:`~altool.errors.AltoolError` on bad values)."""
    from ..strategies import StrategyOptions, parse_mix, read_like

    return StrategySettings(StrategyOptions(committee_size, qbc_measure), parse_mix(mix),
                            read_like(like))
