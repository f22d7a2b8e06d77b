"""The progress workbook (openpyxl) for /baocao and `python -m bot report`.

Sheet "Tổng hợp" (first, what a leader opens on): counts by status (the agencies'
parts and the plan's assignments), «vướng mắc» counted beside the statuses, a table of
the plan's items (each item summed over its assignments and agencies), a table by
agency, overdue and blocked counts in colour, and a native Excel chart (openpyxl's
`BarChart`, read from the agency table) of status by agency.
Sheet "Tiến độ": one row per (assignment, agency) with its derived status and a
«Vướng mắc» column; the agency is the one of the day of the report (after the 2025
restructuring, Sở Tài chính for a part the plan gave Sở Kế hoạch và Đầu tư), with the
plan's agency beside it when they differ («Cơ quan theo kế hoạch»), and the role that
row's agency holds («Vai trò»). «Cơ quan chủ trì» names only the agencies the plan
makes chủ trì (none for a part every agency carries out, nor for 6b, where Sở Nội vụ
only coordinates). «Nội dung» is the full text, in wrapped cells.
Both sheets print landscape, fitted to the page width, the detail's header repeated on
every page; the detail keeps frozen panes and filters.

Reading progress never creates or writes the database. Every text cell is stored as
text, never as a formula: a Telegram name or note such as `=HYPERLINK(…)` reads exactly
as typed (OWASP formula injection), and one starting with =, +, -, @, tab or CR also
carries Excel's quote prefix so that editing the cell keeps it text.
"""

from __future__ import annotations

import io
from collections import Counter, defaultdict
from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import Any, cast
from zoneinfo import ZoneInfo

from openpyxl import Workbook
from openpyxl.cell.cell import Cell
from openpyxl.chart import BarChart, Reference
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from bot.core.clock import DEFAULT_TZ
from bot.core.config import ConfigError, Settings
from bot.plan.library import load_library
from bot.plan.loader import Knowledge
from bot.plan.models import Assignment, Item
from bot.plan.responsibility import agency_name, part_label
from bot.progress.status import (
    BLOCKED_LABEL,
    STATE_LABELS,
    STATE_ORDER,
    AssignmentStatus,
    RowStatus,
    State,
    state_label,
    summarise,
)
from bot.progress.types import STATUS_LABELS
from bot.progress.view import ProgressView
from bot.storage.base import ProgressStore

DETAIL_SHEET = "Tiến độ"
SUMMARY_SHEET = "Tổng hợp"
BLOCKED_HEADER = BLOCKED_LABEL.capitalize()
BLOCKED_MARK = "Có"
DETAIL_HEADERS = (
    "Mục",
    "Phần việc",
    "Nội dung",
    "Cơ quan báo cáo",
    "Vai trò",
    "Cơ quan theo kế hoạch",
    "Cơ quan chủ trì",
    "Cơ quan phối hợp",
    "Thời hạn",
    "Trạng thái",
    BLOCKED_HEADER,
    "Số ngày quá hạn",
    "Đơn vị báo",
    "Tỷ lệ (%)",
    "Ghi chú mới nhất",
    "Người báo cáo",
    "Ngày báo cáo",
)
_WIDTHS = (7, 9, 60, 30, 18, 28, 26, 34, 26, 24, 11, 10, 16, 9, 50, 22, 13)
_BOLD = Font(bold=True)
_HEAD_FILL = PatternFill("solid", fgColor="DDEBF7")
_WRAP = Alignment(wrap_text=True, vertical="top")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
# the states' colours (cells and the chart's series) and the blocked flag's
STATE_COLOURS: dict[State, str] = {
    State.DONE_ON_TIME: "2E7D32",
    State.DONE_LATE: "9CCC65",
    State.IN_PROGRESS: "1E88E5",
    State.OVERDUE: "E53935",
    State.NOT_REPORTED: "BDBDBD",
}
_STATE_FILLS: dict[State, PatternFill] = {
    State.DONE_ON_TIME: PatternFill("solid", fgColor="C6EFCE"),
    State.DONE_LATE: PatternFill("solid", fgColor="E2F0D9"),
    State.IN_PROGRESS: PatternFill("solid", fgColor="DDEBF7"),
    State.OVERDUE: PatternFill("solid", fgColor="FFC7CE"),
}
BLOCKED_FILL = PatternFill("solid", fgColor="FFD8A8")
_RED = Font(bold=True, color="9C0006")
_ORANGE = Font(bold=True, color="B34700")


def _put(sheet: Worksheet, row: int, column: int, value: object) -> Cell:
    """Write `value`; text is always a string cell (openpyxl makes "=…" a formula)."""
    cell = sheet.cell(row=row, column=column, value=value)
    if isinstance(value, str):
        cell.data_type = "s"
        if value.startswith(_FORMULA_START):
            cell.quotePrefix = True
    return cell


def full_text(item: Item, assignment: Assignment) -> str:
    """The assignment's task (or the item's text), whole, its spacing tidied."""
    return " ".join((assignment.task or item.text).split())


def _names_with(assignment: Assignment, role: str, knowledge: Knowledge) -> str | None:
    """The plan's agencies that hold `role` in the assignment ("; "), or None."""
    names = [
        agency_name(knowledge.agencies, ar.agency) for ar in assignment.agencies if ar.has(role)
    ]
    return "; ".join(dict.fromkeys(names)) or None


def _detail_row(row: RowStatus, knowledge: Knowledge, tz: ZoneInfo) -> list[object]:
    agencies = knowledge.agencies
    latest = row.latest
    reported_on = latest.created_at.astimezone(tz).date() if latest else None
    return [
        row.item.id,
        row.key,
        full_text(row.item, row.assignment),
        agency_name(agencies, row.agency_id),
        # the role this row's agency holds (its own part and any it took over)
        part_label(row.assignment, row.agency_id, row.plan_agencies, agencies),
        # the plan's agency when today's differs (an agency that has ended since)
        ", ".join(agency_name(agencies, a) for a in row.plan_agencies) or None,
        _names_with(row.assignment, "chu_tri", knowledge),
        _names_with(row.assignment, "phoi_hop", knowledge),
        row.assignment.deadline.text,
        row.label,
        BLOCKED_MARK if row.blocked else None,
        row.days_overdue or None,
        STATUS_LABELS.get(latest.status, latest.status) if latest else None,
        latest.percent if latest else None,
        latest.note if latest else None,
        (latest.reporter_name or str(latest.reporter_id or "")) or None if latest else None,
        reported_on,
    ]


def _header(sheet: Worksheet, row: int, values: Sequence[str], column: int = 1) -> None:
    for col, value in enumerate(values, start=column):
        cell = _put(sheet, row, col, value)
        cell.font = _BOLD
        cell.fill = _HEAD_FILL
        cell.alignment = _WRAP


def _print_setup(sheet: Worksheet, title_rows: str | None = None) -> None:
    """Landscape A4, every column on the page's width (as many pages down as needed)."""
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    sheet.print_options.horizontalCentered = True
    if title_rows:
        sheet.print_title_rows = title_rows


def _fill_detail(
    sheet: Worksheet, rows: list[RowStatus], knowledge: Knowledge, tz: ZoneInfo
) -> None:
    _header(sheet, 1, DETAIL_HEADERS)
    status_col = DETAIL_HEADERS.index("Trạng thái") + 1
    blocked_col = DETAIL_HEADERS.index(BLOCKED_HEADER) + 1
    for r, row in enumerate(rows, start=2):
        for c, value in enumerate(_detail_row(row, knowledge, tz), start=1):
            cell = _put(sheet, r, c, value)
            cell.alignment = _WRAP
            if isinstance(value, date):
                cell.number_format = "DD/MM/YYYY"
        fill = _STATE_FILLS.get(row.state)
        if fill is not None:
            sheet.cell(row=r, column=status_col).fill = fill
        if row.blocked:
            flag = sheet.cell(row=r, column=blocked_col)
            flag.fill, flag.font = BLOCKED_FILL, _ORANGE
    for c, width in enumerate(_WIDTHS, start=1):
        sheet.column_dimensions[get_column_letter(c)].width = width
    sheet.freeze_panes = "C2"
    if rows:
        sheet.auto_filter.ref = f"A1:{get_column_letter(len(DETAIL_HEADERS))}{len(rows) + 1}"
    _print_setup(sheet, "1:1")


def _counted(status: AssignmentStatus) -> list[RowStatus]:
    """The rows an assignment is judged on: its responsible agencies (any, when none)."""
    return [r for r in status.rows if r.responsible] or list(status.rows)


def _colour_counts(sheet: Worksheet, row: int, first: int, counts: Sequence[int]) -> None:
    """The overdue and blocked counts of a table row (states, then blocked) in colour."""
    overdue = STATE_ORDER.index(State.OVERDUE)
    if counts[overdue]:
        cell = sheet.cell(row=row, column=first + overdue)
        cell.fill, cell.font = _STATE_FILLS[State.OVERDUE], _RED
    if counts[len(STATE_ORDER)]:
        cell = sheet.cell(row=row, column=first + len(STATE_ORDER))
        cell.fill, cell.font = BLOCKED_FILL, _ORANGE


def _fill_summary(
    sheet: Worksheet,
    rows: list[RowStatus],
    statuses: list[AssignmentStatus],
    knowledge: Knowledge,
    today: date,
) -> None:
    meta = knowledge.plan.meta
    sheet["A1"] = f"Tổng hợp tiến độ {meta.doc_type} {meta.number}"
    sheet["A1"].font = Font(bold=True, size=13)
    sheet["A2"] = f"Tính đến ngày {today:%d/%m/%Y}"
    _put(
        sheet,
        3,
        1,
        f"«{BLOCKED_HEADER}»: báo cáo gần nhất của cơ quan là vướng mắc; phần việc vẫn giữ"
        " trạng thái theo thời hạn.",
    ).font = Font(italic=True, color="B34700")

    # -- by status: the agencies' parts and the plan's assignments
    by_state = Counter(r.state for r in rows)
    by_assignment = Counter(s.state for s in statuses)
    _header(sheet, 5, ["Trạng thái", "Số lượt giao cho cơ quan", "Số phần việc của Kế hoạch"])
    line = 6
    for state in STATE_ORDER:
        _put(sheet, line, 1, STATE_LABELS[state])
        sheet.cell(row=line, column=2, value=by_state.get(state, 0))
        sheet.cell(row=line, column=3, value=by_assignment.get(state, 0))
        fill = _STATE_FILLS.get(state)
        if fill is not None:
            sheet.cell(row=line, column=1).fill = fill
        if state == State.OVERDUE and by_state.get(state):
            for c in (2, 3):
                sheet.cell(row=line, column=c).font = _RED
        line += 1
    sheet.cell(row=line, column=1, value="Tổng cộng").font = _BOLD
    sheet.cell(row=line, column=2, value=len(rows)).font = _BOLD
    sheet.cell(row=line, column=3, value=len(statuses)).font = _BOLD
    line += 1
    blocked_rows = sum(1 for r in rows if r.blocked)
    _put(sheet, line, 1, f"Trong đó có {BLOCKED_LABEL}").fill = BLOCKED_FILL
    sheet.cell(row=line, column=2, value=blocked_rows)
    sheet.cell(row=line, column=3, value=sum(1 for s in statuses if s.blocked_rows))
    if blocked_rows:
        for c in (2, 3):
            sheet.cell(row=line, column=c).font = _ORANGE

    # -- by item of the plan: each item summed over its assignments' agencies
    line += 2
    _put(sheet, line, 1, "Theo mục của Kế hoạch").font = _BOLD
    line += 1
    item_headers = [
        "Mục",
        "Nội dung",
        "Số phần việc",
        "Cơ quan được giao",
        "Đã báo cáo",
        *(STATE_LABELS[s] for s in STATE_ORDER),
        BLOCKED_HEADER,
        "Trạng thái chung",
    ]
    _header(sheet, line, item_headers)
    by_item: dict[str, list[AssignmentStatus]] = defaultdict(list)
    for status in statuses:
        by_item[status.item.id].append(status)
    for item in knowledge.plan.items:
        parts = by_item.get(item.id, [])
        counted = [r for s in parts for r in _counted(s)]
        counts = Counter(r.state for r in counted)
        state, days = summarise(counted)
        line += 1
        numbers = [counts.get(s, 0) for s in STATE_ORDER] + [sum(r.blocked for r in counted)]
        values: list[object] = [
            item.id,
            " ".join(item.text.split()),
            len(parts),
            len(counted),
            sum(1 for r in counted if r.latest is not None),
            *numbers,
            state_label(state, days),
        ]
        for c, value in enumerate(values, start=1):
            _put(sheet, line, c, value).alignment = _WRAP
        _colour_counts(sheet, line, 6, numbers)
        fill = _STATE_FILLS.get(state)
        if fill is not None:
            sheet.cell(row=line, column=len(values)).fill = fill

    # -- by agency, and the chart read from this table
    line += 2
    _put(sheet, line, 1, "Theo cơ quan").font = _BOLD
    line += 1
    agency_head = line
    _header(
        sheet,
        line,
        ["Cơ quan", "Tổng", *(STATE_LABELS[s] for s in STATE_ORDER), BLOCKED_HEADER],
    )
    per_agency: dict[str, Counter[State]] = {}
    blocked: Counter[str] = Counter()
    for r in rows:
        per_agency.setdefault(r.agency_id, Counter())[r.state] += 1
        blocked[r.agency_id] += r.blocked
    order = list(knowledge.agencies)
    for agency in sorted(per_agency, key=lambda a: order.index(a) if a in order else len(order)):
        line += 1
        counts = per_agency[agency]
        _put(sheet, line, 1, agency_name(knowledge.agencies, agency))
        sheet.cell(row=line, column=2, value=sum(counts.values()))
        numbers = [counts.get(state, 0) for state in STATE_ORDER] + [blocked[agency]]
        for c, number in enumerate(numbers, start=3):
            sheet.cell(row=line, column=c, value=number)
        _colour_counts(sheet, line, 3, numbers)
    if line > agency_head:
        _add_chart(sheet, agency_head, line, len(item_headers) + 2)

    sheet.column_dimensions["A"].width = 40
    sheet.column_dimensions["B"].width = 60
    for c in range(3, len(item_headers) + 1):
        sheet.column_dimensions[get_column_letter(c)].width = 14
    _print_setup(sheet)


def _add_chart(sheet: Worksheet, head: int, last: int, column: int) -> None:
    """A stacked bar chart of the agency table (rows `head`..`last`, states in columns
    C onward), anchored at `column` beside the tables."""
    chart = BarChart()
    chart.type = "bar"
    chart.grouping = "stacked"
    chart.overlap = 100
    chart.gapWidth = 40
    chart.title = "Trạng thái phần việc theo cơ quan"
    chart.y_axis.title = "Số phần việc"
    chart.x_axis.scaling.orientation = "maxMin"  # the first agency on top, as in the table
    data = Reference(sheet, min_col=3, max_col=2 + len(STATE_ORDER), min_row=head, max_row=last)
    names = Reference(sheet, min_col=1, min_row=head + 1, max_row=last)
    chart.add_data(data, titles_from_data=True)
    chart.set_categories(names)
    for series, state in zip(chart.series, STATE_ORDER, strict=True):
        series.graphicalProperties.solidFill = STATE_COLOURS[state]
        series.graphicalProperties.line.solidFill = STATE_COLOURS[state]
    chart.legend.position = "t"
    chart.width = 22
    chart.height = max(9.0, 0.55 * (last - head) + 3)
    sheet.add_chart(chart, f"{get_column_letter(column)}5")


def build_report(
    knowledge: Knowledge, store: ProgressStore | None, today: date, tz: ZoneInfo = DEFAULT_TZ
) -> bytes:
    """The workbook as .xlsx bytes (send as a Telegram document or write to a file)."""
    view = ProgressView(knowledge, store, tz)
    rows = view.rows(today)
    workbook = Workbook()
    summary = workbook.active
    assert summary is not None
    summary.title = SUMMARY_SHEET
    _fill_summary(summary, rows, view.assignments(today), knowledge, today)
    _fill_detail(workbook.create_sheet(DETAIL_SHEET), rows, knowledge, tz)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


PLANS_SHEET = "Các kế hoạch"


def build_plans_report(
    plans: Sequence[tuple[Knowledge, ProgressStore | None]], today: date, tz: ZoneInfo = DEFAULT_TZ
) -> bytes:
    """The workbook of several plans: first one summary line per plan, then each plan's
    own two sheets («91 Tổng hợp», «91 Tiến độ»). With one plan, `build_report`'s."""
    if len(plans) == 1:
        return build_report(plans[0][0], plans[0][1], today, tz)
    workbook = Workbook()
    overview = workbook.active
    assert overview is not None
    overview.title = PLANS_SHEET
    overview["A1"] = f"Tổng hợp tiến độ {len(plans)} kế hoạch"
    overview["A1"].font = Font(bold=True, size=13)
    overview["A2"] = f"Tính đến ngày {today:%d/%m/%Y}"
    headers = [
        "Kế hoạch",
        "Trích yếu",
        "Số mục",
        "Số phần việc",
        *(STATE_LABELS[s] for s in STATE_ORDER),
        BLOCKED_HEADER,
        "Sheet",
    ]
    _header(overview, 4, headers)
    for line, (knowledge, store) in enumerate(plans, start=5):
        meta = knowledge.plan.meta
        key = meta.number.split("/")[0].strip() or meta.number
        view = ProgressView(knowledge, store, tz)
        rows = view.rows(today)
        statuses = view.assignments(today)
        by_assignment = Counter(st.state for st in statuses)
        _put(overview, line, 1, meta.label)
        _put(overview, line, 2, meta.short_title or meta.title)
        overview.cell(row=line, column=3, value=len(knowledge.plan.items))
        overview.cell(row=line, column=4, value=len(statuses))
        for column, state in enumerate(STATE_ORDER, start=5):
            overview.cell(row=line, column=column, value=by_assignment.get(state, 0))
        overview.cell(
            row=line,
            column=5 + len(STATE_ORDER),
            value=sum(1 for st in statuses if st.blocked_rows),
        )
        summary_name = f"{key} {SUMMARY_SHEET}"[:31]
        _put(overview, line, 6 + len(STATE_ORDER), summary_name)
        _fill_summary(workbook.create_sheet(summary_name), rows, statuses, knowledge, today)
        _fill_detail(workbook.create_sheet(f"{key} {DETAIL_SHEET}"[:31]), rows, knowledge, tz)
    overview.column_dimensions["A"].width = 24
    overview.column_dimensions["B"].width = 60
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def report_filename(knowledge: Knowledge, today: date) -> str:
    """ "tien-do-91-KH-UBND-2023-07-15.xlsx"."""
    number = knowledge.plan.meta.number.replace("/", "-")
    return f"tien-do-{number}-{today:%Y-%m-%d}.xlsx"


def write_report_file(settings: Settings, path: Path, today: date) -> Path:
    """Write the workbook to `path` (the CLI's `report --out`); reads the DB read-only."""
    from bot.shelf.documents import plan_shelf, with_activated
    from bot.storage import open_progress_reader
    from bot.storage.plan_scope import scoped

    library = load_library(settings.plan_path)
    store = open_progress_reader(settings)
    try:
        library = with_activated(library, plan_shelf(settings, store))
        served = [
            (k, None if store is None else scoped(cast(Any, store), library.storage_key(k)))
            for k in library
        ]
        data = build_plans_report(served, today, settings.tz)
    finally:
        if store is not None:
            store.close()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    except OSError as exc:
        raise ConfigError(f"Không ghi được tệp báo cáo {path}: {exc}") from exc
    return path
