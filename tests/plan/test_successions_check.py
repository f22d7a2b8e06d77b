"""A broken successions.yaml: `load_knowledge` and `python -m bot check-plan` name the file,
the line and the problem in Vietnamese (an unknown agency, an unknown legal basis, a cycle,
an agency taking work over after it ended).

Each test writes the shipped plan and agencies into tmp_path with a small successions.yaml
of its own beside them, so the shipped file's content may change without these changing.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from bot.plan.loader import PlanError, load_knowledge

ROOT = Path(__file__).resolve().parents[2]

HEAD = """\
legal_refs:
  nd_1:
    kind: "Nghị định"
    number: "1/2025/NĐ-CP"
    date: 2025-02-28
    subject: "thử"
agencies:
  - {id: so_moi, name: "Sở Mới", kind: department, named_in_plan: false, aliases: []}
events:
"""
EVENT = """\
  - id: {id}
    date: {date}
    ends: [{ends}]
    to:
      - {{agency: {to}}}
    basis: [{basis}]
    change: "thử"
"""


def event(id: str, date: str, ends: str, to: str, basis: str = "nd_1") -> str:
    return EVENT.format(id=id, date=date, ends=ends, to=to, basis=basis)


def knowledge_dir(tmp_path: Path, successions: str) -> Path:
    for name in ("plan.yaml", "agencies.yaml"):
        (tmp_path / name).write_text(
            (ROOT / "knowledge" / name).read_text(encoding="utf-8"), encoding="utf-8"
        )
    (tmp_path / "successions.yaml").write_text(successions, encoding="utf-8")
    return tmp_path / "plan.yaml"


def problems_of(plan: Path) -> list[str]:
    with pytest.raises(PlanError) as info:
        load_knowledge(plan)
    return info.value.problems


def line_of(text: str, needle: str, after: int = 0) -> int:
    """The 1-based line of the first `needle` at or after line `after`."""
    lines = text.splitlines()
    return next(i + 1 for i in range(after, len(lines)) if needle in lines[i])


def located(problems: list[str], path: Path, line: int) -> str:
    found = [p for p in problems if re.match(rf"{re.escape(str(path))}:{line}\b", p)]
    assert found, f"no problem at {path}:{line} in {problems}"
    return found[0]


def test_a_valid_file_loads_and_the_new_agency_begins_with_its_event(tmp_path: Path) -> None:
    plan = knowledge_dir(tmp_path, HEAD + event("gop", "2025-03-01", "skhdt", "so_moi"))
    k = load_knowledge(plan)
    assert k.timeline.exists("skhdt", dt.date(2025, 2, 28))
    assert not k.timeline.exists("skhdt", dt.date(2025, 3, 1))
    assert not k.timeline.exists("so_moi", dt.date(2025, 2, 28))
    assert k.timeline.exists("so_moi", dt.date(2025, 3, 1))


def test_unknown_agency(tmp_path: Path) -> None:
    text = HEAD + event("gop", "2025-03-01", "khong_co", "stc")
    plan = knowledge_dir(tmp_path, text)
    problem = located(problems_of(plan), tmp_path / "successions.yaml", line_of(text, "khong_co"))
    assert "cơ quan 'khong_co' không có trong danh mục" in problem


def test_unknown_successor(tmp_path: Path) -> None:
    text = HEAD + event("gop", "2025-03-01", "skhdt", "so_khong_co")
    plan = knowledge_dir(tmp_path, text)
    line = line_of(text, "so_khong_co")
    problem = located(problems_of(plan), tmp_path / "successions.yaml", line)
    assert "'so_khong_co' không có trong danh mục" in problem


def test_unknown_basis(tmp_path: Path) -> None:
    text = HEAD + event("gop", "2025-03-01", "skhdt", "stc", basis="nd_khong_co")
    plan = knowledge_dir(tmp_path, text)
    line = line_of(text, "nd_khong_co")
    problem = located(problems_of(plan), tmp_path / "successions.yaml", line)
    assert "văn bản 'nd_khong_co' không có trong legal_refs" in problem


def test_cycle(tmp_path: Path) -> None:
    text = (
        HEAD
        + event("mot", "2025-03-01", "skhdt", "stc")
        + event("hai", "2025-04-01", "stc", "skhdt")
    )
    plan = knowledge_dir(tmp_path, text)
    problems = problems_of(plan)
    cycle = located(problems, tmp_path / "successions.yaml", line_of(text, "events:"))
    assert "vòng lặp kế thừa" in cycle


def test_taking_over_after_it_ended(tmp_path: Path) -> None:
    text = (
        HEAD
        + event("mot", "2025-03-01", "skhdt", "stc")
        + event("hai", "2025-07-01", "sct", "skhdt")
    )
    plan = knowledge_dir(tmp_path, text)
    line = line_of(text, "agency: skhdt")
    problem = located(problems_of(plan), tmp_path / "successions.yaml", line)
    assert "'skhdt' đã kết thúc từ 01/03/2025, không thể tiếp nhận việc ngày 01/07/2025" in problem


def test_check_plan_prints_one_located_line(tmp_path: Path) -> None:
    text = HEAD + event("gop", "2025-03-01", "skhdt", "stc", basis="nd_khong_co")
    plan = knowledge_dir(tmp_path, text)
    env = {k: v for k, v in os.environ.items() if k != "PLAN_PATH"}
    result = subprocess.run(
        [sys.executable, "-m", "bot", "check-plan", str(plan)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    out = (result.stdout + result.stderr).strip().splitlines()
    succession = tmp_path / "successions.yaml"
    lines = [x for x in out if str(succession) in x]
    assert len(lines) == 1, out
    assert f"{succession}:{line_of(text, 'nd_khong_co')}" in lines[0]
    assert "không có trong legal_refs" in lines[0]
    assert "Traceback" not in result.stderr
