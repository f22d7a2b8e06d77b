"""The status-by-agency chart (/tiendo and the Monday digest): its bars, the PNG, and
matplotlib staying out of start-up."""

from __future__ import annotations

import subprocess
import sys
from datetime import date, datetime
from pathlib import Path

import pytest

from bot.core.clock import DEFAULT_TZ
from bot.plan.loader import Knowledge, load_knowledge
from bot.progress.chart import (
    MAX_BARS,
    PNG_SIGNATURE,
    chart_title,
    render_png,
    short_name,
    status_by_agency,
)
from bot.progress.status import STATE_ORDER, State
from bot.progress.view import ProgressView
from bot.storage.base import NewUpdate
from bot.storage.sqlite import open_sqlite

ROOT = Path(__file__).resolve().parents[2]
PLAN = ROOT / "knowledge" / "plan.yaml"


@pytest.fixture(scope="module")
def knowledge() -> Knowledge:
    return load_knowledge(PLAN)


async def test_bars_count_each_agencys_rows_and_blockers(
    tmp_path: Path, knowledge: Knowledge
) -> None:
    db = open_sqlite(tmp_path / "p.db", now=datetime(2023, 1, 1, tzinfo=DEFAULT_TZ))
    when = datetime(2023, 6, 10, 9, tzinfo=DEFAULT_TZ)
    await db.insert_update(NewUpdate("6", "6b", "snv", "blocked", 40, None, 7, "A", when))
    await db.insert_update(NewUpdate("2.4", "2.4", "snv", "done", 100, None, 7, "A", when))
    rows = ProgressView(knowledge, db, DEFAULT_TZ).rows(date(2023, 7, 15))
    db.close()
    bars = status_by_agency(rows, knowledge.agencies, limit=100)
    assert len(bars) == len({r.agency_id for r in rows}) == 35
    snv = next(b for b in bars if b.name == "Sở Nội vụ")
    assert snv.blocked == 1 and snv.total == sum(1 for r in rows if r.agency_id == "snv")
    assert snv.counts[STATE_ORDER.index(State.DONE_ON_TIME)] == 1
    assert snv.counts[STATE_ORDER.index(State.IN_PROGRESS)] == 1
    assert short_name("Ủy ban nhân dân huyện Hàm Thuận Bắc") == "UBND huyện Hàm Thuận Bắc"


def test_many_agencies_keep_the_urgent_ones_and_group_the_rest(knowledge: Knowledge) -> None:
    rows = ProgressView(knowledge, None, DEFAULT_TZ).rows(date(2026, 6, 15))
    bars = status_by_agency(rows, knowledge.agencies)
    agencies = {r.agency_id for r in rows}
    assert len(agencies) > MAX_BARS and len(bars) == MAX_BARS
    assert bars[-1].name == f"Các cơ quan khác ({len(agencies) - MAX_BARS + 1})"
    assert sum(b.total for b in bars) == len(rows)
    overdue = STATE_ORDER.index(State.OVERDUE)
    assert all(b.counts[overdue] == 0 for b in bars[-1:])  # the overdue ones have a bar


def test_the_chart_is_a_png_image(knowledge: Knowledge) -> None:
    rows = ProgressView(knowledge, None, DEFAULT_TZ).rows(date(2023, 7, 15))
    bars = status_by_agency(rows, knowledge.agencies)
    png = render_png(bars, chart_title(knowledge.plan.meta.number, date(2023, 7, 15)))
    assert png.startswith(PNG_SIGNATURE) and png[12:16] == b"IHDR" and len(png) > 10_000
    width, height = int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")
    assert width == 800 and 600 <= height <= 1200


def test_start_up_and_ask_do_not_import_matplotlib() -> None:
    """matplotlib (≈1 s to import) is loaded only when a chart is drawn."""
    code = (
        "import sys\n"
        "import bot.__main__, bot.app.cli, bot.app.runtime, bot.telegram.progress\n"
        "import bot.reminders.handlers, bot.reminders.engine, bot.progress.chart\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'matplotlib'))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert done.stdout.strip() == "[]"
