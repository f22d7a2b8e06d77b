"""Several plans in one bot: PLAN_PATH as a folder of plans (`bot.plan.library`)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from two_plans import KNOWLEDGE, two_plan_folder

from bot.plan.library import Library, load_library, plan_key, split_qualified
from bot.plan.loader import PlanError, load_knowledge


def test_a_file_is_one_plan_and_a_folder_is_each_of_its_plans(tmp_path: Path) -> None:
    single = load_library(KNOWLEDGE / "plan.yaml")
    assert not single.several and single.keys() == ["91"]
    library = load_library(two_plan_folder(tmp_path / "k"))
    assert library.keys() == ["91", "58"]  # the folder's own plan first: the main plan
    assert library.main.plan.meta.number == "91/KH-UBND"
    assert library.get("58/KH-UBND") is library.plans[1] and library.get("58") is library.plans[1]
    assert library.get("12") is None
    # the main plan's progress keeps its old (empty) storage key; the others' their own
    assert library.storage_key(library.main) == "" and library.storage_key(library.plans[1]) == "58"


def test_a_second_plan_takes_only_the_successions_of_whole_agencies(tmp_path: Path) -> None:
    """successions.yaml's item lists are the main plan's numbers (`items_of`): for
    another plan only the handovers of whole agencies apply."""
    library = load_library(two_plan_folder(tmp_path / "k"))
    main, second = library.plans
    main_svhttdl = [
        h for e in main.timeline.events for h in e.to if h.agency == "svhttdl" and h.items
    ]
    assert main_svhttdl  # «báo chí, xuất bản» (item 3.2) went to Sở VHTTDL in the main plan
    assert all(h.items is None for e in second.timeline.events for h in e.to)


def test_two_plans_of_one_number_are_refused(tmp_path: Path) -> None:
    folder = two_plan_folder(tmp_path / "k")
    copy = folder / "plans" / "91-copy"
    copy.mkdir()
    shutil.copy(KNOWLEDGE / "plan.yaml", copy / "plan.yaml")
    with pytest.raises(PlanError, match="cùng số 91"):
        load_library(folder)


def test_every_problem_of_every_plan_is_listed(tmp_path: Path) -> None:
    folder = two_plan_folder(tmp_path / "k")
    second = folder / "plans" / "58-chuyen-doi-so" / "plan.yaml"
    second.write_text(second.read_text(encoding="utf-8").replace("agency: snv", "agency: khong_co"))
    with pytest.raises(PlanError) as caught:
        load_library(folder)
    assert any("khong_co" in p and "58-chuyen-doi-so" in p for p in caught.value.problems)


def test_an_empty_folder_says_what_it_needs(tmp_path: Path) -> None:
    with pytest.raises(PlanError, match="không có kế hoạch nào"):
        load_library(tmp_path)


def test_a_newer_version_replaces_the_plan_in_its_place() -> None:
    main = load_knowledge(KNOWLEDGE / "plan.yaml")
    library = Library((main,))
    again = load_knowledge(KNOWLEDGE / "plan.yaml")
    replaced = library.with_plan(again)
    assert len(replaced) == 1 and replaced.main is again
    assert replaced.storage_key(again) == ""  # still the main plan: its progress is kept


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("58: 7", ("58", "7")),
        ("58#4.2b", ("58", "4.2b")),
        (" 91 : III.1 ", ("91", "III.1")),
        ("2.4", (None, "2.4")),
    ],
)
def test_qualified_item_numbers(text: str, expected: tuple[str | None, str]) -> None:
    assert split_qualified(text) == expected


def test_plan_keys() -> None:
    assert plan_key("91/KH-UBND") == "91" and plan_key("1830/CTr-UBND") == "1830"


def test_check_plan_and_ask_read_a_folder_of_plans(tmp_path: Path) -> None:
    import json
    import os
    import subprocess
    import sys

    folder = two_plan_folder(tmp_path / "k")
    root = KNOWLEDGE.parent
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(tmp_path),
        "PYTHONPATH": str(root),
        "PYTHONUTF8": "1",
        "PLAN_PATH": str(folder),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'none.db'}",
    }

    def run(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "bot", *args],
            cwd=root,
            env=env,
            input=stdin,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

    checked = run("check-plan", str(folder))
    assert checked.returncode == 0, checked.stderr
    assert "Kế hoạch 91/KH-UBND" in checked.stdout and "Kế hoạch 58/KH-UBND" in checked.stdout
    asked = run(
        "ask",
        "--json",
        "--today",
        "2026-11-30",
        stdin="Sở Nội vụ phải làm gì?\nkế hoạch 58 mục 7\n",
    )
    assert asked.returncode == 0, asked.stderr
    grouped, scoped = (json.loads(line) for line in asked.stdout.splitlines())
    assert grouped["plan"] is None and grouped["plans"] == ["91/KH-UBND", "58/KH-UBND"]
    assert "58: 7" in grouped["task_ids"]
    assert scoped["plan"] == "58/KH-UBND" and scoped["task_ids"] == ["7"]
