"""A deadline's wording typed as the plan models want it.

«Thường xuyên», «Định kỳ 6 tháng» → recurring; «Trong quý II/2023» → quarter; «trước ngày 30/6/2024» → a
date; «Trước ngày 30/11 hằng năm» → yearly; «Tháng 9/2024», «Năm 2024» → the last day of
that month or year; «Khi có …», «Sau khi …» → event. What none of these reads stays
kind `none` with its text, for the review report.
"""

from __future__ import annotations

import calendar
import re
from datetime import date
from typing import Any

from bot.importer.vocabulary import EVENT_START, RECURRING, ROMAN

_Q = r"(?:quý|Quý|QUÝ)\s+(I{1,3}|IV|[1-4])\s*(?:/|năm|-)\s*(\d{4})"
QUARTER = re.compile(r"(?:(?:trong|Trong|trước hết|trước)\s+)?" + _Q)
_D = r"(\d{1,2})\s*(?:[/.-]|\s+tháng\s+)\s*(\d{1,2})"  # «15/11», «15 tháng 11»
YEARLY = re.compile(
    r"(?:(?:trước|Trước|trong|Trong|chậm nhất|Chậm nhất)\s+)?(?:ngày\s+)?"
    + _D
    + r"\s+(?:hằng|hàng|mỗi)\s+năm"
)
DATE = re.compile(
    r"(?:(?:trước|Trước|trong|Trong|chậm nhất|Chậm nhất|hoàn thành trước|Hoàn thành trước)\s+)?"
    r"(?:ngày\s+)?" + _D + r"\s*[/.-]\s*(\d{4})"
)
# «trước ngày 20 tháng 12 năm 2024»: the date written out in words
LONG_DATE = re.compile(
    r"(?:(?:trước|Trước|trong|Trong|chậm nhất|Chậm nhất|hoàn thành trước|Hoàn thành trước)\s+)?"
    r"(?:ngày|Ngày)\s+(\d{1,2})\s+tháng\s+(\d{1,2})\s+năm\s+(\d{4})"
)
MONTH = re.compile(
    r"(?:(?:trong|Trong|trước|Trước)\s+)?(?:tháng|Tháng)\s+(\d{1,2})\s*(?:/|năm)\s*(\d{4})"
)
# «Tháng 11-12/2024»: a span of months ends with the last
MONTH_RANGE = re.compile(
    r"(?:(?:trong|Trong|trước|Trước)\s+)?(?:tháng|Tháng)\s+(\d{1,2})\s*[-–]\s*(\d{1,2})\s*/\s*(\d{4})"
)
# «6 tháng, hằng năm», «6 tháng, năm»: the reporting rhythm of the genre
PERIODS = re.compile(r"^\d+ tháng(?:\s*(?:,|và)\s*(?:(?:hằng|hàng)\s+)?(?:năm|quý))*$", re.I)
YEAR = re.compile(r"^(?:(?:trong|Trong)\s+)?(?:năm|Năm)\s+(\d{4})$")
# «năm 2020 và năm 2021»: the last of the years named
YEARS = re.compile(
    r"^(?:(?:trong|Trong)\s+)?(?:năm|Năm)\s+\d{4}(?:\s*(?:,|và)\s*(?:năm\s+)?(\d{4}))+$"
)
# «6 tháng đầu năm 2020» ends on 30 June, «6 tháng cuối năm 2020» on 31 December
HALF_YEAR = re.compile(r"(?:(?:trong|Trong)\s+)?6 tháng (đầu|cuối) năm (\d{4})")
# «Định kỳ hằng năm … trước ngày 25 tháng 11»: a day of the year named once a year
_DAY_NO_YEAR = re.compile(
    r"(?:trước|Trước|chậm nhất)\s+(?:ngày\s+)?" + _D + r"(?!\s*(?:[/.-]|năm)\s*\d)"
)
# a deadline inside a sentence («báo cáo … trước ngày 30/11 hàng năm»)
INSIDE = (YEARLY, QUARTER, LONG_DATE, MONTH_RANGE, DATE, MONTH, HALF_YEAR)
# a recurring deadline inside a sentence: «định kỳ 6 tháng», «; thực hiện thường xuyên»
_RECURRING_INSIDE = re.compile(
    r"(?<!\w)(?:định kỳ\s+(?:(?:hằng|hàng)\s+)?(?:quý|tháng|năm|\d+ tháng)|hằng quý|hàng quý"
    r"|(?:trước\s+)?ngày\s+\d{1,2}\s+(?:hằng|hàng)\s+tháng)"
    r"(?:,\s*(?:\d+ tháng|năm|quý))*",
    re.I,
)
_RECURRING_CLAUSE = re.compile(
    r"(?:^|[;,:.]\s*)(?:(?:thời gian(?: thực hiện)?|thời hạn|tiến độ)\s*:\s*)?(?:thực hiện\s+)?"
    r"(thường xuyên|liên tục|hằng năm|hàng năm)\s*[.;]?\s*$",
    re.I,
)


def _quarter(word: str) -> int:
    return ROMAN[word] if word in ROMAN else int(word)


def _clean(text: str) -> str:
    text = text.strip().rstrip(".;,").strip()
    return text[:1].upper() + text[1:] if text else text


def type_deadline(text: str) -> dict[str, Any] | None:
    """The deadline fields (kind, text, …) `text` gives, or None when it cannot be typed."""
    wording = _clean(text)
    low = wording.lower()
    if not wording:
        return None
    if m := YEARLY.search(wording):
        day, month = int(m.group(1)), int(m.group(2))
        if _valid(2023, month, day):
            return {"kind": "yearly", "text": wording, "day": day, "month": month}
    if m := QUARTER.search(wording):
        return {
            "kind": "quarter",
            "text": wording,
            "quarter": _quarter(m.group(1)),
            "year": int(m.group(2)),
        }
    if m := MONTH_RANGE.search(wording):
        month, year = int(m.group(2)), int(m.group(3))
        if 1 <= int(m.group(1)) < month <= 12:
            last = calendar.monthrange(year, month)[1]
            return {"kind": "date", "text": wording, "date": date(year, month, last)}
    if m := LONG_DATE.search(wording):
        day, month, year = int(m.group(1)), int(m.group(2)), int(m.group(3))
        if _valid(year, month, day):
            return {"kind": "date", "text": wording, "date": date(year, month, day)}
    if m := DATE.search(wording):
        day, month, year = int(m.group(1)), int(m.group(2)), int(m.group(3))
        if _valid(year, month, day):
            return {"kind": "date", "text": wording, "date": date(year, month, day)}
    if m := MONTH.search(wording):
        month, year = int(m.group(1)), int(m.group(2))
        if 1 <= month <= 12:
            last = calendar.monthrange(year, month)[1]
            return {"kind": "date", "text": wording, "date": date(year, month, last)}
    if m := HALF_YEAR.search(wording):
        year = int(m.group(2))
        end = date(year, 6, 30) if m.group(1) == "đầu" else date(year, 12, 31)
        return {"kind": "date", "text": wording, "date": end}
    if m := YEARS.match(wording):
        return {"kind": "date", "text": wording, "date": date(int(m.group(1)), 12, 31)}
    if m := YEAR.match(wording):
        return {"kind": "date", "text": wording, "date": date(int(m.group(1)), 12, 31)}
    if PERIODS.match(wording):
        return {"kind": "recurring", "text": wording}
    if any(low.startswith(w) for w in RECURRING) and (
        not re.search(r"\d", low) or _RECURRING_INSIDE.fullmatch(wording)
    ):
        return {"kind": "recurring", "text": wording}
    if any(low.startswith(w) for w in EVENT_START):
        return {"kind": "event", "text": wording, "event": wording[:1].lower() + wording[1:]}
    return None


def find_deadline(
    sentence: str, *, recurring: bool = False
) -> tuple[dict[str, Any], tuple[int, int]] | None:
    """A dated deadline written inside a sentence, and where it stands; with `recurring`,
    else a recurring one («định kỳ 6 tháng», a last clause «thực hiện thường xuyên»)."""
    # a date in brackets says when something began, not when the task ends («Sở Y tế (cơ
    # quan quản lý … từ ngày 01/3/2025) chủ trì …»)
    brackets = [b.span() for b in re.finditer(r"\([^()]*\)", sentence)]
    for pattern in INSIDE:
        for found in pattern.finditer(sentence):
            if any(a <= found.start() < b for a, b in brackets):
                continue
            typed = type_deadline(found.group(0))
            if typed:
                return typed, found.span()
    yearly = re.search(r"(?<!\w)(?:hằng|hàng)\s+năm(?!\w)", sentence)
    if yearly and (day := _DAY_NO_YEAR.search(sentence)):
        d, month = int(day.group(1)), int(day.group(2))
        if _valid(2023, month, d):
            wording = _clean(day.group(0)) + " hằng năm"
            return {"kind": "yearly", "text": wording, "day": d, "month": month}, day.span()
    if not recurring:
        return None
    for m in (_RECURRING_INSIDE.search(sentence), _RECURRING_CLAUSE.search(sentence.rstrip("./ "))):
        if m:
            span = m.span(1) if m.re is _RECURRING_CLAUSE else m.span()
            wording = _clean(sentence[span[0] : span[1]])
            return {"kind": "recurring", "text": wording}, span
    return None


def _valid(year: int, month: int, day: int) -> bool:
    try:
        date(year, month, day)
    except ValueError:
        return False
    return True
