"""Fast YAML reading: libyaml's C loader when available, the pure-Python one otherwise."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

SafeLoader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def load_yaml_text(text: str) -> Any:
    return yaml.load(text, Loader=SafeLoader)


def load_yaml_file(path: Path) -> Any:
    return load_yaml_text(path.read_text(encoding="utf-8"))


def compose_yaml(text: str) -> yaml.Node | None:
    """The node tree (with line marks) of a YAML text, for error messages."""
    return yaml.compose(text, Loader=SafeLoader)


class _TextDates(SafeLoader):
    """Reads dates as the text written ("2023-02-31"), for the models to check and report
    with their place in the file, instead of failing inside the YAML reader."""


_TextDates.add_constructor(
    "tag:yaml.org,2002:timestamp", lambda loader, node: loader.construct_scalar(node)
)


def load_yaml_text_dates_as_text(text: str) -> Any:
    return yaml.load(text, Loader=_TextDates)
