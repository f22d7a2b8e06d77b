"""Agency names the registry does not know, as typed ("Sở Ngoại vụ"): so the bot can say
the plan does not mention them instead of guessing another agency.

The words come from `intents/vi/lists.yaml` (`agency_name`): the heads that start such
a name (matched as typed, so "Sở"/"Ban" with their marks cannot be "số"/"bán") and the
words that end it, where the question starts.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

from bot.core.text import fold


class AgencyNameSpotter:
    """Finds an agency-like name: a head word, then up to four words before a stop word."""

    def __init__(self, heads: Iterable[str], stop_words: Iterable[str]):
        alternatives = "|".join(re.escape(unicodedata.normalize("NFC", h)) for h in heads)
        self._head = re.compile(rf"(?<!\w)({alternatives})\s+((?:[^\s?!.,;:]+\s*){{1,4}})")
        self._stop = frozenset(fold(w) for w in stop_words)

    def find(self, text: str) -> str | None:
        """The agency-like name in `text` ("Sở Ngoại vụ"), or None."""
        m = self._head.search(text)
        if not m:
            return None
        words = []
        for word in m.group(2).split():
            if fold(word) in self._stop:
                break
            words.append(word)
        if not words:
            return None
        return f"{m.group(1).capitalize()} {' '.join(words)}"
