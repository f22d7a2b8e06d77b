"""The plan desk: several plans behind one door (`bot.brain.PlanDesk`).

With one plan it is that plan's brain (every answer the same, with the plan's number);
with two it scopes a question to the plan it names, to the chat's default plan or to
the plan a follow-up continues, and otherwise groups every plan's answer by plan.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
import yaml
from two_plans import KNOWLEDGE, two_plan_folder

from bot.brain import Brain, PlanDesk
from bot.conversation import InMemoryConversationStore
from bot.core.clock import FixedClock
from bot.core.reply import Reply
from bot.plan.library import Library, load_library
from bot.plan.loader import Knowledge

ROOT = Path(__file__).resolve().parents[2]
TODAY = date(2026, 11, 30)


def desk_over(library: Library) -> PlanDesk:
    store = InMemoryConversationStore(FixedClock(TODAY))
    return PlanDesk(library, [Brain(k, conversations=store) for k in library])


@pytest.fixture(scope="module")
def desk(tmp_path_factory: pytest.TempPathFactory) -> PlanDesk:
    return desk_over(load_library(two_plan_folder(tmp_path_factory.mktemp("plans"))))


def ask(desk: PlanDesk, text: str, chat: str | None = "c1", plan: str | None = None) -> Reply:
    return desk.answer(text, today=TODAY, chat=chat, plan=plan)


def test_with_one_plan_every_answer_is_the_brains_own(knowledge: Knowledge) -> None:
    """The first 300 messages of the first case set through the desk of one plan: the
    same JSON as the plan's brain gives, `plan` included."""
    brain = Brain(knowledge)
    cases = yaml.safe_load((ROOT / "tests" / "cases" / "nlu_cases.yaml").read_text("utf-8"))
    desk = PlanDesk(Library((brain.knowledge,)), [brain])
    messages = [c["q"] for c in cases["cases"] if "q" in c][:300]
    assert len(messages) == 300
    for text in messages:
        mine = desk.answer(text, today=TODAY).to_json()
        assert mine == brain.answer(text, today=TODAY).to_json(), text
        assert mine["plan"] == "91/KH-UBND" and "plans" not in mine


def test_a_question_naming_no_plan_is_answered_from_each_grouped_by_plan(desk: PlanDesk) -> None:
    reply = ask(desk, "Sở Nội vụ phải làm gì?", chat=None)
    first = reply.plain.split("\n")[0]
    assert first == "Có trong 2 kế hoạch: 91/KH-UBND (10 mục), 58/KH-UBND (4 mục)."
    assert reply.plan is None and reply.plans == ["91/KH-UBND", "58/KH-UBND"]
    assert "91: 2.4" in reply.task_ids and "58: 7" in reply.task_ids
    assert reply.plain.index("Kế hoạch 91/KH-UBND") < reply.plain.index("Kế hoạch 58/KH-UBND")


def test_an_answer_only_one_plan_has_says_which(desk: PlanDesk) -> None:
    reply = ask(desk, "Công an tỉnh chủ trì việc gì?", chat=None)
    assert reply.plan == "58/KH-UBND" and reply.task_ids == ["5"]
    assert "Theo Kế hoạch 58/KH-UBND; Kế hoạch 91/KH-UBND không có." in reply.plain


@pytest.mark.parametrize(
    "text",
    [
        "kế hoạch 58 Sở Nội vụ chủ trì việc gì?",
        "Sở Nội vụ chủ trì việc gì trong KH 58/KH-UBND?",
        "theo ke hoach so 58 thi so noi vu chu tri viec gi",
        "kế hoạch chuyển đổi số Sở Nội vụ chủ trì việc gì?",
    ],
)
def test_a_question_naming_a_plan_is_answered_from_it(desk: PlanDesk, text: str) -> None:
    reply = ask(desk, text, chat=None)
    assert reply.plan == "58/KH-UBND", reply.plain
    assert reply.task_ids == ["7"] and "2.4" not in reply.plain


def test_a_qualified_item_number_opens_that_plans_item(desk: PlanDesk) -> None:
    reply = ask(desk, "58: 7 hạn khi nào?", chat=None)
    assert reply.plan == "58/KH-UBND" and reply.task_ids == ["7"]
    assert "15/12" in reply.plain.split("\n")[0]
    missing = ask(desk, "58: 2.4", chat=None)
    assert missing.plain.startswith("Kế hoạch 58/KH-UBND không có nhiệm vụ 2.4.")


def test_the_chats_default_plan_scopes_what_names_none(desk: PlanDesk) -> None:
    reply = ask(desk, "Sở Nội vụ phải làm gì?", chat="c-default", plan="58")
    assert reply.plan == "58/KH-UBND" and "2.4" not in reply.plain
    named = ask(desk, "kế hoạch 91 Sở Nội vụ phải làm gì?", chat="c-default", plan="58")
    assert named.plan == "91/KH-UBND" and "2.4" in named.plain


def test_a_follow_up_stays_in_the_plan_its_question_was_about(desk: PlanDesk) -> None:
    first = ask(desk, "kế hoạch 58 Sở Nội vụ chủ trì việc gì?", chat="c-follow")
    assert first.plan == "58/KH-UBND"
    follow = ask(desk, "còn Sở Tư pháp?", chat="c-follow")
    assert follow.plan == "58/KH-UBND" and follow.agency == "Sở Tư pháp", follow.plain
    fresh = ask(desk, "Sở Nội vụ phải làm gì?", chat="c-follow")
    assert fresh.plans == ["91/KH-UBND", "58/KH-UBND"]  # a new question: every plan again


def test_buttons_of_a_scoped_answer_name_the_plan(desk: PlanDesk) -> None:
    reply = ask(desk, "kế hoạch 58 mục 7", chat=None)
    args = [b.args for row in reply.buttons for b in row if b.action in ("open_item", "history")]
    assert all(a[0].startswith("58#") for a in args)


def test_a_report_on_a_number_both_plans_have_asks_which(desk: PlanDesk) -> None:
    reply = ask(desk, "mục 5 đã xong", chat=None)
    assert reply.intent == "progress_update" and "có trong 2 kế hoạch" in reply.plain
    assert "«58: 5 đã xong»" in reply.plain or "«91: 5 đã xong»" in reply.plain
    scoped = ask(desk, "58: 5 đã xong", chat=None)
    assert scoped.plan == "58/KH-UBND" and scoped.task_ids == ["5"] and scoped.status == "done"


def test_small_talk_is_answered_once(desk: PlanDesk) -> None:
    reply = ask(desk, "cảm ơn bot", chat=None)
    assert reply.intent == "smalltalk" and "Có trong" not in reply.plain


def test_see_all_of_a_grouped_answer_gives_every_plans_whole_answer(desk: PlanDesk) -> None:
    reply = ask(desk, "Sở Nội vụ phải làm gì?", chat="c-more")
    assert reply.more is not None
    more = desk.more("c-more", reply.buttons[0][0].args[0])
    assert more is not None and "Kế hoạch 58/KH-UBND" in more.plain
    assert len(more.plain) > len(reply.plain)
    typed = ask(desk, "thêm", chat="c-more")  # typing «thêm» is the same as the button
    assert typed.plain == more.plain and typed.task_ids == reply.task_ids


def test_the_library_of_the_knowledge_folder_is_one_plan() -> None:
    assert not load_library(KNOWLEDGE / "plan.yaml").several


def test_a_grouped_answer_cut_by_one_line_still_offers_the_whole(desk: PlanDesk) -> None:
    """Each plan's answer shows two lines; a third is behind «Xem tất cả» (not lost)."""
    three = "\n".join(["Dòng đầu", "Dòng hai", "Dòng ba"])
    replies = {key: Reply("agency_tasks", three, task_ids=["1"]) for key in desk.brains}
    grouped = desk._grouped(replies, "c-three")
    assert "… còn 1 dòng (Xem tất cả)" in grouped.plain
    assert grouped.more is not None and grouped.more.count("Dòng ba") == 2
    assert grouped.buttons[0][0].text == "Xem tất cả"
    assert desk.more("c-three", grouped.buttons[0][0].args[0]) is not None
