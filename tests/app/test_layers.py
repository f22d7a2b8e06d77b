"""The one-way layers (pyproject's import-linter contracts, ARCHITECTURE.md) hold, and the
check really fails on an import that goes up a layer, or on a feature importing the app."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from conftest import ROOT

LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def lint_imports(tree: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(LINT_IMPORTS), "--config", str(tree / "pyproject.toml"), "--no-cache"],
        cwd=tree,
        capture_output=True,
        text=True,
        timeout=120,
        env={"PYTHONPATH": str(tree), "PATH": "/usr/bin:/bin"},
    )


def copy_of_the_code(tmp_path: Path) -> Path:
    tree = tmp_path / "tree"
    shutil.copytree(ROOT / "bot", tree / "bot", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tree / "pyproject.toml")
    return tree


def test_the_layers_hold(tmp_path: Path) -> None:
    result = lint_imports(copy_of_the_code(tmp_path))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "2 kept, 0 broken" in result.stdout


def test_an_import_up_a_layer_breaks_the_check(tmp_path: Path) -> None:
    tree = copy_of_the_code(tmp_path)
    clock = tree / "bot" / "core" / "clock.py"
    clock.write_text(
        clock.read_text()
        + "\n\ndef _up() -> object:\n    from bot.brain import Brain\n\n    return Brain\n"
    )
    result = lint_imports(tree)
    assert result.returncode != 0
    assert "bot.core is not allowed to import bot.brain" in result.stdout, result.stdout


def test_a_door_importing_the_composition_root_breaks_the_check(tmp_path: Path) -> None:
    tree = copy_of_the_code(tmp_path)
    handlers = tree / "bot" / "telegram" / "handlers.py"
    handlers.write_text(handlers.read_text() + "\n\nfrom bot.app import runtime  # noqa\n")
    result = lint_imports(tree)
    assert result.returncode != 0
    assert "bot.telegram is not allowed to import bot.app" in result.stdout, result.stdout


def test_a_feature_importing_the_telegram_app_breaks_the_check(tmp_path: Path) -> None:
    """Allowed by the layers (reminders sit above the door), refused by the feature contract."""
    tree = copy_of_the_code(tmp_path)
    for feature in ("reminders/handlers.py", "telegram/progress/wiring.py"):
        module = tree / "bot" / feature
        module.write_text(module.read_text() + "\n\nfrom bot.telegram import app  # noqa\n")
    result = lint_imports(tree)
    assert result.returncode != 0
    assert "Features never import the Telegram app BROKEN" in result.stdout, result.stdout
    assert "bot.reminders.handlers -> bot.telegram.app" in result.stdout, result.stdout
    assert "bot.telegram.progress.wiring -> bot.telegram.app" in result.stdout, result.stdout
