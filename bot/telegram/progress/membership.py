"""Who may report: /dangky, /toi, /thanhvien, /duyet, /thuhoi and /lienket.

`/dangky <tên cơ quan>` resolves the name with `AgencyRegistry.resolve` (several
candidates: buttons `v1:reg:<agency id>`) and sends the request to every bot admin
(ADMIN_IDS) with Duyệt / Từ chối buttons (`v1:mem:<ok|no>:<user id>:<request>`); the
user is told the decision. `/thanhvien` lists members by name, agency and date with
✅ Duyệt / ❌ Từ chối / Thu hồi buttons (`v1:meml:<ok|no|off|re>:<user id>:<request>`, the
list redrawn after each decision); `/duyet` and `/thuhoi` without an id offer the
requests waiting or the approved members the same way, with an id they act at once. `/lienket <tên cơ quan>` in a group, by a group admin
(getChatMember: administrator or creator), asks the bot admins to confirm
(`v1:link:<ok|no>:<chat id>:<request>`); the group is told the decision. A group
whose link is confirmed keeps it while a change of agency waits for a bot admin.
`<request>` names the request the card was sent for (`request_token`): a button
whose request was decided, revoked or replaced since answers «Yêu cầu này đã đóng…».
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable, Mapping

from telegram import CallbackQuery, Update, User

from bot.core.reply import Button, esc, html_to_plain
from bot.plan.models import Agency
from bot.plan.responsibility import agency_name
from bot.progress.access_base import AccessResult, open_request_at, request_token
from bot.progress.members import APPROVE, DECISIONS, REJECT, MemberChoice
from bot.telegram import callbacks
from bot.telegram.chat_admin import is_group_admin
from bot.telegram.handlers import STALE_BUTTON, Context
from bot.telegram.progress.common import (
    CHECK_FAILED,
    display_name,
    drop_buttons,
    edit_query_message,
    in_group,
    notify,
    reply,
    rows_of,
    runtime,
)
from bot.telegram.progress.state import ProgressRuntime

log = logging.getLogger(__name__)

REGISTER, MEMBER, MEMBER_LIST, LINK = "reg", "mem", "meml", "link"
MAX_CANDIDATES = 6


def register_usage(rt: ProgressRuntime) -> str:
    """How to use /dangky, with agencies that exist today (read from the plan)."""
    examples = " hoặc ".join(
        f"<code>/dangky {esc(name)}</code>" for name in rt.service.example_agencies()
    )
    return "Gõ kèm tên cơ quan của anh/chị" + (f", ví dụ: {examples}." if examples else ".")


LINK_USAGE = (
    "Gõ kèm tên cơ quan của nhóm, ví dụ: <code>/lienket Sở Nội vụ</code>. Thành viên đã được"
    " duyệt báo cáo trong nhóm sẽ được ghi cho cơ quan này."
)
LINK_PRIVATE = (
    "Lệnh /lienket dùng trong nhóm của cơ quan: thêm trợ lý vào nhóm rồi (với quyền quản trị"
    " nhóm) gõ <code>/lienket &lt;tên cơ quan&gt;</code>."
)
LINK_NOT_ADMIN = "Chỉ quản trị viên của nhóm mới liên kết được nhóm với một cơ quan."
ADMINS_ONLY = "Chỉ quản trị viên bot mới dùng được lệnh này."
NO_ADMINS = "Lưu ý: bot chưa có quản trị viên (ADMIN_IDS) để duyệt; hãy báo người vận hành bot."

_AGENCY_ID = re.compile(r"^[a-z0-9_]{1,40}$")
_DECISION = re.compile(r"^(ok|no|off|re):(-?\d{1,18})(?::(\d{1,20}))?$")
_USER_ID = re.compile(r"^\d{1,18}$")


def _candidates(rt: ProgressRuntime, name: str) -> list[Agency]:
    return rt.registry.resolve(name)[:MAX_CANDIDATES]


def _not_found(name: str, command: str) -> str:
    return (
        f"Không tìm thấy cơ quan «{esc(name)}» trong danh mục. Hãy gõ đúng tên, ví dụ:"
        f" <code>/{command} Sở Nội vụ</code>, <code>/{command} Công an tỉnh</code>."
    )


def _decision_buttons(
    kind: str, target: int, request: str, yes: str, no: str
) -> list[list[Button]]:
    return [
        [
            Button(yes, callbacks.encode(kind, f"ok:{target}:{request}")),
            Button(no, callbacks.encode(kind, f"no:{target}:{request}")),
        ]
    ]


def choice_buttons(kind: str, rows: list[list[MemberChoice]]) -> list[list[Button]]:
    """A list's decisions (`MemberChoice`) as buttons of `kind`."""
    return [
        [
            Button(c.label, callbacks.encode(kind, f"{c.action}:{c.user_id}:{c.request}"))
            for c in row
        ]
        for row in rows
    ]


Decide = Callable[[int, int, str], Awaitable[AccessResult]]


def _member_actions(rt: ProgressRuntime) -> dict[str, Decide]:
    """Each decision a member button may name, bound to the service."""

    def bound(action: str) -> Decide:
        async def decide(admin_id: int, user_id: int, request: str) -> AccessResult:
            return await rt.service.decide_request(admin_id, user_id, action, request)

        return decide

    return {action: bound(action) for action in DECISIONS}


# ---------------------------------------------------------------- members


async def cmd_register(update: Update, context: Context) -> None:
    """/dangky <tên cơ quan>."""
    rt = runtime(context)
    user = update.effective_user
    if user is None:
        return
    name = " ".join(context.args or []).strip()
    if not name:
        await reply(update, context, register_usage(rt))
        return
    found = _candidates(rt, name)
    if not found:
        await reply(update, context, _not_found(name, "dangky"))
        return
    if len(found) > 1:
        buttons = rows_of(
            [Button(a.name, callbacks.encode(REGISTER, a.id)) for a in found], per_row=1
        )
        await reply(
            update,
            context,
            f"«{esc(name)}» có thể là một trong các cơ quan sau; chọn một:",
            buttons,
        )
        return
    await reply(update, context, await _request(rt, context, user, found[0].id))


async def _request(rt: ProgressRuntime, context: Context, user: User, agency_id: str) -> str:
    """Ask to report for an agency and tell every bot admin; the user's answer."""
    result = await rt.service.request_membership(user.id, agency_id, display_name(user))
    if result.code != "ok" or result.member is None:
        return result.message
    card = rt.service.member_request_html(result.member)
    request = request_token(result.member.requested_at)
    buttons = choice_buttons(
        MEMBER,
        [
            [
                MemberChoice("✅ Duyệt", APPROVE, user.id, request),
                MemberChoice("❌ Từ chối", REJECT, user.id, request),
            ]
        ],
    )
    delivered = [
        await notify(context, admin_id, card, buttons) for admin_id in sorted(rt.service.admin_ids)
    ]
    log.info("Yêu cầu đăng ký của %s cho %s", user.id, agency_id)
    return result.message if any(delivered) else f"{result.message}\n{NO_ADMINS}"


async def on_register_pick(update: Update, context: Context, arg: str) -> None:
    """`v1:reg:<agency id>`: the agency chosen among several candidates."""
    query = update.callback_query
    assert query is not None
    rt = runtime(context)
    if not _AGENCY_ID.match(arg) or arg not in rt.knowledge.agencies:
        await query.answer(STALE_BUTTON)
        return
    await query.answer()
    await edit_query_message(query, context, await _request(rt, context, query.from_user, arg))


async def _decide(
    query: CallbackQuery,
    arg: str,
    rt: ProgressRuntime,
    actions: Mapping[str, Decide],
) -> tuple[int, AccessResult] | None:
    """The part of an admin's `<ok|no>:<id>:<request>` button shared by registrations
    and group links: parse it, refuse non-admins, apply the decision to that request
    and answer the query. None when the button was stale, its request closed (a card
    from before requests were named counts as closed) or it was pressed by a non-admin
    (already answered)."""
    match = _DECISION.match(arg)
    if match is None or match.group(1) not in actions:
        await query.answer(STALE_BUTTON)
        return None
    admin_id, target_id = query.from_user.id, int(match.group(2))
    if not rt.service.is_admin(admin_id):
        await query.answer(ADMINS_ONLY, show_alert=True)
        return None
    result = await actions[match.group(1)](admin_id, target_id, match.group(3) or "")
    if result.code == "closed":
        await query.answer(html_to_plain(result.message)[:200], show_alert=True)
        await drop_buttons(query)
        return None
    await query.answer()
    return target_id, result


async def _tell_member(context: Context, result: AccessResult) -> None:
    if result.code == "ok" and result.notice and result.member is not None:
        await notify(context, result.member.user_id, result.notice, [])


async def on_member_decision(update: Update, context: Context, arg: str) -> None:
    """`v1:mem:<ok|no>:<user id>:<request>`: an admin approves or rejects a registration."""
    query = update.callback_query
    assert query is not None
    rt = runtime(context)
    actions = _member_actions(rt)
    decided = await _decide(query, arg, rt, {a: actions[a] for a in (APPROVE, REJECT)})
    if decided is None:
        return
    _, result = decided
    card = rt.service.member_request_html(result.member) + "\n" if result.member else ""
    await edit_query_message(query, context, card + result.message)
    await _tell_member(context, result)


async def on_member_list_decision(update: Update, context: Context, arg: str) -> None:
    """`v1:meml:<ok|no|off|re>:<user id>:<request>`: a decision from a list (/thanhvien,
    /duyet, /thuhoi); the message becomes the outcome above the list as it now stands."""
    query = update.callback_query
    assert query is not None
    rt = runtime(context)
    decided = await _decide(query, arg, rt, _member_actions(rt))
    if decided is None:
        return
    _, result = decided
    html, rows = rt.service.members_view()
    await edit_query_message(
        query, context, f"{result.message}\n\n{html}", choice_buttons(MEMBER_LIST, rows)
    )
    await _tell_member(context, result)


async def cmd_whoami(update: Update, context: Context) -> None:
    """/toi: one's agency and role."""
    rt = runtime(context)
    user = update.effective_user
    if user is None:
        return
    await reply(update, context, rt.service.whoami_html(user.id))


async def cmd_members(update: Update, context: Context) -> None:
    """/thanhvien (bot admins)."""
    rt = runtime(context)
    user = update.effective_user
    if user is None or not rt.service.is_admin(user.id):
        await reply(update, context, ADMINS_ONLY)
        return
    html, rows = rt.service.members_view()
    await reply(update, context, html, choice_buttons(MEMBER_LIST, rows))


async def _decide_by_command(update: Update, context: Context, approve: bool) -> None:
    rt = runtime(context)
    user = update.effective_user
    if user is None:
        return
    command = "duyet" if approve else "thuhoi"
    if not rt.service.is_admin(user.id):
        await reply(update, context, ADMINS_ONLY)
        return
    arg = " ".join(context.args or []).strip()
    if not arg:
        html, rows = rt.service.decision_list(revoke=not approve)
        await reply(update, context, html, choice_buttons(MEMBER_LIST, rows))
        return
    if not _USER_ID.match(arg):
        await reply(
            update,
            context,
            f"Gõ <code>/{command}</code> để chọn trong danh sách, hoặc kèm id người dùng, ví"
            f" dụ: <code>/{command} 123456789</code>.",
        )
        return
    target = int(arg)
    if approve:
        result = await rt.service.approve_member(user.id, target)
    else:
        result = await rt.service.revoke_member(user.id, target)
    await reply(update, context, result.message)
    await _tell_member(context, result)


async def cmd_approve(update: Update, context: Context) -> None:
    """/duyet [user id] (bot admins): without an id, the requests to choose from."""
    await _decide_by_command(update, context, approve=True)


async def cmd_revoke(update: Update, context: Context) -> None:
    """/thuhoi [user id] (bot admins): without an id, the approved members to choose from."""
    await _decide_by_command(update, context, approve=False)


# ---------------------------------------------------------------- group links


async def cmd_link(update: Update, context: Context) -> None:
    """/lienket <tên cơ quan> in a group, by a group admin; a bot admin confirms."""
    rt = runtime(context)
    chat, message, user = update.effective_chat, update.effective_message, update.effective_user
    if chat is None:
        return
    if not in_group(chat):
        await reply(update, context, LINK_PRIVATE)
        return
    admin = await is_group_admin(context, chat, message, user)
    if not admin:
        await reply(update, context, CHECK_FAILED if admin is None else LINK_NOT_ADMIN)
        return
    name = " ".join(context.args or []).strip()
    if not name:
        await reply(update, context, LINK_USAGE)
        return
    found = _candidates(rt, name)
    if not found:
        await reply(update, context, _not_found(name, "lienket"))
        return
    if len(found) > 1:
        names = "; ".join(esc(a.name) for a in found)
        await reply(
            update,
            context,
            f"«{esc(name)}» có thể là: {names}. Hãy gõ lại đầy đủ tên cơ quan, ví dụ"
            f" <code>/lienket {esc(found[0].name)}</code>.",
        )
        return
    requester = user.id if user is not None else chat.id
    result = await rt.service.request_chat_link(chat.id, found[0].id, requester, chat.title)
    if result.code == "ok" and result.link is not None:
        who = esc(display_name(user) or "quản trị viên nhóm")
        group = f"«{esc(chat.title or chat.id)}» (id <code>{chat.id}</code>)"
        if result.link.pending_agency_id is not None:
            linked = esc(agency_name(rt.knowledge.agencies, result.link.agency_id))
            card = (
                f"Yêu cầu đổi liên kết nhóm {group} từ <b>{linked}</b> sang"
                f" <b>{esc(found[0].name)}</b>, do {who} (quản trị nhóm) đề nghị. Trong khi"
                f" chờ, nhóm vẫn liên kết với {linked}."
            )
        else:
            card = (
                f"Yêu cầu liên kết nhóm {group} với <b>{esc(found[0].name)}</b>, do {who}"
                " (quản trị nhóm) đề nghị."
            )
        request = request_token(open_request_at(result.link))
        buttons = _decision_buttons(LINK, chat.id, request, "✅ Xác nhận", "❌ Từ chối")
        delivered = [
            await notify(context, admin_id, card, buttons)
            for admin_id in sorted(rt.service.admin_ids)
        ]
        log.info("Yêu cầu liên kết nhóm %s với %s", chat.id, found[0].id)
        if not any(delivered):
            await reply(update, context, f"{result.message}\n{NO_ADMINS}")
            return
    await reply(update, context, result.message)


async def on_link_decision(update: Update, context: Context, arg: str) -> None:
    """`v1:link:<ok|no>:<chat id>:<request>`: a bot admin confirms or rejects a group link
    (or the change of agency waiting beside a confirmed one)."""
    query = update.callback_query
    assert query is not None
    rt = runtime(context)
    actions = {APPROVE: rt.service.approve_chat_link, REJECT: rt.service.reject_chat_link}
    decided = await _decide(query, arg, rt, actions)
    if decided is None:
        return
    chat_id, result = decided
    await edit_query_message(query, context, result.message)
    if result.code == "ok" and result.notice:
        await notify(context, chat_id, result.notice, [])
    elif result.code != "ok":
        await drop_buttons(query)
