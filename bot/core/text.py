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


@lru_cache(maxsize=2048)  # pure; every message is cleaned by the door and again by the NLU
def clean(text: str) -> str:
    """Canonical display-safe form of user input: NFC, no controls, single spaces."""
    text = unicodedata.normalize("NFC", text or "")
    text = text.translate(_ZERO_WIDTH)
    if not text.isprintable():  # printable text has no character of category C
        text = "".join(
            ch if (unicodedata.category(ch)[0] != "C" or ch in "\n\t") else " " for ch in text
        )
    text = html.unescape(text)
    if "<" in text:
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


# --- Telex left unconverted -------------------------------------------------

_TONES = {"s": "\u0301", "f": "\u0300", "r": "\u0309", "x": "\u0303", "j": "\u0323"}
_VOWELS = "aeiouy"
_FINALS = {"c", "ch", "m", "n", "ng", "nh", "p", "t"}
_TELEX_WORD = re.compile(r"^[a-z]+$")


@lru_cache(maxsize=4096)  # pure function of one word; common words repeat
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
    else:
        # the tone key may also come before a final consonant: "tifm" → "tìm"
        first_vowel = next((i for i, ch in enumerate(body) if ch in _VOWELS), None)
        if first_vowel is not None:
            for i in range(first_vowel + 1, len(body)):
                if body[i] in _TONES and body[i + 1 :] in _FINALS:
                    tone = _TONES[body[i]]
                    body = body[:i] + body[i + 1 :]
                    break
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


_VNI_WORD = re.compile(r"^[a-zA-ZđĐ]+[1-9][a-zA-Z1-9]*$")
_VNI_MARKS = {"1": "\u0301", "2": "\u0300", "3": "\u0309", "4": "\u0303", "5": "\u0323"}
_VNI_DIGIT = re.compile(r"[1-9]")


def looks_like_vni(text: str) -> bool:
    """True when two or more words carry VNI digits ("so73 no65i vu5")."""
    if not _VNI_DIGIT.search(text):  # a VNI word has a digit 1-9
        return False
    return sum(1 for w in text.split() if _VNI_WORD.match(w.strip(".,;:?!"))) >= 2


def unvni(text: str) -> str:
    """Convert words typed with VNI left off: 6 → ^, 7 → ơ/ư, 8 → ă, 9 → đ, 1–5 → tones."""
    out = []
    for token in re.split(r"(\s+)", text):
        core = token.strip(".,;:?!")
        if not _VNI_WORD.match(core):
            out.append(token)
            continue
        word, tone = "", ""
        for ch in core:
            low = ch.lower()
            if ch in _VNI_MARKS:
                tone = _VNI_MARKS[ch]
            elif ch == "6" and word and fold(word[-1]) in "aeo":
                word = word[:-1] + {"a": "â", "e": "ê", "o": "ô"}[fold(word[-1])]
            elif ch == "7" and word:
                idx = max(word.rfind("o"), word.rfind("u"))
                if idx >= 0:
                    word = word[:idx] + {"o": "ơ", "u": "ư"}[word[idx]] + word[idx + 1 :]
            elif ch == "8" and word and word[-1] == "a":
                word = word[:-1] + "ă"
            elif ch == "9" and "d" in word:
                word = word.replace("d", "đ", 1)
            elif low.isalpha() or low == "đ":
                word += ch
        converted = _place_tone(word, tone) if tone else word
        out.append(token.replace(core, converted))
    return "".join(out)


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
