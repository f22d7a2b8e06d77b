"""Progress and reminders in today's agencies (the 2025 restructuring, knowledge/successions.yaml).

The clock travels: registering, reporting, who is expected to report, reminders, the digest
and the Excel report are read as of the clock's day. Before 01/03/2025 the plan's agencies
are as written; from then Sở Tài chính holds what Sở Kế hoạch và Đầu tư led, and from
01/07/2025 the communes (xã, phường, đặc khu) hold what the districts held. What was stored
stays as written: a report Sở Kế hoạch và Đầu tư made in 2024 is still its report in 2026.
"""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from datetime import date, datetime
from pathlib import Path

import pytest
from openpyxl import load_workbook
from world import World as SharedWorld
from world import approve_members

from bot.core.clock import DEFAULT_TZ, FixedClock
from bot.plan.agencies import AgencyRegistry
from bot.plan.loader import Knowledge, load_knowledge
from bot.plan.models import Assignment, Item
from bot.plan.responsibility import Holders, all_assignments, find_item
from bot.progress.report_xlsx import build_report
from bot.progress.service import ProgressService, UpdateResult
from bot.progress.view import ProgressView
from bot.reminders.calendar import WorkCalendar
from bot.reminders.occurrence import Snapshot
from bot.reminders.planner import ReminderPlanner
from bot.storage.reminder_records import ALL_AGENCIES, Subscription
from bot.storage.sqlite import SqliteDatabase

PLAN = Path(__file__).resolve().parents[2] / "knowledge" / "plan.yaml"
ADMIN = 1
SKHDT_USER, STC_USER, COMMUNE_USER, DISTRICT_USER = 10, 20, 30, 40
CAL = WorkCalendar()

BEFORE_MERGER = date(2025, 2, 28)
MERGED = date(2025, 3, 1)
BEFORE_COMMUNES = date(2025, 6, 30)
COMMUNES = date(2025, 7, 1)
TODAY = date(2026, 11, 23)


@pytest.fixture(scope="module")
def knowledge() -> Knowledge:
    return load_knowledge(PLAN)


@pytest.fixture(scope="module")
def holders(knowledge: Knowledge) -> Holders:
    return Holders(knowledge.plan, knowledge.agencies, knowledge.timeline)


class World(SharedWorld):
    def __init__(self, knowledge: Knowledge, clock: FixedClock, path: Path) -> None:
        super().__init__(knowledge, clock, path, {ADMIN})
        self.db: SqliteDatabase = self.open_database()
        self.service: ProgressService = self.progress_service(self.db)
        self.view = ProgressView(knowledge, self.db, clock.tz)

    def day(self, day: date, hour: int = 9) -> None:
        self.at(day.year, day.month, day.day, hour)

    async def report(
        self, user: int, message_id: int, item: str, *, status: str = "in_progress", **kw: str
    ) -> UpdateResult:
        return await self.service.record_update(
            user_id=user,
            item_ref=item,
            status=status,
            chat_id=user,
            message_id=message_id,
            display_name=f"Người {user}",
            **kw,
        )


@pytest.fixture
async def world(tmp_path: Path, knowledge: Knowledge) -> AsyncIterator[World]:
    w = World(knowledge, FixedClock(datetime(2024, 5, 6, 9, 0)), tmp_path / "planbot.db")
    yield w
    w.db.close()


def the(knowledge: Knowledge, key: str) -> tuple[Item, Assignment]:
    found = find_item(knowledge.plan, key)
    assert found is not None
    item, part = found
    return item, part or item.assignments[0]


# ----------------------------------------------------------------- 1. registration


async def test_registration_accepts_todays_agencies_and_refuses_ended_ones(world: World) -> None:
    s = world.service
    world.day(TODAY)
    for user, agency in enumerate(("snnmt", "x_vinh_hao", "p_phan_thiet", "dk_phu_quy", "stc")):
        result = await s.request_membership(100 + user, agency)
        assert result.code == "ok", (agency, result.message)
    refused = await s.request_membership(200, "skhdt")
    assert refused.code == "bad_agency"
    assert "Sở Kế hoạch và Đầu tư" in refused.message and "01/03/2025" in refused.message
    assert "anh/chị đăng ký Sở Tài chính" in refused.message
    district = await s.request_membership(201, "h_tuy_phong")
    assert district.code == "bad_agency" and "01/07/2025" in district.message
    assert "xã Vĩnh Hảo" in district.message  # one of the communes that took it over
    dissolved = await s.request_membership(202, "sldtbxh")
    assert dissolved.code == "bad_agency" and "Sở Nội vụ" in dissolved.message
    # a group chat likewise
    assert (await s.request_chat_link(-500, "skhdt", ADMIN)).code == "bad_agency"
    assert (await s.request_chat_link(-501, "x_vinh_hao", ADMIN)).code == "ok"


async def test_before_the_events_the_old_agencies_register_and_the_new_do_not(
    world: World,
) -> None:
    s = world.service
    world.day(BEFORE_MERGER)
    assert (await s.request_membership(300, "skhdt")).code == "ok"
    assert (await s.request_chat_link(-600, "skhdt", ADMIN)).code == "ok"
    early = await s.request_membership(301, "snnmt")
    assert early.code == "bad_agency" and "01/03/2025" in early.message
    world.day(BEFORE_COMMUNES)
    assert (await s.request_membership(302, "h_tuy_phong")).code == "ok"
    assert (await s.request_membership(303, "x_vinh_hao")).code == "bad_agency"
    world.day(COMMUNES)
    assert (await s.request_membership(303, "x_vinh_hao")).code == "ok"


def test_todays_names_resolve_to_the_new_agencies(knowledge: Knowledge) -> None:
    registry = AgencyRegistry(knowledge.agencies)
    for name, agency in (
        ("Sở Nông nghiệp và Môi trường", "snnmt"),
        ("xã Vĩnh Hảo", "x_vinh_hao"),
        ("phường Phan Thiết", "p_phan_thiet"),
        ("đặc khu Phú Quý", "dk_phu_quy"),
    ):
        assert [a.id for a in registry.resolve(name)][:1] == [agency], name


# ----------------------------------------------------------------- 2. reporting


async def test_a_successor_reports_on_what_it_took_over(world: World) -> None:
    world.day(TODAY)
    await approve_members(world.service, ADMIN, {STC_USER: "stc", COMMUNE_USER: "x_vinh_hao"})
    saved = await world.report(STC_USER, 1, "4.3", note="đang tổng hợp")
    assert saved.code == "saved" and saved.record is not None
    assert saved.record.agency_id == "stc"  # the reporter's agency, as it is
    assert "Cơ quan: <b>Sở Tài chính</b>" in saved.message
    commune = await world.report(COMMUNE_USER, 2, "III.1", status="done")
    assert commune.code == "saved" and commune.record is not None
    assert commune.record.agency_id == "x_vinh_hao"
    for item in ("1.1", "5"):
        checked = world.service.checker.check_update(
            user_id=COMMUNE_USER, item_ref=item, percent=10
        )
        assert checked.code == "ok", (item, checked.message)
    # what the commune holds is the district's part: listed when it picks an item
    assert {"1.1", "5", "III.1"} <= set(world.service.reportable_items(COMMUNE_USER))


async def test_before_the_merger_the_successor_does_not_hold_the_part(world: World) -> None:
    world.day(BEFORE_MERGER)
    await approve_members(world.service, ADMIN, {STC_USER: "stc", SKHDT_USER: "skhdt"})
    refused = await world.report(STC_USER, 1, "4.3")
    assert refused.code == "not_assigned"
    assert (await world.report(SKHDT_USER, 2, "4.3")).code == "saved"
    world.day(MERGED)
    assert (await world.report(STC_USER, 3, "4.3")).code == "saved"
    gone = await world.report(SKHDT_USER, 4, "4.3")
    assert gone.code == "ended_agency"
    assert "Sở Tài chính" in gone.message and "/dangky" in gone.message


async def test_stored_history_stays_as_written(world: World) -> None:
    world.day(date(2024, 5, 6))
    await approve_members(world.service, ADMIN, {SKHDT_USER: "skhdt"})
    saved = await world.report(SKHDT_USER, 1, "4.3", note='=HYPERLINK("x")')
    assert saved.code == "saved"
    world.day(TODAY)
    (stored,) = world.stored("4.3")
    assert stored.agency_id == "skhdt"
    history = world.view.history_html("4.3")
    assert "Sở Kế hoạch và Đầu tư" in history and "Sở Tài chính" not in history
    item = world.view.item_html("4.3", TODAY)
    # today's row is Sở Tài chính's, the plan's agency beside it; the old report is
    # still Sở Kế hoạch và Đầu tư's (a recurring part: 2024 is not this year's period)
    assert "Sở Tài chính (trước đây: Sở Kế hoạch và Đầu tư)" in item
    assert world.view.item_html("4.3", date(2024, 5, 7)).count("Sở Tài chính") == 0


async def test_a_predecessors_report_in_the_period_counts_for_the_successor(
    world: World,
) -> None:
    world.day(date(2025, 2, 10))
    await approve_members(world.service, ADMIN, {SKHDT_USER: "skhdt"})
    assert (await world.report(SKHDT_USER, 1, "4.3", status="done")).code == "saved"
    item = world.view.item_html("4.3", date(2025, 5, 1))
    assert "Sở Tài chính (chủ trì" in item and "trước đây: Sở Kế hoạch và Đầu tư" in item
    assert "Người 10 (Sở Kế hoạch và Đầu tư), 10/02/2025" in item
    rows = world.view.rows(date(2025, 5, 1), "4.3")
    assert [(r.agency_id, r.plan_agencies, r.latest is not None) for r in rows] == [
        ("stc", ("skhdt",), True)
    ]


# ----------------------------------------------------------------- 3. who reports on a day


def test_who_is_expected_to_report_as_of_the_day(knowledge: Knowledge, holders: Holders) -> None:
    item, part = the(knowledge, "4.3")
    assert holders.responsible(item, part, BEFORE_MERGER) == ("skhdt",)
    assert holders.responsible(item, part, MERGED) == ("stc",)
    item, part = the(knowledge, "III.1")
    before, after = (
        set(holders.responsible(item, part, day)) for day in (BEFORE_COMMUNES, COMMUNES)
    )
    assert "h_tuy_phong" in before and "x_vinh_hao" not in before
    assert "x_vinh_hao" in after and "dk_phu_quy" in after and "h_tuy_phong" not in after
    assert not {"skhdt", "stnmt", "snnptnt", "sldtbxh"} & after
    in_2023 = set(holders.responsible(item, part, date(2023, 7, 15)))
    assert "snnmt" not in in_2023 and "stnmt" in in_2023 and "snnptnt" in in_2023
    assert "snnmt" in set(holders.responsible(item, part, MERGED))
    # a dissolved agency's items go to the successor whose handover covers them only
    for key in [k for i, a in all_assignments(knowledge.plan) for k in [i.assignment_key(a)]]:
        item, part = the(knowledge, key)
        held = holders.of(item, part, TODAY, responsible=True)
        for agency, through in held.items():
            assert knowledge.timeline.exists(agency, TODAY), (key, agency)
            if "sldtbxh" in through:
                assert agency == "snv", (key, agency)


def test_not_reported_and_the_overview_count_the_agencies_of_the_day(
    knowledge: Knowledge,
) -> None:
    view = ProgressView(knowledge, None)
    then = {g.agency_id for g in view.not_reported_agencies(date(2024, 11, 1))}
    now = {g.agency_id for g in view.not_reported_agencies(TODAY)}
    assert {"skhdt", "h_tuy_phong", "sldtbxh"} <= then and "x_vinh_hao" not in then
    assert "snnmt" not in then
    assert {"stc", "x_vinh_hao", "snnmt", "dk_phu_quy"} <= now
    assert not {"skhdt", "h_tuy_phong", "sldtbxh", "stnmt"} & now
    assert all(knowledge.timeline.exists(a, TODAY) for a in now)
    text = view.not_reported_html(TODAY)
    assert "Sở Kế hoạch và Đầu tư" not in text and "Ủy ban nhân dân xã Vĩnh Hảo" in text
    overview = view.overview_html(TODAY)
    assert "<b>4.3</b> Sở Tài chính (trước đây: Sở Kế hoạch và Đầu tư)" in overview


# ----------------------------------------------------------------- 4. reminders and digest


def sub(agency: str, chat_id: int = -700) -> Subscription:
    since = datetime(2020, 1, 1, 8, tzinfo=DEFAULT_TZ)
    return Subscription(chat_id, agency, "Nhóm thử", 1, since, since)


def at(day: date, hour: int = 8) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=DEFAULT_TZ)


def test_reminders_go_to_the_successor_and_name_the_plans_agency(knowledge: Knowledge) -> None:
    planner = ReminderPlanner(knowledge, CAL)
    snap = Snapshot(ProgressView(knowledge, None, DEFAULT_TZ))
    monday = at(TODAY)
    # the digest of Sở Tài chính lists 4.3 with the agency the plan gave it to
    due = planner.occurrences(sub("stc"), monday, monday, snap, as_of=monday)
    html = planner.messages.compose_html(sub("stc"), due, snap, monday)
    assert "4.3 (trước đây: Sở Kế hoạch và Đầu tư)" in html
    # a commune is reminded of the district's yearly report (III.1)
    commune = planner.occurrences(sub("x_vinh_hao"), monday, monday, snap, as_of=monday)
    assert "before-7:III.1:2026-11-23" in {o.key for o in commune}
    text = planner.messages.compose_html(sub("x_vinh_hao"), commune, snap, monday)
    assert "III.1</b> (trước đây: Ủy ban nhân dân huyện Tuy Phong)" in text
    assert "III.1" in {f.key for f in planner.followed("x_vinh_hao", TODAY)}
    assert planner.followed("x_vinh_hao", BEFORE_COMMUNES) == []


def test_nothing_is_sent_for_an_agency_after_it_ended(knowledge: Knowledge) -> None:
    planner = ReminderPlanner(knowledge, CAL)
    snap = Snapshot(ProgressView(knowledge, None, DEFAULT_TZ))
    for agency in ("skhdt", "h_tuy_phong"):
        then = at(date(2024, 11, 18))
        assert planner.occurrences(sub(agency), then, then, snap, as_of=then), agency
        now = at(TODAY)
        week = at(date(2026, 11, 30), 17)
        assert planner.occurrences(sub(agency), now, week, snap, as_of=now) == [], agency
        assert planner.followed(agency, TODAY) == []


def test_the_monitoring_digest_counts_as_of_the_day(knowledge: Knowledge, holders: Holders) -> None:
    planner = ReminderPlanner(knowledge, CAL)
    snap = Snapshot(ProgressView(knowledge, None, DEFAULT_TZ))
    item, part = the(knowledge, "III.1")
    for day in (date(2024, 11, 18), TODAY):
        when = at(day)
        due = planner.occurrences(sub(ALL_AGENCIES), when, when, snap, as_of=when)
        text = planner.messages.compose_html(sub(ALL_AGENCIES), due, snap, when)
        expected = len(holders.responsible(item, part, day))
        assert f"(0/{expected} cơ quan đã báo cáo)" in text, day
    assert len(holders.responsible(item, part, TODAY)) != len(
        holders.responsible(item, part, date(2024, 11, 18))
    )


# ----------------------------------------------------------------- 5. the Excel report


async def test_the_workbook_shows_todays_agency_and_the_plans(world: World) -> None:
    world.day(date(2024, 5, 6))
    await approve_members(world.service, ADMIN, {SKHDT_USER: "skhdt"})
    await world.report(SKHDT_USER, 1, "4.3", note="=1+1")
    world.day(date(2025, 2, 20))
    await world.report(SKHDT_USER, 2, "4.3", note="@SUM(A1)")

    def rows(day: date) -> list[dict[str, object]]:
        book = load_workbook(io.BytesIO(build_report(world.knowledge, world.db, day)))
        values = list(book["Tiến độ"].iter_rows(values_only=True))
        header = [str(h) for h in values[0]]
        return [dict(zip(header, row, strict=True)) for row in values[1:]]

    (then,) = [r for r in rows(date(2024, 5, 7)) if r["Phần việc"] == "4.3"]
    assert then["Cơ quan báo cáo"] == "Sở Kế hoạch và Đầu tư"
    assert then["Cơ quan theo kế hoạch"] is None
    (now,) = [r for r in rows(date(2025, 5, 1)) if r["Phần việc"] == "4.3"]
    assert now["Cơ quan báo cáo"] == "Sở Tài chính"
    assert now["Cơ quan theo kế hoạch"] == "Sở Kế hoạch và Đầu tư"
    assert "chủ trì" in str(now["Vai trò"])
    assert now["Ghi chú mới nhất"] == "@SUM(A1)"  # text, never a formula
    book = load_workbook(io.BytesIO(build_report(world.knowledge, world.db, date(2025, 5, 1))))
    sheet = book["Tiến độ"]
    assert not [c for row in sheet.iter_rows() for c in row if c.data_type == "f"]
    communes = [r for r in rows(TODAY) if r["Cơ quan báo cáo"] == "Ủy ban nhân dân xã Vĩnh Hảo"]
    assert communes and all(
        r["Cơ quan theo kế hoạch"] == "Ủy ban nhân dân huyện Tuy Phong" for r in communes
    )
