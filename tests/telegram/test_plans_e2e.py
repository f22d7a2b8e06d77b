"""End to end: an admin uploads a second plan, confirms it, and the bot serves both.

The composition root (`Runtime`, default features) runs against `FakeBotApi` (real long
polling on 127.0.0.1, getFile and file downloads included) on a temporary SQLite file.
The second plan is a Word document with a table appendix (Kế hoạch 58/KH-UBND, the
importer's fixture, built as a .docx here). Nothing is slept: each step waits on the
fake server's calls.
"""

from __future__ import annotations

import io
from collections.abc import AsyncIterator, Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from fake_bot_api import Call, FakeBotApi
from openpyxl import load_workbook
from plan_documents import write_docx
from world import BotWorld, bot_world

from bot.core.clock import FixedClock
from bot.core.config import Settings
from bot.plan.loader import Knowledge
from bot.telegram.callbacks import parse

ROOT = Path(__file__).resolve().parents[2]
SECOND_PLAN = ROOT / "tests" / "fixtures" / "import" / "ke-hoach-chuyen-doi-so-2024.txt"
ADMIN = FakeBotApi.user(900001, "Quản trị")
LAN = FakeBotApi.user(501, "Lan")  # Sở Nội vụ: 2.4 in Kế hoạch 91, 7 (chủ trì) in Kế hoạch 58
START = datetime(2026, 6, 15, 9, 0)


class World(BotWorld):
    async def say(self, user: dict[str, Any], text: str) -> str:
        _, call = await self.exchange(user, text, self.api.private(user))
        return str(call.params["text"])

    async def upload(self, user: dict[str, Any], name: str, content: bytes) -> Call:
        """Send a document privately; the bot's first message back."""
        since = self.api.mark()
        self.api.send_document(self.api.private(user), user, name, content)
        (call,) = await self.api.wait_for("sendMessage", since=since, chat_id=user["id"])
        return call


@pytest.fixture(params=[False, True], ids=["brain-here", "brain-process"])
async def world(
    request: pytest.FixtureRequest,
    token: str,
    knowledge: Knowledge,
    make_settings: Callable[..., Settings],
    tmp_path: Path,
) -> AsyncIterator[World]:
    """The bot answering in its own process, and in a process of its own for the brain
    (`bot.app.brain_worker`): the same conversation either way."""
    path = tmp_path / "bot.db"
    settings = make_settings(
        database_url=f"sqlite:///{path}",
        admin_ids=frozenset({ADMIN["id"]}),
        brain_process=request.param,
    )
    async with bot_world(
        lambda api: World(api, knowledge, settings, FixedClock(START), path), token
    ) as w:
        yield w
        answered = w.brain_answered(own_process=request.param)
        assert answered > 0 or not request.param  # the brain's process answered them


@pytest.fixture
def second_plan(tmp_path: Path) -> bytes:
    return write_docx(
        SECOND_PLAN.read_text(encoding="utf-8"), tmp_path / "ke-hoach-58.docx"
    ).read_bytes()


def buttons(call: Call) -> list[dict[str, Any]]:
    markup = call.params.get("reply_markup") or {}
    return [b for row in markup.get("inline_keyboard", []) for b in row]


async def test_an_admin_adds_a_plan_and_members_are_answered_from_both(
    world: World, second_plan: bytes
) -> None:
    await world.seed({LAN["id"]: "snv"}, names={LAN["id"]: "Lan"})
    await world.launch()
    api = world.api

    before = await world.say(LAN, "Sở Nội vụ phải làm gì?")
    assert "2.4" in before and "58/KH-UBND" not in before

    # a member may not add a plan
    refused = await world.upload(LAN, "ke-hoach-58.docx", second_plan)
    assert "Chỉ quản trị viên bot" in refused.params["text"]
    assert world.rows("plan_documents") == []

    # the admin uploads it: the review summary, then the draft and the review as files
    since = api.mark()
    summary = await world.upload(ADMIN, "ke-hoach-58.docx", second_plan)
    text = summary.params["text"]
    assert "Bản nháp số 1" in text and "58/KH-UBND" in text and "/kichhoat 1" in text
    assert "10 mục" in text and "Cần rà soát" in text
    files = await api.wait_for("sendDocument", since=since, chat_id=ADMIN["id"], count=2)
    names = sorted(c.files["document"].filename or "" for c in files)
    assert names == ["nhap-1-plan.yaml", "nhap-1-review.md"]
    assert b"58/KH-UBND" in files[0].files["document"].data + files[1].files["document"].data
    (draft,) = world.rows("plan_documents")
    assert draft["status"] == "draft" and draft["problems"] == 0

    # not served before it is confirmed
    still_one = await world.say(LAN, "Sở Nội vụ phải làm gì?")
    assert "58/KH-UBND" not in still_one

    assert "Chỉ quản trị viên" in await world.say(LAN, "/kichhoat 1")
    activated = await world.say(ADMIN, "/kichhoat 1")
    assert "Đã kích hoạt Kế hoạch 58/KH-UBND" in activated and "10 mục" in activated
    assert world.rows("plan_documents")[0]["status"] == "active"

    # a question that names no plan is answered from both, grouped by plan
    both = await world.say(LAN, "Sở Nội vụ phải làm gì?")
    assert both.startswith("Có trong 2 kế hoạch: 91/KH-UBND") and "58/KH-UBND" in both
    assert both.index("Kế hoạch 91/KH-UBND") < both.index("Kế hoạch 58/KH-UBND")
    # one that names the plan, from that plan only
    scoped = await world.say(LAN, "kế hoạch 58 Sở Nội vụ chủ trì việc gì?")
    assert "7" in scoped and "2.4" not in scoped

    # a report on the new plan is stored under its own number
    saved = await world.say(LAN, "/capnhat 58: 7 đang thực hiện 40% đã khảo sát 3 xã")
    assert "Đã lưu" in saved
    (row,) = world.rows("progress_updates")
    assert row["item_id"] == "58#7" and row["percent"] == 40 and row["agency_id"] == "snv"
    progress = await world.say(LAN, "/tiendo 58: 7")
    assert "40%" in progress
    main_progress = await world.say(LAN, "/tiendo 2.4")
    assert "40%" not in main_progress  # the main plan's 2.4 has no report

    # the workbook has both plans
    since = api.mark()
    api.send(api.private(ADMIN), ADMIN, "/baocao")
    (report,) = await api.wait_for("sendDocument", since=since, chat_id=ADMIN["id"])
    workbook = load_workbook(io.BytesIO(report.files["document"].data))
    assert workbook.sheetnames[0] == "Các kế hoạch"
    assert {"91 Tổng hợp", "91 Tiến độ", "58 Tổng hợp", "58 Tiến độ"} <= set(workbook.sheetnames)
    detail = workbook["58 Tiến độ"]
    assert any("40" in str(c.value) for r in detail.iter_rows() for c in r if c.value)

    # a fresh process serves the activated plan from the database
    await world.shut_down()
    await world.launch()
    again = await world.say(LAN, "Sở Nội vụ phải làm gì?")
    assert again.startswith("Có trong 2 kế hoạch")

    # /kehoach: the plans and a default for the chat
    since = api.mark()
    api.send(api.private(LAN), LAN, "/kehoach")
    (listing,) = await api.wait_for("sendMessage", since=since, chat_id=LAN["id"])
    assert "2 kế hoạch" in listing.params["text"]
    choose = next(b["callback_data"] for b in buttons(listing) if "58/KH-UBND" in b["text"])
    assert parse(choose) is not None
    chosen = await world.press_on(LAN, listing.result, choose, "sendMessage")
    assert "làm kế hoạch mặc định" in chosen.params["text"]
    only58 = await world.say(LAN, "Sở Nội vụ phải làm gì?")
    assert "7" in only58 and "2.4" not in only58 and "Có trong 2" not in only58
    assert world.rows("chat_plans")[0]["plan_key"] == "58"
    assert "mọi kế hoạch" in await world.say(LAN, "/kehoach tất cả")
    assert (await world.say(LAN, "Sở Nội vụ phải làm gì?")).startswith("Có trong 2")


async def test_a_new_version_replaces_the_plan_and_keeps_its_progress(
    world: World, second_plan: bytes, tmp_path: Path
) -> None:
    await world.seed({LAN["id"]: "snv"}, names={LAN["id"]: "Lan"})
    await world.launch()
    await world.upload(ADMIN, "ke-hoach-58.docx", second_plan)
    assert "Đã kích hoạt" in await world.say(ADMIN, "/kichhoat 1")
    assert "Đã lưu" in await world.say(LAN, "/capnhat 58: 7 hoàn thành")

    # version 2 drops item 6 (its row in the appendix table)
    text = SECOND_PLAN.read_text(encoding="utf-8")
    lines = [line for line in text.splitlines() if not line.strip().startswith("| 6 |")]
    assert len(lines) == len(text.splitlines()) - 1
    newer = write_docx("\n".join(lines), tmp_path / "ke-hoach-58-v2.docx").read_bytes()
    summary = await world.upload(ADMIN, "ke-hoach-58-v2.docx", newer)
    assert "Bản nháp số 2" in summary.params["text"]
    assert "đang được phục vụ" in summary.params["text"]
    replaced = await world.say(ADMIN, "/kichhoat 2")
    assert "thay bản đang dùng" in replaced and "6" in replaced.split("không còn")[1]
    statuses = {r["id"]: r["status"] for r in world.rows("plan_documents")}
    assert statuses == {1: "replaced", 2: "active"}
    assert "Không có bản nháp số 9" in await world.say(ADMIN, "/kichhoat 9")
    assert "đã được thay" in await world.say(ADMIN, "/kichhoat 1")
    progress = await world.say(LAN, "/tiendo 58: 7")
    assert "hoàn thành" in progress.lower() or "100%" in progress


async def test_a_draft_with_errors_is_never_activated(world: World) -> None:
    await world.launch()
    broken = "ỦY BAN NHÂN DÂN TỈNH\nKẾ HOẠCH\nVề việc gì đó\nKhông có số hiệu, không có mục nào.\n"
    summary = await world.upload(ADMIN, "nhap.txt", broken.encode("utf-8"))
    text = summary.params["text"]
    assert "lỗi" in text and "chưa thể kích hoạt" in text
    refused = await world.say(ADMIN, "/kichhoat 1")
    assert "không thể kích hoạt" in refused
    assert world.rows("plan_documents")[0]["status"] == "draft"
    assert "Sở Nội vụ" in await world.say(ADMIN, "Sở Nội vụ phải làm gì?")

    wrong = await world.upload(ADMIN, "anh.png", b"\x89PNG\r\n")
    assert ".docx" in wrong.params["text"]


async def test_a_new_version_of_the_main_plan_replaces_it_in_place(world: World) -> None:
    """The seed's own text, sent by an admin: a newer version of the plan served alone.
    It replaces it in its place (still the main plan: its progress stays where it was)."""
    await world.seed({LAN["id"]: "snv"}, names={LAN["id"]: "Lan"})
    await world.launch()
    assert "Đã lưu" in await world.say(LAN, "/capnhat 2.4 đang thực hiện 30%")
    source = ROOT / "knowledge" / "source" / "ke-hoach-91-KH-UBND-2023.txt"
    summary = await world.upload(ADMIN, "ke-hoach-91.txt", source.read_bytes())
    assert "91/KH-UBND" in summary.params["text"]
    assert "đang được phục vụ" in summary.params["text"]
    replaced = await world.say(ADMIN, "/kichhoat 1")
    assert "thay bản đang dùng" in replaced and "Không mục nào của bản cũ bị mất" in replaced
    # still one plan: answers as before, and the report on 2.4 is the plan's
    answer = await world.say(LAN, "Sở Nội vụ phải làm gì?")
    assert "2.4" in answer and "Có trong" not in answer
    assert "30%" in await world.say(LAN, "/tiendo 2.4")
    assert "Đã lưu" in await world.say(LAN, "/capnhat 2.4 đang thực hiện 50%")
    assert [r["item_id"] for r in world.rows("progress_updates")] == ["2.4", "2.4"]
    # a fresh process serves the activated version
    await world.shut_down()
    await world.launch()
    assert "50%" in await world.say(LAN, "/tiendo 2.4")
