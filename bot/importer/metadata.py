"""The document's head and tail: number, place and date, issuer, kind and title, the
bases (the preamble's legal documents), recipients and signer; and every legal document
the text cites («Nghị định số 58/2022/NĐ-CP ngày 31/8/2022 của Chính phủ về …»).

A title written in capitals gets back the case its words have in the body («CHỈ THỊ SỐ
12-CT/TW» → «Chỉ thị số 12-CT/TW»).
"""

from __future__ import annotations

import contextlib
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from bot.importer.roles import AgencyFinder
from bot.importer.vocabulary import (
    DOC_TYPES,
    LEGAL_KINDS,
    RECIPIENTS,
    SIGNER_CAPACITY,
    SIGNER_TITLES,
)

_NUMBER = re.compile(r"^Số\s*:\s*(\S+)")
_PLACE_DATE = re.compile(r"^(.+?),\s*ngày\s+(\d{1,2})\s+tháng\s+(\d{1,2})\s+năm\s+(\d{4})")
_KIND = "|".join(re.escape(k) for k, _ in LEGAL_KINDS)
_LEGAL = re.compile(
    rf"(?<!\w)({_KIND})\s+(?:số\s+)?(\d+[\w.]*(?:\s?[/\-]\s?[\w.]*[^\W\d_][\w.]*|/\d{{4}})*)"
    r"(?:\s*,?\s*(?:ngày\s+)?(\d{1,2})/(\d{1,2})/(\d{4}))?"
)
# «Luật Phòng, chống thiên tai số 33/2013/QH13»: a law is cited by its name, then its number
_LAW = re.compile(r"(?<!\w)Luật\s+([^;,]{2,80}?(?:,\s[^;,]{2,40}?)?)\s+số\s+(\d+/\d{4}/[\w\-]+)")
_ISSUER = re.compile(
    r"^\s*của\s+(.+?)(?=\s+(?:về|\(|\)|phê duyệt|ban hành|quy định|hướng dẫn|triển khai)|[,;]|$)"
)
_SUBJECT = re.compile(r"^[^;]*?\s+về\s+(?:việc\s+)?(.+?)(?=\s*\(|;|\.\s|\.$|,\s+(?:[A-ZĐ])|$)")


@dataclass
class LegalCitation:
    key: str
    fields: dict[str, Any]
    issuer_text: str | None


@dataclass
class LegalIndex:
    """Every legal document cited, by key, with the numbers that point to it."""

    refs: dict[str, LegalCitation] = field(default_factory=dict)

    def cited_in(self, text: str) -> list[str]:
        flat = " ".join(text.split())
        found = [(flat.find(c.fields["number"]), k) for k, c in self.refs.items()]
        return [k for at, k in sorted(found) if at >= 0]


def case_from(body: str) -> Callable[[str], str]:
    """A function giving words written in capitals the case the body writes them in: the
    longest run of them the body has (case aside) is copied, a lone word takes its most
    frequent case, and a word the body lacks is lower case."""
    prose = "\n".join(line for line in body.splitlines() if not line.isupper())
    lowered = prose.lower()
    counts: Counter[str] = Counter(re.findall(r"[\w\-/]+", prose))
    by_upper: dict[str, str] = {}
    for word, _ in counts.most_common():
        by_upper.setdefault(word.upper(), word)

    def one(word: str) -> str:
        core = re.match(r"^(\W*)([\w\-/]+)(\W*)$", word)
        if not core:
            return word.lower()
        pre, w, post = core.groups()
        cased = (by_upper.get(w.upper()) or w.lower()) if w.isupper() else w
        return pre + cased + post

    def recase(text: str) -> str:
        words = text.split(" ")
        out: list[str] = []
        i = 0
        while i < len(words):
            for j in range(len(words), i + 1, -1):
                phrase = " ".join(words[i:j])
                at = lowered.find(phrase.lower())
                if at >= 0 and len(phrase.lower()) == len(phrase):
                    out.append(prose[at : at + len(phrase)])
                    i = j
                    break
            else:
                out.append(one(words[i]))
                i += 1
        joined = " ".join(out)
        return joined[:1].upper() + joined[1:]

    return recase


def legal_key(kind_word: str, number: str, taken: set[str]) -> str:
    prefix = next(p for k, p in LEGAL_KINDS if k == kind_word)
    head = re.match(r"\d+", number)
    key = f"{prefix}_{head.group(0) if head else 'x'}"
    year = re.search(r"/(\d{4})/", number)
    if key in taken and year:
        key = f"{key}_{year.group(1)}"
    base, n = key, 2
    while key in taken:
        key, n = f"{base}_{n}", n + 1
    return key


def find_legal(paragraphs: list[str], finder: AgencyFinder, skip: str | None) -> LegalIndex:
    """Every legal document the paragraphs cite, first citation first (its date, issuer
    and subject from the fullest citation)."""
    index = LegalIndex()
    by_number: dict[str, LegalCitation] = {}
    for text in paragraphs:
        for m in _LEGAL.finditer(text):
            kind_word, number = m.group(1), re.sub(r"\s", "", m.group(2)).rstrip(".,")
            if not re.search(r"[/\-]", number) or number == skip:
                continue  # «Kế hoạch 2024» is no citation; the plan itself is not a reference
            citation = by_number.get(number)
            if citation is None:
                key = legal_key(kind_word, number, set(index.refs))
                citation = LegalCitation(
                    key, {"kind": kind_word, "number": number, "subject": ""}, None
                )
                by_number[number] = citation
                index.refs[key] = citation
            if m.group(3) and "date" not in citation.fields:
                with contextlib.suppress(ValueError):  # an impossible date: left out
                    citation.fields["date"] = date(
                        int(m.group(5)), int(m.group(4)), int(m.group(3))
                    )
            rest = text[m.end() :]
            issuer = _ISSUER.match(rest)
            if issuer and citation.issuer_text is None:
                citation.issuer_text = issuer.group(1).strip()
                found = finder.known(citation.issuer_text)
                agencies = finder.registry.agencies
                exact = [a.id for a in agencies.values() if a.name == citation.issuer_text]
                if found:
                    citation.fields["issuer"] = found[0].agency
                elif exact:
                    citation.fields["issuer"] = exact[0]
            following = re.split(r";|,\s+(?=(?:" + _KIND + r")\s)", rest, maxsplit=1)[0]
            subject = _SUBJECT.match(following)
            if subject and not citation.fields["subject"]:
                citation.fields["subject"] = subject.group(1).strip(" ,;.")
        for m in _LAW.finditer(text):
            if m.group(2) not in by_number:
                key = legal_key("Luật", m.group(2), set(index.refs))
                law = LegalCitation(
                    key, {"kind": "Luật", "number": m.group(2), "subject": m.group(1)}, None
                )
                by_number[m.group(2)] = law
                index.refs[key] = law
    for citation in index.refs.values():
        if not citation.fields["subject"]:
            citation.fields["subject"] = "(văn bản không ghi trích yếu)"
    return index


@dataclass
class Head:
    meta: dict[str, Any]
    problems: list[str]


def read_head(head: list[str], tail: list[str], body: str, finder: AgencyFinder) -> Head:
    """The plan's metadata from its head lines, preamble and tail (Nơi nhận, signature)."""
    recase = case_from(body)
    problems: list[str] = []
    meta: dict[str, Any] = {}
    issuer_lines: list[str] = []
    doc_type_at = None
    for i, line in enumerate(head):
        if m := _NUMBER.match(line):
            meta["number"] = m.group(1)
        elif m := _PLACE_DATE.match(line):
            meta["place"] = m.group(1).strip()
            try:
                meta["issued"] = date(int(m.group(4)), int(m.group(3)), int(m.group(2)))
            except ValueError:
                problems.append(f"Ngày ban hành «{line}» không có thật.")
        elif line.upper() in DOC_TYPES and doc_type_at is None:
            doc_type_at = i
            meta["doc_type"] = line[:1] + line[1:].lower()
        elif line.startswith("CỘNG HÒA") or line.startswith("Độc lập") or set(line) <= set("-_ "):
            continue
        elif "number" not in meta and line.isupper() and doc_type_at is None:
            issuer_lines.append(line)
    if doc_type_at is not None:
        title = [
            line for line in head[doc_type_at + 1 :] if line.isupper() or (line and line[0] == "(")
        ]
        if title:
            meta["title"] = recase(" ".join(title))
    issuer_name = recase(" ".join(issuer_lines)) if issuer_lines else ""
    meta["issuer_name"] = issuer_name
    if issuer_name:
        found = finder.known(issuer_name)
        if found:
            meta["issuer"] = found[0].agency
        else:
            proposal = finder.propose(issuer_name)
            proposal.kind = "province"
            meta["issuer"] = proposal.id
    for key, wording in (
        ("number", "số hiệu («Số: …»)"),
        ("issued", "ngày ban hành («…, ngày … tháng … năm …»)"),
        ("doc_type", "loại văn bản (KẾ HOẠCH, CHƯƠNG TRÌNH…)"),
        ("title", "trích yếu (tên kế hoạch)"),
        ("issuer", "cơ quan ban hành"),
    ):
        if key not in meta or not meta[key]:
            problems.append(f"Không đọc được {wording}; điền tay vào meta.{key}.")
    meta.setdefault("place", "")
    meta["effective"] = meta.get("issued")
    meta["recipients"], meta["signer"] = _tail(tail, recase, problems)
    return Head(meta, problems)


def _tail(
    tail: list[str], recase_body: Callable[[str], str], problems: list[str]
) -> tuple[list[str], dict[str, str]]:
    def recase(line: str) -> str:
        return SIGNER_TITLES.get(line.strip(), "") or recase_body(line)

    recipients: list[str] = []
    signer = {"name": "", "capacity": "", "position": ""}
    in_recipients = False
    caps: list[str] = []
    for line in tail:
        if m := RECIPIENTS.match(line):
            in_recipients = True
            if m.group(1):
                recipients.append(m.group(1).strip(" -;.").strip())
            continue
        if in_recipients and line.startswith(("-", "–", "+", "•")):
            recipients.append(line.lstrip("-–+• ").rstrip(";.").strip())
            continue
        in_recipients = False
        if m := SIGNER_CAPACITY.match(line):
            signer["capacity"] = f"{m.group(1)}. " + recase(m.group(2))
            caps.append(line)
            continue
        if line.isupper() and (caps or not signer["capacity"]) and len(line.split()) <= 6:
            if signer["capacity"] and not signer["position"]:
                signer["position"] = recase(line)
            elif not signer["capacity"]:
                signer["capacity"] = recase(line)
                signer["position"] = recase(line)
            caps.append(line)
            continue
        if caps and not signer["name"] and not line.isupper() and len(line.split()) <= 6:
            signer["name"] = line.strip()
            break
    if not signer["position"] and signer["capacity"]:
        signer["position"] = signer["capacity"].split(". ", 1)[-1]
    if not signer["name"]:
        problems.append("Không đọc được người ký; điền tay vào meta.signer.")
    if not recipients:
        problems.append("Không thấy «Nơi nhận»; meta.recipients để trống.")
    return recipients, signer
