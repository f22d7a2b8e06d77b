"""What the brain answers, independent of any transport.

A `Reply` carries the understanding (intent, agency, items, update fields,
confidence) and the text as Telegram HTML; a reply showing a list cut short carries the
whole list in `more` (the doors offer «Xem tất cả»). `plain` is the same text with tags
removed and entities unescaped: what `ask` prints and what a user reads.
`split_html` cuts a long HTML reply into Telegram-sized pieces on line breaks.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from typing import Any

TELEGRAM_LIMIT = 4096
_TAG = re.compile(r"<[^<>]+>")


def esc(text: object) -> str:
    """Escape any user or plan text for Telegram HTML."""
    return html.escape(str(text), quote=False)


def html_to_plain(text: str) -> str:
    """The text a reader sees of a Telegram HTML message."""
    return html.unescape(_TAG.sub("", text))


# What a button of the brain does, and how many arguments it takes: open an item
# (item), ask a question again (question text), pick an item for a verb (verb, item),
# show an item's progress history (item); act on the progress update the reply shows
# (save, edit or cancel), report that update on an item or part (item); show the whole
# of the list a reply cut (the key the conversation gave that list).
ACTIONS: dict[str, int] = {
    "open_item": 1,
    "ask": 1,
    "pick": 2,
    "history": 1,
    "update": 1,
    "update_item": 1,
    "more": 1,
}


@dataclass(frozen=True)
class Button:
    """An inline keyboard button: a label and what pressing it does.

    The brain's buttons are semantic: an `action` of `ACTIONS` with its `args`, e.g.
    `Button("Xem 2.4", action="open_item", args=("2.4",))`; only a door turns them into
    its own data (Telegram: `bot.telegram.callbacks.button_data`). A door's own buttons
    carry `data` instead: its callback data (≤ 64 bytes), or a question to ask.
    """

    text: str
    data: str = ""
    action: str | None = None
    args: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.action is None:
            if self.args:
                raise ValueError(f"nút không có action nhưng có args: {self.args!r}")
            if len(self.data.encode("utf-8")) > 64:
                raise ValueError(f"callback_data quá 64 byte: {self.data!r}")
            return
        if self.action not in ACTIONS:
            raise ValueError(f"action không hợp lệ: {self.action!r}")
        if self.data:
            raise ValueError(f"nút có action {self.action!r} không mang data: {self.data!r}")
        args = self.args
        if (
            not isinstance(args, tuple)
            or len(args) != ACTIONS[self.action]
            or not all(isinstance(a, str) and a.strip() for a in args)
        ):
            raise ValueError(f"args của action {self.action!r} không hợp lệ: {args!r}")


@dataclass
class Reply:
    """One answer of the brain."""

    intent: str
    html: str
    confidence: float = 1.0
    agency: str | None = None
    agency_id: str | None = None
    task_ids: list[str] = field(default_factory=list)
    general_task_ids: list[str] = field(default_factory=list)
    # items the agency holds today through an agency it took over from (2025 restructuring)
    inherited_task_ids: list[str] = field(default_factory=list)
    status: str | None = None
    percent: int | None = None
    note: str | None = None
    role: str | None = None
    buttons: list[list[Button]] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)
    # the whole list as HTML when `html` shows it cut; a chat's conversation keeps it
    # for «Xem tất cả» / «thêm» (bot.conversation)
    more: str | None = None
    # the number of the plan the answer is from («12/KH-UBND»); None when it spans several
    plan: str | None = None
    # the plans an answer spans, when several (their numbers)
    plans: list[str] = field(default_factory=list)

    @property
    def plain(self) -> str:
        return html_to_plain(self.html)

    def pieces(self, limit: int = TELEGRAM_LIMIT) -> list[str]:
        """The HTML split into messages Telegram accepts."""
        return split_html(self.html, limit)

    def to_json(self) -> dict[str, Any]:
        """The `ask --json` contract (docs/ask-contract.md)."""
        return {
            "intent": self.intent,
            "agency": self.agency,
            "task_ids": list(self.task_ids),
            "general_task_ids": list(self.general_task_ids),
            "inherited_task_ids": list(self.inherited_task_ids),
            "status": self.status,
            "percent": self.percent,
            "confidence": round(self.confidence, 3),
            "plan": self.plan,
            **({"plans": list(self.plans)} if self.plans else {}),
            "reply": self.plain,
        }


def _open_tags(fragment: str) -> list[str]:
    """Tags left open at the end of an HTML fragment (as full opening tags)."""
    stack: list[tuple[str, str]] = []
    for m in re.finditer(r"<(/?)(b|i|u|s|code|pre|a)(\s[^>]*)?>", fragment):
        if m.group(1):
            if stack and stack[-1][0] == m.group(2):
                stack.pop()
        else:
            stack.append((m.group(2), m.group(0)))
    return [full for _, full in stack]


def _tag_name(opening: str) -> str:
    return opening[1:].split(">")[0].split()[0]


def units(text: str) -> int:
    """Length as Telegram counts it: UTF-16 code units (an emoji outside the BMP is 2)."""
    return len(text.encode("utf-16-le")) // 2


def _fitting(line: str, limit: int) -> int:
    """How many characters of `line` fit in `limit` UTF-16 units."""
    if units(line) <= limit:
        return len(line)
    used = 0
    for index, char in enumerate(line):
        used += 2 if ord(char) > 0xFFFF else 1
        if used > limit:
            return index
    return len(line)


def _hard_cut(line: str, limit: int) -> list[str]:
    """Cut an over-long line at spaces (or anywhere), never inside a tag or entity."""
    out: list[str] = []
    while units(line) > limit:
        fits = _fitting(line, limit)
        cut = line.rfind(" ", 0, fits)
        if cut < fits // 2:
            cut = fits
        # do not cut inside a tag or an entity
        lt, gt = line.rfind("<", 0, cut), line.rfind(">", 0, cut)
        if lt > gt:
            cut = lt
        amp = line.rfind("&", 0, cut)
        if amp != -1 and ";" not in line[amp:cut]:
            cut = amp
        if cut <= 0:
            cut = fits
        out.append(line[:cut])
        line = line[cut:].lstrip(" ")
    out.append(line)
    return out


def split_html(text: str, limit: int = TELEGRAM_LIMIT) -> list[str]:
    """Split HTML into pieces of at most `limit` UTF-16 units (Telegram's measure, so at
    most `limit` characters too), keeping tags balanced."""
    if units(text) <= limit:
        return [text]
    budget = limit - 200  # room for re-opened and closing tags
    lines: list[str] = []
    for line in text.split("\n"):
        lines.extend(_hard_cut(line, budget) if units(line) > budget else [line])
    pieces: list[str] = []
    current = ""
    for line in lines:
        candidate = f"{current}\n{line}" if current else line
        if units(candidate) > budget and current:
            pieces.append(current)
            current = line
        else:
            current = candidate
    if current:
        pieces.append(current)
    balanced: list[str] = []
    carry: list[str] = []
    for piece in pieces:
        body = "".join(carry) + piece
        still_open = _open_tags(body)
        closing = "".join(f"</{_tag_name(t)}>" for t in reversed(still_open))
        balanced.append((body + closing).strip("\n") or " ")
        carry = still_open
    return balanced
