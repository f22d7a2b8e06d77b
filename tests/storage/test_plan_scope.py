"""Each plan's share of the one progress table (`bot.storage.plan_scope.PlanScoped`)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

from storage_helpers import report

from bot.storage.plan_scope import scoped
from bot.storage.sqlite import open_sqlite

NOW = datetime(2026, 11, 30, 2, 0, tzinfo=UTC)


async def test_each_plan_sees_its_own_reports_numbered_as_it_numbers_them(tmp_path: Path) -> None:
    db = open_sqlite(tmp_path / "p.db", now=NOW)
    try:
        main, other = scoped(db, ""), scoped(db, "58")
        stored_main, _ = await main.insert_update(
            replace(report(1), item_id="5", assignment_key="5")
        )
        stored_other, created = await other.insert_update(
            replace(report(2, percent=80), item_id="5", assignment_key="5")
        )
        assert created and stored_other.item_id == "5" and stored_other.percent == 80
        # in the table the second plan's number carries its key
        assert sorted(u.item_id for u in db.updates()) == ["5", "58#5"]
        # each plan sees only its own, under its own numbers
        assert [(u.item_id, u.percent) for u in main.updates()] == [("5", 50)]
        assert [(u.item_id, u.percent) for u in other.updates()] == [("5", 80)]
        assert [u.percent for u in other.updates("5")] == [80]
        assert other.get_update(stored_main.id) is None
        assert main.get_update(stored_other.id) is None
        # a redelivered message is the one report, whichever plan asks
        again, created = await other.insert_update(
            replace(report(2, percent=80), item_id="5", assignment_key="5")
        )
        assert not created and again.id == stored_other.id and again.item_id == "5"
        assert len(db.updates()) == 2
        # members and the rest are shared
        assert main.schema_version() == other.schema_version() == db.schema_version()
    finally:
        db.close()


async def test_a_plans_updates_stay_right_as_reports_come_and_are_undone(tmp_path: Path) -> None:
    """Read after each change, a plan's updates are what a fresh read gives: only the new
    reports are filtered after a report, and an undo (or a report stamped earlier) is
    read again in full; another plan's update is the same object from read to read."""
    db = open_sqlite(tmp_path / "p.db", now=NOW)
    try:
        main, other = scoped(db, ""), scoped(db, "58")

        def fresh(key: str) -> list[tuple[int, str, int | None]]:
            return [(u.id, u.item_id, u.percent) for u in scoped(db, key).updates()]

        def seen(plan: object) -> list[tuple[int, str, int | None]]:
            return [(u.id, u.item_id, u.percent) for u in plan.updates()]  # type: ignore[attr-defined]

        stored = []
        for source in range(1, 9):
            plan = other if source % 3 == 0 else main
            update, _ = await plan.insert_update(
                replace(report(source, percent=10 * source), item_id="5", assignment_key="5")
            )
            stored.append(update)
            assert seen(main) == fresh("")
            assert seen(other) == fresh("58")
        first = other.updates()[0]
        assert first.item_id == "5"
        await other.insert_update(replace(report(20, percent=99), item_id="6", assignment_key="6"))
        assert other.updates()[0] is first  # kept, not made again
        assert [u.percent for u in other.updates()] == [30, 60, 99]
        assert await db.mark_undone(stored[0].id, by=1, at=NOW)
        assert seen(main) == fresh("") and main.updates()[0].percent == 20
        assert await db.mark_undone(stored[2].id, by=1, at=NOW)  # the other plan's first
        assert [u.percent for u in other.updates()] == [60, 99]
        assert seen(other) == fresh("58")
    finally:
        db.close()
