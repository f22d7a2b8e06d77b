"""Agency names the registry does not know, as typed ("Sở Ngoại vụ"): so the bot can say
the plan does not mention them instead of guessing another agency."""

from __future__ import annotations

import re

from bot.core.text import fold

# "Sở"/"Ban" written with their marks cannot be "số"/"bán": a department name follows.
_HEAD = re.compile(r"(?<!\w)(Sở|SỞ|sở|Ban|BAN)\s+((?:[^\s?!.,;:]+\s*){1,4})")
# words that end a name: the question starts there
_STOP = {
    "co",
    "lam",
    "phai",
    "duoc",
    "thi",
    "chu",
    "phoi",
    "tham",
    "giao",
    "nhiem",
    "viec",
    "can",
    "se",
    "da",
    "dang",
    "bi",
    "trong",
    "o",
    "ve",
    "voi",
    "la",
    "gi",
    "nao",
    "a",
    "nhe",
    "vay",
    "khong",
    "ko",
    "cho",
    "hoi",
    "the",
    "ra",
    "sao",
    "bao",
    "chua",
}


def unknown_agency_name(text: str) -> str | None:
    """The agency-like name in `text` ("Sở Ngoại vụ"), or None."""
    m = _HEAD.search(text)
    if not m:
        return None
    words = []
    for word in m.group(2).split():
        if fold(word) in _STOP:
            break
        words.append(word)
    if not words:
        return None
    return f"{m.group(1).capitalize()} {' '.join(words)}"
