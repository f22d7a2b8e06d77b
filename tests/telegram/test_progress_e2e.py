"""End to end: progress reporting through the real Application and the fake Bot API.

Each test runs the composition root (`Runtime`: the database, the real brain and the
progress runtime) with the progress feature (`ProgressFeature`) against `FakeBotApi`
(real long polling on 127.0.0.1), a temporary SQLite DATABASE_URL and ADMIN_IDS. Updates are
injected as Telegram sends them; the test waits on the fake server's calls (never
a fixed sleep) and reads the database back through a separate read-only connection.
Time is a `FixedClock` the test moves (the 10-minute Undo window).
"""

from __future__ import annotations

import io
from collections.abc import AsyncIterator, Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fake_bot_api import Call, FakeBotApi
from openpyxl import load_workbook
from subprocess_helpers import ask_json
from world import BotWorld, bot_world

from bot.app.runtime import Runtime, brain_worker_for
from bot.brain import Brain
from bot.core.clock import FixedClock
from bot.core.config import Settings
from bot.core.reply import html_to_plain
from bot.plan.loader import Knowledge
from bot.progress.types import HISTORY_LABEL
from bot.progress.view import ProgressView
from bot.telegram.callbacks import parse, semantic_data
from bot.telegram.progress import ProgressFeature

ADMIN = FakeBotApi.user(900001, "Quản trị")
LAN = FakeBotApi.user(501, "Lan")  # Sở Nội vụ: lead of 2.4
MINH = FakeBotApi.user(502, "Minh")  # Sở Y tế: no part in 2.4
HOA = FakeBotApi.user(503, "Hoa")  # Văn phòng UBND tỉnh: may download the report
KHOA = FakeBotApi.user(504, "Khoa")  # nobody yet
SON = FakeBotApi.user(505, "Sơn")  # Sở Tài chính: in 2026 it leads 4.2a (Sở KH&ĐT's till 2025)
GROUP_ID = -100123
START = datetime(2026, 6, 15, 9, 0)


class World(BotWorld):
    """The shared bot world with this module's way of talking."""

    async def start(self) -> Runtime:
        """Start the bot like a fresh process on the database file (progress feature)."""
        return await self.launch(
            lambda runtime: [
                *filter(None, [brain_worker_for(runtime)]),  # with BRAIN_PROCESS on
                ProgressFeature(runtime.progress),
            ]
        )

    async def say(
        self, user: dict[str, Any], text: str, chat: dict[str, Any] | None = None
    ) -> tuple[dict[str, Any], Call]:
        """Send `text` and wait for the bot's message back in that chat."""
        return await self.exchange(user, text, chat or self.api.private(user))

    async def press(
        self, user: dict[str, Any], call: Call, data: str, method: str = "answerCallbackQuery"
    ) -> Call:
        """Press a button of the message `call` sent; wait for `method` (in that chat)."""
        return await self.press_on(user, call.result, data, method)


def buttons(call: Call) -> list[dict[str, Any]]:
    markup = call.params.get("reply_markup") or {}
    return [b for row in markup.get("inline_keyboard", []) for b in row]


def button(call: Call, label: str) -> str:
    """The callback data of the button whose text contains `label`."""
    for b in buttons(call):
        if label in b["text"]:
            data = b["callback_data"]
            assert parse(data) is not None and len(data.encode()) <= 64
            return str(data)
    raise AssertionError(f"no button «{label}» in {buttons(call)}")


@pytest.fixture(params=[False, True], ids=["brain-here", "brain-process"])
async def world(
    request: pytest.FixtureRequest,
    token: str,
    knowledge: Knowledge,
    make_settings: Callable[..., Settings],
    tmp_path: Path,
) -> AsyncIterator[World]:
    """Each test twice: the brain in the bot's process, and in its own
    (`bot.app.brain_worker`), where no message may be left to the door."""
    path = tmp_path / "progress.db"
    settings = make_settings(
        database_url=f"sqlite:///{path}",
        admin_ids=frozenset({ADMIN["id"]}),
        brain_process=request.param,
    )
    async with bot_world(
        lambda api: World(api, knowledge, settings, FixedClock(START), path), token
    ) as w:
        yield w
        w.brain_answered(own_process=request.param)


# ---------------------------------------------------------------- who may report


async def test_registration_and_approval(world: World) -> None:
    await world.start()
    api = world.api
    since = api.mark()
    _, answer = await world.say(LAN, "/dangky Sở Nội vụ")
    assert "Đã gửi yêu cầu" in answer.params["text"] and "Sở Nội vụ" in answer.params["text"]
    (card,) = await api.wait_for("sendMessage", since=since, chat_id=ADMIN["id"])
    assert "Lan" in card.params["text"] and "501" in card.params["text"]
    assert {b["text"] for b in buttons(card)} == {"✅ Duyệt", "❌ Từ chối"}

    refused = await world.press(LAN, card, button(card, "Duyệt"))  # not an admin
    assert "quản trị viên" in refused.params["text"]

    since = api.mark()
    edited = await world.press(ADMIN, card, button(card, "Duyệt"), "editMessageText")
    assert "Đã duyệt" in edited.params["text"] and "reply_markup" not in edited.params
    (notice,) = await api.wait_for("sendMessage", since=since, chat_id=LAN["id"])
    assert "đã được duyệt" in notice.params["text"] and "Sở Nội vụ" in notice.params["text"]

    _, whoami = await world.say(LAN, "/toi")
    assert "Sở Nội vụ" in whoami.params["text"] and "đã duyệt" in whoami.params["text"]
    assert "2.4" in whoami.params["text"]

    _, members = await world.say(ADMIN, "/thanhvien")
    assert "Lan — Sở Nội vụ — đăng ký 15/06/2026" in members.params["text"]
    assert "501" not in members.params["text"]  # names, agency and dates, no raw ids
    _, not_admin = await world.say(LAN, "/thanhvien")
    assert "Chỉ quản trị viên" in not_admin.params["text"]
    _, revoked = await world.say(ADMIN, "/thuhoi 501")
    assert "Đã thu hồi" in revoked.params["text"]
    _, approved = await world.say(ADMIN, "/duyet 501")
    assert "Đã duyệt" in approved.params["text"]

    # the menus carry the progress commands, in Vietnamese, per scope
    scopes = {key.split("|")[0]: [c["command"] for c in v] for key, v in api.commands.items()}
    private = scopes['{"type": "all_private_chats"}']
    assert {"capnhat", "tiendo", "chuabaocao", "dangky", "toi"} <= set(private)
    admin_menu = scopes[f'{{"chat_id": {ADMIN["id"]}, "type": "chat"}}']
    assert {"duyet", "thuhoi", "thanhvien"} <= set(admin_menu)
    assert "lienket" in scopes['{"type": "all_chat_administrators"}']


def labels(call: Call) -> list[str]:
    return [b["text"] for b in buttons(call)]


async def test_thanhvien_lists_names_with_buttons_acting_on_their_request(world: World) -> None:
    """/thanhvien: name, agency and date of each member and request, ✅ Duyệt / ❌ Từ chối
    for a request, «Thu hồi» for a member; a list's button decides only the request it
    was drawn for (pressed again once decided: closed), and the list is redrawn."""
    await world.seed({MINH["id"]: "syt"}, names={MINH["id"]: "Minh"})
    await world.start()
    api = world.api
    await _register(world, LAN, "Sở Nội vụ")
    _, members = await world.say(ADMIN, "/thanhvien")
    text = members.params["text"]
    assert "Lan — Sở Nội vụ — đăng ký 15/06/2026" in text
    assert "Minh — Sở Y tế — đăng ký 15/06/2026, duyệt 15/06/2026" in text
    assert "501" not in text and "502" not in text
    assert labels(members) == ["✅ Duyệt Lan — Sở Nội vụ", "❌ Từ chối", "Thu hồi Minh — Sở Y tế"]

    refused = await world.press(LAN, members, button(members, "Duyệt Lan"))
    assert "quản trị viên" in refused.params["text"]
    since = api.mark()
    redrawn = await world.press(ADMIN, members, button(members, "Duyệt Lan"), "editMessageText")
    assert redrawn.params["text"].startswith("Đã duyệt Lan báo cáo cho <b>Sở Nội vụ</b>.")
    assert "Thu hồi Lan — Sở Nội vụ" in labels(redrawn)
    (notice,) = await api.wait_for("sendMessage", since=since, chat_id=LAN["id"])
    assert "đã được duyệt" in notice.params["text"]
    closed = await world.press(ADMIN, members, button(members, "Từ chối"))
    assert "Yêu cầu này đã đóng" in closed.params["text"]
    _, whoami = await world.say(LAN, "/toi")
    assert "đã duyệt" in whoami.params["text"]  # the stale ❌ changed nothing

    since = api.mark()
    await world.press(ADMIN, members, button(members, "Thu hồi Minh"), "editMessageText")
    (notice,) = await api.wait_for("sendMessage", since=since, chat_id=MINH["id"])
    assert "của anh/chị đã được thu hồi" in notice.params["text"]


async def test_duyet_and_thuhoi_without_an_id_offer_the_list(world: World) -> None:
    await world.seed({MINH["id"]: "syt"}, names={MINH["id"]: "Minh"})
    await world.start()
    _, nothing = await world.say(ADMIN, "/duyet")
    assert "Không có yêu cầu đăng ký nào đang chờ duyệt" in nothing.params["text"]
    assert not buttons(nothing)
    await _register(world, LAN, "Sở Nội vụ")
    _, offer = await world.say(ADMIN, "/duyet")
    assert "Lan — Sở Nội vụ" in offer.params["text"] and "501" not in offer.params["text"]
    assert labels(offer) == ["✅ Duyệt Lan — Sở Nội vụ", "❌ Từ chối"]
    await world.press(ADMIN, offer, button(offer, "Duyệt Lan"), "editMessageText")

    _, active = await world.say(ADMIN, "/thuhoi")
    assert sorted(labels(active)) == ["Thu hồi Lan — Sở Nội vụ", "Thu hồi Minh — Sở Y tế"]
    await world.press(ADMIN, active, button(active, "Thu hồi Minh"), "editMessageText")
    reader = world.reader()
    try:
        assert reader.get_member(MINH["id"]).status == "revoked"  # type: ignore[union-attr]
        assert reader.get_member(LAN["id"]).status == "approved"  # type: ignore[union-attr]
    finally:
        reader.close()
    _, again = await world.say(ADMIN, "/duyet")
    assert labels(again) == ["✅ Duyệt lại Minh — Sở Y tế"]
    _, by_id = await world.say(ADMIN, f"/duyet {MINH['id']}")  # with an id: as before
    assert "Đã duyệt Minh" in by_id.params["text"]


async def test_help_shows_each_their_commands_and_the_admin_all(world: World) -> None:
    await world.start()
    _, admin = await world.say(ADMIN, "/help")
    text = admin.params["text"]
    assert "Dành cho quản trị viên bot:" in text and "Trong nhóm" in text
    for command in ("/thanhvien", "/duyet", "/thuhoi", "/lienket", "/dangky", "/tiendo"):
        assert command in text, command
    _, member = await world.say(LAN, "/help")
    assert "/dangky" in member.params["text"] and "/tiendo" in member.params["text"]
    for command in ("/thanhvien", "/duyet", "/lienket", "quản trị viên bot:"):
        assert command not in member.params["text"], command
    group = world.api.group(GROUP_ID, "Nhóm")
    _, in_group = await world.say(LAN, "/help", group)
    assert "/lienket" in in_group.params["text"] and "/thanhvien" not in in_group.params["text"]


async def test_the_history_button_has_one_label(world: World) -> None:
    await world.start()
    _, command = await world.say(KHOA, "/tiendo 2.4")
    _, asked = await world.say(KHOA, "tiến độ nhiệm vụ 2.4 thế nào")
    assert HISTORY_LABEL in labels(command) and HISTORY_LABEL in labels(asked)
    assert not any("Lịch sử" in b and b != HISTORY_LABEL for b in labels(command) + labels(asked))


async def test_refused_reports_store_nothing(world: World) -> None:
    await world.seed({MINH["id"]: "syt"})
    await world.start()
    _, stranger = await world.say(KHOA, "/capnhat 2.4 đã hoàn thành")
    text = stranger.params["text"]
    assert "Chỉ thành viên đã được duyệt" in text and "Sở Nội vụ" in text and "/dangky" in text

    _, free = await world.say(KHOA, "2.4 đã xong")
    assert "/dangky" in free.params["text"] and not buttons(free)

    _, outsider = await world.say(MINH, "/capnhat 2.4 đang thực hiện 50%")
    assert "không có phần việc trong mục 2.4" in outsider.params["text"]
    offered = {b["text"] for b in buttons(outsider)}
    assert "III.1" in offered and "2.4" not in offered  # Sở Y tế's own items

    _, contradiction = await world.say(MINH, "/capnhat 5 xong 40%")
    assert "mâu thuẫn" in contradiction.params["text"]
    _, bad_percent = await world.say(MINH, "/capnhat 5 150%")
    assert "từ 0 đến 100%" in bad_percent.params["text"]
    _, unknown = await world.say(MINH, "/capnhat 9.9 xong")
    assert "Không có mục «9.9»" in unknown.params["text"]
    _, usage = await world.say(MINH, "/capnhat")
    assert "Cú pháp" in usage.params["text"]
    assert world.stored(include_undone=True) == []


async def test_group_link_and_a_member_who_left(world: World) -> None:
    await world.seed({LAN["id"]: "snv"})
    await world.start()
    api = world.api
    group = api.group(GROUP_ID, "Nhóm Sở Nội vụ <KH 91>")
    _, refused = await world.say(KHOA, "/lienket Sở Nội vụ", group)
    assert "Chỉ quản trị viên của nhóm" in refused.params["text"]

    api.make_admin(GROUP_ID, KHOA)
    since = api.mark()
    _, asked = await world.say(KHOA, "/lienket Sở Nội vụ", group)
    assert "chờ quản trị viên bot xác nhận" in asked.params["text"]
    (card,) = await api.wait_for("sendMessage", since=since, chat_id=ADMIN["id"])
    assert "Nhóm Sở Nội vụ &lt;KH 91&gt;" in card.params["text"]  # escaped title
    since = api.mark()
    await world.press(ADMIN, card, button(card, "Xác nhận"), "editMessageText")
    (notice,) = await api.wait_for("sendMessage", since=since, chat_id=GROUP_ID)
    assert "liên kết với <b>Sở Nội vụ</b>" in notice.params["text"]

    _, saved = await world.say(LAN, "/capnhat 2.4 đang thực hiện 40%", group)
    assert "Đã lưu" in saved.params["text"]
    (record,) = world.stored("2.4")
    assert (record.agency_id, record.percent, record.source_chat_id) == ("snv", 40, GROUP_ID)

    api.leave(GROUP_ID, LAN)
    _, gone = await world.say(LAN, "/capnhat 2.4 đang thực hiện 70%", group)
    assert "không còn là thành viên nhóm" in gone.params["text"]
    assert [u.percent for u in world.stored("2.4")] == [40]


async def _register(world: World, user: dict[str, Any], agency: str) -> Call:
    """`/dangky <agency>`; the card the bot admin receives."""
    since = world.api.mark()
    await world.say(user, f"/dangky {agency}")
    (card,) = await world.api.wait_for("sendMessage", since=since, chat_id=ADMIN["id"])
    return card


async def test_an_old_decision_button_acts_only_on_its_request(world: World) -> None:
    """A ✅/❌ card decides the request it was sent for, nothing else: after /thuhoi, or
    once a newer request replaced it, pressing it says the request is closed."""
    await world.start()
    first = await _register(world, LAN, "Sở Nội vụ")
    await world.say(ADMIN, "/duyet 501")
    await world.say(ADMIN, "/thuhoi 501")
    closed = await world.press(ADMIN, first, button(first, "Duyệt"))
    assert "Yêu cầu này đã đóng" in closed.params["text"], closed.params
    _, whoami = await world.say(LAN, "/toi")
    assert "đã thu hồi" in whoami.params["text"]  # not approved again

    world.clock.advance(timedelta(minutes=1))
    replaced = await _register(world, LAN, "Sở Y tế")
    world.clock.advance(timedelta(minutes=1))
    current = await _register(world, LAN, "Sở Nội vụ")  # the pending request now
    closed = await world.press(ADMIN, replaced, button(replaced, "Duyệt"))
    assert "Yêu cầu này đã đóng" in closed.params["text"]
    _, whoami = await world.say(LAN, "/toi")
    assert "Sở Nội vụ" in whoami.params["text"] and "chờ duyệt" in whoami.params["text"]
    done = await world.press(ADMIN, current, button(current, "Duyệt"), "editMessageText")
    assert "Đã duyệt" in done.params["text"] and "Sở Nội vụ" in done.params["text"]


async def test_a_confirmed_group_link_stays_until_a_bot_admin_confirms_a_change(
    world: World,
) -> None:
    """/lienket <another agency> by a group admin does not unlink a confirmed group: the
    link keeps working (reports count for its agency) and the change waits beside it
    until a bot admin confirms it; a rejected change leaves the link as it was; a card
    of a change that was replaced is closed."""
    await world.start()
    api = world.api
    group = api.group(GROUP_ID, "Nhóm Sở Nội vụ")
    api.make_admin(GROUP_ID, KHOA)
    await _register(world, LAN, "Sở Nội vụ")
    await world.say(ADMIN, "/duyet 501")

    async def ask_link(agency: str) -> tuple[str, Call]:
        since = api.mark()
        _, answer = await world.say(KHOA, f"/lienket {agency}", group)
        (card,) = await api.wait_for("sendMessage", since=since, chat_id=ADMIN["id"])
        return answer.params["text"], card

    async def confirm(card: Call, label: str) -> str:
        since = api.mark()
        await world.press(ADMIN, card, button(card, label), "editMessageText")
        (notice,) = await api.wait_for("sendMessage", since=since, chat_id=GROUP_ID)
        return str(notice.params["text"])

    _, card = await ask_link("Sở Nội vụ")
    await confirm(card, "Xác nhận")

    world.clock.advance(timedelta(minutes=1))
    answer, change = await ask_link("Sở Y tế")
    assert "vẫn liên kết với <b>Sở Nội vụ</b>" in answer, answer
    assert "Sở Nội vụ" in change.params["text"] and "Sở Y tế" in change.params["text"]
    reader = world.reader()
    try:
        link = reader.get_chat_link(GROUP_ID)
    finally:
        reader.close()
    assert link is not None and (link.agency_id, link.status) == ("snv", "approved")
    assert link.pending_agency_id == "syt"  # the change, recorded beside the link
    _, saved = await world.say(LAN, "/capnhat 2.4 đang thực hiện 40%", group)
    assert "Đã lưu" in saved.params["text"]
    assert [(u.agency_id, u.source_chat_id) for u in world.stored("2.4")] == [("snv", GROUP_ID)]

    world.clock.advance(timedelta(minutes=1))
    _, replacing = await ask_link("Sở Tài chính")
    closed = await world.press(ADMIN, change, button(change, "Xác nhận"))
    assert "Yêu cầu này đã đóng" in closed.params["text"]
    notice = await confirm(replacing, "Từ chối")
    assert "vẫn liên kết với <b>Sở Nội vụ</b>" in notice, notice
    _, saved = await world.say(LAN, "/capnhat 2.4 đang thực hiện 50%", group)
    assert "Đã lưu" in saved.params["text"]

    world.clock.advance(timedelta(minutes=1))
    _, change = await ask_link("Sở Y tế")
    notice = await confirm(change, "Xác nhận")
    assert "<b>Sở Y tế</b>" in notice
    _, refused = await world.say(LAN, "/capnhat 2.4 đang thực hiện 60%", group)
    assert "Nhóm này báo cáo cho <b>Sở Y tế</b>" in refused.params["text"]
    assert [u.percent for u in world.stored("2.4")] == [40, 50]


# ---------------------------------------------------------------- reporting


async def test_capnhat_saves_at_once_and_undo_works_for_ten_minutes(world: World) -> None:
    await world.seed({LAN["id"]: "snv"})
    await world.start()
    message, saved = await world.say(LAN, "/capnhat 2.4 đang thực hiện 60% đã trình dự thảo")
    assert "Đã lưu" in saved.params["text"] and "60%" in saved.params["text"]
    (record,) = world.stored("2.4")
    assert (record.agency_id, record.status, record.percent) == ("snv", "in_progress", 60)
    assert record.note is not None and "đã trình dự thảo" in record.note
    assert (record.source_chat_id, record.source_message_id) == (LAN["id"], message["message_id"])
    undo = button(saved, "Hoàn tác")
    assert undo == f"v1:undo:{record.id}"

    world.clock.advance(timedelta(minutes=9))
    undone = await world.press(LAN, saved, undo, "editMessageText")
    assert "Đã hoàn tác" in undone.params["text"] and "reply_markup" not in undone.params
    assert world.stored("2.4") == []
    reader = world.reader()
    try:
        rows = ProgressView(world.knowledge, reader).rows(world.clock.today(), "2.4")
        assert all(row.latest is None for row in rows)  # gone from the derived status
    finally:
        reader.close()

    _, again = await world.say(LAN, "/capnhat 2.4 đã hoàn thành")
    world.clock.advance(timedelta(minutes=10, seconds=1))
    late = await world.press(LAN, again, button(again, "Hoàn tác"))
    assert "quá 10 phút" in late.params["text"]
    (kept,) = world.stored("2.4")
    assert kept.status == "done" and not kept.undone


async def test_free_text_update_is_saved_only_after_luu(world: World) -> None:
    await world.seed({LAN["id"]: "snv"})
    await world.start()
    message, card = await world.say(LAN, "cập nhật 2.4: 60%, đang lấy ý kiến các sở")
    text = card.params["text"]
    assert "Xác nhận báo cáo tiến độ" in text and "Sở Nội vụ" in text and "60%" in text
    assert [b["text"] for b in buttons(card)] == ["✅ Lưu", "✏️ Sửa", "❌ Hủy"]
    assert world.stored(include_undone=True) == []

    intruder = await world.press(MINH, card, button(card, "Lưu"))
    assert "Chỉ người gửi" in intruder.params["text"]
    saved = await world.press(LAN, card, button(card, "Lưu"), "editMessageText")
    assert "Đã lưu" in saved.params["text"] and button(saved, "Hoàn tác")
    (record,) = world.stored("2.4")
    assert record.percent == 60 and record.note == "đang lấy ý kiến các sở"
    assert record.source_message_id == message["message_id"]
    since = world.api.mark()
    world.api.edit(message, "cập nhật 2.4: 80%, đã lấy xong ý kiến")  # after the save
    (edited,) = await world.api.wait_for("sendMessage", since=since, chat_id=LAN["id"])
    assert "không thay đổi báo cáo đã lưu" in edited.params["text"]
    assert [u.percent for u in world.stored(include_undone=True)] == [60]

    _, cancelled_card = await world.say(LAN, "2.4 đã xong")
    cancelled = await world.press(
        LAN, cancelled_card, button(cancelled_card, "Hủy"), "editMessageText"
    )
    assert "Đã hủy" in cancelled.params["text"] and "reply_markup" not in cancelled.params
    stale = await world.press(LAN, cancelled_card, button(cancelled_card, "Lưu"))
    assert "hết hiệu lực" in stale.params["text"]

    _, edit_card = await world.say(LAN, "2.4 vướng mắc chờ kinh phí")
    edit = await world.press(LAN, edit_card, button(edit_card, "Sửa"), "editMessageText")
    assert "gửi lại dòng báo cáo đã sửa" in edit.params["text"]
    assert len(world.stored(include_undone=True)) == 1

    # no item number: the reporter's items as buttons, then the card
    _, picker = await world.say(LAN, "cập nhật: đang thực hiện 30%")
    assert "mục nào" in picker.params["text"]
    offered = [b["text"] for b in buttons(picker)]
    assert {"2.4", "3.1"} <= set(offered)
    chosen = await world.press(LAN, picker, button(picker, "3.1"), "editMessageText")
    assert "3.1a" in chosen.params["text"] and "30%" in chosen.params["text"]
    await world.press(LAN, chosen, button(chosen, "Lưu"), "editMessageText")
    (part,) = world.stored("3.1")
    assert (part.assignment_key, part.percent) == ("3.1a", 30)


async def test_ask_prints_the_card_the_door_sends(world: World, tmp_path: Path) -> None:
    """One pipeline: for the same message, `python -m bot ask --json` prints the very
    text the door sends an approved member (the card, or the validator's question),
    and the card's buttons are the brain's, bound to the update the door keeps."""
    said = [
        (LAN, "2.4 đã xong"),
        (SON, "4.2 đang thực hiện 60% đang lấy ý kiến"),
        (LAN, "2.4 xong 40%"),
    ]
    store = tmp_path / "ask" / "planbot.db"
    asked = ask_json([text for _, text in said], store, today=f"{START:%Y-%m-%d}")
    assert not store.parent.exists()  # ask stores nothing
    await world.seed({LAN["id"]: "snv", SON["id"]: "stc"})
    await world.start()
    brain = Brain(world.knowledge)  # as `ask` builds it
    sent: list[str] = []
    for (user, text), out in zip(said, asked, strict=True):
        _, answer = await world.say(user, text)
        sent.append(answer.params["text"])
        assert html_to_plain(answer.params["text"]) == out["reply"]
        own = brain.answer(text, today=START.date())
        assert answer.params["text"] == own.html
        semantic = [b for row in own.buttons for b in row]
        telegram = buttons(answer)
        assert [b["text"] for b in telegram] == [b.text for b in semantic]
        if semantic:
            parsed = parse(telegram[0]["callback_data"])
            assert parsed is not None
            key = parsed.arg.partition(":")[2]
            bound = [semantic_data(b, update=key) for b in semantic]
            assert [b["callback_data"] for b in telegram] == bound
    done, partly, contradiction = (html_to_plain(text).splitlines() for text in sent)
    assert done[0] == "Xác nhận báo cáo tiến độ" and done[-1].startswith("Bấm «Lưu»")
    assert {"Mục: 2.4", "Cơ quan: Sở Nội vụ", "Trạng thái: đã hoàn thành"} <= set(done)
    assert {"Mục: 4.2a", "Cơ quan: Sở Tài chính", "Tỷ lệ: 60%"} <= set(partly)
    assert "mâu thuẫn" in contradiction[0]
    assert world.stored(include_undone=True) == []  # a card stores nothing before «Lưu»


async def test_an_update_in_a_linked_group_is_checked_for_the_group(world: World) -> None:
    """The brain checks an update from a group as the door saves it: for the group's
    agency (the asker carries the chat)."""
    await world.seed({LAN["id"]: "snv", MINH["id"]: "syt"}, links={GROUP_ID: "snv"})
    await world.start()
    api = world.api
    group = api.group(GROUP_ID, "Nhóm Sở Nội vụ")
    since = api.mark()
    api.mention(group, LAN, "", " 2.4 đã xong")
    (card,) = await api.wait_for("sendMessage", since=since, chat_id=GROUP_ID)
    assert "Cơ quan: <b>Sở Nội vụ</b>" in card.params["text"] and len(buttons(card)) == 3
    since = api.mark()
    api.mention(group, MINH, "", " 2.4 đã xong")
    (refused,) = await api.wait_for("sendMessage", since=since, chat_id=GROUP_ID)
    assert "Nhóm này báo cáo cho <b>Sở Nội vụ</b>" in refused.params["text"]
    assert not buttons(refused)
    await world.press(LAN, card, button(card, "Lưu"), "editMessageText")
    (record,) = world.stored("2.4")
    assert (record.agency_id, record.status, record.source_chat_id) == ("snv", "done", GROUP_ID)


async def test_redelivered_and_edited_messages_store_one_record(world: World) -> None:
    await world.seed({LAN["id"]: "snv"})
    await world.start()
    api = world.api
    chat = api.private(LAN)
    since = api.mark()
    update = api.push({"message": api.new_message(chat, LAN, "/capnhat 2.4 đã hoàn thành")})
    (first,) = await api.wait_for("sendMessage", since=since, chat_id=LAN["id"])
    assert "Đã lưu" in first.params["text"]

    since = api.mark()
    api.redeliver(update)  # same update_id: the inbox has it already, nothing happens
    await api.wait_for("getUpdates", since=since, answered=False)
    assert not api.redelivered and not api.calls_to("sendMessage", since=since)

    since = api.mark()
    api.push({"message": update["message"]})  # the same message in a new update
    (second,) = await api.wait_for("sendMessage", since=since, chat_id=LAN["id"])
    assert "đã được lưu lúc" in second.params["text"]
    assert len(world.stored(include_undone=True)) == 1

    since = api.mark()
    api.edit(update["message"], "/capnhat 2.4 đang thực hiện 50%")
    (edited,) = await api.wait_for("sendMessage", since=since, chat_id=LAN["id"])
    assert "không thay đổi báo cáo đã lưu" in edited.params["text"]
    assert "gửi một báo cáo mới" in edited.params["text"]
    (record,) = world.stored(include_undone=True)
    assert record.status == "done"


# ---------------------------------------------------------------- seeing progress


async def test_tiendo_chuabaocao_and_the_brain_read_saved_updates(world: World) -> None:
    await world.seed({LAN["id"]: "snv"})
    await world.start()
    _, before = await world.say(ADMIN, "/chuabaocao")
    snv_line = next(x for x in before.params["text"].split("\n") if x.startswith("• Sở Nội vụ"))
    assert "2.4" in snv_line

    await world.say(LAN, "/capnhat 2.4 đang thực hiện 60% đã trình dự thảo")
    _, item = await world.say(KHOA, "/tiendo 2.4")
    assert "Mục 2.4" in item.params["text"] and "60%" in item.params["text"]
    history = await world.press(KHOA, item, button(item, "Lịch sử"), "sendMessage")
    assert "Lịch sử báo cáo mục 2.4" in history.params["text"]

    _, overview = await world.say(KHOA, "/tiendo")
    assert "Tiến độ Kế hoạch" in overview.params["text"]
    _, after = await world.say(ADMIN, "/chuabaocao")
    snv_line = next(x for x in after.params["text"].split("\n") if x.startswith("• Sở Nội vụ"))
    assert "2.4" not in snv_line

    _, brain = await world.say(KHOA, "tiến độ 2.4")  # the brain reads the same store
    assert "60%" in brain.params["text"] and "Sở Nội vụ" in brain.params["text"]
    _, which = await world.say(KHOA, "tiến độ")  # the brain asks which item…
    picked = await world.press(KHOA, which, button(which, "2.4"), "sendMessage")
    assert "Mục 2.4" in picked.params["text"] and "60%" in picked.params["text"]


async def test_chuabaocao_full_list_only_for_admins_and_the_monitoring_office(
    world: World,
) -> None:
    """Every agency for bot admins, the monitoring office's members and its linked group;
    a member or a linked group: the totals and its own agency; anyone else: the totals
    and how to register."""
    office, snv_group, unlinked = -100901, -100902, -100903
    await world.seed(
        {LAN["id"]: "snv", HOA["id"]: "vp_ubnd"}, {office: "vp_ubnd", snv_group: "snv"}
    )
    await world.start()
    api = world.api
    for where in (office, snv_group, unlinked):
        api.group(where, f"Nhóm {where}")

    def full(text: str) -> bool:
        return "Cơ quan chưa báo cáo" in text and "• Sở Y tế" in text and "• Sở Nội vụ" in text

    for user, where in ((ADMIN, None), (HOA, None), (KHOA, office)):
        _, answer = await world.say(user, "/chuabaocao", world.chat(where or user))
        assert full(answer.params["text"]), (user["first_name"], where)

    _, member = await world.say(LAN, "/chuabaocao")
    text = html_to_plain(member.params["text"])
    assert not full(text) and len(text) < 600
    assert "• Sở Nội vụ chưa báo cáo: " in text and "Sở Y tế" not in text
    assert "cơ quan được giao đã báo cáo đủ" in text  # the totals
    assert "quản trị viên bot và nhóm của Văn phòng Ủy ban nhân dân tỉnh" in text
    _, group = await world.say(KHOA, "/chuabaocao", world.chat(snv_group))
    text = html_to_plain(group.params["text"])
    assert "• Sở Nội vụ chưa báo cáo" in text and not full(text)

    _, stranger = await world.say(KHOA, "/chuabaocao")
    text = html_to_plain(stranger.params["text"])
    assert "cơ quan được giao đã báo cáo đủ" in text and "•" not in text
    assert "/dangky <tên cơ quan>" in text
    _, loose = await world.say(LAN, "/chuabaocao", world.chat(unlinked))  # a member, elsewhere
    assert "• Sở Nội vụ chưa báo cáo" in html_to_plain(loose.params["text"])
    _, nobody = await world.say(KHOA, "/chuabaocao", world.chat(unlinked))
    assert "/lienket" in nobody.params["text"] and not full(nobody.params["text"])


async def test_dangky_usage_names_agencies_that_exist_today(world: World) -> None:
    await world.start()
    _, usage = await world.say(KHOA, "/dangky")
    text = html_to_plain(usage.params["text"])
    assert "huyện" not in text
    assert "/dangky Sở Văn hóa, Thể thao và Du lịch" in text  # the first department named
    assert "/dangky Ủy ban nhân dân xã" in text  # a commune: districts ended on 01/7/2025


async def test_tiendo_overview_sends_a_chart_and_flags_blockers(world: World) -> None:
    """/tiendo without an item: the text (blockers flagged beside the national status),
    then a PNG chart of status by agency; /tiendo <số> sends no picture (issue 16)."""
    await world.seed({LAN["id"]: "snv"})
    await world.start()
    api = world.api
    await world.say(LAN, "/capnhat 6b vướng mắc chưa có kinh phí bồi dưỡng")
    since = api.mark()
    _, overview = await world.say(KHOA, "/tiendo")
    text = overview.params["text"]
    assert "⚠️ Vướng mắc: 1" in text and "<b>6b</b> Sở Nội vụ — ⚠️ vướng mắc" in text
    (photo,) = await api.wait_for("sendPhoto", since=since, chat_id=KHOA["id"])
    assert photo.status == 200 and "theo cơ quan" in photo.params["caption"]
    assert api.calls.index(photo) > api.calls.index(overview)  # text first, for those who read
    png = api.photos[-1].data
    assert png.startswith(b"\x89PNG\r\n\x1a\n") and len(png) > 10_000
    width, height = photo.result["photo"][0]["width"], photo.result["photo"][0]["height"]
    assert 400 <= width <= 2000 and 300 <= height <= 2000

    since = api.mark()
    _, item = await world.say(KHOA, "/tiendo 6b")
    assert "⚠️ vướng mắc" in item.params["text"]
    await world.say(KHOA, "/chuabaocao")  # a later answer: no picture came with the item
    assert not api.calls_to("sendPhoto", since=since)


async def test_notes_and_reporters_only_for_members_linked_groups_and_admins(
    world: World,
) -> None:
    """Statuses for everyone; the notes and who reported only for approved members (of
    any agency of the plan), groups linked to an agency and bot admins. Others are told
    the notes exist and how to register (/dangky): through /tiendo, its history button
    and the brain's progress answer."""
    linked, other = -100777, -100888
    await world.seed({LAN["id"]: "snv", MINH["id"]: "syt"}, {linked: "snv"})
    await world.start()
    api = world.api
    await world.say(LAN, "/capnhat 2.4 đang thực hiện 60% đã trình dự thảo")
    note, reporter = "đã trình dự thảo", "— Lan"

    def hidden(text: str) -> bool:
        return "60%" in text and note not in text and reporter not in text and "/dangky" in text

    def shown(text: str) -> bool:
        return "60%" in text and note in text and reporter in text and "/dangky" not in text

    _, item = await world.say(KHOA, "/tiendo 2.4")
    assert hidden(item.params["text"]), item.params["text"]
    assert "thành viên" in item.params["text"]  # says who may read the notes
    history = await world.press(KHOA, item, button(item, "Lịch sử"), "sendMessage")
    assert "Lịch sử báo cáo mục 2.4" in history.params["text"]
    assert note not in history.params["text"] and "Lan" not in history.params["text"]
    assert "/dangky" in history.params["text"]
    _, brain = await world.say(KHOA, "tiến độ 2.4")
    assert hidden(brain.params["text"]), brain.params["text"]
    _, in_other_group = await world.say(KHOA, "/tiendo 2.4", api.group(other, "Nhóm khác"))
    assert hidden(in_other_group.params["text"])

    for reader in (MINH, ADMIN):  # a member of another agency of the plan, a bot admin
        _, item = await world.say(reader, "/tiendo 2.4")
        assert shown(item.params["text"]), item.params["text"]
        history = await world.press(reader, item, button(item, "Lịch sử"), "sendMessage")
        assert note in history.params["text"] and "Lan" in history.params["text"]
        _, brain = await world.say(reader, "tiến độ 2.4")
        assert shown(brain.params["text"]), brain.params["text"]
    _, in_linked_group = await world.say(KHOA, "/tiendo 2.4", api.group(linked, "Nhóm SNV"))
    assert shown(in_linked_group.params["text"])


async def test_baocao_sends_a_workbook_to_admins_and_the_office_only(world: World) -> None:
    await world.seed({LAN["id"]: "snv", HOA["id"]: "vp_ubnd"})
    await world.start()
    api = world.api
    await world.say(LAN, "/capnhat 2.4 đang thực hiện 60% đã trình dự thảo")
    _, refused = await world.say(LAN, "/baocao")
    # the plan's monitoring agency (plan.yaml meta.monitoring_agency), by its registered name
    assert "Văn phòng Ủy ban nhân dân tỉnh" in refused.params["text"] and not api.documents

    since = api.mark()
    api.send(api.private(HOA), HOA, "/baocao")
    (sent,) = await api.wait_for("sendDocument", since=since, chat_id=HOA["id"])
    assert sent.status == 200 and "91/KH-UBND" in sent.params["caption"]
    upload = api.documents[-1]
    assert upload.filename is not None and upload.filename.endswith(".xlsx")
    workbook = load_workbook(io.BytesIO(upload.data))
    detail = workbook["Tiến độ"]
    header = [cell.value for cell in detail[1]]
    rows = [
        dict(zip(header, (c.value for c in row), strict=True))
        for row in detail.iter_rows(min_row=2)
    ]
    (snv,) = [r for r in rows if r["Phần việc"] == "2.4" and r["Cơ quan báo cáo"] == "Sở Nội vụ"]
    assert snv["Tỷ lệ (%)"] == 60 and snv["Đơn vị báo"] == "đang thực hiện"
    assert "đã trình dự thảo" in snv["Ghi chú mới nhất"] and snv["Người báo cáo"] == "Lan"
    (stc,) = [r for r in rows if r["Phần việc"] == "6c"]
    assert stc["Trạng thái"] == "chưa báo cáo" and stc["Tỷ lệ (%)"] is None
    summary = workbook["Tổng hợp"]
    assert "91/KH-UBND" in str(summary["A1"].value)


async def test_a_restart_keeps_every_saved_update(world: World) -> None:
    await world.seed({LAN["id"]: "snv"})
    runtime = await world.start()
    await world.say(LAN, "/capnhat 2.4 đang thực hiện 60%")
    _, card = await world.say(LAN, "cập nhật 3.1: vướng mắc thiếu kinh phí")
    await world.press(LAN, card, button(card, "Lưu"), "editMessageText")
    before = [(u.id, u.assignment_key, u.status) for u in world.stored(include_undone=True)]
    assert len(before) == 2
    await world.shut_down()
    assert runtime.closed and not runtime.database.writer.alive  # closed at shutdown

    await world.start()  # a new runtime: application, features and brain on the same file
    after = [(u.id, u.assignment_key, u.status) for u in world.stored(include_undone=True)]
    assert after == before
    _, item = await world.say(KHOA, "/tiendo 2.4")
    assert "60%" in item.params["text"]
    _, whoami = await world.say(LAN, "/toi")
    assert "Sở Nội vụ" in whoami.params["text"]
