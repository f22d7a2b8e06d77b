"""Reporting progress: /capnhat, free-text updates, the confirmation card and Undo.

Both are read and checked by the brain (`bot.answers.progress_update`: one parser, one
validator, one card, the same `python -m bot ask` prints); the door sends the brain's
reply as it is and adds only what a transport needs: it keeps the update it shows
(`PendingStore`) and binds the reply's buttons to it (`bind`).

- Free text the brain reads as an update (the `progress_update` intent hook) is shown
  back as the card with Lưu / Sửa / Hủy (`v1:upd:<action>:<pending id>`); nothing is
  stored before Lưu.
- `/capnhat <số> [trạng thái] [NN%] [ghi chú]` is saved at once
  (`ProgressService.record_update`, source chat and message ids, so a redelivered
  update is stored once); the confirmation is sent after the commit, with an Undo
  button (`v1:undo:<update id>`) that works for 10 minutes.
- Without an item number (or with one the reporter cannot use), the items to choose
  from are buttons for the same pending update (`v1:upick:<pending id>:<item>`); the
  brain's older `v1:pick:<verb>:<item>` buttons lead to the same place (or to the item
  / its progress).
- An edited or redelivered message never writes twice: the stored record stays and
  the answer says how to correct it (send a new report).
"""

from __future__ import annotations

import logging
import re

from telegram import CallbackQuery, Chat, Message, Update, User

from bot.answers.progress_update import UPDATE, UpdateSlots
from bot.core.reply import Button, Reply, esc, html_to_plain
from bot.plan.library import split_qualified
from bot.progress.drafts import CANCEL, CARD_HINT, EDIT, ITEM_REF, SAVE, example_line
from bot.progress.service import UNDO_WINDOW, UpdateResult
from bot.telegram import callbacks
from bot.telegram.handlers import STALE_BUTTON, Context, answer_text
from bot.telegram.progress.common import (
    display_name,
    drop_buttons,
    edit_query_message,
    left_linked_group,
    reply,
    runtime,
)
from bot.telegram.progress.state import PendingUpdate, ProgressRuntime
from bot.telegram.progress.views import item_progress, may_read_notes

log = logging.getLogger(__name__)

UNDO, CARD, ITEM_PICK, BRAIN_PICK = "undo", callbacks.UPDATE, callbacks.UPDATE_ITEM, callbacks.PICK
UPDATE_ACTIONS = frozenset({"update", "update_item"})

USAGE = (
    "Cú pháp: <code>/capnhat &lt;số mục&gt; [trạng thái] [NN%] [ghi chú]</code>, ví dụ:"
    " <code>/capnhat 2.4 đang thực hiện 60% đã trình dự thảo</code> hoặc"
    " <code>/capnhat 2.4 đã hoàn thành</code>.\nTrạng thái: đã hoàn thành, đang thực hiện,"
    " vướng mắc, chưa triển khai."
)
EXPIRED_CARD = "Thẻ xác nhận này đã hết hiệu lực; chưa có gì được lưu. Hãy gửi lại báo cáo."
NOT_YOUR_CARD = "Chỉ người gửi báo cáo mới bấm được nút này."

_PENDING_KEY = re.compile(r"^[0-9a-f]{10}$")
_UPDATE_ID = re.compile(r"^\d{1,18}$")


# ---------------------------------------------------------------- buttons of an update


def undo_buttons(update_id: int) -> list[list[Button]]:
    minutes = int(UNDO_WINDOW.total_seconds() // 60)
    return [[Button(f"↩️ Hoàn tác ({minutes} phút)", callbacks.encode(UNDO, str(update_id)))]]


def bind(
    rt: ProgressRuntime, pending: PendingUpdate, html: str, rows: list[list[Button]]
) -> list[list[Button]]:
    """The reply's buttons with those acting on the progress update it shows (the
    card's «Lưu / Sửa / Hủy», the items to choose from) bound to `pending`, which is
    kept for them under a new id; other buttons stay as they are."""
    actions = {button.action for row in rows for button in row}
    if not actions & UPDATE_ACTIONS:
        return rows
    if "update_item" in actions:
        pending.item_ref = None  # the item comes with the button pressed
    else:
        pending.card_html = html
    key = rt.pending.put(pending)
    return [
        [
            Button(button.text, callbacks.semantic_data(button, update=key))
            if button.action in UPDATE_ACTIONS
            else button
            for button in row
        ]
        for row in rows
    ]


# ---------------------------------------------------------------- pending updates


def pending_from(
    rt: ProgressRuntime,
    update: Update,
    slots: UpdateSlots,
    *,
    immediate: bool,
    plan: str | None = None,
) -> PendingUpdate | None:
    chat, message, user = update.effective_chat, update.effective_message, update.effective_user
    if chat is None or message is None or user is None:
        return None
    return PendingUpdate(
        user_id=user.id,
        display_name=display_name(user),
        chat_id=chat.id,
        message_id=message.message_id,
        item_ref=slots.item_ref,
        status=slots.status,
        percent=slots.percent,
        note=slots.note,
        agency_id=slots.agency_id,
        immediate=immediate,
        created_at=rt.clock.now(),
        plan=plan,
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
    return rt.service.checker.check_update(
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
    """The message and buttons for a check or record result: saved, with Undo; else
    what the brain shows for it (the card, the items to choose from, or the refusal),
    bound to `pending`."""
    if result.created and result.record is not None:
        return result.message, undo_buttons(result.record.id)
    html, buttons = rt.service.checker.view(result)
    return html, bind(rt, pending, html, buttons)


async def already_stored(rt: ProgressRuntime, pending: PendingUpdate) -> str | None:
    """For an edited or redelivered message whose update is stored: what to answer."""
    if rt.db.find_by_source(pending.chat_id, pending.message_id) is None:
        return None
    # record_update never writes for a known source: it says "duplicate" or "edited"
    return (await record(rt, pending)).message


def _slots(brain_reply: Reply) -> UpdateSlots | None:
    slots = brain_reply.extra.get(UPDATE)
    return slots if isinstance(slots, UpdateSlots) else None


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
    brain_reply = await context.bot_data.answer(
        message.text, user=user, where=update.effective_chat
    )
    rt = rt.of(brain_reply.plan)  # the plan the report is on (several plans served)
    slots = _slots(brain_reply)
    pending = (
        pending_from(rt, update, slots, immediate=True, plan=brain_reply.plan)
        if slots is not None
        else None
    )
    if pending is None:
        await reply(update, context, brain_reply.html, brain_reply.buttons)
        return
    if pending.item_ref is None:
        stored = await already_stored(rt, pending)
        if stored is not None:
            await reply(update, context, stored)
            return
        buttons = bind(rt, pending, brain_reply.html, brain_reply.buttons)
        await reply(update, context, brain_reply.html, buttons)
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
    """The brain read a progress update: send its reply (the card, nothing saved, or
    the items to choose from), keeping the update for the reply's buttons."""
    rt = runtime(context)
    user = update.effective_user
    if user is None:
        return
    refusal = await left_linked_group(context, update.effective_chat, user.id)
    if refusal is not None:
        await reply(update, context, refusal)
        return
    rt = rt.of(brain_reply.plan)
    slots = _slots(brain_reply)
    pending = (
        pending_from(rt, update, slots, immediate=False, plan=brain_reply.plan)
        if slots is not None
        else None
    )
    if pending is None:
        await reply(update, context, brain_reply.html, brain_reply.buttons)
        return
    stored = await already_stored(rt, pending)
    if stored is not None:
        await reply(update, context, stored)
        return
    buttons = bind(rt, pending, brain_reply.html, brain_reply.buttons)
    await reply(update, context, brain_reply.html, buttons)


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
    rt = rt.of(pending.plan)
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
    if not ITEM_REF.match(split_qualified(ref)[1]):
        await query.answer(STALE_BUTTON)
        return
    found = await _pending_for(update, context, key)
    if found is None:
        return
    query, rt, pending, key = found
    rt.pending.pop(key)
    plan, pending.item_ref = split_qualified(ref)
    if plan is not None:
        pending.plan, rt = plan, rt.of(plan)
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
        html, buttons = outcome(rt, check(rt, pending), pending)
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
    plan, item = split_qualified(ref)
    rt = runtime(context).of(plan)
    if verb.startswith(("cập", "cap")):
        found = rt.pending.latest_without_item(user.id, chat.id, rt.clock.now())
        if found is not None:
            key, pending = found
            rt.pending.pop(key)
            pending.item_ref, pending.plan = item, plan or pending.plan
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
        html, buttons = item_progress(rt, item, notes=may_read_notes(rt, update))
        await reply(update, context, html, buttons)
        return
    await answer_text(update, context, f"nhiệm vụ {ref}", quote=False, fresh=True)


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
