"""`python -m bot chat`: talk to the bot in a terminal, the way Telegram would.

A prompt, the reply as plain text, until Ctrl-D, Ctrl-C or "thoát". A reply's buttons
(«Ý anh/chị là …?», the items to choose from, a history, a member's ✅ Duyệt…) are listed
by number; typing the number does what pressing it does on Telegram. Nothing is sent
anywhere; the plan is loaded and checked first (a PlanError reaches the CLI, which prints
it as one message). The session is one conversation, as a private chat is: follow-ups
(«còn Sở Tài chính?», «hạn khi nào?») are read against it, and a list shown cut is
followed by «(gõ «thêm» để xem tất cả)».

Without a brain given, the session is a complete local trial (`bot.app.local_trial`):
the bot's services on the local database (DATABASE_URL), the user a bot admin, the
commands answered, a progress card saved on «lưu».
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Protocol, TextIO

from bot.app.local_trial import CHAT, LocalTrial, Shown
from bot.conversation import MORE_HINT
from bot.core.clock import Clock, SystemClock
from bot.core.config import Settings
from bot.core.reply import Reply
from bot.core.text import fold
from bot.plan.loader import Knowledge
from bot.progress.types import Asker

PROMPT = "Anh/chị: "
EXIT_WORDS = frozenset({"thoat", "exit", "quit", "bye", "tam biet"})
INTRO = (
    "Trợ lý {plan} — trò chuyện trên terminal.\n"
    "Gõ câu hỏi rồi Enter, ví dụ: Sở Nội vụ phải làm gì? | nhiệm vụ 2.4 | việc nào sắp đến hạn?\n"
    "{trial}"
    'Gõ "thoát" hoặc nhấn Ctrl-D để kết thúc.\n'
)
TRIAL = (
    "Dùng thử đầy đủ trên cơ sở dữ liệu cục bộ: anh/chị là quản trị viên bot; báo cáo tiến"
    " độ, /dangky, /chuabaocao, /baocao… đều dùng được (/help để xem các lệnh).\n"
)
CHOICES = "Gõ số để chọn: {choices}"


class BrainLike(Protocol):
    @property
    def knowledge(self) -> Knowledge | None: ...

    def answer(
        self, text: str, *, today: date, asker: Asker | None = None, chat: str | None = None
    ) -> Reply: ...


def intro(knowledge: Knowledge | None, *, trial: bool = False) -> str:
    """The first lines, naming the plan loaded ("Trợ lý Kế hoạch 12/KH-UBND")."""
    plan = knowledge.plan.meta.label if knowledge else "Kế hoạch"
    return INTRO.format(plan=plan, trial=TRIAL if trial else "")


def choices(reply: Reply) -> list[tuple[str, str]]:
    """The (label, question) of a reply's buttons that ask a question again."""
    return [
        (button.text, button.args[0])
        for row in reply.buttons
        for button in row
        if button.action == "ask" and button.args
    ]


def _asking(brain: BrainLike, clock: Clock) -> Callable[[str], Shown]:
    """A given brain's turns (no local trial): its reply, its questions as choices."""

    def turn(text: str) -> Shown:
        reply = brain.answer(text, today=clock.today(), chat=CHAT)
        shown = Shown(reply.plain.strip(), more=bool(reply.more))
        shown.choices = [(label, _asker(turn, question)) for label, question in choices(reply)]
        return shown

    return turn


def _asker(turn: Callable[[str], Shown], question: str) -> Callable[[], Shown]:
    return lambda: turn(question)


def run_chat(
    settings: Settings,
    *,
    brain: BrainLike | None = None,
    clock: Clock | None = None,
    read: Callable[[str], str] = input,
    out: TextIO | None = None,
    reports: Path | None = None,
) -> int:
    """Read questions, print answers; return 0 when the user leaves. Without `brain`, a
    local trial on DATABASE_URL (`/baocao` writes into `reports`, by default the
    current directory), closed at the end."""
    out = out or sys.stdout
    clock = clock or SystemClock(settings.tz)
    trial = LocalTrial.open(settings, clock, reports=reports) if brain is None else None
    try:
        if trial is not None:
            _talk(trial.turn, trial.knowledge, True, read, out)
        else:
            assert brain is not None
            _talk(_asking(brain, clock), brain.knowledge, False, read, out)
    finally:
        if trial is not None:
            trial.close()
    return 0


def _talk(
    turn: Callable[[str], Shown],
    knowledge: Knowledge | None,
    trial: bool,
    read: Callable[[str], str],
    out: TextIO,
) -> None:
    prompt = PROMPT
    if read is input:
        if sys.stdin.isatty():
            with contextlib.suppress(ImportError):
                import readline  # noqa: F401  (line editing and history for input())
        else:
            prompt = ""  # piped questions: print only the answers
    out.write(intro(knowledge, trial=trial) + "\n")
    offered: list[tuple[str, Callable[[], Shown]]] = []  # the last reply's choices, by number
    while True:
        try:
            line = read(prompt)
        except (EOFError, KeyboardInterrupt):
            out.write("\n")
            break
        text = line.strip()
        if not text:
            continue
        if fold(text).strip(" .!") in EXIT_WORDS:
            break
        picked = text.rstrip(".)")
        if picked.isdigit() and 1 <= int(picked) <= len(offered):
            shown = offered[int(picked) - 1][1]()
        else:
            shown = turn(text)
        offered = shown.choices
        hint = f"\n{MORE_HINT}" if shown.more else ""
        out.write(shown.text + hint + "\n")
        if offered:
            listed = " · ".join(f"{i} — {label}" for i, (label, _) in enumerate(offered, 1))
            out.write(CHOICES.format(choices=listed) + "\n")
        out.write("\n")
        out.flush()
    out.write("Tạm biệt!\n")
