"""The config file: ``altool.json`` sets default values for command-line options.

It is read from ``$ALTOOL_HOME/altool.json`` and then from ``./altool.json`` (the working
directory); a key in the working directory's file wins over the same key in the home file, and
an option given on the command line wins over both. The CLI turns the values into Click's
``default_map`` (:func:`altool.cli.config.default_map`), so every command and recipe with a
matching option picks them up (and ``--help`` shows them).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .errors import AltoolError, InputError
from .paths import altool_home

FILENAME = "altool.json"


def _positive_int(value: Any) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise ValueError("must be a positive integer")
    return value


def _text(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValueError("must be a non-empty string")
    return value


def _labels(value: Any) -> str:
    if isinstance(value, list) and value and all(isinstance(x, str) and x for x in value):
        return ",".join(value)
    if isinstance(value, str) and value.strip():
        return value
    raise ValueError('must be a list of labels (["A", "B"]) or a string ("A,B")')


# config key -> (the option's parameter name in the commands, check-and-convert)
KEYS: dict[str, tuple[str, Callable[[Any], Any]]] = {
    "db": ("db", _text),  # a relative path is relative to the config file's folder
    "batch_size": ("batch_size", _positive_int),
    "budget": ("budget", _positive_int),
    "labels": ("label", _labels),
    "annotator": ("annotator", _text),  # checked as a name when a session starts
    "cluster": ("cluster", _text),  # altool encode --cluster: a Dask scheduler's address
}


# keys that set an option only in some commands (others have an option of that name that
# means something else: simulate's --budget is labels per simulated run)
ONLY_IN: dict[str, tuple[str, ...]] = {"budget": ("textcat.teach", "ner.teach")}


def config_paths(cwd: Path | None = None) -> list[Path]:
    """The config files that exist, lowest precedence first (home, then working dir)."""
    home = altool_home() / FILENAME
    here = (cwd or Path.cwd()) / FILENAME
    paths = [home] if home.is_file() else []
    if here.is_file() and (not paths or here.resolve() != home.resolve()):
        paths.append(here)
    return paths


def read_config_file(path: Path) -> dict[str, Any]:
    """One config file, checked: valid JSON object, known keys, valid values."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as err:
        raise InputError(str(path), err.lineno,
                         f"invalid JSON: {err.msg} (column {err.colno})") from None
    except (OSError, UnicodeDecodeError) as err:
        raise AltoolError(f"{path}: can't read the config file ({err})") from None
    if not isinstance(data, dict):
        raise InputError(str(path), 1, 'the config must be a JSON object: {"batch_size": 20}')
    out = {}
    for key, value in data.items():
        if key not in KEYS:
            raise InputError(str(path), _line_of(path, key),
                             f"unknown key {key!r}; allowed: {', '.join(KEYS)}")
        try:
            out[key] = KEYS[key][1](value)
        except ValueError as err:
            raise InputError(str(path), _line_of(path, key), f"{key!r} {err}") from None
    if "db" in out:
        out["db"] = str((path.parent / Path(out["db"]).expanduser()).resolve())
    return out


def _line_of(path: Path, key: str) -> int | None:
    needle = json.dumps(key)
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if needle in line:
            return number
    return None


def load_config(cwd: Path | None = None) -> dict[str, Any]:
    """The merged config (working-directory keys over home keys); {} without config files."""
    merged: dict[str, Any] = {}
    for path in config_paths(cwd):
        merged.update(read_config_file(path))
    return merged
