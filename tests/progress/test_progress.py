"""Progress services and the derived view: access, updates, bad input, statuses."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from world import World as SharedWorld
from world import approve_members

from bot.core.clock import FixedClock
from bot.plan.loader import Knowledge, load_knowledge
from bot.progress.service import NOTE_LIMIT, ProgressService, UpdateResult
from bot.progress.status import RowStatus, State, reporting_period
from bot.progress.view import ProgressView
from bot.storage.sqlite import SqliteDatabase

PLAN = Path(__file__).resolve().parents[2] / "knowledge" / "plan.yaml"
ADMIN = 1
SNV_USER = 10  # Sở Nội vụ
SYT_USER = 20  # Sở Y tế, reaches items 1.1, 5, 6a, III.1… through "các sở, ban, ngành"
STC_USER = 30  # Sở Tài chính
STRANGER = 99


@pytest.fixture(scope="module")
def knowledge() -> Knowledge:
    return load_knowledge(PLAN)


class World(SharedWorld):
    """The shared world with one open connection, the progress service and the view."""

    def __init__(self, knowledge: Knowledge, clock: FixedClock, path: Path) -> None:
        super().__init__(knowledge, clock, path, {ADMIN})
        self.db: SqliteDatabase = self.open_database()
        self.service: ProgressService = self.progress_service(self.db)
        self.view = ProgressView(knowledge, self.db, clock.tz)

    async def report(
        self,
        user: int,
        message_id: int,
        item: str,
        *,
        status: str | None = None,
        percent: int | None = None,
        note: str | None = None,
        agency_id: str | None = None,
    ) -> UpdateResult:
        return await self.service.record_update(
            user_id=user,
            item_ref=item,
            status=status,
            percent=percent,
            note=note,
            agency_id=agency_id,
            chat_id=user,
            message_id=message_id,
            display_name=f"Người {user}",
        )


@pytest.fixture
async def world(tmp_path: Path, knowledge: Knowledge) -> AsyncIterator[World]:
    w = World(knowledge, FixedClock(datetime(2023, 6, 15, 9, 0)), tmp_path / "planbot.db")
    await approve_members(w.service, ADMIN, {SNV_USER: "snv", SYT_USER: "syt", STC_USER: "stc"})
    yield w
    w.db.close()


# -- membership and chat links ------------------------------------------------


async def test_registration_needs_an_admin_and_a_real_agency(world: World) -> None:
    s = world.service
    assert (await s.request_membership(50, "cac_so_ban_nganh")).code == "bad_agency"
    assert (await s.request_membership(50, "khong_co")).code == "unknown_agency"
    assert (
        await s.request_membership(50, "bo_ngoai_giao")
    ).code == "bad_agency"  # no task in the plan
    pending = await s.request_membership(50, "sct", "Lê Văn C")
    assert pending.code == "ok" and pending.member and pending.member.status == "pending"
    assert (await s.request_membership(50, "sct")).code == "already"
    assert (await s.approve_member(STRANGER, 50)).code == "not_admin"
    assert s.member(50).status == "pending"  # type: ignore[union-attr]
    approved = await s.approve_member(ADMIN, 50)
    assert approved.code == "ok" and approved.notice and "Sở Công Thương" in approved.notice
    assert (await s.approve_member(ADMIN, 50)).code == "already"
    assert (await s.reject_member(ADMIN, 50)).code == "bad_state"
    assert (await s.revoke_member(ADMIN, 50)).code == "ok"
    assert s.member(50).status == "revoked"  # type: ignore[union-attr]
    assert (await s.approve_member(ADMIN, 404)).code == "not_found"


async def test_rejected_request_and_member_lists(world: World) -> None:
    s = world.service
    await s.request_membership(51, "stp", "Phạm & Đỗ")
    assert (await s.reject_member(ADMIN, 51)).code == "ok"
    assert s.member(51).status == "rejected"  # type: ignore[union-attr]
    listing = s.members_html()
    assert "Phạm &amp; Đỗ — Sở Tư pháp — đăng ký" in listing and "Bị từ chối" in listing
    assert "51" not in listing.replace("2025", "").replace("2026", "")  # no raw ids
    assert "Sở Y tế" in s.whoami_html(SYT_USER)
    assert "chưa đăng ký" in s.whoami_html(STRANGER)
    assert "quản trị viên" in s.whoami_html(ADMIN)


def test_asker_carries_agency_and_admin_flag(world: World) -> None:
    asker = world.service.asker(SYT_USER, "B")
    assert asker.agency_id == "syt" and not asker.is_admin
    assert world.service.asker(ADMIN).is_admin
    assert world.service.asker(STRANGER).agency_id is None


async def test_linked_group_reports_for_its_agency(world: World) -> None:
    s = world.service
    group = -1001
    assert (await s.request_chat_link(group, "snv", SNV_USER, "Nhóm Sở Nội vụ")).code == "ok"
    assert s.chat_agency(group) is None  # pending until a bot admin confirms
    assert (await s.approve_chat_link(SNV_USER, group)).code == "not_admin"
    assert (await s.approve_chat_link(ADMIN, group)).code == "ok"
    assert s.chat_agency(group) == "snv"
    saved = await s.record_update(
        user_id=SNV_USER, item_ref="2.4", percent=30, chat_id=group, message_id=7
    )
    assert saved.code == "saved" and saved.record and saved.record.agency_id == "snv"
    refused = await s.record_update(
        user_id=SYT_USER, item_ref="5", percent=30, chat_id=group, message_id=8
    )
    assert refused.code == "wrong_chat" and "Sở Nội vụ" in refused.message
    by_admin = await s.record_update(
        user_id=ADMIN, item_ref="5", percent=10, chat_id=group, message_id=9
    )
    assert by_admin.code == "saved" and by_admin.record and by_admin.record.agency_id == "snv"
    assert (await s.revoke_chat_link(ADMIN, group)).code == "ok"
    assert s.chat_agency(group) is None


# -- who may report -------------------------------------------------------------


async def test_unauthorised_reports_are_refused_and_nothing_is_stored(world: World) -> None:
    stranger = await world.report(STRANGER, 1, "2.4", status="done")
    assert stranger.code == "not_member"
    assert "/dangky" in stranger.message and "Sở Nội vụ" in stranger.message
    await world.service.request_membership(60, "snv")
    assert (await world.report(60, 2, "2.4", status="done")).code == "pending"
    await world.service.revoke_member(ADMIN, SNV_USER)
    assert (await world.report(SNV_USER, 3, "2.4", status="done")).code == "revoked"
    assert world.db.updates(include_undone=True) == []


async def test_report_for_an_item_the_agency_has_no_part_in(world: World) -> None:
    result = await world.report(SYT_USER, 1, "2.4", status="done")
    assert result.code == "not_assigned"
    assert "Sở Y tế không có phần việc trong mục 2.4" in result.message
    assert result.options == ("1.1", "1.2", "2.1", "3.2", "4.1", "5", "6", "III.1")
    assert "1.1, 1.2, 2.1, 3.2, 4.1, 5, 6, III.1" in result.message
    assert (await world.report(SNV_USER, 2, "4.2b", status="done")).code == "not_assigned"
    assert world.db.updates() == []


async def test_group_member_reports_as_its_own_row(world: World) -> None:
    result = await world.report(SYT_USER, 1, "III.1", percent=50, note="đã xây dựng kế hoạch")
    assert result.code == "saved" and result.record
    assert (result.record.assignment_key, result.record.agency_id) == ("III.1", "syt")
    five = await world.report(SYT_USER, 2, "5", status="in_progress")
    assert five.record and five.record.assignment_key == "5"


async def test_member_picks_its_own_part_of_an_item(world: World) -> None:
    six = await world.report(SNV_USER, 1, "6", status="in_progress")
    assert six.record and six.record.assignment_key == "6b"  # named directly, not via the group
    six_a = await world.report(SNV_USER, 2, "6a", status="in_progress")
    assert six_a.record and six_a.record.assignment_key == "6a"
    six_c = await world.report(STC_USER, 3, "6", status="in_progress")
    assert six_c.record and six_c.record.assignment_key == "6c"


async def test_member_cannot_report_for_another_agency(world: World) -> None:
    result = await world.report(SNV_USER, 1, "2.4", status="done", agency_id="stc")
    assert result.code == "wrong_agency"
    assert world.db.updates() == []


async def test_admin_reports_for_the_lead_unless_an_agency_is_named(world: World) -> None:
    lead = await world.report(ADMIN, 1, "2.4", status="in_progress", percent=40)
    assert lead.record and lead.record.agency_id == "snv"
    named = await world.report(ADMIN, 2, "2.4", status="done", agency_id="stc")
    assert named.record and (named.record.agency_id, named.record.assignment_key) == ("stc", "2.4")
    four_two = await world.report(ADMIN, 3, "4.2", percent=10)
    assert four_two.record and (four_two.record.assignment_key, four_two.record.agency_id) == (
        "4.2a",
        "skhdt",
    )
    group = await world.report(ADMIN, 4, "5", status="done")
    assert group.code == "group_agency" and "ghi rõ cơ quan" in group.message
    assert (await world.report(ADMIN, 5, "5", status="done", agency_id="syt")).code == "saved"
    assert (await world.report(ADMIN, 6, "2.4", percent=5, agency_id="syt")).code == "not_assigned"
    assert (await world.report(ADMIN, 7, "2.4", percent=5, agency_id="dia_phuong")).code in (
        "group_agency",
        "not_assigned",
    )


def test_reportable_items(world: World) -> None:
    assert world.service.reportable_items(SYT_USER)[-1] == "III.1"
    assert "2.4" in world.service.reportable_items(SNV_USER)
    assert len(world.service.reportable_items(ADMIN)) == len(world.service.knowledge.plan.items)
    assert world.service.reportable_items(STRANGER) == []


# -- recording: redelivery, edits, bad input ----------------------------------------


async def test_redelivered_update_stores_one_record(world: World) -> None:
    first = await world.report(SNV_USER, 42, "2.4", percent=60, note="đang lấy ý kiến")
    again = await world.report(SNV_USER, 42, "2.4", percent=60, note="đang lấy ý kiến")
    assert first.code == "saved" and again.code == "duplicate"
    assert again.record and first.record and again.record.id == first.record.id
    assert len(world.db.updates(include_undone=True)) == 1


async def test_edited_original_message_does_not_change_the_record(world: World) -> None:
    await world.report(SNV_USER, 42, "2.4", percent=60)
    edited = await world.report(SNV_USER, 42, "2.4", percent=80)
    assert edited.code == "edited" and "báo cáo mới" in edited.message
    assert [u.percent for u in world.db.updates()] == [60]


async def test_unknown_item(world: World) -> None:
    result = await world.report(SNV_USER, 1, "9.9", status="done")
    assert result.code == "unknown_item" and "9.9" in result.message and "III.2" in result.message
    assert "2.4" in result.options


@pytest.mark.parametrize("percent", [-1, 101, 150])
async def test_percent_outside_0_100(world: World, percent: int) -> None:
    result = await world.report(SNV_USER, 1, "2.4", percent=percent)
    assert result.code == "bad_percent" and "từ 0 đến 100" in result.message
    assert world.db.updates() == []


@pytest.mark.parametrize(
    ("status", "percent"), [("done", 40), ("not_started", 30), ("in_progress", 100)]
)
async def test_contradictions_are_asked_back(world: World, status: str, percent: int) -> None:
    result = await world.report(SNV_USER, 1, "2.4", status=status, percent=percent)
    assert result.code == "contradiction" and "mâu thuẫn" in result.message
    assert "chưa có gì được lưu" in result.message
    assert world.db.updates() == []


async def test_bad_status_and_empty_report(world: World) -> None:
    assert (await world.report(SNV_USER, 1, "2.4", status="xong_roi")).code == "bad_status"
    assert (await world.report(SNV_USER, 2, "2.4", note="   ")).code == "empty"
    assert world.db.updates() == []


async def test_status_inferred_and_done_means_100(world: World) -> None:
    done = await world.report(SNV_USER, 1, "2.4", status="done")
    assert done.record and done.record.percent == 100
    hundred = await world.report(SNV_USER, 2, "3.1", percent=100)
    assert hundred.record and hundred.record.status == "done"
    note_only = await world.report(SNV_USER, 3, "6b", note="đã cử cán bộ đi bồi dưỡng")
    assert note_only.record and note_only.record.status == "in_progress"


async def test_long_note_is_truncated_and_the_reply_says_so(world: World) -> None:
    result = await world.report(SNV_USER, 1, "2.4", percent=50, note="ý" * 2000)
    assert result.code == "saved" and result.record and result.record.note
    assert len(result.record.note) == NOTE_LIMIT
    assert "2.000 ký tự" in result.message and "1.000 ký tự" in result.message


def test_check_update_does_not_store(world: World) -> None:
    checked = world.service.checker.check_update(user_id=SNV_USER, item_ref="2.4", percent=60)
    assert checked.code == "ok" and checked.draft and checked.draft.agency_id == "snv"
    assert "Sở Nội vụ" in checked.message and "60%" in checked.message
    assert world.db.updates() == []


async def test_saved_record_has_utc_time_from_the_clock(world: World) -> None:
    world.at(2023, 6, 20, 15)
    result = await world.report(SNV_USER, 1, "2.4", percent=60)
    assert result.record and result.record.created_at == world.clock.now()
    assert result.record.created_at.utcoffset() == timedelta(0)
    assert "hoàn tác trong 10 phút" in result.message


# -- undo --------------------------------------------------------------------------


async def test_undo_within_ten_minutes(world: World) -> None:
    saved = await world.report(SNV_USER, 1, "2.4", status="done")
    assert saved.record
    assert (await world.service.undo_update(STC_USER, saved.record.id)).code == "not_yours"
    world.clock.advance(timedelta(minutes=9))
    undone = await world.service.undo_update(SNV_USER, saved.record.id)
    assert undone.code == "undone" and undone.record and undone.record.undone
    assert (await world.service.undo_update(SNV_USER, saved.record.id)).code == "already_undone"
    assert world.db.updates() == [] and len(world.db.updates(include_undone=True)) == 1
    assert (await world.service.undo_update(SNV_USER, 999)).code == "not_found"


async def test_undo_after_ten_minutes_is_refused(world: World) -> None:
    saved = await world.report(SNV_USER, 1, "2.4", status="done")
    assert saved.record
    world.clock.advance(timedelta(minutes=10, seconds=1))
    assert (await world.service.undo_update(SNV_USER, saved.record.id)).code == "expired"
    assert len(world.db.updates()) == 1


async def test_derived_status_ignores_undone_updates(world: World) -> None:
    await world.report(SNV_USER, 1, "2.4", percent=40)
    done = await world.report(SNV_USER, 2, "2.4", status="done")
    assert done.record
    await world.service.undo_update(SNV_USER, done.record.id)
    (row,) = [r for r in world.view.rows(date(2023, 6, 15), "2.4") if r.agency_id == "snv"]
    assert row.state == State.IN_PROGRESS and row.latest and row.latest.percent == 40


# -- derived statuses at several dates --------------------------------------------


def _row(view: ProgressView, today: date, key: str, agency: str) -> RowStatus:
    return next(r for r in view.rows(today, key) if r.key == key and r.agency_id == agency)


async def test_statuses_of_2_4_across_dates(world: World) -> None:
    v = world.view
    assert _row(v, date(2023, 6, 15), "2.4", "snv").state == State.NOT_REPORTED
    late = _row(v, date(2023, 7, 15), "2.4", "snv")
    assert (late.state, late.days_overdue, late.label) == (State.OVERDUE, 15, "quá hạn 15 ngày")
    world.at(2023, 6, 10)
    await world.report(SNV_USER, 1, "2.4", percent=60)
    assert _row(v, date(2023, 6, 15), "2.4", "snv").state == State.IN_PROGRESS
    assert _row(v, date(2023, 6, 15), "2.4", "snv").label == "đang thực hiện trong hạn"
    assert _row(v, date(2023, 7, 15), "2.4", "snv").days_overdue == 15
    assert _row(v, date(2023, 6, 5), "2.4", "snv").state == State.NOT_REPORTED  # not yet reported


async def test_2_4_done_on_time_or_late(world: World) -> None:
    world.at(2023, 6, 20)
    await world.report(SNV_USER, 1, "2.4", status="done")
    on_time = _row(world.view, date(2023, 7, 15), "2.4", "snv")
    assert on_time.state == State.DONE_ON_TIME and on_time.done_on == date(2023, 6, 20)
    world.at(2023, 7, 10)
    await world.report(STC_USER, 2, "2.4", status="done")
    late = _row(world.view, date(2023, 7, 15), "2.4", "stc")
    assert (late.state, late.days_overdue, late.responsible) == (State.DONE_LATE, 10, False)
    assert late.label == "hoàn thành quá hạn 10 ngày"


async def test_done_date_is_the_first_of_the_final_done_run(world: World) -> None:
    world.at(2023, 6, 20)
    await world.report(SNV_USER, 1, "2.4", status="done")
    world.at(2023, 7, 5)
    await world.report(SNV_USER, 2, "2.4", status="done", note="bổ sung hồ sơ")
    row = _row(world.view, date(2023, 7, 15), "2.4", "snv")
    assert row.state == State.DONE_ON_TIME and row.done_on == date(2023, 6, 20)


def test_recurring_deadline_is_never_overdue(world: World) -> None:
    row = _row(world.view, date(2024, 6, 1), "2.3", "svhttdl")
    assert row.state == State.NOT_REPORTED and row.due is None


async def test_yearly_iii_1_period_runs_to_30_11(world: World) -> None:
    v = world.view
    assert _row(v, date(2023, 11, 15), "III.1", "syt").state == State.NOT_REPORTED
    overdue = _row(v, date(2023, 12, 5), "III.1", "syt")
    assert (overdue.state, overdue.days_overdue) == (State.OVERDUE, 5)
    world.at(2023, 11, 20)
    await world.report(SYT_USER, 1, "III.1", status="done", note="đã gửi báo cáo")
    assert _row(v, date(2023, 12, 5), "III.1", "syt").state == State.DONE_ON_TIME
    assert _row(v, date(2024, 3, 1), "III.1", "syt").state == State.NOT_REPORTED  # new year
    world.at(2024, 12, 2)
    await world.report(SYT_USER, 2, "III.1", status="done")
    late = _row(v, date(2024, 12, 10), "III.1", "syt")
    assert (late.state, late.days_overdue) == (State.DONE_LATE, 2)


def test_reporting_period_by_deadline_kind(knowledge: Knowledge) -> None:
    items = {i.id: i for i in knowledge.plan.items}
    quarter = reporting_period(items["2.4"].assignments[0].deadline, date(2024, 2, 1))
    assert (quarter.start, quarter.due) == (None, date(2023, 6, 30))
    yearly = reporting_period(items["III.1"].assignments[0].deadline, date(2024, 2, 1))
    assert (yearly.start, yearly.due) == (date(2024, 1, 1), date(2024, 11, 30))
    recurring = reporting_period(items["2.3"].assignments[0].deadline, date(2024, 2, 1))
    assert (recurring.start, recurring.due) == (date(2024, 1, 1), None)


async def test_not_reported_agencies(world: World) -> None:
    world.at(2023, 6, 1)
    await world.report(SYT_USER, 1, "III.1", percent=30)
    await world.report(SNV_USER, 2, "2.4", percent=30)
    gaps = {g.agency_id: g.keys for g in world.view.not_reported_agencies(date(2023, 7, 15))}
    assert "III.1" not in gaps["syt"] and "5" in gaps["syt"]
    assert "2.4" not in gaps["snv"] and "III.1" in gaps["snv"]
    assert "2.4" not in gaps.get("stc", ())  # phối hợp: not expected to report
    text = world.view.not_reported_html(date(2023, 7, 15))
    assert "Cơ quan chưa báo cáo" in text and "30/11/2023" in text and "Sở Tài chính" in text


async def test_overview_and_item_texts(world: World) -> None:
    world.at(2023, 6, 10)
    await world.report(SNV_USER, 1, "2.4", percent=60, note="chờ <ý kiến> Sở Tài chính & Công an")
    overview = world.view.overview_html(date(2023, 7, 15))
    assert "Tiến độ Kế hoạch 91/KH-UBND" in overview and "15/07/2023" in overview
    assert "<b>2.4</b> Sở Nội vụ: quá hạn 15 ngày" in overview
    assert "Chưa báo cáo" in overview and "0/34 cơ quan đã báo cáo" in overview
    item = world.view.item_html("2.4", date(2023, 7, 15))
    assert "Trong quý II/2023" in item and "quá hạn 15 ngày" in item
    assert "Người 10" in item and "10/06/2023" in item and "60%" in item
    assert "<ý kiến>" not in item
    assert "Không có mục" in world.view.item_html("7.7", date(2023, 7, 15))
    history = world.view.history_html("2.4")
    assert "Lịch sử" in history and "Sở Nội vụ" in history


def test_view_without_a_database(knowledge: Knowledge) -> None:
    view = ProgressView(knowledge, None)
    assert all(r.latest is None for r in view.rows(date(2023, 7, 15)))
    assert "chưa có báo cáo" in view.history_html("2.4")


async def test_blocked_is_a_flag_beside_the_national_status(world: World) -> None:
    """«Vướng mắc» keeps the row's status (in progress within the deadline, or overdue)
    and is flagged in the overview (count, line, item line) and the item (issue 16)."""
    world.at(2023, 6, 10)
    await world.report(SNV_USER, 1, "6b", status="blocked", percent=40, note="thiếu kinh phí")
    await world.report(SNV_USER, 2, "2.4", status="blocked", note="chờ ý kiến")
    await world.report(SYT_USER, 3, "III.1", status="blocked")
    await world.report(STC_USER, 4, "III.1", percent=20)
    today = date(2023, 7, 15)
    six_b = _row(world.view, today, "6b", "snv")
    assert (six_b.state, six_b.blocked) == (State.IN_PROGRESS, True)
    late = _row(world.view, today, "2.4", "snv")
    assert (late.state, late.blocked, late.label) == (State.OVERDUE, True, "quá hạn 15 ngày")
    assert not _row(world.view, today, "III.1", "stc").blocked

    overview = world.view.overview_html(today)
    lines = overview.split("\n")
    assert "⚠️ Vướng mắc: 3" in lines[1]  # counted beside the statuses
    assert "⚠️ <b>Có vướng mắc</b> (3): <b>2.4</b> (Sở Nội vụ)" in overview
    assert "• <b>6b</b> Sở Nội vụ — ⚠️ vướng mắc (40%)" in lines
    assert "• <b>2.4</b> Sở Nội vụ: quá hạn 15 ngày — ⚠️ vướng mắc" in lines
    iii_1 = next(x for x in lines if x.startswith("• <b>III.1</b>"))
    assert iii_1.endswith("— ⚠️ vướng mắc: Sở Y tế")
    assert "(trong hạn)" not in overview  # no nested brackets anywhere

    item = world.view.item_html("6", today)
    assert "<b>6b</b> — thời hạn: Thường xuyên — <i>đang thực hiện trong hạn</i> — ⚠️" in item
    row = next(x for x in item.split("\n") if x.startswith("• Sở Nội vụ"))
    assert row.startswith("• Sở Nội vụ (phối hợp): đang thực hiện trong hạn, ⚠️ vướng mắc — 40%")
    assert "«thiếu kinh phí»" in row
    done = await world.report(SNV_USER, 5, "6b", status="done")
    assert done.code == "saved" and not _row(world.view, today, "6b", "snv").blocked
