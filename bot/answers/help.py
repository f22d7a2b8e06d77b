"""The `help` intent: what the assistant answers, with examples and its commands."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from bot.answers.context import AnswerContext
from bot.answers.registry import register
from bot.core.reply import Reply, esc
from bot.progress.types import Asker

if TYPE_CHECKING:
    from bot.nlu.understanding import Understanding

HELP = (
    "<b>Trợ lý {plan}</b> — tra cứu và theo dõi {about}. Anh/chị có thể hỏi:\n"
    "• Việc của một cơ quan: «Sở Nội vụ phải làm gì?», «SKHĐT chủ trì việc nào?»\n"
    "• Chi tiết một nhiệm vụ: «nhiệm vụ 2.4», «ai phối hợp 4.2?»\n"
    "• Theo thời hạn: «việc nào hạn quý II/2023?», «việc nào sắp đến hạn?», «việc nào quá hạn?»\n"
    "• Theo chủ đề: «kiều bào», «ODA», «Nghị định 58/2022»\n"
    "• Thông tin văn bản: «ai ký kế hoạch?», «mục đích của kế hoạch?»\n"
    "• Báo cáo tiến độ: «/capnhat 2.4 60% đang lấy ý kiến», xem: «/tiendo 2.4»\n"
    "Lệnh: /nhiemvu, /coquan, /han, /timkiem, /tiendo, /capnhat, /help."
)


@register("help", reading="hướng dẫn sử dụng", question="hướng dẫn sử dụng")
def help_answer(ctx: AnswerContext, u: Understanding, today: date, asker: Asker | None) -> Reply:
    meta = ctx.plan.meta
    about = (
        f"{meta.doc_type} {meta.short_title}"
        if meta.short_title
        else f"{meta.doc_type} «{' '.join(meta.title.split())}»"
    )
    return Reply("help", HELP.format(plan=esc(meta.label), about=esc(about)))
