"""The progress workbook: read the cells back with openpyxl."""

from __future__ import annotations

import io
from datetime import date, datetime
from pathlib import Path

import pytest
from openpyxl import load_workbook
from openpyxl.worksheet.worksheet import Worksheet

from bot.core.clock import FixedClock
from bot.core.config import Settings, load_settings
from bot.plan.loader import Knowledge, load_knowledge
from bot.progress.report_xlsx import (
    DETAIL_HEADERS,
    DETAIL_SHEET,
    SUMMARY_SHEET,
    build_report,
    report_filename,
    write_report_file,
)
from bot.progress.service import ProgressService
from bot.storage.sqlite import SqliteDatabase, open_sqlite

PLAN = Path(__file__).resolve().parents[2] / "knowledge" / "plan.yaml"
TODAY = date(2023, 7, 15)


@pytest.fixture(scope="module")
def knowledge() -> Knowledge:
    return load_knowledge(PLAN)


def _settings(db: Path) -> Settings:
    return load_settings(database_url=f"sqlite:///{db}", plan_path=PLAN)


async def _fill(db: SqliteDatabase, knowledge: Knowledge) -> None:
    clock = FixedClock(datetime(2023, 6, 10, 9, 0))
    service = ProgressService(db, knowledge, clock, admin_ids={1})
    for user, agency in ((10, "snv"), (20, "syt")):
        await service.request_membership(user, agency, f"Người {user}")
        await service.approve_member(1, user)
    await service.record_update(
        user_id=10, item_ref="2.4", percent=60, note="đang lấy ý kiến", chat_id=10,
        message_id=1, display_name="Nguyễn Văn A",
    )  # fmt: skip
    clock.set(datetime(2023, 6, 20, 9, 0))
    await service.record_update(
        user_id=1, item_ref="4.2b", status="done", chat_id=1, message_id=2, display_name="Admin"
    )
    await service.record_update(
        user_id=20, item_ref="III.1", percent=30, chat_id=20, message_id=3, display_name="Người 20"
    )


def _rows(sheet: Worksheet) -> list[dict[str, object]]:
    values = list(sheet.iter_rows(values_only=True))
    header = [str(h) for h in values[0]]
    return [dict(zip(header, row, strict=True)) for row in values[1:]]


def _find(rows: list[dict[str, object]], key: str, agency: str) -> dict[str, object]:
    return next(r for r in rows if r["Phần việc"] == key and r["Cơ quan báo cáo"] == agency)


async def test_workbook_rows_and_summary(tmp_path: Path, knowledge: Knowledge) -> None:
    db = open_sqlite(tmp_path / "p.db", now=datetime(2023, 6, 1, tzinfo=FixedClock(TODAY).tz))
    await _fill(db, knowledge)
    data = build_report(knowledge, db, TODAY)
    db.close()
    book = load_workbook(io.BytesIO(data))
    assert book.sheetnames == [SUMMARY_SHEET, DETAIL_SHEET]  # the summary opens first
    detail = book[DETAIL_SHEET]
    assert tuple(c.value for c in detail[1]) == DETAIL_HEADERS
    rows = _rows(detail)

    snv = _find(rows, "2.4", "Sở Nội vụ")
    assert snv["Mục"] == "2.4"
    assert snv["Cơ quan chủ trì"] == "Sở Nội vụ"
    assert snv["Cơ quan phối hợp"] == "Sở Tài chính; Công an tỉnh; Sở Kế hoạch và Đầu tư"
    assert snv["Thời hạn"] == "Trong quý II/2023"
    assert snv["Trạng thái"] == "quá hạn 15 ngày"
    assert snv["Số ngày quá hạn"] == 15
    assert snv["Đơn vị báo"] == "đang thực hiện"
    assert snv["Tỷ lệ (%)"] == 60
    assert snv["Ghi chú mới nhất"] == "đang lấy ý kiến"
    assert snv["Người báo cáo"] == "Nguyễn Văn A"
    assert isinstance(snv["Ngày báo cáo"], datetime)
    assert snv["Ngày báo cáo"].date() == date(2023, 6, 10)
    assert str(snv["Nội dung"]).startswith("Căn cứ điều kiện")

    vp = _find(rows, "4.2b", "Văn phòng Ủy ban nhân dân tỉnh")
    assert (vp["Trạng thái"], vp["Tỷ lệ (%)"]) == ("hoàn thành đúng hạn", 100)
    syt = _find(rows, "III.1", "Sở Y tế")
    assert syt["Trạng thái"] == "đang thực hiện trong hạn"
    assert syt["Thời hạn"] == "Trước ngày 30/11 hàng năm"
    silent = _find(rows, "III.1", "Sở Tư pháp")
    assert silent["Trạng thái"] == "chưa báo cáo" and silent["Tỷ lệ (%)"] is None
    assert len(rows) == len({(r["Phần việc"], r["Cơ quan báo cáo"]) for r in rows})

    summary = book[SUMMARY_SHEET]
    cells = {row[0]: row[1] for row in summary.iter_rows(values_only=True) if row and row[0]}
    assert cells["Tổng cộng"] == len(rows)
    assert cells["hoàn thành đúng hạn"] == 1
    assert cells["đang thực hiện trong hạn"] == 1
    assert cells["quá hạn"] == sum(1 for r in rows if str(r["Trạng thái"]).startswith("quá hạn"))
    by_status_total = sum(
        cells[label]
        for label in ("hoàn thành đúng hạn", "hoàn thành quá hạn", "đang thực hiện trong hạn",
                      "quá hạn", "chưa báo cáo")
    )  # fmt: skip
    assert by_status_total == len(rows)
    agency_rows = {
        row[0]: row
        for row in summary.iter_rows(values_only=True)
        if row and row[0] in ("Sở Nội vụ", "Sở Y tế")
    }
    snv_row = agency_rows["Sở Nội vụ"]
    assert snv_row[1] == sum(1 for r in rows if r["Cơ quan báo cáo"] == "Sở Nội vụ")
    assert agency_rows["Sở Y tế"][4] == 1  # one "đang thực hiện trong hạn" row


def test_write_report_file_without_database(tmp_path: Path, knowledge: Knowledge) -> None:
    db_file = tmp_path / "data" / "planbot.db"
    out = write_report_file(_settings(db_file), tmp_path / "out" / "bao-cao.xlsx", TODAY)
    assert out.is_file()
    assert not db_file.exists()
    rows = _rows(load_workbook(out)[DETAIL_SHEET])
    assert rows and all(r["Người báo cáo"] is None for r in rows)
    assert _find(rows, "2.4", "Sở Nội vụ")["Trạng thái"] == "quá hạn 15 ngày"


async def test_write_report_file_reads_saved_updates(tmp_path: Path, knowledge: Knowledge) -> None:
    db_file = tmp_path / "planbot.db"
    db = open_sqlite(db_file, now=datetime(2023, 6, 1, tzinfo=FixedClock(TODAY).tz))
    await _fill(db, knowledge)
    db.close()
    out = write_report_file(_settings(db_file), tmp_path / "r.xlsx", TODAY)
    rows = _rows(load_workbook(out)[DETAIL_SHEET])
    assert _find(rows, "2.4", "Sở Nội vụ")["Tỷ lệ (%)"] == 60


def test_report_filename(knowledge: Knowledge) -> None:
    assert report_filename(knowledge, TODAY) == "tien-do-91-KH-UBND-2023-07-15.xlsx"


async def test_user_text_that_looks_like_a_formula_stays_text(
    tmp_path: Path, knowledge: Knowledge
) -> None:
    """A Telegram name or note starting with =, +, -, @ is shown exactly as typed and
    never becomes a live formula (OWASP formula injection), in the file `report --out`
    writes as in the /baocao bytes (the same workbook)."""
    db_file = tmp_path / "planbot.db"
    db = open_sqlite(db_file, now=datetime(2023, 6, 1, tzinfo=FixedClock(TODAY).tz))
    clock = FixedClock(datetime(2023, 6, 10, 9, 0))
    service = ProgressService(db, knowledge, clock, admin_ids={1})
    name = '=HYPERLINK("http://x","Bấm")'
    await service.request_membership(10, "snv", name)
    await service.approve_member(1, 10)
    notes = {"2.4": "=1+2", "3.1": "+84 912 345 678", "4.1": "-5 ngày so với hạn", "5": "@SUM(A1)"}
    for message_id, (item, note) in enumerate(notes.items(), start=1):
        saved = await service.record_update(
            user_id=10, item_ref=item, percent=50, note=note, chat_id=10,
            message_id=message_id, display_name=name,
        )  # fmt: skip
        assert saved.code == "saved", saved.message
    db.close()

    out = write_report_file(_settings(db_file), tmp_path / "r.xlsx", TODAY)
    book = load_workbook(out)
    formulas = [
        f"{sheet.title}!{cell.coordinate}"
        for sheet in book.worksheets
        for row in sheet.iter_rows()
        for cell in row
        if cell.data_type == "f"
    ]
    assert formulas == []
    detail = book[DETAIL_SHEET]
    header = [c.value for c in detail[1]]
    note_col, who_col = header.index("Ghi chú mới nhất"), header.index("Người báo cáo")
    reported = [r for r in detail.iter_rows(min_row=2) if r[who_col].value is not None]
    assert sorted(r[note_col].value for r in reported) == sorted(notes.values())
    for row in reported:
        assert row[who_col].value == name
        assert row[note_col].quotePrefix and row[who_col].quotePrefix  # text when edited too


def _table(sheet: Worksheet, title: str) -> list[dict[str, object]]:
    """The rows of the summary's table under the line `title`, keyed by its header."""
    values = list(sheet.iter_rows(values_only=True))
    start = next(i for i, row in enumerate(values) if row[0] == title) + 1
    header = [str(h) for h in values[start] if h is not None]
    out = []
    for row in values[start + 1 :]:
        if row[0] is None:
            break
        out.append(dict(zip(header, row[: len(header)], strict=True)))
    return out


async def _blocked_world(tmp_path: Path, knowledge: Knowledge) -> bytes:
    db = open_sqlite(tmp_path / "p.db", now=datetime(2023, 6, 1, tzinfo=FixedClock(TODAY).tz))
    await _fill(db, knowledge)
    service = ProgressService(db, knowledge, FixedClock(datetime(2023, 7, 1, 9)), admin_ids={1})
    saved = await service.record_update(
        user_id=10, item_ref="6b", status="blocked", percent=40, note="thiếu kinh phí",
        chat_id=10, message_id=9, display_name="Nguyễn Văn A",
    )  # fmt: skip
    assert saved.code == "saved", saved.message
    data = build_report(knowledge, db, TODAY)
    db.close()
    return data


async def test_blocked_is_a_flag_with_its_column_colour_and_count(
    tmp_path: Path, knowledge: Knowledge
) -> None:
    """A «vướng mắc» report keeps the row's national status and is flagged in its own
    column (coloured), and counted in the summary (issue 16)."""
    book = load_workbook(io.BytesIO(await _blocked_world(tmp_path, knowledge)))
    detail = book[DETAIL_SHEET]
    header = [c.value for c in detail[1]]
    assert "Vướng mắc" in header
    rows = _rows(detail)
    blocked = _find(rows, "6b", "Sở Nội vụ")
    assert blocked["Trạng thái"] == "đang thực hiện trong hạn"
    assert blocked["Vướng mắc"] == "Có" and blocked["Đơn vị báo"] == "vướng mắc"
    assert [r["Phần việc"] for r in rows if r["Vướng mắc"]] == ["6b"]
    line = next(r for r in detail.iter_rows(min_row=2) if r[1].value == "6b")
    flag = line[header.index("Vướng mắc")]
    assert flag.fill.fgColor.rgb.endswith("FFD8A8")
    overdue = next(r for r in detail.iter_rows(min_row=2) if r[1].value == "2.4")
    assert overdue[header.index("Trạng thái")].fill.fgColor.rgb.endswith("FFC7CE")

    summary = book[SUMMARY_SHEET]
    cells = {row[0]: row[1:3] for row in summary.iter_rows(values_only=True) if row and row[0]}
    assert cells["Trong đó có vướng mắc"] == (1, 1)
    agencies = {r["Cơ quan"]: r for r in _table(summary, "Theo cơ quan")}
    assert agencies["Sở Nội vụ"]["Vướng mắc"] == 1 and agencies["Sở Y tế"]["Vướng mắc"] == 0


async def test_summary_first_by_item_with_a_native_chart(
    tmp_path: Path, knowledge: Knowledge
) -> None:
    """The summary opens the workbook: counts by status, a line per item of the plan (not
    only per agency), and a native stacked bar chart of status by agency."""
    book = load_workbook(io.BytesIO(await _blocked_world(tmp_path, knowledge)))
    assert book.sheetnames[0] == SUMMARY_SHEET and book.active.title == SUMMARY_SHEET
    summary = book[SUMMARY_SHEET]
    items = _table(summary, "Theo mục của Kế hoạch")
    assert [r["Mục"] for r in items] == [i.id for i in knowledge.plan.items]
    by_id = {r["Mục"]: r for r in items}
    assert by_id["6"]["Số phần việc"] == 3 and by_id["6"]["Vướng mắc"] == 1
    assert by_id["2.4"]["Trạng thái chung"] == "quá hạn 15 ngày" and by_id["2.4"]["quá hạn"] == 1
    assert not str(by_id["5"]["Nội dung"]).endswith("…")
    (chart,) = summary._charts
    assert (chart.type, chart.grouping) == ("bar", "stacked")
    assert len(chart.series) == 5  # one series per status
    agencies = _table(summary, "Theo cơ quan")
    assert len(agencies) == len({r["Cơ quan báo cáo"] for r in _rows(book[DETAIL_SHEET])})


def test_each_row_says_its_agency_role_and_the_full_text(knowledge: Knowledge) -> None:
    """District committees in a shared item are not told «chủ trì: Các sở, ban, ngành»;
    6b names Sở Nội vụ once, as coordinator; «Nội dung» is whole, in wrapped cells; the
    sheets print landscape on the page's width, the header repeated."""
    book = load_workbook(io.BytesIO(build_report(knowledge, None, TODAY)))
    detail = book[DETAIL_SHEET]
    rows = _rows(detail)
    assert not [r for r in rows if r["Cơ quan chủ trì"] == "Các sở, ban, ngành"]
    district = _find(rows, "6a", "Ủy ban nhân dân huyện Tuy Phong")
    assert district["Cơ quan chủ trì"] is None and district["Vai trò"] == "thực hiện"
    six_b = _find(rows, "6b", "Sở Nội vụ")
    assert six_b["Cơ quan chủ trì"] is None
    assert (six_b["Cơ quan phối hợp"], six_b["Vai trò"]) == ("Sở Nội vụ", "phối hợp")
    lead = _find(rows, "2.4", "Sở Nội vụ")
    assert (lead["Cơ quan chủ trì"], lead["Vai trò"]) == ("Sở Nội vụ", "chủ trì, thực hiện")

    item = next(i for i in knowledge.plan.items if i.id == "2.4")
    assert lead["Nội dung"] == " ".join(item.text.split())
    assert len(str(lead["Nội dung"])) > 200
    assert not [r for r in rows if str(r["Nội dung"]).endswith("…")]
    content = DETAIL_HEADERS.index("Nội dung")
    assert all(r[content].alignment.wrap_text for r in detail.iter_rows(min_row=2))

    assert detail.freeze_panes == "C2" and detail.auto_filter.ref == f"A1:Q{len(rows) + 1}"
    assert detail.print_title_rows == "$1:$1"
    for sheet in (detail, book[SUMMARY_SHEET]):
        setup = sheet.page_setup
        assert (setup.orientation, setup.fitToWidth, setup.fitToHeight) == ("landscape", 1, 0)
        assert sheet.sheet_properties.pageSetUpPr.fitToPage
