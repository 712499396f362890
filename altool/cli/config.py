"""The config file's values as Click's ``default_map``: defaults for the options of every
command and recipe (the file itself is read and checked by :mod:`altool.configfile`)."""

from __future__ import annotations

from typing import Any

import click

from ..configfile import KEYS, ONLY_IN


def default_map(command: click.Command, config: dict[str, Any]) -> dict[str, Any]:
    """Click's ``default_map`` for the ``altool`` group: the config values of the options
    each subcommand has. ``db`` goes to the group's own ``--db`` only, so ``altool --db X
    stats`` still wins over the config (a subcommand default would override it)."""
    by_option = {KEYS[key][0]: value for key, value in config.items()}
    key_of = {KEYS[key][0]: key for key in config}
    out: dict[str, Any] = {p.name: by_option[p.name] for p in command.params
                           if p.name in by_option}
    by_option.pop("db", None)
    for name, sub in getattr(command, "commands", {}).items():
        values = {p.name: by_option[p.name] for p in sub.params if p.name in by_option
                  and name in ONLY_IN.get(key_of[p.name], (name,))}
        if values:
            out[name] = values
    return out
