"""Inline keyboard callback data: short, versioned and validated.

Every button carries `v1:<kind>:<arg>`, at most 64 bytes. Built-in kinds: `item`
(open a plan item, arg = item number such as `2.4`), `q` (ask the brain again,
arg = the question as text, e.g. the brain's "Ý anh/chị là…?" suggestions), `ask`
(a question too long for the button, arg = a short id in `AskStore`) and `more`
(«Xem tất cả»: the whole of a list the reply cut, arg = the key the conversation
gave that list).
Feature modules add their own kinds (undo, approve, pick, hist…) with
`handlers.add_route`: one `CallbackQueryHandler(pattern=pattern_for(kind))` each.
Data that does not parse, or names a kind nobody handles, is answered harmlessly;
each route validates its own argument.

The brain's buttons are semantic (`Button.action`: open_item, ask, pick, history,
more); `button_data` is the one place they become callback data: `v1:item:<item>`,
`v1:q:<question>` (a question too long for it goes whole into the `AskStore`,
`v1:ask:<id>`), `v1:pick:<verb, 6 characters>:<item>`, `v1:hist:<item>` and
`v1:more:<key>`. A door's own `Button` whose data already is `v1:…` is sent as is;
any other data is taken as a question to ask and stored under a short id.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.core.reply import Button

VERSION = "v1"
MAX_BYTES = 64
ITEM = "item"
ASK = "ask"
QUESTION = "q"
PICK = "pick"  # the brain's «which item?» buttons (routed by telegram.progress.reporting)
HISTORY = "hist"  # an item's progress history (routed by telegram.progress.views)
UPDATE = "upd"  # a progress update's card: save, edit, cancel (telegram.progress.reporting)
UPDATE_ITEM = "upick"  # the item of a progress update (telegram.progress.reporting)
MORE = "more"  # «Xem tất cả»: the whole of a cut list (routed by handlers)
QUESTION_CHARS = 58  # of a `q` question; then cut to MAX_BYTES
VERB_CHARS = 6  # of a `pick` verb

_KIND = re.compile(r"^[a-z][a-z0-9_]{0,11}$")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff]")
ASK_KEY = re.compile(r"^[a-z2-7]{16}$")
# an item number, with its plan's short key when several plans are served («58#1.2»)
ITEM_ID = re.compile(r"^(?:\d{1,4}#)?(?:\d{1,3}(?:\.\d{1,3})?[a-z]?|[IVX]{1,5}\.\d{1,3})$")
MORE_KEY = re.compile(r"^[0-9a-f]{1,32}$")


@dataclass(frozen=True)
class CallbackData:
    """A parsed callback: which route (`kind`) and its argument."""

    kind: str
    arg: str

    def encode(self) -> str:
        return encode(self.kind, self.arg)


def _valid(kind: str, arg: str) -> bool:
    return bool(_KIND.match(kind)) and bool(arg.strip()) and not _CONTROL.search(arg)


def encode(kind: str, arg: str) -> str:
    """The callback_data string for a route; ValueError when it cannot be valid."""
    data = f"{VERSION}:{kind}:{arg}"
    if not _valid(kind, arg) or len(data.encode("utf-8")) > MAX_BYTES:
        raise ValueError(f"callback_data không hợp lệ hoặc quá {MAX_BYTES} byte: {data!r}")
    return data


def parse(data: object) -> CallbackData | None:
    """The callback a button carries, or None for forged, foreign or old-format data."""
    if not isinstance(data, str) or len(data.encode("utf-8", "replace")) > MAX_BYTES:
        return None
    parts = data.split(":", 2)
    if len(parts) != 3 or parts[0] != VERSION or not _valid(parts[1], parts[2]):
        return None
    return CallbackData(parts[1], parts[2])


def pattern_for(kind: str) -> Callable[[object], bool]:
    """A `CallbackQueryHandler(pattern=…)` matching well-formed `v1:<kind>:…` data only
    (anything else falls through to the stale-button answer)."""
    encode(kind, "x")  # validates the kind name

    def matches(data: object) -> bool:
        parsed = parse(data)
        return parsed is not None and parsed.kind == kind

    return matches


def item_data(item_id: str) -> str:
    """callback_data that opens a plan item."""
    return encode(ITEM, item_id)


class AskStore:
    """Questions behind `ask` buttons, by a short deterministic id (bounded LRU).

    The id is a hash of the text, so the same suggestion always gets the same
    button; after a restart or eviction the button is stale and answered as such.
    """

    def __init__(self, capacity: int = 5000):
        self.capacity = capacity
        self._texts: OrderedDict[str, str] = OrderedDict()

    @staticmethod
    def key_of(text: str) -> str:
        digest = hashlib.blake2b(text.encode("utf-8"), digest_size=10).digest()  # 16 chars
        return base64.b32encode(digest).decode("ascii").lower().rstrip("=")

    def put(self, text: str) -> str:
        key = self.key_of(text)
        self._texts[key] = text
        self._texts.move_to_end(key)
        while len(self._texts) > self.capacity:
            self._texts.popitem(last=False)
        return key

    def get(self, key: str) -> str | None:
        text = self._texts.get(key)
        if text is not None:
            self._texts.move_to_end(key)
        return text

    def __len__(self) -> int:
        return len(self._texts)


def semantic_data(button: Button, update: str | None = None) -> str:
    """callback_data for a semantic button of the brain (`Button.action`). `update` is
    the id under which the door keeps the progress update an `update` / `update_item`
    button acts on (`v1:upd:save:<id>`, `v1:upick:<id>:<item>`); without it, such a
    button is answered as stale."""
    args = button.args
    if button.action == "update":
        return encode(UPDATE, f"{args[0]}:{update}" if update else args[0])
    if button.action == "update_item":
        return encode(UPDATE_ITEM, f"{update}:{args[0]}" if update else args[0])
    if button.action == "open_item":
        return encode(ITEM, args[0])
    if button.action == "pick":
        verb, item_id = args
        return encode(PICK, f"{verb[:VERB_CHARS]}:{item_id}")
    if button.action == "history":
        return encode(HISTORY, args[0])
    if button.action == "more":
        return encode(MORE, args[0])
    if button.action == "ask":
        data = f"{VERSION}:{QUESTION}:{args[0][:QUESTION_CHARS]}"
        return data.encode("utf-8")[:MAX_BYTES].decode("utf-8", "ignore")
    raise ValueError(f"action không hợp lệ: {button.action!r}")


def _fits(kind: str, arg: str) -> bool:
    return _valid(kind, arg) and len(f"{VERSION}:{kind}:{arg}".encode()) <= MAX_BYTES


def button_data(button: Button, asks: AskStore) -> str:
    """callback_data for a button: a semantic one mapped by `semantic_data` (an `ask`
    question too long for `v1:q:` is stored whole as an `ask` instead of cut); a door's
    own data passed through if valid `v1:`, else stored as an `ask`."""
    if button.action == "ask" and not _fits(QUESTION, button.args[0]):
        return encode(ASK, asks.put(button.args[0]))  # whole, never cut to another question
    if button.action is not None:
        return semantic_data(button)
    if parse(button.data) is not None:
        return button.data
    return encode(ASK, asks.put(button.data))


def keyboard(rows: Sequence[Sequence[Button]], asks: AskStore) -> InlineKeyboardMarkup | None:
    """The inline keyboard for a reply's buttons (None when there are none)."""
    data = keyboard_json(rows, asks)
    if data is None:
        return None
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(**button) for button in row] for row in data["inline_keyboard"]]
    )


def keyboard_json(rows: Sequence[Sequence[Button]], asks: AskStore) -> dict[str, Any] | None:
    """`keyboard` as the Bot API's JSON (for `sending.post_message`), None when empty."""
    built = [
        [{"text": b.text or "…", "callback_data": button_data(b, asks)} for b in row]
        for row in rows
        if row
    ]
    return {"inline_keyboard": built} if built else None
