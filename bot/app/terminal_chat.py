"""`python -m bot chat`: talk to the brain in a terminal, the way Telegram would.

A prompt, the reply as plain text, until Ctrl-D, Ctrl-C or "thoát". A reply's
«Ý anh/chị là …?» buttons are listed by number; typing the number asks that button's
question, as pressing it does on Telegram. Nothing is sent anywhere; the plan is loaded
and checked first (a PlanError reaches the CLI, which prints it as one message). The
session is one conversation, as a private chat is: follow-ups («còn Sở Tài chính?», «hạn
khi nào?») are read against it, and a list shown cut is followed by «(gõ «thêm» để xem
tất cả)».
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable
from datetime import date
from typing import Protocol, TextIO

from bot.conversation import MORE_HINT, InMemoryConversationStore, chat_key
from bot.core.clock import Clock, SystemClock
from bot.core.config import Settings
from bot.core.reply import Reply
from bot.core.text import fold
from bot.plan.loader import Knowledge
from bot.progress.types import Asker

PROMPT = "Bạn: "
EXIT_WORDS = frozenset({"thoat", "exit", "quit", "bye", "tam biet"})
INTRO = (
    "Trợ lý {plan} — trò chuyện trên terminal.\n"
    "Gõ câu hỏi rồi Enter, ví dụ: Sở Nội vụ phải làm gì? | nhiệm vụ 2.4 | việc nào sắp đến hạn?\n"
    'Gõ "thoát" hoặc nhấn Ctrl-D để kết thúc.\n'
)
CHOICES = "Gõ số để chọn: {choices}"


class BrainLike(Protocol):
    @property
    def knowledge(self) -> Knowledge | None: ...

    def answer(
        self, text: str, *, today: date, asker: Asker | None = None, chat: str | None = None
    ) -> Reply: ...


CHAT = chat_key("terminal")  # the one conversation of a terminal session


def intro(knowledge: Knowledge | None) -> str:
    """The first lines, naming the plan loaded ("Trợ lý Kế hoạch 12/KH-UBND")."""
    return INTRO.format(plan=knowledge.plan.meta.label if knowledge else "Kế hoạch")


def choices(reply: Reply) -> list[tuple[str, str]]:
    """The (label, question) of a reply's buttons that ask a question again."""
    return [
        (button.text, button.args[0])
        for row in reply.buttons
        for button in row
        if button.action == "ask" and button.args
    ]


def _load_brain(settings: Settings, clock: Clock) -> BrainLike:
    from bot.brain import Brain
    from bot.plan.loader import load_knowledge
    from bot.storage import open_progress_reader

    return Brain(
        load_knowledge(settings.plan_path),
        progress=open_progress_reader(settings),
        conversations=InMemoryConversationStore(clock),
    )


def run_chat(
    settings: Settings,
    *,
    brain: BrainLike | None = None,
    clock: Clock | None = None,
    read: Callable[[str], str] = input,
    out: TextIO | None = None,
) -> int:
    """Read questions, print answers; return 0 when the user leaves."""
    out = out or sys.stdout
    clock = clock or SystemClock(settings.tz)
    brain = brain or _load_brain(settings, clock)
    prompt = PROMPT
    if read is input:
        if sys.stdin.isatty():
            with contextlib.suppress(ImportError):
                import readline  # noqa: F401  (line editing and history for input())
        else:
            prompt = ""  # piped questions: print only the answers
    out.write(intro(brain.knowledge) + "\n")
    offered: list[tuple[str, str]] = []  # the last reply's choices, by number
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
            text = offered[int(picked) - 1][1]
        reply = brain.answer(text, today=clock.today(), chat=CHAT)
        offered = choices(reply)
        hint = f"\n{MORE_HINT}" if reply.more else ""
        out.write(reply.plain.strip() + hint + "\n")
        if offered:
            listed = " · ".join(f"{i} — {label}" for i, (label, _) in enumerate(offered, 1))
            out.write(CHOICES.format(choices=listed) + "\n")
        out.write("\n")
        out.flush()
    out.write("Tạm biệt!\n")
    return 0
