"""A long-lived ProgressView keeps what it derived between questions; it must always say
what a view built from scratch says, whatever was stored, undone or stamped late."""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from bot.plan.loader import Knowledge, load_knowledge
from bot.plan.responsibility import all_assignments, responsible_agencies
from bot.progress.view import ProgressView
from bot.storage.base import NewUpdate
from bot.storage.sqlite import SqliteDatabase, open_sqlite

ROOT = Path(__file__).resolve().parents[2]
START = datetime(2023, 1, 2, 2, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def knowledge() -> Knowledge:
    return load_knowledge(ROOT / "knowledge" / "plan.yaml")


@pytest.fixture
def db(tmp_path: Path) -> Iterator[SqliteDatabase]:
    database = open_sqlite(tmp_path / "bot.db", now=START)
    yield database
    database.close()


def _snapshot(view: ProgressView, today: date) -> list[tuple[str, str, str, int, int | None]]:
    return [
        (r.key, r.agency_id, r.state.value, r.days_overdue, r.latest.id if r.latest else None)
        for r in view.rows(today)
    ]


def _summaries(view: ProgressView, today: date) -> list[tuple[str, str, int, int, int]]:
    return [
        (a.key, a.state.value, a.days_overdue, a.expected, a.reported)
        for a in view.assignments(today)
    ]


@pytest.mark.parametrize("seed", [1, 2, 3])
async def test_a_kept_view_always_agrees_with_a_fresh_one(
    knowledge: Knowledge, db: SqliteDatabase, seed: int
) -> None:
    rnd = random.Random(seed)
    rows = [
        (item, assignment, agency)
        for item, assignment in all_assignments(knowledge.plan)
        for agency in responsible_agencies(assignment, knowledge.agencies)
    ]
    kept = ProgressView(knowledge, db)
    stored: list[int] = []
    at = START
    for step in range(80):
        action = rnd.random()
        if action < 0.1 and stored:
            await db.mark_undone(rnd.choice(stored), by=1, at=at)
        else:
            item, assignment, agency = rnd.choice(rows)
            at += timedelta(hours=rnd.randint(1, 60))
            # now and then a report stamped before the last one (the clock is injected)
            stamp = at - timedelta(days=rnd.randint(1, 200)) if action > 0.9 else at
            saved, _ = await db.insert_update(
                NewUpdate(
                    item_id=item.id,
                    assignment_key=item.assignment_key(assignment),
                    agency_id=agency if rnd.random() > 0.05 else "stc",  # not responsible
                    status=rnd.choice(["done", "in_progress", "blocked"]),
                    percent=rnd.choice([None, 30, 100]),
                    note=None,
                    reporter_id=1,
                    reporter_name="A",
                    created_at=stamp,
                )
            )
            stored.append(saved.id)
        for today in {(at - timedelta(days=30)).date(), at.date(), date(2023, 12, 1)}:
            fresh = ProgressView(knowledge, db)
            assert _snapshot(kept, today) == _snapshot(fresh, today), (seed, step, today)
            assert _summaries(kept, today) == _summaries(fresh, today), (seed, step, today)


async def test_a_new_report_changes_the_kept_answer_at_once(
    knowledge: Knowledge, db: SqliteDatabase
) -> None:
    kept = ProgressView(knowledge, db)
    today = date(2023, 6, 1)
    before = {r.key: r.state for r in kept.assignments(today)}
    assert before["2.4"].value == "not_reported"
    await db.insert_update(
        NewUpdate("2.4", "2.4", "snv", "done", 100, None, 1, "A", START + timedelta(days=30))
    )
    after = {r.key: r.state for r in kept.assignments(today)}
    assert after["2.4"].value != "not_reported"


async def test_warm_up_derives_today_before_the_first_question(
    knowledge: Knowledge, db: SqliteDatabase, derived_rows: list[tuple[object, ...]]
) -> None:
    """`run_bot` warms the brain before serving: the first progress questions after a
    restart find today's rows derived (a year of history is not read inside them), and
    say what they would have said anyway."""
    from bot.brain import Brain

    today = date(2023, 6, 1)
    await db.insert_update(
        NewUpdate("2.4", "2.4", "snv", "done", 100, None, 1, "A", START + timedelta(days=30))
    )
    cold = Brain(knowledge, progress=db)
    expected = [cold.answer(q, today=today).html for q in ("tiến độ", "tiến độ nhiệm vụ 2.4")]

    warm = Brain(knowledge, progress=db)
    derived_rows.clear()
    warm.warm_up(today)
    assert derived_rows, "warm_up derived nothing"
    derived_rows.clear()
    answers = [warm.answer(q, today=today).html for q in ("tiến độ", "tiến độ nhiệm vụ 2.4")]
    assert answers == expected and "hoàn thành" in answers[1]
    assert derived_rows == []
