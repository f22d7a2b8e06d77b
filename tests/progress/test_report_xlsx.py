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
    assert book.sheetnames == [DETAIL_SHEET, SUMMARY_SHEET]
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
    assert syt["Trạng thái"] == "đang thực hiện (trong hạn)"
    assert syt["Thời hạn"] == "Trước ngày 30/11 hàng năm"
    silent = _find(rows, "III.1", "Sở Tư pháp")
    assert silent["Trạng thái"] == "chưa báo cáo" and silent["Tỷ lệ (%)"] is None
    assert len(rows) == len({(r["Phần việc"], r["Cơ quan báo cáo"]) for r in rows})

    summary = book[SUMMARY_SHEET]
    cells = {row[0]: row[1] for row in summary.iter_rows(values_only=True) if row and row[0]}
    assert cells["Tổng cộng"] == len(rows)
    assert cells["hoàn thành đúng hạn"] == 1
    assert cells["đang thực hiện (trong hạn)"] == 1
    assert cells["quá hạn"] == sum(1 for r in rows if str(r["Trạng thái"]).startswith("quá hạn"))
    by_status_total = sum(
        cells[label]
        for label in ("hoàn thành đúng hạn", "hoàn thành quá hạn", "đang thực hiện (trong hạn)",
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
    assert agency_rows["Sở Y tế"][4] == 1  # one "đang thực hiện (trong hạn)" row


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
