"""The intents are data: `intents/registry.yaml` names them and their slots, every file of
`intents/vi/` is schema-checked on load, and each problem is one Vietnamese line naming
the file, the line and the key (as the plan loader's). The answers side registers one
answer per registered intent; the word lists the understanding matches come from
`intents/vi/lists.yaml`.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from bot.nlu.classifier import IntentModel
from bot.nlu.intent_registry import (
    FALLBACK_INTENT,
    SHARED_FILES,
    IntentError,
    load_intents,
    registry_path,
)
from bot.nlu.slots import SLOTS
from bot.nlu.understanding import INTENTS_DIR, Understander
from bot.plan.loader import Knowledge, PlanError

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def intents(tmp_path: Path) -> Path:
    """A copy of `intents/` to break; returns its language folder."""
    shutil.copytree(ROOT / "intents", tmp_path / "intents")
    return tmp_path / "intents" / "vi"


def edit(path: Path, old: str, new: str) -> int:
    """Replace `old` (once) in `path`; the 1-based line where it was."""
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, f"{old!r} not once in {path}"
    line = text[: text.index(old)].count("\n") + 1
    path.write_text(text.replace(old, new), encoding="utf-8")
    return line


def problems_of(folder: Path) -> list[str]:
    with pytest.raises(IntentError) as info:
        load_intents(folder)
    assert info.value.problems, "IntentError without problems"
    assert str(info.value) == "\n".join(info.value.problems)
    return info.value.problems


def only(problems: list[str]) -> str:
    assert len(problems) == 1, problems
    return problems[0]


# --------------------------------------------------------------------------- the registry


def test_the_registry_names_every_intent_file_in_its_order() -> None:
    catalog = load_intents(INTENTS_DIR)
    files = {p.stem for p in INTENTS_DIR.glob("*.yaml") if p.name not in SHARED_FILES}
    assert set(catalog.names) == files
    assert catalog.names[-1] == FALLBACK_INTENT
    model = IntentModel(INTENTS_DIR)
    assert tuple(model.specs) == catalog.names  # the classifier's intents are the registry's
    assert registry_path(INTENTS_DIR) == ROOT / "intents" / "registry.yaml"


def test_every_registered_slot_is_known_and_the_answers_read_theirs() -> None:
    catalog = load_intents(INTENTS_DIR)
    for name in catalog.names:
        assert set(catalog.slots_of(name)) <= set(SLOTS), name
    assert "agency" in catalog.slots_of("agency_tasks")
    assert {"item", "status", "percent", "note"} <= set(catalog.slots_of("progress_update"))
    assert catalog.slots_of(FALLBACK_INTENT) == ()


def test_the_understanding_scores_only_known_slots(knowledge: Knowledge) -> None:
    understander = Understander(knowledge)
    for text in ("Sở Ngoại vụ phải làm gì", "2.4 đã xong 60%", "Chỉ thị 12-CT/TW", "hạn quý 2"):
        features = understander.understand(text).features
        assert set(features) <= set(SLOTS), set(features) - set(SLOTS)
    catalog = load_intents(INTENTS_DIR)
    for spec in catalog.intents.values():
        for slot in spec.slots:
            assert slot.removeprefix("no_") in SLOTS


def test_a_registry_without_a_file_for_an_intent(intents: Path) -> None:
    (intents / "search.yaml").unlink()
    problem = only(problems_of(intents))
    registry = registry_path(intents)
    assert problem.startswith(f"{registry}:")
    assert "'search'" in problem and "search.yaml" in problem
    assert "(intents.search)" in problem


def test_an_intent_file_the_registry_does_not_name(intents: Path) -> None:
    shutil.copy(intents / "help.yaml", intents / "greeting.yaml")
    edit(intents / "greeting.yaml", "intent: help", "intent: greeting")
    edit(intents / "greeting.yaml", "commands: [help, start, giupdo, huongdan, trogiup]", "")
    problem = only(problems_of(intents))
    assert problem.startswith(str(intents / "greeting.yaml"))
    assert "'greeting'" in problem and "không có trong" in problem
    assert str(registry_path(intents)) in problem


def test_adding_an_intent_is_a_registry_line_and_a_file(intents: Path) -> None:
    shutil.copy(intents / "help.yaml", intents / "greeting.yaml")
    edit(intents / "greeting.yaml", "intent: help", "intent: greeting")
    edit(intents / "greeting.yaml", "commands: [help, start, giupdo, huongdan, trogiup]", "")
    edit(registry_path(intents), "  help:\n", "  greeting:\n    slots: []\n  help:\n")
    catalog = load_intents(intents)
    assert "greeting" in catalog.names
    assert "greeting" in IntentModel(intents, catalog).specs


def test_an_unknown_key_in_the_registry(intents: Path) -> None:
    registry = registry_path(intents)
    line = edit(
        registry, "  search:\n    slots: [legal, topic]\n", "  search:\n    slot: [legal]\n"
    )
    problems = problems_of(intents)
    problem = next(p for p in problems if "slot'" in p)
    assert problem.startswith(f"{registry}:{line + 1} (intents.search.slot)")
    assert "khóa 'slot' không có trong khuôn dạng" in problem
    assert "slots" in problem  # says which keys are allowed


def test_an_unknown_slot_in_the_registry(intents: Path) -> None:
    registry = registry_path(intents)
    line = edit(registry, "slots: [legal, topic]", "slots: [legal, topics]")
    problem = only(problems_of(intents))
    assert problem.startswith(f"{registry}:{line} (intents.search.slots[1])")
    assert "'topics'" in problem and "topic" in problem


def test_a_registry_without_the_fallback_intent(intents: Path) -> None:
    registry = registry_path(intents)
    edit(registry, "  unknown:   # below the fallback threshold: out of scope\n    slots: []\n", "")
    problems = problems_of(intents)
    assert any(p.startswith(str(registry)) and "'unknown'" in p for p in problems)
    assert any(p.startswith(str(intents / "unknown.yaml")) for p in problems)


def test_a_missing_registry(intents: Path) -> None:
    registry_path(intents).unlink()
    problem = only(problems_of(intents))
    assert problem.startswith(str(registry_path(intents))) and "không tìm thấy" in problem


# --------------------------------------------------------------------------- intent files


def test_an_unknown_key_in_an_intent_file(intents: Path) -> None:
    path = intents / "search.yaml"
    line = edit(path, "cues:\n", "cue:\n")
    problems = problems_of(intents)
    problem = next(p for p in problems if "'cue'" in p)
    assert problem.startswith(f"{path}:{line} (cue)")
    assert "không có trong khuôn dạng" in problem and "cues" in problem


def test_a_cue_weight_that_is_not_a_number(intents: Path) -> None:
    path = intents / "search.yaml"
    line = edit(path, "  tra cứu: 1.2\n", "  tra cứu: nhiều\n")
    problem = only(problems_of(intents))
    assert problem.startswith(f"{path}:{line} (cues.tra cứu)")
    assert "phải là một số" in problem


def test_a_slot_weight_the_understanding_does_not_know(intents: Path) -> None:
    path = intents / "search.yaml"
    line = edit(path, "  legal: 3.2\n", "  legl: 3.2\n")
    problem = only(problems_of(intents))
    assert problem.startswith(f"{path}:{line} (slots.legl)")
    assert "'legl'" in problem


def test_a_negated_slot_weight_is_known(intents: Path) -> None:
    edit(intents / "search.yaml", "  legal: 3.2\n", "  legal: 3.2\n  no_legal: -0.1\n")
    assert load_intents(intents).intents["search"].slots["no_legal"] == -0.1


def test_an_intent_file_naming_another_intent(intents: Path) -> None:
    path = intents / "search.yaml"
    edit(path, "intent: search", "intent: find")
    problem = only(problems_of(intents))
    assert problem.startswith(f"{path}:1 (intent)")
    assert "'find'" in problem and "'search'" in problem


def test_an_example_with_an_unknown_slot(intents: Path) -> None:
    path = intents / "search.yaml"
    line = edit(path, '{text: "ODA", topic: true}', '{text: "ODA", topik: true}')
    problem = only(problems_of(intents))
    assert problem.startswith(f"{path}:{line} (examples[1].topik)")


def test_an_example_without_text(intents: Path) -> None:
    path = intents / "search.yaml"
    line = edit(path, '{text: "ODA", topic: true}', "{topic: true}")
    problem = only(problems_of(intents))
    assert problem.startswith(f"{path}:{line} (examples[1])") and "'text'" in problem


def test_a_command_of_two_intents(intents: Path) -> None:
    edit(intents / "search.yaml", "commands: [timkiem, tim, search]", "commands: [timkiem, han]")
    problem = only(problems_of(intents))
    assert "/han" in problem and "'deadline_tasks'" in problem


def test_malformed_yaml_in_an_intent_file(intents: Path) -> None:
    path = intents / "help.yaml"
    line = edit(path, "  giúp: 2.6\n", "  giúp: [2.6\n")
    problem = only(problems_of(intents))
    assert re.match(rf"{re.escape(str(path))}:\d+: YAML không hợp lệ", problem), problem
    assert int(problem.split(":")[1]) >= line


def test_every_problem_is_reported_at_once(intents: Path) -> None:
    edit(intents / "search.yaml", "  legal: 3.2\n", "  legl: 3.2\n")
    edit(intents / "help.yaml", "bias: 0\n", "bias: 0\nweight: 1\n")
    (intents / "plan_info.yaml").unlink()
    problems = problems_of(intents)
    assert len(problems) == 3, problems


# --------------------------------------------------------------------------- shared files


def test_an_unknown_key_in_the_word_lists(intents: Path) -> None:
    path = intents / "lists.yaml"
    line = edit(path, "recurring: [", "recuring: [")
    problem = only(problems_of(intents))
    assert problem.startswith(f"{path}:{line} (recuring)")
    assert "recurring" in problem  # the allowed keys are listed


def test_a_missing_word_list(intents: Path) -> None:
    path = intents / "lists.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(re.sub(r"(?m)^agency_name:\n(  .*\n)+", "", text), encoding="utf-8")
    problem = only(problems_of(intents))
    assert problem.startswith(str(path)) and "thiếu khóa bắt buộc 'agency_name'" in problem


def test_a_fallback_threshold_that_is_not_a_number(intents: Path) -> None:
    path = intents / "fallback.yaml"
    line = edit(path, "threshold: 2.4", "threshold: cao")
    problem = only(problems_of(intents))
    assert problem.startswith(f"{path}:{line} (threshold)") and "phải là một số" in problem


def test_intent_errors_reach_the_doors_as_plan_errors(intents: Path, knowledge: Knowledge) -> None:
    (intents / "search.yaml").unlink()
    with pytest.raises(PlanError):  # the CLI and the runtime print it as one message
        Understander(knowledge, intents)


def test_a_changed_file_is_read_again(intents: Path) -> None:
    assert load_intents(intents).fallback.threshold == 2.4
    path = intents / "fallback.yaml"
    edit(path, "threshold: 2.4", "threshold: 2.5")
    assert load_intents(intents).fallback.threshold == 2.5


# --------------------------------------------------------------------------- word lists


def test_the_words_the_understanding_matches_are_data(intents: Path, knowledge: Knowledge) -> None:
    """Lists that lived in code (agency-name heads, legal kinds, percent words, the update
    note's words) now change with lists.yaml alone."""
    before = Understander(knowledge, intents)
    assert before.understand("Sở Ngoại vụ phải làm gì").unknown_agency == "Sở Ngoại vụ"
    assert before.understand("Phòng Ngoại vụ phải làm gì").unknown_agency is None
    assert before.understand("2.4 được 60 phần trăm").entities.percent == 60
    assert before.understand("2.4 được 60 pt").entities.percent is None
    assert before.understand("cập nhật nhiệm vụ 2.4: đã gửi dự thảo").note == "đã gửi dự thảo"
    assert before.understand("nđ 58").entities.legal == ["nd_58"]
    path = intents / "lists.yaml"
    edit(path, "heads: [Sở, SỞ, sở, Ban, BAN]", "heads: [Sở, SỞ, sở, Ban, BAN, Phòng]")
    edit(path, "percent_words: [phần trăm, phantram]", "percent_words: [phần trăm, phantram, pt]")
    edit(path, "  report: [cập nhật,", "  report: [ghi nhận, cập nhật,")
    edit(path, "  nghị định: [nghị định, nđ]", "  nghị định: [nghị định]")
    after = Understander(knowledge, intents)
    assert after.understand("Phòng Ngoại vụ phải làm gì").unknown_agency == "Phòng Ngoại vụ"
    assert after.understand("2.4 được 60 pt").entities.percent == 60
    assert after.understand("ghi nhận nhiệm vụ 2.4: đã gửi dự thảo").note == "đã gửi dự thảo"
    assert after.understand("nđ 58").entities.legal == []
    assert after.understand("Nghị định 58").entities.legal == ["nd_58"]


def test_the_update_note_is_what_follows_the_item(knowledge: Knowledge) -> None:
    understander = Understander(knowledge)
    cases = {
        "/capnhat 4.2 60% đang lấy ý kiến": "đang lấy ý kiến",
        "Báo cáo tiến độ nhiệm vụ số 2.4 - đạt 80% đã trình UBND": "đã trình UBND",
        "bc nv 6: vướng kinh phí": "vướng kinh phí",
        "2.4 đã xong": "đã xong",
        "2.4": "",
    }
    for text, note in cases.items():
        assert understander.understand(text).note == note, text


# --------------------------------------------------------------------------- both sides


def test_every_registered_intent_has_one_answer_and_no_more() -> None:
    """The intents registry (data) and the answers registry (code) name the same intents."""
    registry = pytest.importorskip("bot.answers.registry")
    answers = registry.load_answers()
    if set(answers) == set():
        pytest.skip("the answers registry is empty")
    assert set(answers) == set(load_intents(INTENTS_DIR).names)
