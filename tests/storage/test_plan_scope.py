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
