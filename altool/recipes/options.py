"""Command-line arguments the built-in recipes share, declared once with Typer (as your own
recipes declare theirs), and the parsing of their values. Checking what the values mean is the
library's job (:class:`~altool.loop.config.TeachConfig`, :mod:`altool.strategies.options`).

Strategy names come from the strategy registry, which imports no NumPy, so ``--help`` stays
quick and never lists a name the registry does not have.
"""

from __future__ import annotations

from typing import Annotated

import typer

from ..errors import AltoolError
from ..store import check_name
from ..strategies.options import QBC_MEASURES
from ..strategies.registry import DEFAULT_OTHERWISE, DEFAULT_STRATEGY, strategy_names

SourceArgument = Annotated[
    str, typer.Argument(help="A stored source name, or a JSONL/CSV/TXT file, or - for stdin.")
]
LoaderOption = Annotated[
    str | None, typer.Option(help="Format of a SOURCE file: jsonl, csv or txt.")
]
TextFieldOption = Annotated[
    str | None, typer.Option("--text-field", help="The JSONL key or CSV column that holds "
                             "the text (default: text).")
]
HtmlOption = Annotated[
    bool, typer.Option("--html-to-text", help="Turn HTML line breaks (<br />, <p>) and "
                       "entities (&amp;, &#39;) in the texts into plain text.")
]
LabelOption = Annotated[
    str, typer.Option("--label", "-l", help="Label(s), comma-separated: spam or A,B,C.")
]
BatchSizeOption = Annotated[
    int, typer.Option("--batch-size", min=1, help="Answers per model update.")
]
BudgetOption = Annotated[
    int | None, typer.Option("--budget", min=1, help="Answers the dataset may hold: at that "
                             "many the session stops asking (run again with a larger budget "
                             "to go on). Default: no limit.")
]
ExcludeOption = Annotated[
    str, typer.Option(help="Comma-separated datasets whose questions are not asked again.")
]
AddLabelsOption = Annotated[
    bool, typer.Option("--add-labels", help="Let --label add labels the dataset has never had "
                       "(without it, a label the dataset doesn't know is refused: a typo would "
                       "start a new class).")
]
MODEL_HELP = (
    "Model in the loop: auto (the default: stack when the altool[embed] extra is installed, "
    "else sklearn), sklearn (hashed n-grams), sklearn-lr (n-grams without the Naive Bayes "
    "blend), embed (sentence embeddings; embed:fp32 and embed:torch run the encoder in float32 "
    "or on sentence-transformers), blend (n-grams and embeddings averaged), stack (n-grams and "
    "embeddings, weighted by cross-validation on your answers), spacy (a blank "
    "spaCy text classifier), spacy:NAME_OR_PATH (start from a spaCy pipeline), or the path of "
    "a saved model.")

StrategyOption = Annotated[
    str, typer.Option(help=f"Query strategy: {', '.join(strategy_names())} (default: "
                      f"{DEFAULT_STRATEGY} with sentence embeddings, {DEFAULT_OTHERWISE} with "
                      "any other model; see README, Which strategy?).")
]
CommitteeSizeOption = Annotated[
    int, typer.Option("--committee-size", help="Committee members for qbc and bald "
                      "(bootstrap resamples of the answers).")
]
QbcMeasureOption = Annotated[
    str, typer.Option("--qbc-measure", help=f"How qbc scores disagreement: "
                      f"{' or '.join(QBC_MEASURES)} (vote entropy or mean KL divergence from "
                      "the consensus).")
]
LikeOption = Annotated[
    str | None, typer.Option("--like", help="TEXT or FILE (JSONL/CSV/TXT): half of every "
                             "batch goes to the examples most similar to these texts, so a "
                             "weak spot gets patched first. Works with any strategy.")
]
RecheckOption = Annotated[
    float, typer.Option("--recheck", help="SHARE (e.g. 0.03): that share of questions asks an "
                        "earlier answer again, blind; the repeat is stored as a check, not a "
                        "vote (altool progress reports self-agreement).")
]
MixOption = Annotated[
    str | None, typer.Option("--mix", help="random=SHARE: that share of every batch is picked "
                             "at random (meta.pick = \"random\"), an unbiased audit sample. "
                             "Works with any strategy.")
]


def split_labels(value: str) -> list[str]:
    """``--label A,B,C`` as a list (at least one label, none twice)."""
    labels = [part.strip() for part in value.split(",") if part.strip()]
    if not labels:
        raise AltoolError("--label needs at least one label, e.g. --label spam or --label A,B,C")
    if len(set(labels)) != len(labels):
        raise AltoolError(f"--label lists a label twice: {value}")
    for label in labels:
        check_name(label, "label")
    return labels


def split_names(value: str) -> list[str]:
    """A comma-separated list of dataset names (``--exclude``), blanks dropped."""
    return [part.strip() for part in value.split(",") if part.strip()]
