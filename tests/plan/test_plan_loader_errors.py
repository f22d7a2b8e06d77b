"""Broken plans and registries: every error names the file, the line and the problem.

Each test writes a copy of knowledge/plan.yaml (and agencies.yaml beside it) into
tmp_path with one mistake, and checks what `load_knowledge` and
`python -m bot check-plan` tell the person who made it. Also: configuration
errors are one clear line naming the variable.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from bot.core.config import ConfigError, Settings, load_settings
from bot.plan.loader import PlanError, load_knowledge

ROOT = Path(__file__).resolve().parents[2]
PLAN_TEXT = (ROOT / "knowledge" / "plan.yaml").read_text(encoding="utf-8")
AGENCIES_TEXT = (ROOT / "knowledge" / "agencies.yaml").read_text(encoding="utf-8")


def _replace(text: str, old: str, new: str) -> tuple[str, int]:
    """Replace the first `old` by `new`; return the text and the 1-based line of the change."""
    at = text.index(old)  # fails loudly if the shipped file changed shape
    return text[:at] + new + text[at + len(old) :], text[:at].count("\n") + 1


def broken_plan(tmp_path: Path, old: str, new: str) -> tuple[Path, int]:
    text, line = _replace(PLAN_TEXT, old, new)
    plan = tmp_path / "plan.yaml"
    plan.write_text(text, encoding="utf-8")
    (tmp_path / "agencies.yaml").write_text(AGENCIES_TEXT, encoding="utf-8")
    return plan, line


def broken_agencies(tmp_path: Path, old: str, new: str) -> tuple[Path, int]:
    text, line = _replace(AGENCIES_TEXT, old, new)
    (tmp_path / "agencies.yaml").write_text(text, encoding="utf-8")
    plan = tmp_path / "plan.yaml"
    plan.write_text(PLAN_TEXT, encoding="utf-8")
    return plan, line


def problems_of(plan: Path) -> list[str]:
    with pytest.raises(PlanError) as info:
        load_knowledge(plan)
    problems = info.value.problems
    assert problems, "PlanError without problems"
    assert str(info.value) == "\n".join(problems)
    return problems


def at_line(problems: list[str], path: Path, line: int) -> str:
    """The problem reported at path:line (exactly that line)."""
    found = [p for p in problems if re.match(rf"{re.escape(str(path))}:{line}\b", p)]
    assert found, f"no problem at {path}:{line} in {problems}"
    return found[0]


# --------------------------------------------------------------------------- bad YAML


def test_tab_indentation(tmp_path: Path) -> None:
    plan, line = broken_plan(tmp_path, '  number: "91/KH-UBND"', '\tnumber: "91/KH-UBND"')
    (problem,) = problems_of(plan)
    problem = at_line([problem], plan, line)
    assert "YAML" in problem


def test_unclosed_bracket(tmp_path: Path) -> None:
    plan, line = broken_plan(
        tmp_path,
        "bases: [ct_12, hd_01, ctr_1830, kh_116]",
        "bases: [ct_12, hd_01, ctr_1830, kh_116",
    )
    (problem,) = problems_of(plan)
    m = re.match(rf"{re.escape(str(plan))}:(\d+)", problem)
    assert m, problem
    # the parser notices the missing ']' on the bracket's line or just after it
    assert line <= int(m.group(1)) <= line + 2
    assert "YAML" in problem
    assert "]" in problem


def test_yaml_that_is_not_a_mapping(tmp_path: Path) -> None:
    plan = tmp_path / "plan.yaml"
    plan.write_text("- just\n- a list\n", encoding="utf-8")
    (tmp_path / "agencies.yaml").write_text(AGENCIES_TEXT, encoding="utf-8")
    problems = problems_of(plan)
    assert all(p.startswith(str(plan)) for p in problems)


# --------------------------------------------------------------------------- cross references


def test_duplicate_item_id(tmp_path: Path) -> None:
    plan, line = broken_plan(tmp_path, '- id: "2.3"', '- id: "2.2"')
    first = PLAN_TEXT[: PLAN_TEXT.index('- id: "2.2"')].count("\n") + 1
    problem = at_line(problems_of(plan), plan, line)
    assert "'2.2'" in problem
    assert "trùng" in problem
    assert f"dòng {first}" in problem  # where the first 2.2 is
    assert "groups[1].items[2].id" in problem


def test_unknown_agency_id(tmp_path: Path) -> None:
    plan, line = broken_plan(
        tmp_path, "{agency: stc, role: phoi_hop}", "{agency: so_ma, role: phoi_hop}"
    )
    (problem,) = problems_of(plan)
    problem = at_line([problem], plan, line)
    assert "'so_ma'" in problem
    assert str(tmp_path / "agencies.yaml") in problem
    assert "agencies[1].agency" in problem


def test_unknown_reports_to(tmp_path: Path) -> None:
    plan, line = broken_plan(tmp_path, "reports_to: ubnd_tinh", "reports_to: ubnd_xyz")
    problem = at_line(problems_of(plan), plan, line)
    assert "'ubnd_xyz'" in problem


def test_unknown_legal_ref(tmp_path: Path) -> None:
    plan, line = broken_plan(tmp_path, "refs: [ct_15]", "refs: [ct_16]")
    (problem,) = problems_of(plan)
    problem = at_line([problem], plan, line)
    assert "'ct_16'" in problem
    assert "legal_refs" in problem


def test_unknown_basis(tmp_path: Path) -> None:
    plan, line = broken_plan(
        tmp_path,
        "bases: [ct_12, hd_01, ctr_1830, kh_116]",
        "bases: [ct_12, hd_01, ctr_1830, kh_117]",
    )
    problem = at_line(problems_of(plan), plan, line)
    assert "'kh_117'" in problem
    assert "meta.bases[3]" in problem


# --------------------------------------------------------------------------- deadlines

QUARTER = 'deadline: {kind: quarter, text: "Trong quý II/2023", quarter: 2, year: 2023}'
YEARLY = 'deadline: {kind: yearly, text: "Trước ngày 30/11 hàng năm", day: 30, month: 11}'
RECURRING = 'deadline: {kind: recurring, text: "Thường xuyên"}'


def test_quarter_without_year(tmp_path: Path) -> None:
    plan, line = broken_plan(
        tmp_path, QUARTER, 'deadline: {kind: quarter, text: "Trong quý II/2023", quarter: 2}'
    )
    problem = at_line(problems_of(plan), plan, line)
    assert "quarter" in problem
    assert "year" in problem
    assert "deadline" in problem


def test_yearly_31_february(tmp_path: Path) -> None:
    plan, line = broken_plan(
        tmp_path, YEARLY, 'deadline: {kind: yearly, text: "Trước ngày 31/2", day: 31, month: 2}'
    )
    problem = at_line(problems_of(plan), plan, line)
    assert "31/2" in problem
    assert "groups[6].items[0].assignments[0].deadline" in problem


def test_unknown_deadline_kind(tmp_path: Path) -> None:
    plan, line = broken_plan(tmp_path, RECURRING, 'deadline: {kind: monthly, text: "Hàng tháng"}')
    problem = at_line(problems_of(plan), plan, line)
    assert "deadline.kind" in problem
    assert "'recurring'" in problem  # says which kinds are allowed


@pytest.mark.parametrize(
    ("old", "new"),
    [
        (QUARTER, 'deadline: {kind: quarter, text: "Trong quý II/2023", quarter: 2}'),
        (YEARLY, 'deadline: {kind: yearly, text: "Trước ngày 31/2", day: 31, month: 2}'),
        (RECURRING, 'deadline: {kind: monthly, text: "Hàng tháng"}'),
    ],
    ids=["quarter-without-year", "yearly-31-2", "unknown-kind"],
)
def test_bad_deadline_is_reported_once(tmp_path: Path, old: str, new: str) -> None:
    plan, line = broken_plan(tmp_path, old, new)
    problems = problems_of(plan)
    assert len(problems) == 1, problems
    at_line(problems, plan, line)


# --------------------------------------------------------------------------- shape


def test_missing_required_field(tmp_path: Path) -> None:
    plan, line = broken_plan(
        tmp_path, "- {agency: svhttdl, role: thuc_hien}", "- {agency: svhttdl}"
    )
    problem = at_line(problems_of(plan), plan, line)
    assert "agencies[0].role" in problem
    assert "required" in problem.lower()


def test_missing_item_text(tmp_path: Path) -> None:
    old = '      - id: "2.3"\n        text: >-\n'
    plan, line = broken_plan(tmp_path, old, '      - id: "2.3"\n        summary: >-\n')
    problems = problems_of(plan)
    problem = at_line(problems, plan, line)  # the item's line: its text is missing
    assert "groups[1].items[2].text" in problem


def test_two_assignments_with_the_same_part(tmp_path: Path) -> None:
    plan, _ = broken_plan(
        tmp_path,
        '          - part: b\n            source_text: "Công an tỉnh',
        '          - part: a\n            source_text: "Công an tỉnh',
    )
    item_line = PLAN_TEXT[: PLAN_TEXT.index('- id: "3.1"')].count("\n") + 1
    (problem,) = problems_of(plan)
    problem = at_line([problem], plan, item_line)
    assert "'3.1'" in problem
    assert "part" in problem


def test_two_assignments_without_parts(tmp_path: Path) -> None:
    text = PLAN_TEXT.replace(
        '          - part: a\n            source_text: "Sở Nội vụ',
        '          - source_text: "Sở Nội vụ',
        1,
    )
    text = text.replace(
        '          - part: b\n            source_text: "Công an tỉnh',
        '          - source_text: "Công an tỉnh',
        1,
    )
    assert text != PLAN_TEXT
    plan = tmp_path / "plan.yaml"
    plan.write_text(text, encoding="utf-8")
    (tmp_path / "agencies.yaml").write_text(AGENCIES_TEXT, encoding="utf-8")
    item_line = text[: text.index('- id: "3.1"')].count("\n") + 1
    (problem,) = problems_of(plan)
    problem = at_line([problem], plan, item_line)
    assert "'3.1'" in problem
    assert "part" in problem


def test_all_problems_are_listed_at_once(tmp_path: Path) -> None:
    text = PLAN_TEXT.replace("refs: [ct_15]", "refs: [ct_16]", 1)
    text = text.replace("{agency: stc, role: phoi_hop}", "{agency: so_ma, role: phoi_hop}", 1)
    plan = tmp_path / "plan.yaml"
    plan.write_text(text, encoding="utf-8")
    (tmp_path / "agencies.yaml").write_text(AGENCIES_TEXT, encoding="utf-8")
    problems = problems_of(plan)
    assert len(problems) == 2
    assert any("'ct_16'" in p for p in problems)
    assert any("'so_ma'" in p for p in problems)


# --------------------------------------------------------------------------- monitoring agency

MONITOR = "  monitoring_agency: vp_ubnd\n"


def test_the_monitoring_agency_comes_from_the_plan() -> None:
    knowledge = load_knowledge(ROOT / "knowledge" / "plan.yaml")
    assert knowledge.plan.meta.monitoring_agency == "vp_ubnd"  # section III.2 of the plan
    assert knowledge.plan.meta.label == "Kế hoạch 91/KH-UBND"


def test_unknown_monitoring_agency(tmp_path: Path) -> None:
    plan, line = broken_plan(tmp_path, MONITOR, "  monitoring_agency: vp_xyz\n")
    problem = at_line(problems_of(plan), plan, line)
    assert "'vp_xyz'" in problem
    assert "meta.monitoring_agency" in problem
    assert str(tmp_path / "agencies.yaml") in problem


def test_a_group_cannot_monitor(tmp_path: Path) -> None:
    plan, line = broken_plan(tmp_path, MONITOR, "  monitoring_agency: cac_so_ban_nganh\n")
    (problem,) = problems_of(plan)
    problem = at_line([problem], plan, line)
    assert "'cac_so_ban_nganh'" in problem and "nhóm" in problem


def test_a_plan_without_a_monitoring_agency_loads(tmp_path: Path) -> None:
    plan, _ = broken_plan(tmp_path, MONITOR, "")
    assert load_knowledge(plan).plan.meta.monitoring_agency is None


# --------------------------------------------------------------------------- agencies.yaml


def test_duplicate_agency_id(tmp_path: Path) -> None:
    plan, line = broken_agencies(tmp_path, "  - id: stc\n", "  - id: snv\n")
    agencies = tmp_path / "agencies.yaml"
    (problem,) = problems_of(plan)
    problem = at_line([problem], agencies, line)
    assert "'snv'" in problem
    assert "trùng" in problem


def test_unknown_member_group(tmp_path: Path) -> None:
    old = '  - id: snv\n    name: "Sở Nội vụ"\n    kind: department\n    member_of: [cac_so_ban_nganh]'
    new = '  - id: snv\n    name: "Sở Nội vụ"\n    kind: department\n    member_of: [cac_so_xyz]'
    plan, first = broken_agencies(tmp_path, old, new)
    agencies = tmp_path / "agencies.yaml"
    problem = at_line(problems_of(plan), agencies, first + 3)
    assert "'cac_so_xyz'" in problem


def test_bad_agency_kind(tmp_path: Path) -> None:
    plan, line = broken_agencies(
        tmp_path,
        '    name: "Sở Nội vụ"\n    kind: department',
        '    name: "Sở Nội vụ"\n    kind: ministry',
    )
    agencies = tmp_path / "agencies.yaml"
    problem = at_line(problems_of(plan), agencies, line + 1)
    assert "agencies[0].kind" in problem


# --------------------------------------------------------------------------- missing files


def test_missing_plan_file(tmp_path: Path) -> None:
    (tmp_path / "agencies.yaml").write_text(AGENCIES_TEXT, encoding="utf-8")
    plan = tmp_path / "plan.yaml"
    (problem,) = problems_of(plan)
    assert problem.startswith(str(plan))
    assert "không tìm thấy" in problem


def test_missing_agencies_file(tmp_path: Path) -> None:
    plan = tmp_path / "plan.yaml"
    plan.write_text(PLAN_TEXT, encoding="utf-8")
    (problem,) = problems_of(plan)
    assert problem.startswith(str(tmp_path / "agencies.yaml"))
    assert "không tìm thấy" in problem


# --------------------------------------------------------------------------- check-plan

ENV_KEYS = ("TELEGRAM_BOT_TOKEN", "DATABASE_URL", "PLAN_PATH", "ADMIN_IDS", "TIMEZONE")


def run_bot(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if k not in ENV_KEYS}
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        cwd=ROOT,
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_check_plan_on_the_shipped_plan() -> None:
    k = load_knowledge(ROOT / "knowledge" / "plan.yaml")
    n_assignments = sum(len(i.assignments) for i in k.plan.items)
    result = run_bot("check-plan")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "91/KH-UBND" in out
    assert "hợp lệ" in out
    assert f"{len(k.plan.items)} mục" in out
    assert f"{n_assignments} phần giao việc" in out
    assert f"{len(k.agencies)} cơ quan" in out
    assert "thường xuyên" in out and "theo quý 2" in out and "hằng năm 1" in out
    assert result.stderr == ""


def test_check_plan_with_an_explicit_path() -> None:
    result = run_bot("check-plan", str(ROOT / "knowledge" / "plan.yaml"))
    assert result.returncode == 0, result.stderr
    assert "hợp lệ" in result.stdout


def test_check_plan_on_a_broken_plan(tmp_path: Path) -> None:
    plan, line = broken_plan(tmp_path, "refs: [ct_15]", "refs: [ct_16]")
    result = run_bot("check-plan", str(plan))
    assert result.returncode == 1
    assert "Traceback" not in result.stdout + result.stderr
    assert "không hợp lệ" in result.stderr
    assert f"{plan}:{line}" in result.stderr
    assert "'ct_16'" in result.stderr
    assert "hợp lệ." not in result.stdout  # no summary of a broken plan


def test_check_plan_on_bad_yaml(tmp_path: Path) -> None:
    plan, line = broken_plan(tmp_path, '  number: "91/KH-UBND"', '\tnumber: "91/KH-UBND"')
    result = run_bot("check-plan", str(plan))
    assert result.returncode == 1
    assert "Traceback" not in result.stdout + result.stderr
    assert f"{plan}:{line}" in result.stderr


def test_check_plan_reads_plan_path_from_the_environment(tmp_path: Path) -> None:
    plan, line = broken_plan(tmp_path, "refs: [ct_15]", "refs: [ct_16]")
    result = run_bot("check-plan", PLAN_PATH=str(plan))
    assert result.returncode == 1
    assert f"{plan}:{line}" in result.stderr


def test_check_plan_on_a_missing_path_names_it(tmp_path: Path) -> None:
    missing = tmp_path / "khong-co.yaml"
    result = run_bot("check-plan", str(missing))
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert str(missing) in result.stderr


def test_check_plan_on_a_missing_path_fails_cleanly(tmp_path: Path) -> None:
    result = run_bot("check-plan", str(tmp_path / "khong-co.yaml"))
    assert result.returncode == 1
    assert "Traceback" not in result.stdout + result.stderr
    assert "không tìm thấy" in result.stderr


def test_bad_config_is_one_line_on_the_command_line() -> None:
    result = run_bot("ask", "--json", "--today", "2026-11-18", "2.4", ADMIN_IDS="1,abc")
    assert result.returncode == 1
    assert "Traceback" not in result.stdout + result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert "ADMIN_IDS" in lines[0]
    assert result.stdout == ""


# --------------------------------------------------------------------------- config


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> pytest.MonkeyPatch:
    """No setting from the developer's environment or .env file."""
    for name in Settings.model_fields:
        monkeypatch.delenv(name.upper(), raising=False)
    monkeypatch.chdir(tmp_path)  # no .env here
    return monkeypatch


def config_error(**overrides: object) -> str:
    with pytest.raises(ConfigError) as info:
        load_settings(_env_file=None, **overrides)
    message = str(info.value)
    assert "\n" not in message
    assert "Traceback" not in message
    return message


def test_defaults(clean_env: pytest.MonkeyPatch) -> None:
    settings = load_settings(_env_file=None)
    assert settings.database_url == "sqlite:///data/planbot.db"
    assert settings.plan_path == Path("knowledge/plan.yaml")
    assert settings.timezone == "Asia/Ho_Chi_Minh"
    assert settings.admin_ids == frozenset()
    assert settings.token is None


def test_admin_ids_parsed(clean_env: pytest.MonkeyPatch) -> None:
    clean_env.setenv("ADMIN_IDS", "111, 222")
    assert load_settings(_env_file=None).admin_ids == frozenset({111, 222})


def test_admin_ids_malformed(clean_env: pytest.MonkeyPatch) -> None:
    clean_env.setenv("ADMIN_IDS", "1,abc")
    message = config_error()
    assert "ADMIN_IDS" in message
    assert "abc" in message


def test_timezone_malformed(clean_env: pytest.MonkeyPatch) -> None:
    clean_env.setenv("TIMEZONE", "Mars/Olympus")
    message = config_error()
    assert "TIMEZONE" in message
    assert "Mars/Olympus" in message


def test_database_url_bad_scheme(clean_env: pytest.MonkeyPatch) -> None:
    clean_env.setenv("DATABASE_URL", "mysql://user@host/db")
    message = config_error()
    assert "DATABASE_URL" in message
    assert "sqlite:///" in message  # says what a right value looks like


def test_several_bad_values_in_one_line(clean_env: pytest.MonkeyPatch) -> None:
    clean_env.setenv("ADMIN_IDS", "x")
    clean_env.setenv("TIMEZONE", "Nowhere/City")
    message = config_error()
    assert "ADMIN_IDS" in message and "TIMEZONE" in message


def test_overrides_are_validated_too(clean_env: pytest.MonkeyPatch) -> None:
    message = config_error(database_url="ftp://x")
    assert "DATABASE_URL" in message


def test_env_values_are_read(clean_env: pytest.MonkeyPatch, tmp_path: Path) -> None:
    clean_env.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'x.db'}")
    clean_env.setenv("PLAN_PATH", str(tmp_path / "plan.yaml"))
    clean_env.setenv("TIMEZONE", "Asia/Bangkok")
    settings = load_settings(_env_file=None)
    assert settings.database_url == f"sqlite:///{tmp_path / 'x.db'}"
    assert settings.plan_path == tmp_path / "plan.yaml"
    assert settings.timezone == "Asia/Bangkok"


# --------------------------------------------------------------------------- dates and wording

ENGLISH = ("Input should", "Extra inputs", "Field required", "valid date", "permitted")


@pytest.mark.parametrize("bad", ["2023-02-31", "2023-13-10", "2023-00-05"])
def test_an_impossible_date_is_one_located_vietnamese_line(tmp_path: Path, bad: str) -> None:
    plan, line = broken_plan(tmp_path, "issued: 2023-01-10", f"issued: {bad}")
    problem = at_line(problems_of(plan), plan, line)
    assert bad in problem and "không có thật" in problem
    result = run_bot("check-plan", str(plan))
    assert result.returncode == 1
    assert "Traceback" not in result.stderr + result.stdout
    assert f"{plan}:{line}" in result.stderr + result.stdout


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ('  number: "91/KH-UBND"', '  number: "91/KH-UBND"\n  bogus: 1'),
        ('{kind: recurring, text: "Thường xuyên"}', '{kind: sometimes, text: "Thường xuyên"}'),
        ("issued: 2023-01-10", "issued: [2023]"),
        (
            '{kind: quarter, text: "Trong quý II/2023", quarter: 2, year: 2023}',
            '{kind: quarter, text: "Trong quý II/2023", quarter: 2, year: "năm nay"}',
        ),
    ],
)
def test_validation_messages_are_vietnamese(tmp_path: Path, old: str, new: str) -> None:
    plan, _ = broken_plan(tmp_path, old, new)
    for problem in problems_of(plan):
        assert not any(word in problem for word in ENGLISH), problem
        assert str(plan) in problem


def test_a_fixed_date_is_written_date_and_the_old_key_still_reads(tmp_path: Path) -> None:
    recurring = 'deadline: {kind: recurring, text: "Thường xuyên"}'
    plan, _ = broken_plan(
        tmp_path, recurring, 'deadline: {kind: date, text: "Ngày 30/6/2024", date: 2024-06-30}'
    )
    knowledge = load_knowledge(plan)
    assert knowledge.plan.items[0].assignments[0].deadline.single_due() == date(2024, 6, 30)
    assert knowledge.notes == ()
    # the old key `on` (YAML 1.1 reads it as true) is read, with a note check-plan prints
    old, line = broken_plan(
        tmp_path, recurring, 'deadline: {kind: date, text: "Ngày 30/6/2024", on: 2024-06-30}'
    )
    knowledge = load_knowledge(old)
    assert knowledge.plan.items[0].assignments[0].deadline.single_due() == date(2024, 6, 30)
    (note,) = knowledge.notes
    assert note.startswith(f"{old}:{line}") and "'date'" in note
    result = run_bot("check-plan", str(old))
    assert result.returncode == 0 and "Lưu ý:" in result.stdout and "'date'" in result.stdout
