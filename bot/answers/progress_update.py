"""The `progress_update` intent: read an update («2.4 đã xong», «/capnhat 4.2 60% …»)
into item, status, percent and note, check it, and compose the confirmation card.
"""

from __future__ import annotations

import re
from datetime import date
from typing import TYPE_CHECKING, Any

from bot.answers.context import AnswerContext
from bot.answers.registry import register
from bot.answers.rendering import ask_item, item_buttons, nearest_items, short_text
from bot.core.reply import Reply, esc
from bot.plan.models import Assignment, Item
from bot.progress.types import STATUS_LABELS, Asker

if TYPE_CHECKING:
    from bot.nlu.understanding import Understanding

MAX_NOTE = 1000


def parse_update(u: Understanding) -> dict[str, Any]:
    """Item, status, percent and note of a progress update message."""
    ent = u.entities
    note = u.text
    note = re.sub(r"^/\w+(@\w+)?\s*", "", note)
    note = re.sub(
        r"^(?:(?:cập nhật|cap nhat|báo cáo|bao cao|bc)\s*(?:tiến độ|tien do)?\s*)?"
        r"(?:(?:nhiệm vụ|nhiem vu|nv|mục|muc|điểm|diem)\s*(?:số\s*)?)?"
        r"(?:II\.|III\.)?\d{1,2}(?:[.,]\d{1,2})?\s*[:\-–,]?\s*",
        "",
        note,
        flags=re.IGNORECASE,
    )
    note = re.sub(
        r"(?:đạt|dat|được|duoc)?\s*\d{1,4}(?:[.,]\d+)?\s*(?:%|phần trăm|phan tram)", " ", note
    )
    note = re.sub(r"\s+", " ", note).strip(" :-–,.;")
    truncated = len(note) > MAX_NOTE
    return {
        "item": ent.items[0] if ent.items else None,
        "status": ent.status,
        "percent": ent.percent,
        "note": note[:MAX_NOTE] if note else None,
        "truncated": truncated,
    }


def update_agency(
    ctx: AnswerContext, item: Item, u: Understanding, asker: Asker | None
) -> tuple[Assignment, str]:
    """Which assignment and agency an update is for."""
    named = u.agency.agency.id if u.agency else None
    candidates = [named] if named and (asker is None or asker.is_admin) else []
    if asker and asker.agency_id and not asker.is_admin:
        candidates = [asker.agency_id]
    for agency_id in candidates:
        groups = {agency_id, *ctx.k.agencies[agency_id].member_of}
        for a in item.assignments:
            if any(ar.agency in groups for ar in a.agencies):
                return a, agency_id
    for a in item.assignments:
        leader = item.leader_of(a)
        if leader and not ctx.k.agencies[leader.agency].is_group:
            return a, leader.agency
    a = item.assignments[0]
    return a, a.lead().agency


@register("progress_update", reading="cập nhật tiến độ nhiệm vụ {item}")
def progress_update(
    ctx: AnswerContext, u: Understanding, today: date, asker: Asker | None
) -> Reply:
    parsed = parse_update(u)
    ref = parsed["item"]
    status = parsed["status"]
    percent = parsed["percent"]
    if ref is None:
        reply = ask_item(ctx, u, "cập nhật", asker)
        reply.intent = "progress_update"
        reply.status, reply.percent = status, percent
        return reply
    if not ref.exists or ref.group:
        near = nearest_items(ctx, ref.id)
        return Reply(
            "progress_update",
            f"Kế hoạch không có nhiệm vụ {esc(ref.id)} để cập nhật. Các mục gần nhất: {esc(', '.join(near))}.",
            status=status,
            percent=percent,
            buttons=item_buttons(near),
        )
    item = ctx.items[ref.id]
    base: dict[str, Any] = dict(
        task_ids=[item.id], status=status, percent=percent, note=parsed["note"]
    )
    if percent is not None and not 0 <= percent <= 100:
        return Reply(
            "progress_update",
            f"Tỷ lệ {esc(u.entities.percent_raw or percent)}% không hợp lệ: tỷ lệ hoàn thành phải từ 0 đến 100%.",
            **base,
        )
    if u.entities.status_conflict:
        return Reply(
            "progress_update",
            f"Nhiệm vụ {esc(item.id)}: anh/chị ghi «xong» nhưng tỷ lệ {percent}%. "
            "Nhiệm vụ đã hoàn thành (100%) hay đang thực hiện? Vui lòng gửi lại cho rõ, "
            f"ví dụ «/capnhat {esc(item.id)} xong» hoặc «/capnhat {esc(item.id)} {percent}% đang thực hiện».",
            **base,
        )
    if status is None:
        status = "in_progress"
        base["status"] = status
    assignment, agency_id = update_agency(ctx, item, u, asker)
    lines = [
        "<b>Xác nhận cập nhật tiến độ</b>",
        f"• Nhiệm vụ: <b>{esc(item.id)}{esc(assignment.part or '')}</b> — {esc(short_text(assignment.task or item.text, 80))}",
        f"• Cơ quan báo cáo: {esc(ctx.name(agency_id))}",
        f"• Trạng thái: {STATUS_LABELS[status]}",
        f"• Tỷ lệ: {percent}%" if percent is not None else "• Tỷ lệ: (không ghi)",
        f"• Ghi chú: {esc(parsed['note'])}" if parsed["note"] else "• Ghi chú: (không có)",
    ]
    if parsed["truncated"]:
        lines.append(f"<i>Ghi chú dài quá {MAX_NOTE} ký tự nên chỉ giữ {MAX_NOTE} ký tự đầu.</i>")
    lines.append("Bấm «Lưu» để ghi nhận, hoặc «Hủy».")
    reply = Reply(
        "progress_update",
        "\n".join(lines),
        agency=ctx.name(agency_id),
        agency_id=agency_id,
        **base,
    )
    reply.extra["assignment_key"] = item.assignment_key(assignment)
    return reply
