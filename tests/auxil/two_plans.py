"""A folder of two plans, as PLAN_PATH may name one: the main plan (knowledge/plan.yaml,
Kế hoạch 91/KH-UBND, with its vocabulary, agencies and successions) and Kế hoạch
58/KH-UBND under plans/58-chuyen-doi-so/ (the importer's table fixture, imported, with
the agencies.yaml it proposed)."""

from __future__ import annotations

import shutil
from pathlib import Path

from bot.importer import import_plan, write_draft

ROOT = Path(__file__).resolve().parents[2]
KNOWLEDGE = ROOT / "knowledge"
SECOND_SOURCE = ROOT / "tests" / "fixtures" / "import" / "ke-hoach-chuyen-doi-so-2024.txt"


def two_plan_folder(folder: Path) -> Path:
    """Write the folder under `folder` and return it."""
    folder.mkdir(parents=True, exist_ok=True)
    for name in ("plan.yaml", "vocabulary.yaml", "agencies.yaml", "successions.yaml"):
        shutil.copy(KNOWLEDGE / name, folder / name)
    second = folder / "plans" / "58-chuyen-doi-so"
    result = write_draft(import_plan(SECOND_SOURCE, KNOWLEDGE / "agencies.yaml"), second)
    assert result.problems == [], result.problems
    return folder
