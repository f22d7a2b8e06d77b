"""Security: every write path refuses whoever may not use it, and then writes nothing.

End to end where a person can try it: the real Application with the progress and
reminders features on the fake Bot API (real long polling on 127.0.0.1) and a
temporary SQLite file. Each refusal is checked twice: the Vietnamese answer the
intruder gets, and a snapshot of every table, taken through a separate read-only
connection, that must be identical before and after. Buttons are pressed with forged
callback data (a button is only a string the client sends back), from chats that
never saw the original message.

Write paths: a progress report (/capnhat and the free-text card's Lưu), Undo, the
registration approve / reject buttons, /duyet and /thuhoi, /lienket and its
confirmation, /nhacviec and /tatnhacviec, and the /baocao export; the bot-admin
commands are absent from everyone else's menus. Then SQL: hostile strings stored
through the services and the storage read back intact with every table still
there, and a static check that every `execute(...)` in bot/ runs parameterised SQL
(its text a literal or built only from constants). Last, the bot token inside an
exception's message never reaches a log line. The webhook secret is checked in
tests/test_telegram_e2e.py (`test_webhook_*`).
"""

from __future__ import annotations

import ast
import asyncio
import logging
import sqlite3
from collections.abc import AsyncIterator, Callable, Collection
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
from conftest import ROOT, TOKEN, ScriptedBrain
from fake_bot_api import Call, FakeBotApi
from serve_helpers import serve_with_database
from telegram.error import NetworkError
from world import BotWorld, approve_members, bot_world, link_groups

from bot.core.clock import DEFAULT_TZ, FixedClock
from bot.core.config import Settings
from bot.core.reply import Reply
from bot.core.text import clean
from bot.plan.loader import Knowledge
from bot.progress.service import NOTE_LIMIT, ProgressService
from bot.progress.types import Asker
from bot.reminders import handlers as reminder_handlers
from bot.storage.base import NewUpdate
from bot.storage.reminders import store_for
from bot.storage.sqlite import open_sqlite
from bot.telegram import errors
from bot.telegram.progress import membership, reporting, views

ADMIN = FakeBotApi.user(900001, "Quản trị")  # the only bot admin (ADMIN_IDS)
LAN = FakeBotApi.user(501, "Lan")  # approved, Sở Nội vụ (lead of 2.4)
MINH = FakeBotApi.user(502, "Minh")  # approved, Sở Y tế (no part in 2.4)
HOA = FakeBotApi.user(503, "Hoa")  # approved, Văn phòng UBND tỉnh
KHOA = FakeBotApi.user(504, "Khoa")  # nobody
PHUC = FakeBotApi.user(505, "Phúc")  # asked for Văn phòng UBND tỉnh, still pending
TAM = FakeBotApi.user(506, "Tâm")  # was Văn phòng UBND tỉnh, revoked
GROUP_ADMIN = FakeBotApi.user(601, "Hà")  # administrator of both groups, not a bot admin
SNV_GROUP = -100_200_001  # linked to Sở Nội vụ
NEW_GROUP = -100_200_002  # not linked
START = datetime(2026, 6, 15, 9, 0, tzinfo=DEFAULT_TZ)  # a Monday, working hours

ADMINS_ONLY = membership.ADMINS_ONLY
NOT_YOUR_CARD = reporting.NOT_YOUR_CARD


# ---------------------------------------------------------------- the world


INBOX_TABLES = ("update_inbox", "poll_state")


class World(BotWorld):
    """The shared bot world with this module's cast, forged presses and snapshots."""

    async def seed_cast(self) -> None:
        """Members in every state and one linked group, before the bot starts."""

        async def write(service: ProgressService) -> None:
            cast = {LAN["id"]: "snv", MINH["id"]: "syt", HOA["id"]: "vp_ubnd", TAM["id"]: "vp_ubnd"}
            names = {user["id"]: user["first_name"] for user in (LAN, MINH, HOA, TAM)}
            await approve_members(service, ADMIN["id"], cast, names)
            assert (await service.revoke_member(ADMIN["id"], TAM["id"])).code == "ok"
            assert (await service.request_membership(PHUC["id"], "vp_ubnd", "Phúc")).ok
            await link_groups(
                service,
                ADMIN["id"],
                {SNV_GROUP: "snv"},
                requested_by=GROUP_ADMIN["id"],
                title="Nhóm SNV",
            )

        await self.seeding(write)

    async def start(self) -> None:
        await self.launch(tick_seconds=3600, first_tick_seconds=3600)
        for group, title in ((SNV_GROUP, "Nhóm Sở Nội vụ"), (NEW_GROUP, "Nhóm mới")):
            self.api.group(group, title)
            self.api.make_admin(group, GROUP_ADMIN)

    # -- talking ------------------------------------------------------------------

    async def say(self, user: dict[str, Any], text: str, where: int | None = None) -> Call:
        """Send `text` (privately, or in group `where`); the bot's message back."""
        _, call = await self.exchange(user, text, self.chat(where if where is not None else user))
        return call

    async def press(
        self, user: dict[str, Any], data: str, message: dict[str, Any] | None = None
    ) -> Call:
        """Press a button with `data` (forged: on `message`, by default a message of the
        presser's own chat that never had such a button); the callback answer."""
        if message is None:
            message = self.api.new_message(self.chat(user), user, "tin nhắn bất kỳ")
        return await self.press_on(user, message, data)

    # -- the database ---------------------------------------------------------------

    def snapshot(self, skip: Collection[str] = INBOX_TABLES) -> dict[str, list[tuple[Any, ...]]]:
        """Every row of every table but the update inbox's (which records every update
        received, refused or not: tests/test_inbox.py), through a read-only connection."""
        return super().snapshot(skip)


def text_of(call: Call) -> str:
    return str(call.params.get("text", ""))


def data_of(call: Call, label: str) -> str:
    markup = call.params.get("reply_markup") or {}
    for row in markup.get("inline_keyboard", []):
        for button in row:
            if label in button["text"]:
                return str(button["callback_data"])
    raise AssertionError(f"no button «{label}» in {markup}")


@pytest.fixture
async def world(
    knowledge: Knowledge, make_settings: Callable[..., Settings], tmp_path: Path
) -> AsyncIterator[World]:
    path = tmp_path / "security.db"
    settings = make_settings(database_url=f"sqlite:///{path}", admin_ids=frozenset({ADMIN["id"]}))
    async with bot_world(
        lambda api: World(api, knowledge, settings, FixedClock(START), path), TOKEN
    ) as w:
        await w.seed_cast()
        await w.start()
        yield w


# ---------------------------------------------------------------- reports and undo


async def test_capnhat_is_refused_to_everyone_not_entitled_and_nothing_is_stored(
    world: World,
) -> None:
    before = world.snapshot()
    attempts = [
        (KHOA, "/capnhat 2.4 đã hoàn thành", None, "Chỉ thành viên đã được duyệt"),
        (PHUC, "/capnhat 2.2 đang thực hiện 30%", None, "đang chờ quản trị viên duyệt"),
        (TAM, "/capnhat 2.2 đang thực hiện 30%", None, "đã bị thu hồi"),
        (MINH, "/capnhat 2.4 đang thực hiện 50%", None, "không có phần việc trong mục 2.4"),
        (MINH, "/capnhat 2.4 Sở Nội vụ 50%", None, "chỉ báo cáo cho cơ quan mình"),
        (MINH, "/capnhat 3.1 đang thực hiện 20%", SNV_GROUP, "Nhóm này báo cáo cho"),
        (KHOA, "/capnhat 2.4 xong", SNV_GROUP, "Chỉ thành viên đã được duyệt"),
    ]
    for user, text, where, refusal in attempts:
        answer = await world.say(user, text, where)
        assert refusal in text_of(answer), (user["first_name"], text, text_of(answer))
        assert "Hoàn tác" not in str(answer.params.get("reply_markup"))
    assert world.snapshot() == before


async def test_the_free_text_card_obeys_only_its_author(world: World) -> None:
    card = await world.say(LAN, "cập nhật 2.4: 60%, đang lấy ý kiến các sở")
    assert "Xác nhận báo cáo tiến độ" in text_of(card)
    before = world.snapshot()
    for label in ("Lưu", "Sửa", "Hủy"):  # someone else, on the real card
        refused = await world.press(MINH, data_of(card, label), card.result)
        assert refused.params["text"] == NOT_YOUR_CARD
        refused = await world.press(KHOA, data_of(card, label))  # forged, from elsewhere
        assert refused.params["text"] == NOT_YOUR_CARD
    forged = await world.press(MINH, "v1:upd:save:0123456789")  # a guessed card id
    assert "hết hiệu lực" in forged.params["text"]
    assert world.snapshot() == before
    assert not world.api.calls_to("editMessageText", chat_id=LAN["id"])

    since = world.api.mark()  # the card was not consumed: its author can still save it
    world.api.press(LAN, card.result, data_of(card, "Lưu"))
    (saved,) = await world.api.wait_for("editMessageText", since=since, chat_id=LAN["id"])
    assert "Đã lưu" in text_of(saved)
    (record,) = world.rows("progress_updates")
    assert (record["reporter_id"], record["percent"]) == (LAN["id"], 60)


async def test_undo_of_someone_elses_update_is_refused(world: World) -> None:
    saved = await world.say(LAN, "/capnhat 2.4 đang thực hiện 60% đã trình dự thảo")
    undo = data_of(saved, "Hoàn tác")
    before = world.snapshot()
    for intruder, message in ((MINH, None), (MINH, saved.result), (ADMIN, None), (KHOA, None)):
        refused = await world.press(intruder, undo, message)
        assert "Chỉ người gửi báo cáo mới hoàn tác" in refused.params["text"]
        assert refused.params.get("show_alert") is True
    missing = await world.press(MINH, "v1:undo:999999")
    assert "Không tìm thấy" in missing.params["text"]
    garbage = await world.press(MINH, "v1:undo:1 OR 1=1")
    assert "không hợp lệ" in garbage.params["text"]
    assert world.snapshot() == before
    assert world.rows("update_undos") == []

    since = world.api.mark()
    world.api.press(LAN, saved.result, undo)  # the reporter herself may
    (undone,) = await world.api.wait_for("editMessageText", since=since, chat_id=LAN["id"])
    assert "Đã hoàn tác" in text_of(undone)
    assert len(world.rows("update_undos")) == 1


# ---------------------------------------------------------------- who may report


async def test_registration_buttons_need_a_bot_admin(world: World) -> None:
    since = world.api.mark()
    asked = await world.say(KHOA, "/dangky Sở Y tế")
    assert "Đã gửi yêu cầu" in text_of(asked)
    (card,) = await world.api.wait_for("sendMessage", since=since, chat_id=ADMIN["id"])
    before = world.snapshot()
    for intruder, label in ((KHOA, "Duyệt"), (LAN, "Duyệt"), (GROUP_ADMIN, "Từ chối")):
        refused = await world.press(intruder, data_of(card, label), card.result)
        assert refused.params["text"] == ADMINS_ONLY
        assert refused.params.get("show_alert") is True
    forged = await world.press(KHOA, f"v1:mem:ok:{KHOA['id']}")  # from his own chat
    assert forged.params["text"] == ADMINS_ONLY
    assert world.snapshot() == before
    (member,) = [r for r in world.rows("members") if r["user_id"] == KHOA["id"]]
    assert member["status"] == "pending" and member["decided_by"] is None
    assert not world.api.calls_to("editMessageText", chat_id=ADMIN["id"])
    assert len(world.api.sent(KHOA["id"])) == 1  # only the "request sent" answer


async def test_duyet_thuhoi_and_thanhvien_are_for_bot_admins_only(world: World) -> None:
    before = world.snapshot()
    attempts = [
        (LAN, f"/thuhoi {MINH['id']}", None),
        (LAN, f"/duyet {PHUC['id']}", None),
        (PHUC, f"/duyet {PHUC['id']}", None),  # approving oneself
        (TAM, f"/duyet {TAM['id']}", None),  # reinstating oneself
        (GROUP_ADMIN, f"/duyet {PHUC['id']}", NEW_GROUP),  # a group admin is not a bot admin
        (KHOA, "/thanhvien", None),
        (HOA, "/thanhvien", None),
    ]
    for user, text, where in attempts:
        answer = await world.say(user, text, where)
        assert text_of(answer) == ADMINS_ONLY, (user["first_name"], text)
    assert world.snapshot() == before
    assert world.api.sent(MINH["id"]) == []  # no "your right was revoked" notice
    assert [text_of(c) for c in world.api.sent(PHUC["id"])] == [ADMINS_ONLY]  # no approval


async def test_group_link_needs_a_group_admin_then_a_bot_admin(world: World) -> None:
    before = world.snapshot()
    refused = await world.say(KHOA, "/lienket Sở Y tế", NEW_GROUP)  # a plain member
    assert text_of(refused) == membership.LINK_NOT_ADMIN
    private = await world.say(GROUP_ADMIN, "/lienket Sở Y tế")
    assert text_of(private) == membership.LINK_PRIVATE
    world.api.fail("getChatMember", status=500, times=1)  # cannot tell: refuse, not assume
    unsure = await world.say(GROUP_ADMIN, "/lienket Sở Y tế", NEW_GROUP)
    assert "Không kiểm tra được quyền" in text_of(unsure)
    assert world.snapshot() == before

    since = world.api.mark()
    asked = await world.say(GROUP_ADMIN, "/lienket Sở Y tế", NEW_GROUP)
    assert "chờ quản trị viên bot xác nhận" in text_of(asked)
    (card,) = await world.api.wait_for("sendMessage", since=since, chat_id=ADMIN["id"])
    before, since = world.snapshot(), world.api.mark()
    for intruder in (GROUP_ADMIN, LAN, KHOA):
        refused_press = await world.press(intruder, data_of(card, "Xác nhận"), card.result)
        assert refused_press.params["text"] == ADMINS_ONLY
    forged = await world.press(GROUP_ADMIN, f"v1:link:ok:{NEW_GROUP}")
    assert forged.params["text"] == ADMINS_ONLY
    assert world.snapshot() == before
    (link,) = [r for r in world.rows("chat_links") if r["chat_id"] == NEW_GROUP]
    assert link["status"] == "pending" and link["decided_by"] is None
    assert not world.api.sent(NEW_GROUP, since=since)  # the group was told nothing


async def test_reminder_subscriptions_need_a_group_admin(world: World) -> None:
    before = world.snapshot()
    for text in ("/nhacviec", "/nhacviec tất cả", "/tatnhacviec", "/tatnhacviec 2.4",
                 "/batnhacviec 2.4"):  # fmt: skip
        refused = await world.say(KHOA, text, SNV_GROUP)
        assert text_of(refused) == reminder_handlers.NOT_ADMIN, text
    private = await world.say(GROUP_ADMIN, "/nhacviec Sở Nội vụ")
    assert text_of(private) == reminder_handlers.GROUP_ONLY
    world.api.fail("getChatMember", status=500, times=1)
    unsure = await world.say(GROUP_ADMIN, "/nhacviec", SNV_GROUP)
    assert text_of(unsure) == reminder_handlers.CHECK_FAILED
    wider = await world.say(GROUP_ADMIN, "/nhacviec tất cả", SNV_GROUP)  # not the office's group
    assert "Chỉ nhóm của Văn phòng" in text_of(wider)
    other = await world.say(GROUP_ADMIN, "/nhacviec Sở Y tế", SNV_GROUP)
    assert "chỉ nhận nhắc việc của cơ quan đó" in text_of(other)
    assert world.snapshot() == before

    on = await world.say(GROUP_ADMIN, "/nhacviec", SNV_GROUP)
    assert "Đã bật nhắc việc" in text_of(on)
    before = world.snapshot()
    refused_off = await world.say(MINH, "/tatnhacviec", SNV_GROUP)
    assert text_of(refused_off) == reminder_handlers.NOT_ADMIN
    assert world.snapshot() == before
    (subscription,) = world.rows("reminder_subscriptions")
    assert (subscription["chat_id"], subscription["paused"]) == (SNV_GROUP, 0)


async def test_baocao_is_only_for_bot_admins_and_the_provincial_office(world: World) -> None:
    for user, where in ((KHOA, None), (LAN, None), (PHUC, None), (TAM, None), (LAN, SNV_GROUP)):
        refused = await world.say(user, "/baocao", where)
        assert text_of(refused) == views.report_refused(world.knowledge), user["first_name"]
    assert not world.api.calls_to("sendDocument") and not world.api.documents
    for user in (HOA, ADMIN):  # and the two who may
        since = world.api.mark()
        world.api.send(world.chat(user), user, "/baocao")
        (sent,) = await world.api.wait_for("sendDocument", since=since, chat_id=user["id"])
        assert sent.status == 200
    assert len(world.api.documents) == 2


async def test_admin_commands_are_absent_from_other_menus(world: World) -> None:
    menus = {
        key.split("|")[0]: {c["command"] for c in commands}
        for key, commands in world.api.commands.items()
    }
    bot_admin_only = {"duyet", "thuhoi", "thanhvien"}
    group_admin_only = {"lienket", "nhacviec", "tatnhacviec", "batnhacviec"}
    for scope in ('{"type": "default"}', '{"type": "all_private_chats"}'):
        assert not menus[scope] & (bot_admin_only | group_admin_only), scope
    assert not menus['{"type": "all_group_chats"}'] & (bot_admin_only | group_admin_only)
    administrators = menus['{"type": "all_chat_administrators"}']
    assert group_admin_only <= administrators and not administrators & bot_admin_only
    chat_scopes = [scope for scope in menus if '"type": "chat"' in scope]
    assert chat_scopes == [f'{{"chat_id": {ADMIN["id"]}, "type": "chat"}}']
    assert bot_admin_only <= menus[chat_scopes[0]]


# ---------------------------------------------------------------- SQL

DROP = "'); DROP TABLE updates;--"
DROP_REAL = "'); DROP TABLE progress_updates; DROP TABLE members;--"
QUOTES = 'O\'Brien "trích" `x` \\ ; -- /* */ %s %(x)s {0} ?'
HOSTILE = f"{DROP} {DROP_REAL} {QUOTES} nul:\x00: Robert'); DELETE FROM members WHERE ('1'='1"
LONG_NOTE = (HOSTILE + " Ghi chú rất dài có dấu tiếng Việt. ") * 20  # ≥ 2,000 characters


def _tables(db_path: Path) -> list[str]:
    conn = sqlite3.connect(db_path)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        return [
            row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        ]
    finally:
        conn.close()


async def test_hostile_strings_through_the_services_come_back_as_stored(
    knowledge: Knowledge, tmp_path: Path
) -> None:
    assert len(LONG_NOTE) >= 2000 and "\x00" in LONG_NOTE
    path = tmp_path / "hostile.db"
    clock = FixedClock(START)
    db = open_sqlite(path, now=clock.now())
    store = store_for(db, now=clock.now())
    tables = sorted(_tables(path))
    try:
        service = ProgressService(db, knowledge, clock, {ADMIN["id"]})
        assert (await service.request_membership(LAN["id"], "snv", HOSTILE)).ok
        assert (await service.approve_member(ADMIN["id"], LAN["id"])).code == "ok"
        assert (await service.request_chat_link(SNV_GROUP, "snv", ADMIN["id"], HOSTILE)).ok
        saved = await service.record_update(
            user_id=LAN["id"],
            item_ref="2.4",
            percent=40,
            note=LONG_NOTE,
            chat_id=LAN["id"],
            message_id=7,
            display_name=HOSTILE,
        )
        assert saved.created and saved.record is not None
        await store.subscribe(SNV_GROUP, "snv", HOSTILE, GROUP_ADMIN["id"], clock.now())
        await store.pause(SNV_GROUP, HOSTILE, clock.now(), actor_id=GROUP_ADMIN["id"])

        # the services keep what they document: clean() (no control characters, so no
        # NUL) and notes cut at NOTE_LIMIT; every quote and SQL word survives as text
        member = db.get_member(LAN["id"])
        assert member is not None and member.display_name == clean(HOSTILE)
        assert "DROP TABLE updates" in member.display_name and "O'Brien" in member.display_name
        link = db.get_chat_link(SNV_GROUP)
        assert link is not None and link.title == clean(HOSTILE)
        (update,) = db.updates("2.4")
        assert update.note == clean(LONG_NOTE)[:NOTE_LIMIT].rstrip()
        assert update.reporter_name == clean(HOSTILE) and "DROP TABLE members" in update.note
        subscription = store.get(SNV_GROUP)
        assert subscription is not None
        assert subscription.title == HOSTILE and subscription.pause_reason == HOSTILE
    finally:
        store.close()
        db.close()
    assert sorted(_tables(path)) == tables


async def test_hostile_strings_through_the_storage_come_back_byte_for_byte(tmp_path: Path) -> None:
    path = tmp_path / "raw.db"
    now = START
    db = open_sqlite(path, now=now)
    tables = sorted(_tables(path))
    try:
        stored, created = await db.insert_update(
            NewUpdate(
                item_id="2.4",
                assignment_key="2.4",
                agency_id="snv",
                status="in_progress",
                percent=10,
                note=LONG_NOTE,
                reporter_id=LAN["id"],
                reporter_name=HOSTILE,
                created_at=now,
                source_chat_id=LAN["id"],
                source_message_id=1,
            )
        )
        assert created
        member = await db.save_member_request(KHOA["id"], "snv", HOSTILE, now)
        link = await db.save_chat_link_request(NEW_GROUP, "snv", HOSTILE, KHOA["id"], now)
        again = db.get_update(stored.id)
        assert again is not None and again.note == LONG_NOTE and again.reporter_name == HOSTILE
        assert member.display_name == HOSTILE and link.title == HOSTILE
        assert [u.note for u in db.updates()] == [LONG_NOTE]
    finally:
        db.close()
    assert sorted(_tables(path)) == tables


async def test_hostile_text_over_telegram_is_data(world: World) -> None:
    tables = sorted(world.snapshot())
    saved = await world.say(LAN, f"/capnhat 2.4 đang thực hiện 20% {DROP} {QUOTES}")
    assert "Đã lưu" in text_of(saved)
    unknown = await world.say(KHOA, f"/dangky {DROP_REAL}")
    assert "Không tìm thấy cơ quan" in text_of(unknown)
    item = await world.say(KHOA, f"/tiendo {DROP}")
    assert "Không có mục" in text_of(item)
    assert sorted(world.snapshot()) == tables
    (record,) = world.rows("progress_updates")
    assert "DROP TABLE updates" in record["note"] and "O'Brien" in record["note"]


# ---------------------------------------------------------------- parameterised SQL

SQL_SINKS = frozenset({"execute", "executemany", "executescript"})
# Calls whose SQL text cannot be a literal, each with why it is safe. An entry that no
# longer matches a call fails the test, so the list cannot go stale.
ALLOWED_DYNAMIC_SQL = {
    ("bot/storage/sqlite.py", "pragma"): "PRAGMA names cannot be bound; checked isidentifier()",
    ("bot/storage/migrate.py", "apply_migrations"): "statements of the packaged .sql files",
}


def _assignments(scope: ast.AST, name: str) -> list[ast.AST | None]:
    """What `name` is bound to in `scope` (not in nested functions); None for a binding
    whose value is unknown (a loop variable, `with … as`, unpacking…)."""
    found: list[ast.AST | None] = []

    def visit(node: ast.AST) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
                continue
            if isinstance(child, ast.ClassDef) and not isinstance(scope, ast.Module):
                continue
            if isinstance(child, ast.Assign):
                for target in child.targets:
                    if isinstance(target, ast.Name) and target.id == name:
                        found.append(child.value)
                    elif any(isinstance(n, ast.Name) and n.id == name for n in ast.walk(target)):
                        found.append(None)
            elif isinstance(child, ast.AnnAssign | ast.AugAssign):
                if isinstance(child.target, ast.Name) and child.target.id == name:
                    found.append(child.value)
            elif isinstance(child, ast.For | ast.AsyncFor | ast.With | ast.AsyncWith):
                targets = (
                    [child.target]
                    if isinstance(child, ast.For | ast.AsyncFor)
                    else [i.optional_vars for i in child.items if i.optional_vars]
                )
                if any(
                    isinstance(n, ast.Name) and n.id == name for t in targets for n in ast.walk(t)
                ):
                    found.append(None)
            elif isinstance(child, ast.NamedExpr) and child.target.id == name:
                found.append(child.value)
            visit(child)

    visit(scope)
    return found


@dataclass
class SqlChecker:
    """Decides whether an expression is SQL text built from constants only.

    `trusted` names, per function, the parameters of private wrappers: they carry SQL
    whose safety is checked where the wrapper is called."""

    module: ast.Module
    trusted: dict[str, set[str]] = field(default_factory=dict)

    def safe(self, node: ast.AST | None, function: FunctionNode | None) -> bool:
        if node is None:
            return False
        if isinstance(node, ast.Constant):
            return isinstance(node.value, str | int)
        if isinstance(node, ast.JoinedStr):  # f-string: every {…} must itself be constant
            return all(
                self.safe(v.value, function)
                and (v.format_spec is None or self.safe(v.format_spec, function))
                for v in node.values
                if isinstance(v, ast.FormattedValue)
            )
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
            return self.safe(node.left, function) and self.safe(node.right, function)
        if self._placeholders(node):
            return True
        if isinstance(node, ast.Name):
            return self._name(node.id, function)
        return False

    @staticmethod
    def _placeholders(node: ast.AST) -> bool:
        """`", ".join("?" for _ in chunk)`: a list of bind markers, never data."""
        if not (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "join"
            and isinstance(node.func.value, ast.Constant)
            and len(node.args) == 1
        ):
            return False
        arg = node.args[0]
        return (
            isinstance(arg, ast.GeneratorExp | ast.ListComp)
            and isinstance(arg.elt, ast.Constant)
            and arg.elt.value == "?"
        )

    def _name(self, name: str, function: FunctionNode | None) -> bool:
        if function is not None:
            bound = _assignments(function, name)
            if bound:
                return all(self.safe(value, function) for value in bound)
            if name in _parameters(function):
                return name in self.trusted.get(function.name, set())
        bound = _assignments(self.module, name)
        return bool(bound) and all(self.safe(value, None) for value in bound)


FunctionNode = ast.FunctionDef | ast.AsyncFunctionDef


def _parameters(function: FunctionNode) -> list[str]:
    args = function.args
    return [a.arg for a in [*args.posonlyargs, *args.args, *args.kwonlyargs]]


def _sql_argument(call: ast.Call, position: int, keyword: str) -> ast.AST | None:
    if len(call.args) > position:
        return call.args[position]
    for kw in call.keywords:
        if kw.arg == keyword:
            return kw.value
    return None


def sql_problems(source: str, filename: str) -> tuple[list[str], set[tuple[str, str]]]:
    """Calls in `source` that may run non-parameterised SQL, and the allowed ones used.

    A sink is `.execute` / `.executemany` / `.executescript`, or a private function of
    the same module that hands some of its parameters on into a sink's SQL (`_all(sql,
    params)`): its own SQL is checked with those parameters taken as safe, and every
    call of it must pass safe SQL in each of them."""
    module = ast.parse(source, filename)
    parents: dict[ast.AST, ast.AST] = {}
    for parent in ast.walk(module):
        for child in ast.iter_child_nodes(parent):
            parents[child] = parent

    def enclosing(node: ast.AST) -> FunctionNode | None:
        while node in parents:
            node = parents[node]
            if isinstance(node, FunctionNode):
                return node
        return None

    wrappers: dict[str, list[tuple[int, str]]] = {}  # name → [(call position, parameter)]

    def sql_calls() -> list[tuple[ast.Call, list[ast.AST | None]]]:
        """Every sink or wrapper call with the SQL expressions it receives."""
        found = []
        for node in ast.walk(module):
            if not isinstance(node, ast.Call) or not isinstance(
                node.func, ast.Attribute | ast.Name
            ):
                continue
            callee = node.func.attr if isinstance(node.func, ast.Attribute) else node.func.id
            if callee in SQL_SINKS:
                found.append((node, [_sql_argument(node, 0, "sql")]))
            elif callee in wrappers:
                found.append(
                    (node, [_sql_argument(node, pos, param) for pos, param in wrappers[callee]])
                )
        return found

    changed = True
    while changed:  # wrappers of wrappers
        changed = False
        for node, sqls in sql_calls():
            function = enclosing(node)
            if function is None or not function.name.startswith("_"):
                continue
            params = _parameters(function)
            names = {n.id for sql in sqls if sql for n in ast.walk(sql) if isinstance(n, ast.Name)}
            passed = [p for p in params if p in names and not _assignments(function, p)]
            offset = 1 if params and params[0] in ("self", "cls") else 0
            known = {param for _, param in wrappers.get(function.name, [])}
            for param in passed:
                if param not in known:
                    wrappers.setdefault(function.name, []).append(
                        (params.index(param) - offset, param)
                    )
                    changed = True

    checker = SqlChecker(
        module, {name: {param for _, param in found} for name, found in wrappers.items()}
    )
    problems: list[str] = []
    allowed_used: set[tuple[str, str]] = set()
    for node, sqls in sql_calls():
        function = enclosing(node)
        if all(checker.safe(sql, function) for sql in sqls):
            continue
        where = function.name if function is not None else "<module>"
        if (filename, where) in ALLOWED_DYNAMIC_SQL:
            allowed_used.add((filename, where))
            continue
        problems.append(f"{filename}:{node.lineno} {where}: {ast.unparse(node)[:120]}")
    return problems, allowed_used


def test_every_sql_statement_in_bot_is_parameterised() -> None:
    problems: list[str] = []
    used: set[tuple[str, str]] = set()
    files = sorted((ROOT / "bot").rglob("*.py"))
    for path in files:
        name = path.relative_to(ROOT).as_posix()
        found, allowed = sql_problems(path.read_text(encoding="utf-8"), name)
        problems += found
        used |= allowed
    assert len(files) > 20
    assert not problems, "SQL built from values instead of bound parameters:\n" + "\n".join(
        problems
    )
    assert used == set(ALLOWED_DYNAMIC_SQL), "stale ALLOWED_DYNAMIC_SQL entries"


@pytest.mark.parametrize(
    "code",
    [
        "def f(conn, name):\n    conn.execute(f\"SELECT * FROM members WHERE name = '{name}'\")",
        "def f(conn, name):\n    conn.execute(\"SELECT * FROM t WHERE a = '%s'\" % name)",
        'def f(conn, name):\n    conn.execute("SELECT * FROM t WHERE a = {}".format(name))',
        'def f(conn, name):\n    conn.execute("SELECT * FROM t WHERE a = " + name)',
        'def f(conn, name):\n    sql = "SELECT 1 WHERE a = " + name\n    conn.execute(sql)',
        'def f(conn, rows):\n    conn.executemany(f"INSERT INTO {rows[0]} VALUES (?)", rows)',
        "def f(conn, q):\n    conn.executescript(q)",
        "class S:\n    def _one(self, sql):\n        return self.c.execute(sql)\n"
        "    def get(self, name):\n        return self._one(f\"SELECT '{name}'\")",
        "class S:\n    def _all(self, sql, p=()):\n        return self.c.execute(sql, p)\n"
        "    def _many(self, sql):\n        return self._all(sql + ' LIMIT 5')\n"
        "    def get(self, name):\n        return self._many('SELECT ' + name)",
        "def f(conn, keys):\n    for sql in keys:\n        conn.execute(sql)",
        "class S:\n    def _q(self, sql):\n        return self.c.execute(sql + self.table)\n"
        "    def get(self):\n        return self._q('SELECT * FROM ')",
        "class S:\n    def _q(self, sql, tail):\n        return self.c.execute(sql + tail)\n"
        "    def get(self, name):\n        return self._q('SELECT 1 WHERE a = ', name)",
        "def _q(conn, sql):\n    conn.execute(sql)\ndef get(conn, name):\n    _q(conn, sql=name)",
    ],
)
def test_the_sql_check_catches_non_parameterised_sql(code: str) -> None:
    problems, _ = sql_problems(code, "sample.py")
    assert problems, code


@pytest.mark.parametrize(
    "code",
    [
        'def f(conn, name):\n    conn.execute("SELECT * FROM t WHERE a = ?", (name,))',
        'COLS = "a, b"\ndef f(conn, x):\n    conn.execute(f"SELECT {COLS} FROM t WHERE a = ?", (x,))',
        "def f(conn, keys):\n    marks = ', '.join('?' for _ in keys)\n"
        '    conn.execute(f"SELECT * FROM t WHERE k IN ({marks})", keys)',
        'def f(conn, x):\n    sql = "SELECT * FROM t"\n    sql += " WHERE a = ?"\n'
        "    conn.execute(sql, (x,))",
        "class S:\n    def _one(self, sql, p=()):\n        return self.c.execute(sql, p)\n"
        "    def get(self, x):\n        return self._one('SELECT * FROM t WHERE a = ?', (x,))",
    ],
)
def test_the_sql_check_accepts_bound_parameters(code: str) -> None:
    problems, _ = sql_problems(code, "sample.py")
    assert not problems, problems


# ---------------------------------------------------------------- the token in errors


class LeakyBrain(ScriptedBrain):
    """Raises errors whose message carries the bot token, as a misconfigured URL would."""

    def answer(
        self,
        text: str,
        *,
        today: date,
        asker: Asker | None = None,
        chat: str | None = None,
        fresh: bool = False,
        plan: str | None = None,
    ) -> Reply:
        if text.startswith("mạng"):
            raise NetworkError(f"cannot reach https://api.telegram.org/bot{TOKEN}/sendMessage")
        if text.startswith("chuỗi"):
            try:
                raise ValueError(f"token={TOKEN}")
            except ValueError as inner:
                raise RuntimeError("wrapped failure") from inner
        if text.startswith("nửa"):
            raise RuntimeError(f"secret half {TOKEN.split(':', 1)[1]} in a message")
        return super().answer(text, today=today, asker=asker, chat=chat, fresh=fresh)


async def test_the_token_in_an_exception_never_reaches_the_log(
    caplog: pytest.LogCaptureFixture,
    knowledge: Knowledge,
    make_settings: Callable[..., Settings],
) -> None:
    caplog.set_level(logging.DEBUG)
    secret_half = TOKEN.split(":", 1)[1]
    async with FakeBotApi(TOKEN) as api:
        stop, ready = asyncio.Event(), asyncio.Event()
        task = asyncio.create_task(
            serve_with_database(
                make_settings(),
                LeakyBrain(knowledge),
                stop=stop,
                ready=ready,
                clock=FixedClock(date(2026, 11, 26)),
                base_url=api.base_url,
                rate_limiter=False,
            )
        )
        await asyncio.wait_for(ready.wait(), 10)
        chat = api.private(KHOA)
        for text in ("mạng hỏng", "chuỗi lỗi", "nửa token"):
            since = api.mark()
            api.send(chat, KHOA, text)
            (apology,) = await api.wait_for("sendMessage", since=since, chat_id=KHOA["id"])
            assert apology.params["text"] == errors.APOLOGY
        stop.set()
        assert await asyncio.wait_for(task, 10) == 0

    raised = [r for r in caplog.records if r.name == errors.__name__]
    assert len(raised) >= 3
    assert any(r.exc_info for r in raised)  # the tracebacks were logged, redacted
    formatter = logging.Formatter("%(levelname)s %(name)s: %(message)s")
    for record in caplog.records:
        line = formatter.format(record)  # with the traceback and its chained causes
        assert TOKEN not in line and secret_half not in line, line
    assert errors.REDACTED in caplog.text
    assert TOKEN not in caplog.text and secret_half not in caplog.text
