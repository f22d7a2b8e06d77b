"""The progress workbook (openpyxl) for /baocao and `python -m bot report`.

Sheet "Tiến độ": one row per (assignment, agency) with its derived status; the agency
is the one of the day of the report (after the 2025 restructuring, Sở Tài chính for a
part the plan gave Sở Kế hoạch và Đầu tư), with the plan's agency beside it when they
differ («Cơ quan theo kế hoạch»).
Sheet "Tổng hợp": counts by status and by agency. Reading progress never
creates or writes the database. Every text cell is stored as text, never as a
formula: a Telegram name or note such as `=HYPERLINK(…)` reads exactly as typed
(OWASP formula injection), and one starting with =, +, -, @, tab or CR also
carries Excel's quote prefix so that editing the cell keeps it text.
"""

from __future__ import annotations

import io
from collections import Counter
from datetime import date
from pathlib import Path
from zoneinfo import ZoneInfo

from openpyxl import Workbook
from openpyxl.cell.cell import Cell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from bot.core.clock import DEFAULT_TZ
from bot.core.config import ConfigError, Settings
from bot.plan.loader import Knowledge, load_knowledge
from bot.plan.responsibility import (
    agency_name,
    coordinating_names,
    lead_names,
    part_label,
    short_text,
)
from bot.progress.status import STATE_LABELS, STATE_ORDER, RowStatus
from bot.progress.types import STATUS_LABELS
from bot.progress.view import ProgressView
from bot.storage.base import ProgressStore

DETAIL_SHEET = "Tiến độ"
SUMMARY_SHEET = "Tổng hợp"
DETAIL_HEADERS = (
    "Mục",
    "Phần việc",
    "Nội dung",
    "Cơ quan chủ trì",
    "Cơ quan phối hợp",
    "Cơ quan báo cáo",
    "Cơ quan theo kế hoạch",
    "Vai trò",
    "Thời hạn",
    "Trạng thái",
    "Số ngày quá hạn",
    "Đơn vị báo",
    "Tỷ lệ (%)",
    "Ghi chú mới nhất",
    "Người báo cáo",
    "Ngày báo cáo",
)
_WIDTHS = (7, 9, 60, 28, 36, 30, 30, 16, 28, 26, 10, 18, 9, 50, 22, 13)
_BOLD = Font(bold=True)
_HEAD_FILL = PatternFill("solid", fgColor="DDEBF7")
_WRAP = Alignment(wrap_text=True, vertical="top")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _put(sheet: Worksheet, row: int, column: int, value: object) -> Cell:
    """Write `value`; text is always a string cell (openpyxl makes "=…" a formula)."""
    cell = sheet.cell(row=row, column=column, value=value)
    if isinstance(value, str):
        cell.data_type = "s"
        if value.startswith(_FORMULA_START):
            cell.quotePrefix = True
    return cell


def _detail_row(row: RowStatus, knowledge: Knowledge, tz: ZoneInfo) -> list[object]:
    agencies = knowledge.agencies
    latest = row.latest
    reported_on = latest.created_at.astimezone(tz).date() if latest else None
    return [
        row.item.id,
        row.key,
        short_text(row.item, row.assignment),
        lead_names(row.assignment, agencies),
        coordinating_names(row.assignment, agencies),
        agency_name(agencies, row.agency_id),
        # the plan's agency when today's differs (an agency that has ended since)
        ", ".join(agency_name(agencies, a) for a in row.plan_agencies) or None,
        part_label(row.assignment, row.agency_id, row.plan_agencies, agencies),
        row.assignment.deadline.text,
        row.label,
        row.days_overdue or None,
        STATUS_LABELS.get(latest.status, latest.status) if latest else None,
        latest.percent if latest else None,
        latest.note if latest else None,
        (latest.reporter_name or str(latest.reporter_id or "")) or None if latest else None,
        reported_on,
    ]


def _header(sheet: Worksheet, row: int, values: tuple[str, ...] | list[str]) -> None:
    for col, value in enumerate(values, start=1):
        cell = _put(sheet, row, col, value)
        cell.font = _BOLD
        cell.fill = _HEAD_FILL
        cell.alignment = _WRAP


def _fill_detail(
    sheet: Worksheet, rows: list[RowStatus], knowledge: Knowledge, tz: ZoneInfo
) -> None:
    _header(sheet, 1, DETAIL_HEADERS)
    for r, row in enumerate(rows, start=2):
        for c, value in enumerate(_detail_row(row, knowledge, tz), start=1):
            cell = _put(sheet, r, c, value)
            cell.alignment = _WRAP
            if isinstance(value, date):
                cell.number_format = "DD/MM/YYYY"
    for c, width in enumerate(_WIDTHS, start=1):
        sheet.column_dimensions[get_column_letter(c)].width = width
    sheet.freeze_panes = "C2"
    if rows:
        sheet.auto_filter.ref = f"A1:{get_column_letter(len(DETAIL_HEADERS))}{len(rows) + 1}"


def _fill_summary(
    sheet: Worksheet, rows: list[RowStatus], knowledge: Knowledge, today: date
) -> None:
    meta = knowledge.plan.meta
    sheet["A1"] = f"Tổng hợp tiến độ {meta.doc_type} {meta.number}"
    sheet["A1"].font = Font(bold=True, size=13)
    sheet["A2"] = f"Tính đến ngày {today:%d/%m/%Y}"
    by_state = Counter(r.state for r in rows)
    _header(sheet, 4, ["Trạng thái", "Số phần việc"])
    line = 5
    for state in STATE_ORDER:
        sheet.cell(row=line, column=1, value=STATE_LABELS[state])
        sheet.cell(row=line, column=2, value=by_state.get(state, 0))
        line += 1
    sheet.cell(row=line, column=1, value="Tổng cộng").font = _BOLD
    sheet.cell(row=line, column=2, value=len(rows)).font = _BOLD

    line += 2
    _header(sheet, line, ["Cơ quan", "Tổng", *(STATE_LABELS[s] for s in STATE_ORDER)])
    per_agency: dict[str, Counter[str]] = {}
    for r in rows:
        per_agency.setdefault(r.agency_id, Counter())[r.state] += 1
    order = list(knowledge.agencies)
    for agency in sorted(per_agency, key=lambda a: order.index(a) if a in order else len(order)):
        line += 1
        counts = per_agency[agency]
        _put(sheet, line, 1, agency_name(knowledge.agencies, agency))
        sheet.cell(row=line, column=2, value=sum(counts.values()))
        for c, state in enumerate(STATE_ORDER, start=3):
            sheet.cell(row=line, column=c, value=counts.get(state, 0))
    sheet.column_dimensions["A"].width = 45
    for c in range(2, 3 + len(STATE_ORDER)):
        sheet.column_dimensions[get_column_letter(c)].width = 16


def build_report(
    knowledge: Knowledge, store: ProgressStore | None, today: date, tz: ZoneInfo = DEFAULT_TZ
) -> bytes:
    """The workbook as .xlsx bytes (send as a Telegram document or write to a file)."""
    rows = ProgressView(knowledge, store, tz).rows(today)
    workbook = Workbook()
    detail = workbook.active
    assert detail is not None
    detail.title = DETAIL_SHEET
    _fill_detail(detail, rows, knowledge, tz)
    _fill_summary(workbook.create_sheet(SUMMARY_SHEET), rows, knowledge, today)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def report_filename(knowledge: Knowledge, today: date) -> str:
    """ "tien-do-91-KH-UBND-2023-07-15.xlsx"."""
    number = knowledge.plan.meta.number.replace("/", "-")
    return f"tien-do-{number}-{today:%Y-%m-%d}.xlsx"


def write_report_file(settings: Settings, path: Path, today: date) -> Path:
    """Write the workbook to `path` (the CLI's `report --out`); reads the DB read-only."""
    from bot.storage import open_progress_reader

    knowledge = load_knowledge(settings.plan_path)
    store = open_progress_reader(settings)
    try:
        data = build_report(knowledge, store, today, settings.tz)
    finally:
        if store is not None:
            store.close()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    except OSError as exc:
        raise ConfigError(f"Không ghi được tệp báo cáo {path}: {exc}") from exc
    return path
