"""Seeing where things stand: /tiendo, /chuabaocao, /baocao and the history button.

`/tiendo` without a number is the overview in the statuses monitoring reports use,
followed by a chart of status by agency (a PNG drawn in a worker thread,
`bot.progress.chart`; the text stands on its own if the picture cannot be sent);
`/tiendo <số>` shows each assignment of the item with a «Lịch sử» button
(`v1:hist:<số>`, also what the brain's progress answers carry). `/chuabaocao` lists
every agency only for bot admins and the monitoring agency (its members, its linked
group); a member or linked group sees the totals and its own agency, others the totals. Statuses are for
everyone; the reports' notes and reporters' names only for readers
`AccessService.may_read_notes` allows (approved members, linked groups, bot admins).
`/baocao` sends the Excel workbook as a document, to bot admins and members of the
agency the plan charges with monitoring it (`monitoring_agency` in plan.yaml).
"""

from __future__ import annotations

import asyncio
import logging

from telegram import Chat, Update
from telegram.constants import ChatAction
from telegram.error import TelegramError

from bot.core.reply import Button, esc
from bot.plan.library import button_id, split_qualified
from bot.plan.loader import Knowledge
from bot.plan.responsibility import find_item
from bot.progress.chart import chart_title, render_png, status_by_agency
from bot.progress.report_xlsx import build_plans_report
from bot.progress.types import HISTORY_LABEL
from bot.telegram import callbacks
from bot.telegram.handlers import STALE_BUTTON, Context
from bot.telegram.progress.common import in_group, reply, runtime
from bot.telegram.progress.state import ProgressRuntime
from bot.telegram.sending import post_photo

log = logging.getLogger(__name__)

HISTORY = "hist"


def report_refused(knowledge: Knowledge) -> str:
    """Why /baocao is refused: who may download the report (the plan's monitoring agency)."""
    monitor = knowledge.plan.meta.monitoring_agency
    who = (
        f" và thành viên đã được duyệt của {esc(knowledge.agencies[monitor].name)}"
        if monitor
        else ""
    )
    return (
        f"Chỉ quản trị viên bot{who} mới tải được báo cáo tổng hợp."
        " Xem nhanh tiến độ: /tiendo; cơ quan chưa báo cáo: /chuabaocao."
    )


def may_read_notes(rt: ProgressRuntime, update: Update) -> bool:
    """Whether the person (and chat) of `update` may read the notes and reporters."""
    user, chat = update.effective_user, update.effective_chat
    return rt.service.may_read_notes(
        user.id if user is not None else None, chat.id if chat is not None else None
    )


def item_progress(rt: ProgressRuntime, ref: str, *, notes: bool) -> tuple[str, list[list[Button]]]:
    """/tiendo <số>: the item's assignments and a history button («58: 1.2»: that plan's)."""
    plan, ref = split_qualified(ref)
    rt = rt.of(plan)
    html = rt.view.item_html(ref, rt.clock.today(), notes=notes)
    found = find_item(rt.knowledge.plan, ref)
    if found is None:
        return html, []
    item_id = found[0].id if not rt.plans else button_id(rt.key, found[0].id)
    return html, [[Button(HISTORY_LABEL, callbacks.encode(HISTORY, item_id))]]


async def cmd_progress(update: Update, context: Context) -> None:
    """/tiendo [số]."""
    rt = runtime(context)
    ref = " ".join(context.args or []).strip()
    chat = update.effective_chat
    if not ref or (ref in rt.plans and find_item(rt.knowledge.plan, ref) is None):
        # the whole plan: the one named, else the chat's default (/kehoach), else the main
        default = context.bot_data.chat_plans.get(chat.id) if chat is not None else None
        rt = rt.of(ref or default)
        html = rt.view.overview_html(rt.clock.today())
        others = [k for k in rt.plans if k != rt.key]
        if others:
            html += (
                f"\n<i>({esc(rt.knowledge.plan.meta.label)}. Kế hoạch khác: "
                + ", ".join(f"/tiendo {esc(k)}" for k in others)
                + ")</i>"
            )
        await reply(update, context, html)
        await send_overview_chart(update, context, rt)
        return
    html, buttons = item_progress(rt, ref, notes=may_read_notes(rt, update))
    await reply(update, context, html, buttons)


def not_reported_for(rt: ProgressRuntime, user_id: int | None, chat: Chat | None) -> str:
    """/chuabaocao as this reader may see it: the whole list for a bot admin or a member
    of the monitoring agency in a private chat, and in the group linked to the monitoring
    agency; the totals and their own agency's state for a member or a linked group; the
    totals and how to register for anyone else."""
    today = rt.clock.today()
    monitor = rt.knowledge.plan.meta.monitoring_agency
    private = chat is None or not in_group(chat)
    chat_id = chat.id if chat is not None else None
    linked = rt.service.chat_agency(chat_id)
    if (monitor is not None and linked == monitor) or (
        private and user_id is not None and may_download_report(rt, user_id)
    ):
        return rt.view.not_reported_html(today)
    agency = rt.service.asker(user_id, None, chat_id).agency_id
    office = f"nhóm của {esc(rt.knowledge.agencies[monitor].name)}" if monitor else "nhóm theo dõi"
    if agency is not None:
        hint = f"<i>Danh sách đầy đủ các cơ quan: quản trị viên bot và {office}.</i>"
    elif private:
        examples = rt.service.example_agencies()
        example = f", ví dụ <code>/dangky {esc(examples[0])}</code>" if examples else ""
        hint = (
            "Để xem tình hình của cơ quan mình, anh/chị đăng ký bằng lệnh <code>/dangky"
            f" &lt;tên cơ quan&gt;</code>{example}."
        )
    else:
        hint = (
            "Nhóm chưa liên kết với cơ quan nào: quản trị viên nhóm gõ <code>/lienket &lt;tên cơ"
            " quan&gt;</code> để nhóm xem được tình hình của cơ quan mình."
        )
    return rt.view.not_reported_brief_html(today, agency, hint)


async def send_overview_chart(update: Update, context: Context, rt: ProgressRuntime) -> None:
    """The overview's chart: status by agency as a PNG, after the text."""
    chat, message = update.effective_chat, update.effective_message
    if chat is None:
        return
    today = rt.clock.today()
    bars = status_by_agency(rt.view.rows(today), rt.knowledge.agencies)  # on the loop
    title = chart_title(rt.knowledge.plan.meta.number, today)
    try:
        png = await asyncio.to_thread(render_png, bars, title)  # pure: drawn off the loop
    except Exception:
        log.exception("Không vẽ được biểu đồ tiến độ")
        return
    thread = message.message_thread_id if message is not None and message.is_topic_message else None
    try:
        await post_photo(
            context.bot,
            chat.id,
            png,
            caption=(
                f"📊 Trạng thái phần việc theo cơ quan, tính đến ngày {today:%d/%m/%Y}: mỗi"
                " thanh là toàn bộ phần việc của một cơ quan; số bên phải là số phần việc và"
                " số vướng mắc."
            ),
            filename=f"tien-do-{today:%Y-%m-%d}.png",
            thread_id=thread,
        )
    except TelegramError as exc:  # the text was sent: the picture is an extra
        log.warning("Không gửi được biểu đồ tiến độ tới %s: %s", chat.id, exc)


async def cmd_not_reported(update: Update, context: Context) -> None:
    """/chuabaocao: agencies silent in the current reporting period (`not_reported_for`)."""
    rt = runtime(context)
    user = update.effective_user
    html = not_reported_for(rt, user.id if user is not None else None, update.effective_chat)
    await reply(update, context, html)


def may_download_report(rt: ProgressRuntime, user_id: int) -> bool:
    if rt.service.is_admin(user_id):
        return True
    monitor = rt.knowledge.plan.meta.monitoring_agency
    member = rt.service.member(user_id)
    return (
        monitor is not None
        and member is not None
        and member.status == "approved"
        and member.agency_id == monitor
    )


async def cmd_report(update: Update, context: Context) -> None:
    """/baocao: the workbook as a document."""
    rt = runtime(context)
    chat, user, message = update.effective_chat, update.effective_user, update.effective_message
    if chat is None or user is None:
        return
    if not may_download_report(rt, user.id):
        await reply(update, context, report_refused(rt.knowledge))
        return
    try:
        await context.bot.send_chat_action(chat.id, ChatAction.UPLOAD_DOCUMENT)
    except TelegramError as exc:  # only a courtesy
        log.debug("Không gửi được trạng thái đang tải lên: %s", exc)
    today = rt.clock.today()
    served = [(p.knowledge, p.db) for p in rt.plans.values()] or [(rt.knowledge, rt.db)]
    data = await asyncio.to_thread(build_plans_report, served, today, rt.clock.tz)
    meta = rt.knowledge.plan.meta
    number = meta.number.split("/")[0]
    thread = message.message_thread_id if message is not None and message.is_topic_message else None
    if len(served) > 1:
        labels = ", ".join(esc(k.plan.meta.number) for k, _ in served)
        filename = f"tien-do-{len(served)}-ke-hoach-{today:%Y-%m-%d}.xlsx"
        caption = (
            f"Báo cáo tiến độ {len(served)} kế hoạch ({labels}), tính đến ngày"
            f" {today:%d/%m/%Y}: sheet «Các kế hoạch» tổng hợp từng kế hoạch; mỗi kế hoạch có"
            " sheet «Tổng hợp» và «Tiến độ» riêng (đặt tên theo số kế hoạch)."
        )
    else:
        filename = f"tien-do-ke-hoach-{number}-{today:%Y-%m-%d}.xlsx"
        caption = (
            f"Báo cáo tiến độ Kế hoạch {esc(meta.number)}, tính đến ngày {today:%d/%m/%Y}:"
            " sheet «Tổng hợp» số liệu theo trạng thái, theo mục và cơ quan (kèm biểu đồ);"
            " sheet «Tiến độ» từng phần việc của từng cơ quan, có cột «Vướng mắc»."
        )
    await context.bot.send_document(
        chat.id,
        document=data,
        filename=filename,
        caption=caption,
        message_thread_id=thread,
    )
    log.info("Đã gửi báo cáo tiến độ (%d byte) cho %s", len(data), user.id)


async def on_history(update: Update, context: Context, arg: str) -> None:
    """`v1:hist:<số>`: the item's reports, most recent first."""
    query = update.callback_query
    assert query is not None
    plan, item = split_qualified(arg)
    rt = runtime(context).of(plan)
    if not callbacks.ITEM_ID.match(arg) or find_item(rt.knowledge.plan, item) is None:
        await query.answer(STALE_BUTTON)
        return
    await query.answer()
    await reply(update, context, rt.view.history_html(item, notes=may_read_notes(rt, update)))
