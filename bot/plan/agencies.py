"""Recognise agencies in what officials type: names, aliases, initials, typos.

Every alias is folded (no diacritics, lower case, '&'/'và'/'-' dropped) into a
token key and a compact key ("skhdt"), and initials are generated from names
("Sở Kế hoạch và Đầu tư" → "skhdt"). Messages are scanned for the longest
matches; a fuzzy pass (rapidfuzz) catches typos only when the best candidate
clearly beats the second (a top-2 margin).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from rapidfuzz import fuzz, process

from bot.core.text import fold
from bot.plan.models import Agency

_CONNECTORS = {"va", "&"}
_HEADS = {"so", "ban", "van", "vp", "ubnd", "uy", "cong", "huyen", "thi", "thanh", "tp", "tx"}
_COMPACT_KINDS = {"department", "office", "police", "group"}
ASSIGNABLE = {"department", "office", "police", "group", "district", "press", "commune"}
FUZZY_CUTOFF = 91.0
FUZZY_MARGIN = 4.0
_ALIAS_TOKEN = re.compile(r"[0-9a-z&]+")


def alias_tokens(text: str) -> tuple[str, ...]:
    """Folded tokens of a name, '&' split off, connectors dropped."""
    folded = fold(text).replace("&", " & ")
    tokens = _ALIAS_TOKEN.findall(folded)
    return tuple(t for t in tokens if t not in _CONNECTORS)


def initials(name: str) -> str:
    """Initials of a name: "Sở Kế hoạch và Đầu tư" → "skhdt"."""
    return "".join(t[0] for t in alias_tokens(name) if t)


@dataclass(frozen=True)
class AgencyMatch:
    agency: Agency
    start: int  # token span in the message
    end: int
    score: float
    surface: str


class AgencyRegistry:
    """Alias tables over the agency registry, built once at start-up."""

    def __init__(self, agencies: dict[str, Agency]):
        self.agencies = agencies
        self._by_tokens: dict[tuple[str, ...], str] = {}
        self._by_compact: dict[str, str] = {}
        for agency in agencies.values():
            if not agency.in_messages:
                continue
            names = [agency.name, *agency.aliases]
            for name in names:
                toks = alias_tokens(name)
                if toks:
                    self._by_tokens.setdefault(toks, agency.id)
                    compact = "".join(t for t in toks if t != "&")
                    if len(compact) >= 3 and agency.kind in _COMPACT_KINDS:
                        self._by_compact.setdefault(compact, agency.id)
            if agency.kind in ("department", "office", "police"):
                ini = initials(agency.name)
                if len(ini) >= 3:
                    self._by_compact.setdefault(ini, agency.id)
        cased = [(a, re.escape(c)) for a in agencies.values() for c in a.cased_aliases]
        self._cased = [(re.compile(rf"(?<!\w){pattern}(?!\w)"), a) for a, pattern in cased]
        self._max_len = max(len(k) for k in self._by_tokens)
        self._first_tokens = {k[0] for k in self._by_tokens}
        # every beginning of a key: a scan stops as soon as what it read begins none
        self._token_prefixes = {k[:n] for k in self._by_tokens for n in range(1, len(k) + 1)}
        self._compact_prefixes = {c[:n] for c in self._by_compact for n in range(1, len(c) + 1)}
        self._fuzzy_keys = [
            " ".join(k)
            for k, agency_id in self._by_tokens.items()
            if len(" ".join(k)) >= 6 and agencies[agency_id].kind in _COMPACT_KINDS
        ]
        self._fuzzy_ids = [self._by_tokens[tuple(k.split(" "))] for k in self._fuzzy_keys]

    def get(self, agency_id: str) -> Agency:
        return self.agencies[agency_id]

    def _exact(self, tokens: list[str], i: int) -> tuple[int, str] | None:
        """Longest exact match starting at token i: (end, agency_id); a name wins over a
        compact form of the same length."""
        first = tokens[i]
        by_name = first in self._first_tokens
        # compact forms ("kh & dt", "khdt") are made of short pieces only
        by_compact = len(first) <= 3 or first in self._by_compact
        if not (by_name or by_compact):
            return None
        longest = min(self._max_len, len(tokens) - i)
        # windows grow one token at a time; a window ending in a connector is never a
        # match, and connectors inside are left out of the key
        hit: tuple[int, str] | None = None  # (window length, agency id)
        if by_name:
            key: tuple[str, ...] = ()
            for n in range(1, longest + 1):
                token = tokens[i + n - 1]
                if token in _CONNECTORS:
                    continue
                key += (token,)
                if key not in self._token_prefixes:
                    break
                found = self._by_tokens.get(key)
                if found is not None:
                    hit = (n, found)
        if by_compact:
            compact = ""
            # a window of more than one token is a compact form only if all are short
            for n in range(1, (longest if len(first) <= 3 else 1) + 1):
                token = tokens[i + n - 1]
                if len(token) > 3 and n > 1:
                    break
                if token in _CONNECTORS:
                    continue
                compact += token
                if compact not in self._compact_prefixes:
                    break
                if len(compact) >= 3 and (n > 1 or compact not in _COMMON_WORDS):
                    found = self._by_compact.get(compact)
                    if found is not None and (hit is None or n > hit[0]):
                        hit = (n, found)
        return (i + hit[0], hit[1]) if hit else None

    def find(self, tokens: list[str], fuzzy: bool = True) -> list[AgencyMatch]:
        """All agencies named in folded message tokens, longest match first, no overlaps
        (`fuzzy`: when none is named exactly, the best typo-tolerant match)."""
        matches: list[AgencyMatch] = []
        i = 0
        while i < len(tokens):
            hit = self._exact(tokens, i)
            if (
                hit
                and i > 0
                and tokens[i - 1] == "phong"
                and not (matches and matches[-1].end == i)  # "huyện Tuy Phong, Sở …"
                and self.agencies[hit[1]].kind == "department"
            ):
                i = hit[0]  # "phòng Nội vụ (huyện …)": a district office, not the Sở
                continue
            if hit:
                end, agency_id = hit
                matches.append(
                    AgencyMatch(self.agencies[agency_id], i, end, 100.0, " ".join(tokens[i:end]))
                )
                i = end
                continue
            i += 1
        if not matches and fuzzy:
            matches = self._fuzzy(tokens)
        return matches

    def find_cased(self, text: str) -> list[AgencyMatch]:
        """Agencies whose name is written exactly as registered (case and marks kept)."""
        out = []
        for pattern, agency in self._cased:
            m = pattern.search(text)
            if m:
                out.append(AgencyMatch(agency, 0, 0, 100.0, fold(m.group(0))))
        return out

    def _fuzzy(self, tokens: list[str]) -> list[AgencyMatch]:
        best: AgencyMatch | None = None
        for i, tok in enumerate(tokens):
            if tok not in _HEADS:
                continue
            for n in (3, 4, 5, 6):
                if i + n > len(tokens):
                    break
                window = " ".join(t for t in tokens[i : i + n] if t not in _CONNECTORS)
                if len(window) < 6:
                    continue
                found = process.extract(
                    window, self._fuzzy_keys, scorer=fuzz.ratio, limit=2, score_cutoff=70
                )
                if not found or found[0][1] < FUZZY_CUTOFF:
                    continue
                top_id = self._fuzzy_ids[found[0][2]]
                key_words = self._fuzzy_keys[found[0][2]].split()
                words = window.split()
                # the word after "Sở"/"Ban"… must itself be close: "số phương tiện" is no "Sở Thông tin"
                if len(key_words) > 1 and fuzz.ratio(words[1], key_words[1]) < 75:
                    continue
                if len(found) > 1:
                    second_id = self._fuzzy_ids[found[1][2]]
                    if second_id != top_id and found[0][1] - found[1][1] < FUZZY_MARGIN:
                        continue
                if best is None or found[0][1] > best.score:
                    best = AgencyMatch(self.agencies[top_id], i, i + n, found[0][1], window)
        return [best] if best else []

    def pick(self, matches: list[AgencyMatch]) -> AgencyMatch | None:
        """The agency a message is about: prefer assignable agencies, then longest."""
        if not matches:
            return None
        ranked = sorted(
            matches,
            key=lambda m: (m.agency.kind in ASSIGNABLE, m.agency.kind != "group", m.end - m.start),
            reverse=True,
        )
        return ranked[0]

    def resolve(self, text: str) -> list[Agency]:
        """Agencies a free-form name may mean (for /coquan): exact first, then fuzzy top picks."""
        tokens = list(alias_tokens(text))
        found = self.find(tokens) or self.find_cased(text)
        if found:
            best = self.pick(found)
            return [best.agency] if best else []
        query = " ".join(tokens)
        if len(query) < 3:
            return []
        hits = process.extract(
            query, self._fuzzy_keys, scorer=fuzz.WRatio, limit=6, score_cutoff=75
        )
        out: list[Agency] = []
        for _, _, idx in hits:
            agency = self.agencies[self._fuzzy_ids[idx]]
            if agency not in out:
                out.append(agency)
        return out[:3]


# Compact forms that are ordinary words when typed alone: never read them as an agency.
_COMMON_WORDS = {"cat", "ban", "tin", "con", "cho", "nay", "can"}
