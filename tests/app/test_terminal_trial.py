"""The terminal chat as a complete local trial (issue 16): scripted sessions of
`run_chat` on a temporary database, read back afterwards.

The local user is a bot admin; a progress card is answered by typing «lưu» / «sửa …» /
«hủy» (nothing stored before «lưu», «Đã lưu» only after the commit); /chuabaocao,
/tiendo, /baocao (a file, its path said), /dangky and the members' commands work; every
command the Telegram bot has either works or says it is Telegram-only.
"""

from __future__ import annotations

import io
import itertools
import sqlite3
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path

import pytest
from openpyxl import load_workbook

from bot.app.local_trial import LOCAL_USER_ID
from bot.app.terminal_chat import run_chat
from bot.core.clock import DEFAULT_TZ, FixedClock
from bot.core.config import Settings
from bot.telegram.commands import QUERY_COMMANDS
from bot.telegram.progress.wiring import COMMANDS as PROGRESS_COMMANDS

NOW = datetime(2026, 11, 18, 9, 0, tzinfo=DEFAULT_TZ)
NOT_UNDERSTOOD = ("chưa hiểu", "Không có lệnh")
REMINDER_COMMANDS = ("nhacviec", "tatnhacviec", "lichnhac")


class Session:
    """A scripted terminal session; `checks` run just before the line they are keyed by
    is read (to look at the database between two lines)."""

    def __init__(self, settings: Settings, tmp_path: Path):
        self.settings = settings
        self.path = Path(settings.database_url.removeprefix("sqlite:///"))
        self.reports = tmp_path / "reports"
        self.out = io.StringIO()
        self.replies: list[str] = []

    def run(self, lines: list[str], checks: dict[int, Callable[[], None]] | None = None) -> str:
        checks = checks or {}
        feed: Iterator[tuple[int, str]] = iter(enumerate([*lines, "thoát"]))
        marks: list[int] = []

        def read(prompt: str) -> str:
            marks.append(len(self.out.getvalue()))
            index, line = next(feed)
            if index in checks:
                checks[index]()
            return line

        code = run_chat(
            self.settings, clock=FixedClock(NOW), read=read, out=self.out, reports=self.reports
        )
        assert code == 0
        text = self.out.getvalue()
        self.replies = [text[a:b].strip() for a, b in itertools.pairwise(marks)]
        return text

    def rows(self, sql: str) -> list[tuple[object, ...]]:
        conn = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True)
        try:
            return conn.execute(sql).fetchall()
        finally:
            conn.close()

    def updates(self) -> list[tuple[object, ...]]:
        return self.rows(
            "SELECT item_id, assignment_key, agency_id, status, percent, reporter_id"
            " FROM progress_updates ORDER BY id"
        )


@pytest.fixture
def session(make_settings: Callable[..., Settings], tmp_path: Path) -> Session:
    return Session(make_settings(admin_ids=frozenset()), tmp_path)


def test_a_card_is_stored_on_luu_only_and_said_saved_after_the_commit(session: Session) -> None:
    stored_before: list[int] = []
    session.run(
        ["2.4 đang thực hiện 60% đã trình dự thảo", "lưu", "/tiendo 2.4"],
        checks={1: lambda: stored_before.append(len(session.updates()))},
    )
    card, saved, progress = session.replies
    assert "Xác nhận báo cáo tiến độ" in card and "Bấm «Lưu»" not in card
    assert "Gõ «lưu» để ghi nhận" in card
    assert stored_before == [0]  # nothing stored while the card waits
    assert saved.startswith("✅ Đã lưu báo cáo.")
    assert session.updates() == [("2.4", "2.4", "snv", "in_progress", 60, LOCAL_USER_ID)]
    assert "60%" in progress and "Lịch sử báo cáo" in progress


def test_huy_and_sua_store_nothing_but_the_corrected_line(session: Session) -> None:
    session.run(
        [
            "/capnhat 2.4 xong",
            "hủy",
            "lưu",  # nothing waits any more
            "nhiệm vụ 6 đang thực hiện 50%",
            "sửa nhiệm vụ 6 vướng kinh phí",
            "lưu",
            "hoàn tác",
        ]
    )
    card, cancelled, nothing, first, corrected, saved, undone = session.replies
    assert "Xác nhận báo cáo tiến độ" in card and "đã hoàn thành" in card
    assert "Đã hủy" in cancelled and "Chưa có báo cáo nào chờ xác nhận" in nothing
    assert "Mục: 6b" in first and "Mục: 6c" in corrected and "vướng mắc" in corrected
    assert "Đã lưu" in saved and "Đã hoàn tác" in undone
    assert session.updates() == [("6", "6c", "stc", "blocked", None, LOCAL_USER_ID)]
    assert session.rows("SELECT count(*) FROM update_undos") == [(1,)]


def test_an_update_without_item_offers_the_items_by_number(session: Session) -> None:
    session.run(["/capnhat đang thực hiện 30%", "3", "lưu"])
    asked, card, saved = session.replies
    assert "Gõ số để chọn:" in asked and "3 — 2.1" in asked
    assert "Mục: 2.1" in card and "Đã lưu" in saved
    assert [row[0] for row in session.updates()] == ["2.1"]


def test_chuabaocao_and_baocao_work_and_the_report_is_a_file(session: Session) -> None:
    session.run(["/chuabaocao", "/baocao"])
    missing, report = session.replies
    assert "Cơ quan chưa báo cáo" in missing and "Sở Nội vụ" in missing
    files = list(session.reports.glob("*.xlsx"))
    assert len(files) == 1 and str(files[0].resolve()) in report
    assert "Đã ghi báo cáo tiến độ" in report
    assert load_workbook(files[0]).sheetnames  # a workbook openpyxl reads


def test_dangky_registers_the_local_user_who_approves_as_admin(session: Session) -> None:
    session.run(["/dangky Sở Nội vụ", "1", "/toi", "/thanhvien", "/thuhoi", "1", "/duyet"])
    asked, approved, whoami, members, revoke_list, revoked, approve_list = session.replies
    assert "Đã gửi yêu cầu đăng ký" in asked and "1 — ✅ Duyệt" in asked
    assert "Đã duyệt" in approved and "Yêu cầu của anh/chị đã được duyệt" in approved
    assert "Sở Nội vụ (đã duyệt)" in whoami and "quản trị viên bot" in whoami
    assert "Người dùng terminal — Sở Nội vụ — đăng ký 18/11/2026" in members
    assert "Thu hồi" in members and "id" not in members.split("Gõ số")[0]
    assert "Thu hồi" in revoke_list and "Đã thu hồi" in revoked
    assert "Duyệt lại" in approve_list
    assert session.rows("SELECT user_id, agency_id, status FROM members") == [
        (LOCAL_USER_ID, "snv", "revoked")
    ]


def test_every_command_works_or_says_it_is_telegram_only(session: Session) -> None:
    names = sorted(
        {"start", "help", *PROGRESS_COMMANDS, *(c.name for c in QUERY_COMMANDS)}
        | set(REMINDER_COMMANDS)
    )
    session.run([f"/{name}" for name in names] + ["/khongco"])
    for name, reply in zip(names, session.replies, strict=False):
        assert reply, name
        assert not any(words in reply for words in NOT_UNDERSTOOD), (name, reply)
    telegram_only = dict(zip(names, session.replies, strict=False))
    for name in ("lienket", *REMINDER_COMMANDS):
        assert "chỉ dùng được trên Telegram" in telegram_only[name], name
    assert "Không có lệnh /khongco" in session.replies[-1]


def test_dangky_names_several_agencies_to_choose_from(session: Session) -> None:
    session.run(["/dangky Ủy ban nhân dân", "/dangky", "/dangky xyz qwerty"])
    several, usage, unknown = session.replies
    assert "chọn một" in several and "Gõ số để chọn: 1 —" in several
    assert "/dangky Sở Nội vụ" in usage
    assert "Không tìm thấy cơ quan" in unknown


def test_with_a_folder_of_plans_the_trial_serves_each(
    make_settings: Callable[..., Settings], tmp_path: Path
) -> None:
    """PLAN_PATH a folder of two plans: a report on the second plan is stored under its
    number, a question naming no plan is answered from both, /baocao has a sheet each."""
    from two_plans import two_plan_folder

    folder = two_plan_folder(tmp_path / "k")
    session = Session(make_settings(admin_ids=frozenset(), plan_path=folder), tmp_path)
    session.run(
        [
            "/dangky Sở Nội vụ",
            "kế hoạch 58 mục 7 đang thực hiện 40% đã khảo sát",
            "lưu",
            "Sở Nội vụ phải làm gì?",
            "/baocao",
            "/kehoach 58",
            "Sở Nội vụ phải làm gì?",
            "/kehoach",
        ]
    )
    _, card, saved, grouped, report, chosen, scoped, listing = session.replies
    assert "Xác nhận báo cáo tiến độ" in card and "Mục: 7" in card
    assert saved.startswith("✅ Đã lưu báo cáo.")
    assert session.updates() == [("58#7", "58#7", "snv", "in_progress", 40, LOCAL_USER_ID)]
    assert grouped.startswith("Có trong 2 kế hoạch: 91/KH-UBND")
    (path,) = session.reports.glob("*.xlsx")
    assert str(path) in report
    sheets = load_workbook(path).sheetnames
    assert sheets[0] == "Các kế hoạch" and "58 Tiến độ" in sheets
    # /kehoach 58: this session's questions that name no plan go to Kế hoạch 58
    assert "Kế hoạch 58/KH-UBND làm kế hoạch mặc định" in chosen
    assert "2.4" not in scoped and "Có trong" not in scoped and "7" in scoped
    assert "2 kế hoạch" in listing and "(mặc định)" in listing
