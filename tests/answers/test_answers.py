"""What a user notices in the brain's replies: grounded content, honesty about items
the plan lacks, relative dates stated, HTML that is safe and Telegram-sized, and the
`ask --json` contract (batch mode, stores nothing).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from datetime import date
from html.parser import HTMLParser
from pathlib import Path

import pytest

from bot.brain import Brain
from bot.core.reply import TELEGRAM_LIMIT, Reply, esc, html_to_plain, split_html
from bot.plan.loader import Knowledge, load_knowledge

ROOT = Path(__file__).resolve().parents[2]
TODAY = date(2026, 11, 18)
TELEGRAM_TAGS = {"b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "code", "pre", "a"}


@pytest.fixture(scope="module")
def k() -> Knowledge:
    return load_knowledge(ROOT / "knowledge" / "plan.yaml")


@pytest.fixture(scope="module")
def brain(k: Knowledge) -> Brain:
    return Brain(k)


# --------------------------------------------------------------------------- HTML checking


class _TagChecker(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.errors: list[str] = []
        self.tags: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        if tag not in TELEGRAM_TAGS:
            self.errors.append(f"tag <{tag}> is not one Telegram accepts")
        self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"</{tag}> does not close {self.stack[-1:] or 'anything'}")
        else:
            self.stack.pop()


def html_problems(html: str) -> list[str]:
    """Why `html` would not be valid Telegram HTML ([] when it is)."""
    checker = _TagChecker()
    checker.feed(html)
    checker.close()
    problems = list(checker.errors)
    if checker.stack:
        problems.append(f"unclosed {checker.stack}")
    # every '<' must start one of the accepted tags; every '&' an entity
    for m in re.finditer(r"<(/?)([a-zA-Z]*)", html):
        if m.group(2).lower() not in TELEGRAM_TAGS:
            problems.append(f"raw '<' at {m.start()}: {html[m.start() : m.start() + 20]!r}")
    for m in re.finditer(r"&(?!(?:amp|lt|gt|quot|#\d+|#x[0-9a-fA-F]+);)", html):
        problems.append(f"raw '&' at {m.start()}: {html[m.start() : m.start() + 20]!r}")
    return problems


def answer(brain: Brain, text: str, today: date = TODAY) -> Reply:
    reply = brain.answer(text, today=today)
    assert not html_problems(reply.html), (text, html_problems(reply.html), reply.html)
    return reply


# --------------------------------------------------------------------------- task detail


def test_task_2_4_names_lead_coordinators_and_deadline(brain: Brain) -> None:
    reply = answer(brain, "nhiệm vụ 2.4")
    plain = reply.plain
    assert reply.intent == "task_detail"
    assert reply.task_ids == ["2.4"]
    assert "Sở Nội vụ chủ trì" in plain
    for coordinator in ("Sở Tài chính", "Công an tỉnh", "Sở Kế hoạch và Đầu tư"):
        assert coordinator in plain
    assert "Trong quý II/2023" in plain
    assert "30/06/2023" in plain
    assert "hội Hữu nghị nhân dân tỉnh Bình Thuận" in plain  # the item's own text


def test_who_coordinates_2_4_answers_on_the_first_line(brain: Brain) -> None:
    reply = answer(brain, "ai phối hợp 2.4")
    first = reply.plain.splitlines()[0]
    for coordinator in ("Sở Tài chính", "Công an tỉnh", "Sở Kế hoạch và Đầu tư"):
        assert coordinator in first
    assert "Sở Nội vụ" not in first  # the lead does not coordinate
    assert reply.task_ids == ["2.4"]


def test_who_leads_2_4_answers_on_the_first_line(brain: Brain) -> None:
    first = answer(brain, "ai chủ trì nhiệm vụ 2.4").plain.splitlines()[0]
    assert "Sở Nội vụ" in first
    assert "Sở Tài chính" not in first


def test_multi_part_item_shows_every_part(brain: Brain) -> None:
    plain = answer(brain, "nhiệm vụ 4.2").plain
    assert "Sở Kế hoạch và Đầu tư" in plain
    assert "Văn phòng Ủy ban nhân dân tỉnh" in plain
    assert "Thường xuyên" in plain
    assert "Trong quý II/2023" in plain
    assert "Nghị định 58/2022/NĐ-CP" in plain  # cited by number; the full citation on «Xem tất cả»


@pytest.mark.parametrize("text", ["nhiệm vụ 7.1", "7.1", "nv 7.1 là gì"])
def test_item_the_plan_lacks_is_said_not_to_exist(brain: Brain, k: Knowledge, text: str) -> None:
    reply = answer(brain, text)
    plain = reply.plain
    assert reply.task_ids == []
    assert "không có" in plain
    assert "7.1" in plain
    real = {i.id for i in k.plan.items}
    buttons = [b for row in reply.buttons for b in row]
    assert {b.action for b in buttons} <= {"open_item"}
    suggested = [b.args[0] for b in buttons]
    assert suggested, "no suggestion of real items"
    assert set(suggested) <= real
    assert all(s in plain for s in suggested)


def test_section_iii_item(brain: Brain) -> None:
    reply = answer(brain, "mục III.1")
    assert reply.task_ids == ["III.1"]
    assert "30/11" in reply.plain
    assert "Văn phòng Ủy ban nhân dân tỉnh" in reply.plain


# --------------------------------------------------------------------------- deadlines


def test_upcoming_states_today_and_lists_iii_1(brain: Brain) -> None:
    reply = answer(brain, "việc nào sắp đến hạn", today=date(2026, 11, 18))
    assert reply.intent == "deadline_tasks"
    assert "III.1" in reply.task_ids
    assert "18/11/2026" in reply.plain
    assert "30/11/2026" in reply.plain


def test_upcoming_when_nothing_is_due(brain: Brain) -> None:
    reply = answer(brain, "việc nào sắp đến hạn", today=date(2026, 1, 5))
    assert reply.task_ids == []
    assert "05/01/2026" in reply.plain
    assert "30/11/2026" in reply.plain  # says when the next deadline is


def test_overdue_lists_2_4_and_4_2_with_days(brain: Brain) -> None:
    today = date(2026, 11, 26)
    reply = answer(brain, "việc nào quá hạn", today=today)
    assert reply.intent == "deadline_tasks"
    assert set(reply.task_ids) == {"2.4", "4.2"}
    days = (today - date(2023, 6, 30)).days
    assert f"quá {days} ngày" in reply.plain
    assert "26/11/2026" in reply.plain
    assert "III.1" not in reply.task_ids  # its 2026 report is not due until 30/11


def test_overdue_after_30_november_includes_iii_1(brain: Brain) -> None:
    reply = answer(brain, "việc nào quá hạn", today=date(2026, 12, 2))
    assert "III.1" in reply.task_ids
    assert "quá 2 ngày" in reply.plain


def test_quarter_question(brain: Brain) -> None:
    reply = answer(brain, "hạn quý II/2023")
    assert set(reply.task_ids) == {"2.4", "4.2"}
    assert "30/06/2023" in reply.plain


def test_recurring_question(brain: Brain, k: Knowledge) -> None:
    reply = answer(brain, "việc nào thường xuyên")
    expected = {
        i.id for i in k.plan.items if any(a.deadline.kind == "recurring" for a in i.assignments)
    }
    assert set(reply.task_ids) == expected


# --------------------------------------------------------------------------- agencies


def test_agency_not_named_gets_the_group_items(brain: Brain, k: Knowledge) -> None:
    reply = answer(brain, "Sở Y tế phải làm gì")
    assert reply.intent == "agency_tasks"
    assert reply.agency == "Sở Y tế"
    plain = reply.plain
    assert "không giao nhiệm vụ đích danh" in plain
    group_items = [
        i.id
        for i in k.plan.items
        if any(ar.agency == "cac_so_ban_nganh" for a in i.assignments for ar in a.agencies)
    ]
    assert reply.general_task_ids == group_items
    shared = plain.split("Giao chung cho", 1)[1]
    assert all(i in shared for i in group_items)
    # one compact line: the role where it is not plain thực hiện, the deadline where not recurring
    assert (
        "1.2 (phối hợp" in shared
        and "4.1 (tham mưu)" in shared
        and "III.1 (trước ngày 30/11" in shared
    )
    assert len(shared.splitlines()) == 1
    assert "Các sở, ban, ngành" in plain


def test_home_affairs_direct_and_general_items(brain: Brain) -> None:
    reply = answer(brain, "Sở Nội vụ phải làm gì?")
    assert reply.agency == "Sở Nội vụ"
    assert {"2.4", "3.1", "6"} <= set(reply.task_ids)
    assert "III.1" in reply.general_task_ids
    assert "2.4" not in reply.general_task_ids


def test_role_question_keeps_only_that_role(brain: Brain) -> None:
    reply = answer(brain, "Sở KH&ĐT chủ trì việc nào?")
    assert reply.agency == "Sở Kế hoạch và Đầu tư"
    assert set(reply.task_ids) == {"4.2", "4.3"}


def test_district_gets_the_local_group_items(brain: Brain, k: Knowledge) -> None:
    reply = answer(brain, "UBND huyện Tuy Phong có nhiệm vụ gì")
    local = [
        i.id
        for i in k.plan.items
        if any(ar.agency == "dia_phuong" for a in i.assignments for ar in a.agencies)
    ]
    assert reply.general_task_ids == local


# --------------------------------------------------------------------------- updates


def test_update_done_with_40_percent_asks_back(brain: Brain) -> None:
    reply = answer(brain, "2.4 xong 40%")
    assert reply.intent == "progress_update"
    assert "40%" in reply.plain
    assert "?" in reply.plain  # asks which one is true
    assert "Lưu" not in reply.plain  # nothing to save yet


def test_update_confirmation(brain: Brain) -> None:
    reply = answer(brain, "/capnhat 4.2 60% đang lấy ý kiến")
    assert (reply.intent, reply.task_ids, reply.status, reply.percent) == (
        "progress_update",
        ["4.2"],
        "in_progress",
        60,
    )
    assert "60%" in reply.plain


@pytest.mark.parametrize("text", ["/capnhat 2.4 150%", "2.4 đạt 250%"])
def test_update_percent_over_100_is_refused(brain: Brain, text: str) -> None:
    reply = answer(brain, text)
    assert reply.intent == "progress_update"
    assert "0 đến 100" in reply.plain


# --------------------------------------------------------------------------- HTML safety


HOSTILE = [
    "<script>alert(1)</script> 2.4",
    "/timkiem <b>x</b>",
    "/timkiem <scr<script>ipt>alert(1)",
    "/timkiem a < b & c > d",
    "/timkiem &lt;script&gt;alert(1)&lt;/script&gt;",
    "/coquan <b>abc</b>",
    "/capnhat 2.4 60% <i>ghi chú</i> & <x> 1<2",
    "/capnhat 2.4 xong <scr<script>ipt> & 1<2",
    "nhiệm vụ 7.1 <img src=x onerror=alert(1)>",
    "Sở <b>Nội</b> vụ phải làm gì",
    "<a href='javascript:alert(1)'>kiều bào</a>",
    "tìm <u>ODA</u> <pre>",
    "</b></i> 2.4",
]


@pytest.mark.parametrize("text", HOSTILE)
def test_user_text_never_becomes_html(brain: Brain, text: str) -> None:
    reply = brain.answer(text, today=TODAY)
    html = reply.html
    assert "<script" not in html.lower()
    assert "<img" not in html.lower()
    assert "javascript:" not in html.lower()
    assert not html_problems(html), (html_problems(html), html)
    for piece in reply.pieces():
        assert not html_problems(piece)


def test_search_echo_is_escaped_not_dropped(brain: Brain) -> None:
    reply = answer(brain, "/timkiem a < b & c > d")
    assert "a &lt; b &amp; c &gt; d" in reply.html
    assert "a < b & c > d" in reply.plain


@pytest.mark.parametrize(
    "text",
    [
        "nhiệm vụ 2.4",
        "Sở Nội vụ phải làm gì?",
        "việc nào quá hạn",
        "hạn quý II/2023",
        "kiều bào",
        "Nghị định 58/2022",
        "ai ký kế hoạch",
        "nơi nhận gồm những ai",
        "mục đích của kế hoạch",
        "/help",
        "trời hôm nay có mưa không",
        "tiến độ 2.4",
        "/capnhat 4.2 60% đang lấy ý kiến",
        "mục 4",
        "các sở ban ngành phải làm gì",
    ],
)
def test_every_reply_is_valid_telegram_html(brain: Brain, text: str) -> None:
    reply = answer(brain, text)
    assert reply.plain.strip()
    assert reply.plain == html_to_plain(reply.html)
    for piece in reply.pieces():
        assert len(piece) <= TELEGRAM_LIMIT


def test_esc_escapes_markup() -> None:
    assert esc("<b>a & b</b>") == "&lt;b&gt;a &amp; b&lt;/b&gt;"


# --------------------------------------------------------------------------- long input and output


@pytest.mark.parametrize(
    "message",
    [
        "a" * 10_000,
        ("nhiệm vụ 2.4 " * 800)[:10_000],
        ("Sở Nội vụ <b>" * 900)[:10_000],
        "2.4 đã xong " + "ghi chú " * 1250,
        "\u200b" * 10_000,
        "?" * 10_000,
    ],
    ids=["letters", "repeated-question", "tags", "long-note", "zero-width", "punctuation"],
)
def test_ten_thousand_characters_get_a_reply(brain: Brain, message: str) -> None:
    assert len(message) >= 10_000
    reply = answer(brain, message)
    assert reply.plain.strip()
    assert all(len(p) <= TELEGRAM_LIMIT for p in reply.pieces())


def _long_reply(brain: Brain) -> str:
    """About 9,000+ characters of real reply HTML."""
    parts: list[str] = []
    for text in [
        "nhiệm vụ 4.2",
        "nhiệm vụ 6",
        "Sở Nội vụ phải làm gì",
        "nhiệm vụ 2.4",
        "nhiệm vụ 3.2",
    ]:
        parts.append(brain.answer(text, today=TODAY).html)
    html = "\n\n".join(parts)
    while len(html) < 9_000:
        html += "\n\n" + html
    return html


def _visible(html: str) -> str:
    return "".join(html_to_plain(html).split())


def test_split_html_of_a_long_reply(brain: Brain) -> None:
    html = _long_reply(brain)
    assert len(html) >= 9_000
    pieces = split_html(html)
    assert len(pieces) >= 3
    for piece in pieces:
        assert len(piece) <= TELEGRAM_LIMIT
        assert not html_problems(piece), html_problems(piece)
    assert "".join(_visible(p) for p in pieces) == _visible(html)  # nothing lost


def test_split_html_carries_an_open_tag_across_pieces() -> None:
    body = "\n".join(f"Dòng {i}: Sở Nội vụ &amp; Sở Tài chính phối hợp" for i in range(300))
    html = f"<b>{body}</b>"
    assert len(html) >= 9_000
    pieces = split_html(html)
    assert len(pieces) >= 3
    for piece in pieces:
        assert len(piece) <= TELEGRAM_LIMIT
        assert not html_problems(piece), html_problems(piece)
        assert piece.startswith("<b>")
    assert "".join(_visible(p) for p in pieces) == _visible(html)


def test_split_html_of_one_very_long_line() -> None:
    html = "<i>" + " ".join(f"từ{i} &amp;" for i in range(2_000)) + "</i>"
    assert len(html) >= 9_000 and "\n" not in html
    pieces = split_html(html)
    for piece in pieces:
        assert len(piece) <= TELEGRAM_LIMIT
        assert not html_problems(piece), html_problems(piece)
    assert "".join(_visible(p) for p in pieces) == _visible(html)


def test_short_html_is_one_piece() -> None:
    assert split_html("<b>ngắn</b>") == ["<b>ngắn</b>"]


# --------------------------------------------------------------------------- ask --json

CONTRACT_KEYS = {
    "intent",
    "agency",
    "task_ids",
    "general_task_ids",
    "status",
    "percent",
    "confidence",
    "reply",
}


def run_ask(
    tmp_path: Path, *args: str, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("TELEGRAM_BOT_TOKEN", "PLAN_PATH", "ADMIN_IDS", "TIMEZONE", "DATABASE_URL")
    }
    env["DATABASE_URL"] = f"sqlite:///{tmp_path / 'store' / 'planbot.db'}"
    return subprocess.run(
        [sys.executable, "-m", "bot", "ask", "--json", "--today", "2026-11-18", *args],
        cwd=ROOT,
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_ask_json_batch_mode_stores_nothing(tmp_path: Path) -> None:
    lines = ["Sở Nội vụ phải làm gì?", "nhiệm vụ 2.4", "/capnhat 4.2 60% đang lấy ý kiến"]
    result = run_ask(tmp_path, stdin="\n".join(lines) + "\n")
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    out = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(out) == 3
    for obj in out:
        assert set(obj) >= CONTRACT_KEYS
        assert 0.0 <= obj["confidence"] <= 1.0
        assert obj["reply"].strip()
        assert "<b>" not in obj["reply"]  # the plain form
    assert [o["intent"] for o in out] == ["agency_tasks", "task_detail", "progress_update"]
    assert out[0]["agency"] == "Sở Nội vụ"
    assert "2.4" in out[0]["task_ids"]
    assert "III.1" in out[0]["general_task_ids"]
    assert out[1]["task_ids"] == ["2.4"]
    assert (out[2]["task_ids"], out[2]["status"], out[2]["percent"]) == (["4.2"], "in_progress", 60)
    # stores nothing: no database file, not even its folder
    assert list(tmp_path.iterdir()) == []


def test_ask_json_single_message(tmp_path: Path) -> None:
    result = run_ask(tmp_path, "nhiệm", "vụ", "7.1")
    assert result.returncode == 0, result.stderr
    (line,) = result.stdout.splitlines()
    obj = json.loads(line)
    assert obj["intent"] == "task_detail"
    assert obj["task_ids"] == []
    assert "không có" in obj["reply"]
    assert list(tmp_path.iterdir()) == []


def test_ask_json_reply_is_the_brain_plain_text(tmp_path: Path, brain: Brain) -> None:
    result = run_ask(tmp_path, "việc nào sắp đến hạn")
    obj = json.loads(result.stdout)
    expected = brain.answer("việc nào sắp đến hạn", today=TODAY).to_json()
    assert obj == expected
    assert "18/11/2026" in obj["reply"]


def test_ask_rejects_a_bad_today(tmp_path: Path) -> None:
    result = run_ask(tmp_path, "--today", "2026-13-01", "2.4")
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert "YYYY-MM-DD" in result.stderr


async def test_overdue_leaves_out_items_reported_done(tmp_path: Path) -> None:
    """'việc nào quá hạn' reads the stored progress: 2.4 reported done is no longer listed."""
    from datetime import datetime

    from bot.core.clock import FixedClock
    from bot.core.config import load_settings
    from bot.progress.service import ProgressService
    from bot.storage import open_database, open_progress_reader

    settings = load_settings(database_url=f"sqlite:///{tmp_path / 'p.db'}", admin_ids="1")
    knowledge = load_knowledge(ROOT / "knowledge" / "plan.yaml")
    clock = FixedClock(datetime(2026, 11, 20, 9))
    db = open_database(settings, clock)
    service = ProgressService(db, knowledge, clock, frozenset({1}))
    assert (
        await service.record_update(
            user_id=1, item_ref="2.4", status="done", chat_id=1, message_id=1
        )
    ).code == "saved"
    brain = Brain(knowledge, progress=open_progress_reader(settings))
    reply = brain.answer("việc nào quá hạn", today=date(2026, 11, 26))
    assert reply.task_ids == ["4.2"]
    assert "• 2.4" not in reply.plain and "• 4.2" in reply.plain


async def test_progress_questions_are_queries_over_the_stored_progress(tmp_path: Path) -> None:
    """«việc nào đã hoàn thành?», «việc nào đang vướng?», «cơ quan nào chưa báo cáo?» and
    «Sở Nội vụ đã báo cáo chưa?» read what was reported."""
    from datetime import datetime

    from bot.core.clock import FixedClock
    from bot.core.config import load_settings
    from bot.progress.service import ProgressService
    from bot.storage import open_database, open_progress_reader

    settings = load_settings(database_url=f"sqlite:///{tmp_path / 'p.db'}", admin_ids="1")
    knowledge = load_knowledge(ROOT / "knowledge" / "plan.yaml")
    clock = FixedClock(datetime(2026, 11, 20, 9))
    service = ProgressService(open_database(settings, clock), knowledge, clock, frozenset({1}))
    for ref, status, message_id in (("2.4", "done", 1), ("4.3", "blocked", 2)):
        saved = await service.record_update(
            user_id=1, item_ref=ref, status=status, chat_id=1, message_id=message_id
        )
        assert saved.code == "saved"
    brain = Brain(knowledge, progress=open_progress_reader(settings))
    today = date(2026, 11, 26)

    done = brain.answer("việc nào đã hoàn thành?", today=today)
    assert done.intent == "progress_status" and done.task_ids == ["2.4"]
    assert done.plain.splitlines()[0].startswith("1 việc đã hoàn thành")

    blocked = brain.answer("nhiệm vụ nào đang bị vướng", today=today)
    assert blocked.task_ids == ["4.3"]

    silent = brain.answer("những cơ quan nào chưa báo cáo?", today=today).plain.splitlines()[0]
    # as of 2026: the agencies that exist then (Sở Kế hoạch và Đầu tư is part of Sở Tài chính)
    assert "cơ quan chưa báo cáo" in silent and "Sở Tài chính" in silent
    assert "Sở Kế hoạch và Đầu tư" not in silent

    home = brain.answer("Sở Nội vụ đã báo cáo chưa", today=today)
    assert home.agency == "Sở Nội vụ"
    assert home.plain.splitlines()[0].startswith("Sở Nội vụ đã báo cáo 1/")
    assert "• 2.4: hoàn thành" in home.plain


def test_ask_reads_one_message_per_line_whatever_the_separators_inside(tmp_path: Path) -> None:
    """U+2028, U+0085 and form feed inside a message keep it one message (issue 16):
    three lines in, three answers out, each for its own question."""
    stdin = "ai ký kế hoạch\nnhiệm vụ 2.4\u2028hạn khi nào\nnhiệm vụ 6\x85\x0c xem\r\n"
    result = run_ask(tmp_path, stdin=stdin)
    assert result.returncode == 0, result.stderr
    answers = [json.loads(line) for line in result.stdout.splitlines()]
    assert [a["intent"] for a in answers][:1] == ["plan_info"]
    assert len(answers) == 3
    assert answers[1]["task_ids"] == ["2.4"] and answers[2]["task_ids"][:1] == ["6"]


def test_ask_into_a_closed_pipe_ends_quietly(tmp_path: Path) -> None:
    """`ask --json < questions.txt | head -1`: no BrokenPipeError traceback."""
    questions = tmp_path / "q.txt"
    questions.write_text("Sở Nội vụ phải làm gì\n" * 400, encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k not in ("TELEGRAM_BOT_TOKEN", "DATABASE_URL")}
    env["DATABASE_URL"] = f"sqlite:///{tmp_path / 'planbot.db'}"
    ask = subprocess.Popen(
        [sys.executable, "-m", "bot", "ask", "--json"],
        cwd=ROOT,
        env=env,
        stdin=questions.open("rb"),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert ask.stdout is not None and ask.stderr is not None
    first = ask.stdout.readline()
    ask.stdout.close()  # the reader leaves, as `head -1` does
    err = ask.stderr.read().decode()
    assert ask.wait(timeout=60) == 0
    assert json.loads(first)["intent"] == "agency_tasks"
    assert "Traceback" not in err and "BrokenPipe" not in err


def test_who_has_not_reported_lists_agencies_only_to_admins_and_the_monitoring_office() -> None:
    from bot.progress.types import Asker

    brain = Brain(load_knowledge(ROOT / "knowledge" / "plan.yaml"))
    today = date(2026, 11, 26)
    question = "những cơ quan nào chưa báo cáo?"
    member = brain.answer(question, today=today, asker=Asker(user_id=5, agency_id="snv")).plain
    assert "cơ quan chưa báo cáo" in member and "Sở Nội vụ:" in member
    assert "Sở Kế hoạch và Đầu tư" not in member and "Sở Tài chính" not in member
    for asker in (None, Asker(user_id=1, is_admin=True), Asker(user_id=7, agency_id="vp_ubnd")):
        full = brain.answer(question, today=today, asker=asker).plain
        assert "Sở Tài chính" in full, asker
