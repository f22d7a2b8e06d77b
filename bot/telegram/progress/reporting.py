"""Reporting progress: /capnhat, free-text updates, the confirmation card and Undo.

- `/capnhat <số> [trạng thái] [NN%] [ghi chú]` is read by the brain and saved at
  once (`ProgressService.record_update`, source chat and message ids, so a
  redelivered update is stored once); the confirmation is sent after the commit,
  with an Undo button (`v1:undo:<update id>`) that works for 10 minutes.
- Free text the brain reads as an update (the `progress_update` intent hook) is
  shown back as a card with Lưu / Sửa / Hủy (`v1:upd:<action>:<pending id>`);
  nothing is stored before Lưu. The draft waits in `PendingStore`.
- Without an item number, the reporter's items are offered as buttons
  (`v1:upick:<pending id>:<item>`); the brain's own `v1:pick:<verb>:<item>`
  buttons lead to the same place (or to the item / its progress).
- An edited or redelivered message never writes twice: the stored record stays and
  the answer says how to correct it (send a new report).
"""

from __future__ import annotations

import logging
import re

from telegram import CallbackQuery, Chat, Message, Update, User

from bot.core.reply import Button, Reply, esc, html_to_plain
from bot.plan.responsibility import agency_name
from bot.progress.access import REGISTER_HINT
from bot.progress.service import UNDO_WINDOW, UpdateResult
from bot.telegram import callbacks
from bot.telegram.handlers import STALE_BUTTON, Context, answer_text
from bot.telegram.progress.common import (
    display_name,
    drop_buttons,
    edit_query_message,
    left_linked_group,
    reply,
    rows_of,
    runtime,
)
from bot.telegram.progress.parsing import ParsedUpdate
from bot.telegram.progress.state import PendingUpdate, ProgressRuntime
from bot.telegram.progress.views import item_progress, may_read_notes

log = logging.getLogger(__name__)

UNDO, CARD, ITEM_PICK, BRAIN_PICK = "undo", "upd", "upick", "pick"
SAVE, EDIT, CANCEL = "save", "edit", "cancel"
MAX_ITEM_BUTTONS = 24

USAGE = (
    "Cú pháp: <code>/capnhat &lt;số mục&gt; [trạng thái] [NN%] [ghi chú]</code>, ví dụ:"
    " <code>/capnhat 2.4 đang thực hiện 60% đã trình dự thảo</code> hoặc"
    " <code>/capnhat 2.4 đã hoàn thành</code>.\nTrạng thái: đã hoàn thành, đang thực hiện,"
    " vướng mắc, chưa triển khai."
)
CARD_HINT = "Bấm «Lưu» để ghi nhận, «Sửa» để gửi lại dòng đã sửa, hoặc «Hủy»."
EXPIRED_CARD = "Thẻ xác nhận này đã hết hiệu lực; chưa có gì được lưu. Hãy gửi lại báo cáo."
NOT_YOUR_CARD = "Chỉ người gửi báo cáo mới bấm được nút này."

_PENDING_KEY = re.compile(r"^[0-9a-f]{10}$")
_UPDATE_ID = re.compile(r"^\d{1,18}$")
_ITEM_REF = re.compile(r"^(?:\d{1,3}(?:\.\d{1,3})?|[IVX]{1,5}\.\d{1,3})[a-z]?$")


# ---------------------------------------------------------------- texts and buttons


def undo_buttons(update_id: int) -> list[list[Button]]:
    minutes = int(UNDO_WINDOW.total_seconds() // 60)
    return [[Button(f"↩️ Hoàn tác ({minutes} phút)", callbacks.encode(UNDO, str(update_id)))]]


def card_buttons(key: str) -> list[list[Button]]:
    return [
        [
            Button("✅ Lưu", callbacks.encode(CARD, f"{SAVE}:{key}")),
            Button("✏️ Sửa", callbacks.encode(CARD, f"{EDIT}:{key}")),
            Button("❌ Hủy", callbacks.encode(CARD, f"{CANCEL}:{key}")),
        ]
    ]


def item_buttons(key: str, refs: list[str]) -> list[list[Button]]:
    shown = refs[:MAX_ITEM_BUTTONS]
    return rows_of([Button(ref, callbacks.encode(ITEM_PICK, f"{key}:{ref}")) for ref in shown])


def not_a_reporter(rt: ProgressRuntime, user_id: int) -> str:
    """Why someone with no items to offer cannot report, and how to register."""
    member = rt.service.member(user_id)
    if member is not None and member.status == "pending":
        name = esc(agency_name(rt.knowledge.agencies, member.agency_id))
        return (
            f"Yêu cầu đăng ký của bạn ({name}) đang chờ quản trị viên duyệt; sau khi được"
            " duyệt bạn mới báo cáo được."
        )
    text = (
        "Chỉ thành viên đã được duyệt của cơ quan được giao nhiệm vụ hoặc quản trị viên mới"
        " báo cáo tiến độ được."
    )
    if member is not None and member.status == "revoked":
        return "Quyền báo cáo của bạn đã bị thu hồi. " + text
    return text + "\n" + REGISTER_HINT


def card_html(body: str) -> str:
    return f"<b>Xác nhận báo cáo tiến độ</b>\n{body}\n\n{CARD_HINT}"


def example_line(key: str) -> str:
    return f"<i>{esc(key)} đang thực hiện 60% đã trình dự thảo</i>"


# ---------------------------------------------------------------- pending drafts


def pending_from(
    rt: ProgressRuntime,
    update: Update,
    parsed: ParsedUpdate,
    *,
    immediate: bool,
) -> PendingUpdate | None:
    chat, message, user = update.effective_chat, update.effective_message, update.effective_user
    if chat is None or message is None or user is None:
        return None
    return PendingUpdate(
        user_id=user.id,
        display_name=display_name(user),
        chat_id=chat.id,
        message_id=message.message_id,
        item_ref=parsed.item_ref,
        status=parsed.status,
        percent=parsed.percent,
        note=parsed.note,
        agency_id=parsed.agency_id,
        immediate=immediate,
        created_at=rt.clock.now(),
    )


async def record(rt: ProgressRuntime, pending: PendingUpdate) -> UpdateResult:
    return await rt.service.record_update(
        user_id=pending.user_id,
        item_ref=pending.item_ref or "",
        status=pending.status,
        percent=pending.percent,
        note=pending.note,
        agency_id=pending.agency_id,
        chat_id=pending.chat_id,
        message_id=pending.message_id,
        display_name=pending.display_name,
    )


def check(rt: ProgressRuntime, pending: PendingUpdate) -> UpdateResult:
    return rt.service.check_update(
        user_id=pending.user_id,
        item_ref=pending.item_ref or "",
        status=pending.status,
        percent=pending.percent,
        note=pending.note,
        agency_id=pending.agency_id,
        chat_id=pending.chat_id,
    )


def outcome(
    rt: ProgressRuntime, result: UpdateResult, pending: PendingUpdate
) -> tuple[str, list[list[Button]]]:
    """The message and buttons for a record or check result.

    Saved: Undo. A refusal that names items to choose from: those items, for the
    same pending update. Anything else: the message alone."""
    if result.created and result.record is not None:
        return result.message, undo_buttons(result.record.id)
    if result.options and result.code in ("unknown_item", "not_assigned", "ambiguous_part"):
        refs = [ref for ref in result.options if _ITEM_REF.match(ref)]
        if refs:
            pending.item_ref = None
            key = rt.pending.put(pending)
            return result.message, item_buttons(key, refs)
    return result.message, []


def ask_for_item(rt: ProgressRuntime, pending: PendingUpdate) -> tuple[str, list[list[Button]]]:
    """No item number: offer the reporter's items, or say why they cannot report."""
    refs = rt.service.reportable_items(pending.user_id, pending.chat_id)
    if not refs:
        return not_a_reporter(rt, pending.user_id), []
    key = rt.pending.put(pending)
    agency = rt.service.chat_agency(pending.chat_id) or _own_agency(rt, pending.user_id)
    whose = f" của {esc(agency_name(rt.knowledge.agencies, agency))}" if agency else ""
    html = (
        f"Anh/chị báo cáo cho mục nào? Chọn một mục{whose} bên dưới, hoặc gửi lại kèm số mục,"
        f" ví dụ {example_line(refs[0])}."
    )
    return html, item_buttons(key, refs)


def _own_agency(rt: ProgressRuntime, user_id: int) -> str | None:
    member = rt.service.member(user_id)
    return member.agency_id if member is not None and member.status == "approved" else None


def show_card(rt: ProgressRuntime, pending: PendingUpdate) -> tuple[str, list[list[Button]]]:
    """Check a draft: the card with Lưu / Sửa / Hủy, or the refusal."""
    result = check(rt, pending)
    if result.draft is None:
        return outcome(rt, result, pending)
    pending.card_html = card_html(result.message)
    key = rt.pending.put(pending)
    return pending.card_html, card_buttons(key)


async def already_stored(rt: ProgressRuntime, pending: PendingUpdate) -> str | None:
    """For an edited or redelivered message whose update is stored: what to answer."""
    if rt.db.find_by_source(pending.chat_id, pending.message_id) is None:
        return None
    # record_update never writes for a known source: it says "duplicate" or "edited"
    return (await record(rt, pending)).message


# ---------------------------------------------------------------- /capnhat


async def cmd_update(update: Update, context: Context) -> None:
    """/capnhat <số> [trạng thái] [NN%] [ghi chú]: save at once, offer Undo."""
    rt = runtime(context)
    message, user = update.effective_message, update.effective_user
    if message is None or user is None or message.text is None:
        return
    if not (context.args or []):
        await reply(update, context, USAGE)
        return
    refusal = await left_linked_group(context, update.effective_chat, user.id)
    if refusal is not None:
        await reply(update, context, refusal)
        return
    pending = pending_from(rt, update, rt.parser.parse(message.text), immediate=True)
    if pending is None:
        return
    if pending.item_ref is None:
        stored = await already_stored(rt, pending)
        html, buttons = (stored, []) if stored else ask_for_item(rt, pending)
        await reply(update, context, html, buttons)
        return
    rt.pending.drop_source(pending.chat_id, pending.message_id)  # an edit replaces a question
    result = await record(rt, pending)  # committed before anything is sent
    if result.created:
        log.info(
            "Đã lưu báo cáo %s mục %s (%s)",
            result.record.id if result.record else "?",
            result.draft.assignment_key if result.draft else "?",
            result.draft.agency_id if result.draft else "?",
        )
    html, buttons = outcome(rt, result, pending)
    await reply(update, context, html, buttons)


# ---------------------------------------------------------------- free text


async def on_update_intent(update: Update, context: Context, brain_reply: Reply, text: str) -> None:
    """The brain read a progress update: show the confirmation card (nothing saved)."""
    rt = runtime(context)
    user = update.effective_user
    if user is None:
        return
    refusal = await left_linked_group(context, update.effective_chat, user.id)
    if refusal is not None:
        await reply(update, context, refusal)
        return
    pending = pending_from(rt, update, rt.parser.parse(text), immediate=False)
    if pending is None:
        return
    stored = await already_stored(rt, pending)
    if stored is not None:
        await reply(update, context, stored)
        return
    if pending.item_ref is None:
        html, buttons = ask_for_item(rt, pending)
    else:
        html, buttons = show_card(rt, pending)
    await reply(update, context, html, buttons)


# ---------------------------------------------------------------- buttons


def _owner_check(query: CallbackQuery, pending: PendingUpdate) -> bool:
    return query.from_user is not None and query.from_user.id == pending.user_id


async def _pending_for(
    update: Update, context: Context, key: str
) -> tuple[CallbackQuery, ProgressRuntime, PendingUpdate, str] | None:
    """The pending update behind a card button, after the stale and owner checks."""
    query = update.callback_query
    assert query is not None
    rt = runtime(context)
    pending = rt.pending.get(key, rt.clock.now()) if _PENDING_KEY.match(key) else None
    if pending is None:
        await query.answer(EXPIRED_CARD, show_alert=True)
        await drop_buttons(query)
        return None
    if not _owner_check(query, pending):
        await query.answer(NOT_YOUR_CARD)
        return None
    return query, rt, pending, key


async def on_card(update: Update, context: Context, arg: str) -> None:
    """`v1:upd:<save|edit|cancel>:<pending id>`."""
    action, _, key = arg.partition(":")
    query = update.callback_query
    assert query is not None
    if action not in (SAVE, EDIT, CANCEL):
        await query.answer(STALE_BUTTON)
        return
    found = await _pending_for(update, context, key)
    if found is None:
        return
    query, rt, pending, key = found
    if action == CANCEL:
        rt.pending.pop(key)
        await query.answer("Đã hủy")
        await edit_query_message(
            query, context, f"{_card_body(pending)}\n\n❌ Đã hủy; báo cáo này không được lưu."
        )
        return
    if action == EDIT:
        rt.pending.pop(key)
        await query.answer()
        hint = example_line(pending.item_ref or "2.4")
        await edit_query_message(
            query,
            context,
            f"{_card_body(pending)}\n\n✏️ Chưa lưu. Hãy gửi lại dòng báo cáo đã sửa, ví dụ: {hint}.",
        )
        return
    refusal = await left_linked_group(context, _query_chat(query), pending.user_id)
    if refusal is not None:
        rt.pending.pop(key)
        await query.answer()
        await edit_query_message(query, context, refusal)
        return
    result = await record(rt, pending)  # committed before the card says so
    rt.pending.pop(key)  # only now: if the database failed, «Lưu» can be pressed again
    await query.answer("Đã lưu" if result.created else None)
    html, buttons = outcome(rt, result, pending)
    await edit_query_message(query, context, html, buttons)


def _card_body(pending: PendingUpdate) -> str:
    """The card without its closing hint (for the cancelled / edit texts)."""
    body = pending.card_html.removesuffix(f"\n\n{CARD_HINT}")
    return body or "<b>Báo cáo tiến độ</b>"


def _query_chat(query: CallbackQuery) -> Chat | None:
    return query.message.chat if query.message is not None else None


async def on_item_pick(update: Update, context: Context, arg: str) -> None:
    """`v1:upick:<pending id>:<item>`: the item of an update that had none."""
    key, _, ref = arg.partition(":")
    query = update.callback_query
    assert query is not None
    if not _ITEM_REF.match(ref):
        await query.answer(STALE_BUTTON)
        return
    found = await _pending_for(update, context, key)
    if found is None:
        return
    query, rt, pending, key = found
    rt.pending.pop(key)
    pending.item_ref = ref
    await _continue_with_item(query, context, rt, pending)


async def _continue_with_item(
    query: CallbackQuery, context: Context, rt: ProgressRuntime, pending: PendingUpdate
) -> None:
    if pending.immediate:
        result = await record(rt, pending)
        await query.answer("Đã lưu" if result.created else None)
        html, buttons = outcome(rt, result, pending)
    else:
        await query.answer()
        html, buttons = show_card(rt, pending)
    await edit_query_message(query, context, html, buttons)


async def on_brain_pick(update: Update, context: Context, arg: str) -> None:
    """`v1:pick:<verb>:<item>` from the brain's "which item?" answers."""
    query = update.callback_query
    assert query is not None
    verb, _, ref = arg.rpartition(":")
    user = query.from_user
    chat = query.message.chat if query.message is not None else None
    if not callbacks.ITEM_ID.match(ref) or chat is None:
        await query.answer(STALE_BUTTON)
        return
    rt = runtime(context)
    if verb.startswith(("cập", "cap")):
        found = rt.pending.latest_without_item(user.id, chat.id, rt.clock.now())
        if found is not None:
            key, pending = found
            rt.pending.pop(key)
            pending.item_ref = ref
            await _continue_with_item(query, context, rt, pending)
            return
        await query.answer()
        await reply(
            update,
            context,
            f"Gửi báo cáo cho mục {esc(ref)} theo mẫu: <code>/capnhat {esc(ref)} [trạng thái]"
            f" [NN%] [ghi chú]</code>, ví dụ {example_line(ref)}.",
        )
        return
    await query.answer()
    await drop_buttons(query)
    if verb.startswith("xem ti"):
        html, buttons = item_progress(rt, ref, notes=may_read_notes(rt, update))
        await reply(update, context, html, buttons)
        return
    await answer_text(update, context, f"nhiệm vụ {ref}", quote=False)


async def on_undo(update: Update, context: Context, arg: str) -> None:
    """`v1:undo:<update id>`: undo one's own update within 10 minutes."""
    query = update.callback_query
    assert query is not None
    user: User = query.from_user
    if not _UPDATE_ID.match(arg):
        await query.answer(STALE_BUTTON)
        return
    rt = runtime(context)
    result = await rt.service.undo_update(user.id, int(arg))
    if result.code == "undone":
        await query.answer("Đã hoàn tác")
        original = query.message.text_html if isinstance(query.message, Message) else ""
        kept = f"<s>{original}</s>\n\n" if original else ""
        await edit_query_message(query, context, kept + result.message)
        return
    await query.answer(html_to_plain(result.message)[:200], show_alert=True)
    if result.code in ("expired", "already_undone", "not_found"):
        await drop_buttons(query)
