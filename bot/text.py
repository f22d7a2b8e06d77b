"""Text normalisation for Vietnamese as officials type it.

`clean` makes any input safe and canonical (NFC, no control or zero-width
characters, no stray HTML tags, collapsed punctuation and spaces). `fold` turns
text into the matching form: no diacritics, đ→d, lower case, so old and new tone
placement (hoá/hóa) and missing marks compare equal. `untelex` converts words
typed with the Telex keyboard switched off ("sowr nooij vuj" → "sở nội vụ").
"""

from __future__ import annotations

import html
import re
import unicodedata
from functools import lru_cache

_ZERO_WIDTH = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad\u180e"), None)
_TAG = re.compile(r"</?[a-zA-Z][^<>]{0,200}>")
_REPEAT_PUNCT = re.compile(r"([!?.,;:~*_\-=])\1+")
_SPACES = re.compile(r"\s+")


def clean(text: str) -> str:
    """Canonical display-safe form of user input: NFC, no controls, single spaces."""
    text = unicodedata.normalize("NFC", text or "")
    text = text.translate(_ZERO_WIDTH)
    text = "".join(
        ch if (unicodedata.category(ch)[0] != "C" or ch in "\n\t") else " " for ch in text
    )
    text = html.unescape(text)
    text = _TAG.sub(" ", text)
    text = _REPEAT_PUNCT.sub(r"\1", text)
    return _SPACES.sub(" ", text).strip()


def strip_marks(text: str) -> str:
    """Remove Vietnamese diacritics (keeps case); đ/Đ become d/D."""
    decomposed = unicodedata.normalize("NFD", text)
    bare = "".join(ch for ch in decomposed if unicodedata.category(ch) != "Mn")
    return bare.replace("đ", "d").replace("Đ", "D")


@lru_cache(maxsize=8192)
def fold(text: str) -> str:
    """Matching form: no diacritics, đ→d, lower case, single spaces."""
    return _SPACES.sub(" ", strip_marks(text).lower()).strip()


def fold_tokens(text: str) -> list[str]:
    """Folded words, with '&' and '-' kept apart; punctuation dropped."""
    return re.findall(r"[0-9a-z]+", fold(text))


# --- Telex left unconverted -------------------------------------------------

_TONES = {"s": "\u0301", "f": "\u0300", "r": "\u0309", "x": "\u0303", "j": "\u0323"}
_VOWELS = "aeiouy"
_TELEX_WORD = re.compile(r"^[a-z]+$")


def _telex_word(word: str) -> str | None:
    """Convert one Telex-typed word, or None when it does not look like Telex."""
    low = word.lower()
    if not _TELEX_WORD.match(low) or len(low) < 2:
        return None
    tone = ""
    body = low
    if body[-1] in _TONES and len(body) > 2 and any(v in body[:-1] for v in _VOWELS):
        tone = _TONES[body[-1]]
        body = body[:-1]
    changed = bool(tone)
    for src, dst in (
        ("dd", "đ"),
        ("aa", "â"),
        ("ee", "ê"),
        ("oo", "ô"),
        ("aw", "ă"),
        ("ow", "ơ"),
        ("uw", "ư"),
    ):
        if src in body:
            body = body.replace(src, dst)
            changed = True
    if body.endswith("w"):
        return None
    if "w" in body:
        return None
    if not changed:
        return None
    if not tone:
        return body
    return _place_tone(body, tone)


def _place_tone(word: str, tone: str) -> str:
    """Put the tone mark on the right vowel (new-style placement)."""
    vowels = [i for i, ch in enumerate(word) if fold(ch) in _VOWELS]
    if not vowels:
        return word
    marked = [i for i in vowels if word[i] in "âêôăơư"]
    if marked:
        pos = marked[-1]
    elif len(vowels) == 1:
        pos = vowels[0]
    else:
        group = word[vowels[0] : vowels[-1] + 1]
        ends_with_vowel = vowels[-1] == len(word) - 1
        if group in ("oa", "oe", "uy", "ue") or not ends_with_vowel:
            pos = vowels[1] if len(vowels) >= 2 else vowels[0]
        else:
            pos = vowels[-2]
        if word.startswith(("qu", "gi")) and pos == 1 and len(vowels) > 1:
            pos = vowels[-1] if len(vowels) == 2 else vowels[1]
    return unicodedata.normalize("NFC", word[: pos + 1] + tone + word[pos + 1 :])


def untelex(text: str) -> str:
    """Convert the Telex-looking words of `text`; other words stay as they are."""
    out = []
    for token in re.split(r"(\s+)", text):
        converted = _telex_word(token) if token and not token.isspace() else None
        out.append(converted if converted is not None else token)
    return "".join(out)


def looks_like_telex(text: str) -> bool:
    """True when several words carry Telex markers (sowr, nooij, vuj…)."""
    words = text.lower().split()
    hits = sum(1 for w in words if _telex_word(w) is not None)
    return hits >= 1 and hits * 3 >= len(words)
