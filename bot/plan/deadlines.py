"""Typed deadlines of a plan: recurring, quarter, fixed date, yearly date, event, none.

Each keeps the plan's own wording (`text`) for display and knows its due dates
relative to any day, so "sắp đến hạn", "quá hạn" and reminders are computed, not
guessed.
"""

from __future__ import annotations

import calendar
from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

DeadlineKind = Literal["recurring", "quarter", "date", "yearly", "event", "none"]

KIND_LABELS: dict[str, str] = {
    "recurring": "thường xuyên",
    "quarter": "theo quý",
    "date": "ngày cố định",
    "yearly": "hằng năm",
    "event": "khi có sự kiện",
    "none": "không ghi thời hạn",
}


def quarter_end(quarter: int, year: int) -> date:
    """Last day of a quarter."""
    month = quarter * 3
    return date(year, month, calendar.monthrange(year, month)[1])


class Deadline(BaseModel):
    """A deadline as the plan writes it (`text`) plus its machine-readable form."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    kind: DeadlineKind
    text: str
    quarter: int | None = None
    year: int | None = None
    day: int | None = None
    month: int | None = None
    # a fixed date: `date: 2024-03-15` in the YAML (the old key `on`, which YAML 1.1 reads
    # as true, is still read: see `_old_key`)
    on: date | None = Field(default=None, alias="date")
    event: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _old_key(cls, data: object) -> object:
        """`on: 2024-03-15` (the key before it was renamed `date`; unquoted, YAML reads it as
        the boolean true) is read as `date`; the loader notes it for `check-plan`."""
        if isinstance(data, dict) and (True in data or "on" in data):
            data = dict(data)
            value = data.pop(True, data.pop("on", None))
            data.setdefault("date", value)
        return data

    @model_validator(mode="after")
    def _check_fields(self) -> Deadline:
        if not self.text.strip():
            raise ValueError("thời hạn thiếu nội dung 'text' (lời văn của kế hoạch)")
        if self.kind == "quarter":
            if self.quarter not in (1, 2, 3, 4) or self.year is None:
                raise ValueError("thời hạn kiểu 'quarter' cần 'quarter' (1-4) và 'year'")
        elif self.kind == "date":
            if self.on is None:
                raise ValueError("thời hạn kiểu 'date' cần 'date' (YYYY-MM-DD)")
        elif self.kind == "yearly":
            if self.day is None or self.month is None:
                raise ValueError("thời hạn kiểu 'yearly' cần 'day' và 'month'")
            try:
                date(2023, self.month, self.day)  # must exist every year, not only leap years
            except ValueError as exc:
                raise ValueError(
                    f"ngày {self.day}/{self.month} không có trong mọi năm; chọn ngày hợp lệ (vd. 28/2)"
                ) from exc
        return self

    @property
    def is_dated(self) -> bool:
        """True when the deadline falls on computable dates."""
        return self.kind in ("quarter", "date", "yearly")

    def due_in_year(self, year: int) -> date | None:
        """The due date falling in `year`, if any."""
        if self.kind == "quarter" and self.quarter and self.year == year:
            return quarter_end(self.quarter, self.year)
        if self.kind == "date" and self.on and self.on.year == year:
            return self.on
        if self.kind == "yearly" and self.month and self.day:
            return date(year, self.month, self.day)
        return None

    def next_due(self, today: date) -> date | None:
        """The first due date on or after `today`."""
        if self.kind == "yearly":
            this_year = self.due_in_year(today.year)
            assert this_year is not None
            return this_year if this_year >= today else self.due_in_year(today.year + 1)
        due = self.single_due()
        return due if due and due >= today else None

    def last_due(self, today: date) -> date | None:
        """The latest due date strictly before `today`."""
        if self.kind == "yearly":
            this_year = self.due_in_year(today.year)
            assert this_year is not None
            return this_year if this_year < today else self.due_in_year(today.year - 1)
        due = self.single_due()
        return due if due and due < today else None

    def single_due(self) -> date | None:
        """The one due date of a quarter or fixed-date deadline."""
        if self.kind == "quarter" and self.quarter and self.year:
            return quarter_end(self.quarter, self.year)
        if self.kind == "date":
            return self.on
        return None

    def due_between(self, start: date, end: date) -> list[date]:
        """Every due date d with start <= d <= end."""
        if self.kind == "yearly":
            found = [self.due_in_year(y) for y in range(start.year, end.year + 1)]
            return [d for d in found if d and start <= d <= end]
        due = self.single_due()
        return [due] if due and start <= due <= end else []

    def matches_quarter(self, quarter: int, year: int | None) -> bool:
        """True when the deadline is that quarter, or a date inside it."""
        if self.kind == "quarter":
            return self.quarter == quarter and (year is None or self.year == year)
        years = [year] if year else list(range(2023, 2031))
        first_month = (quarter - 1) * 3 + 1
        for y in years:
            start = date(y, first_month, 1)
            if self.due_between(start, quarter_end(quarter, y)):
                return True
        return False
