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
