"""Entities the brain reads in a message: items, quarters, dates, months, relative
times, roles, statuses, percents, legal references and agencies.

Everything goes through `Brain.understand(text)`, so normalisation, Telex, typo
fixing and the extractors are exercised together, as a user's message is.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.brain import Brain, Understanding
from bot.nlu.entities import Entities
from bot.plan.loader import load_knowledge

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def brain() -> Brain:
    return Brain(load_knowledge(ROOT / "knowledge" / "plan.yaml"))


def ents(brain: Brain, text: str) -> Entities:
    return brain.understand(text).entities


def item_ids(brain: Brain, text: str) -> list[str]:
    """Ids of the single items (not whole groups) the message names."""
    return [r.id for r in ents(brain, text).items if not r.group]


def agency_of(u: Understanding) -> str | None:
    return u.agency.agency.id if u.agency else None


# --------------------------------------------------------------------------- items


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2.4", "2.4"),
        ("nhiệm vụ 2.4", "2.4"),
        ("nhiem vu 2.4", "2.4"),
        ("mục II.2.4", "2.4"),
        ("II.2.4", "2.4"),
        ("nv 2.4", "2.4"),
        ("NV 2.4", "2.4"),
        ("nv2.4", "2.4"),
        ("nhiệm vụ số 2.4", "2.4"),
        ("điểm 4.3", "4.3"),
        ("2,4", "2.4"),
        ("2.4?", "2.4"),
        ("III.1", "III.1"),
        ("nhiệm vụ III.1", "III.1"),
        ("mục III.2", "III.2"),
        ("phần III mục 1", "III.1"),
        ("mục 1 phần III", "III.1"),
        ("mục 6", "6"),
        ("/nhiemvu 5", "5"),
        ("nhiệm vụ 6 vướng kinh phí", "6"),
    ],
)
def test_item_reference_forms(brain: Brain, text: str, expected: str) -> None:
    refs = ents(brain, text).items
    assert refs, f"{text!r}: no item found"
    assert refs[0].id == expected
    assert refs[0].exists
    assert item_ids(brain, text) == [expected]


def test_two_items_in_one_message(brain: Brain) -> None:
    assert item_ids(brain, "nhiệm vụ 2.4 và 4.2") == ["2.4", "4.2"]


def test_group_number_is_a_whole_group(brain: Brain) -> None:
    refs = ents(brain, "mục 4 có gì").items
    assert [(r.id, r.exists, r.group) for r in refs] == [("4", True, True)]


@pytest.mark.parametrize("text", ["7.1", "nhiệm vụ 7.1", "nv 7.1", "mục II.7.1"])
def test_item_the_plan_does_not_have(brain: Brain, text: str) -> None:
    refs = ents(brain, text).items
    assert [(r.id, r.exists) for r in refs] == [("7.1", False)]


@pytest.mark.parametrize(
    "text",
    [
        "60%",
        "30/11",
        "quý 2",
        "năm 2023",
        "2.5%",
        "tăng 2.5%",
        "hạn 30/6/2023",
        "ngày 30 tháng 11",
        "tháng 6/2023",
        "Q2 2023",
    ],
)
def test_numbers_that_are_not_items(brain: Brain, text: str) -> None:
    assert ents(brain, text).items == []


def test_dotted_day_month_is_a_date_not_an_item(brain: Brain) -> None:
    e = ents(brain, "việc nào hạn trước 30.11")
    assert e.items == []
    assert e.dates == [(30, 11, None)]


# --------------------------------------------------------------------------- time


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("quý II/2023", (2, 2023)),
        ("quý 2 năm 2023", (2, 2023)),
        ("Q2 2023", (2, 2023)),
        ("Q.2/2023", (2, 2023)),
        ("quy ii/2023", (2, 2023)),
        ("quý hai", (2, None)),
        ("quí 2", (2, None)),
        ("quý 2", (2, None)),
        ("quý IV", (4, None)),
        ("quý 1 năm 2024", (1, 2024)),
    ],
)
def test_quarters(brain: Brain, text: str, expected: tuple[int, int | None]) -> None:
    assert ents(brain, text).quarter == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("30/6/2023", (30, 6, 2023)),
        ("hạn 30/6/2023", (30, 6, 2023)),
        ("30/11", (30, 11, None)),
        ("ngày 30/6", (30, 6, None)),
        ("ngày 30 tháng 11", (30, 11, None)),
        ("30-11-2026", (30, 11, 2026)),
    ],
)
def test_dates(brain: Brain, text: str, expected: tuple[int, int, int | None]) -> None:
    e = ents(brain, text)
    assert e.dates == [expected]
    assert e.quarter is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [("tháng 11", (11, None)), ("tháng 6/2023", (6, 2023)), ("tháng 11 năm 2026", (11, 2026))],
)
def test_months(brain: Brain, text: str, expected: tuple[int, int | None]) -> None:
    e = ents(brain, text)
    assert e.month == expected
    assert e.dates == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("sắp đến hạn", "upcoming"),
        ("việc nào sắp tới hạn", "upcoming"),
        ("sap den han", "upcoming"),
        ("quá hạn", "overdue"),
        ("việc nào quá hạn rồi", "overdue"),
        ("qua han", "overdue"),
        ("tháng này", "this_month"),
        ("thang nay co han gi", "this_month"),
        ("tuần này", "this_week"),
        ("tuần sau", "next_week"),
    ],
)
def test_relative_times(brain: Brain, text: str, expected: str) -> None:
    assert ents(brain, text).relative == expected


@pytest.mark.parametrize(
    ("text", "days"), [("trong 7 ngày tới", 7), ("trong 2 tuần tới", 14), ("30 ngày tới", 30)]
)
def test_window_in_days(brain: Brain, text: str, days: int) -> None:
    assert ents(brain, text).window_days == days


def test_recurring_words(brain: Brain) -> None:
    assert ents(brain, "việc nào thường xuyên").recurring
    assert ents(brain, "viec nao thuong xuyen").recurring
    assert not ents(brain, "việc nào quá hạn").recurring


# --------------------------------------------------------------------------- roles


@pytest.mark.parametrize(
    ("text", "role"),
    [
        ("ai chủ trì 2.4", "chu_tri"),
        ("Sở KH&ĐT chủ trì việc nào?", "chu_tri"),
        ("ai phối hợp 2.4", "phoi_hop"),
        ("so tai chinh phoi hop viec gi", "phoi_hop"),
        ("cơ quan chủ trì", "chu_tri"),
    ],
)
def test_roles(brain: Brain, text: str, role: str) -> None:
    assert ents(brain, text).roles == [role]


def test_no_role_when_none_is_named(brain: Brain) -> None:
    assert ents(brain, "nhiệm vụ 2.4").roles == []


# --------------------------------------------------------------------------- statuses


@pytest.mark.parametrize(
    ("text", "status"),
    [
        ("2.4 đã xong", "done"),
        ("2.4 đã hoàn thành", "done"),
        ("4.2 đang lấy ý kiến", "in_progress"),
        ("nhiệm vụ 6 vướng kinh phí", "blocked"),
        ("3.1 chưa triển khai", "not_started"),
        ("2.4 chưa xong", "in_progress"),
        ("2.4 đang bị vướng", "blocked"),
        ("2.4 da xong", "done"),
    ],
)
def test_statuses(brain: Brain, text: str, status: str) -> None:
    e = ents(brain, text)
    assert e.status == status
    assert not e.status_conflict


@pytest.mark.parametrize(
    ("text", "percent", "status"),
    [
        ("2.4 60%", 60, "in_progress"),
        ("2.4 60 %", 60, "in_progress"),
        ("2.4 được 60 phần trăm", 60, "in_progress"),
        ("2.4 100%", 100, "done"),
        ("/capnhat 4.2 60% đang lấy ý kiến", 60, "in_progress"),
    ],
)
def test_percent(brain: Brain, text: str, percent: int, status: str) -> None:
    e = ents(brain, text)
    assert e.percent == percent
    assert e.status == status
    assert not e.status_conflict


def test_done_with_less_than_100_percent_is_a_conflict(brain: Brain) -> None:
    e = ents(brain, "2.4 xong 40%")
    assert e.status_conflict
    assert e.percent == 40


def test_no_status_in_a_question(brain: Brain) -> None:
    e = ents(brain, "nhiệm vụ 2.4 là gì")
    assert (e.status, e.percent) == (None, None)


# --------------------------------------------------------------------------- legal


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("Nghị định 58/2022", "nd_58"),
        ("nghi dinh 58", "nd_58"),
        ("NĐ 114", "nd_114"),
        ("Nghị định 80/2020", "nd_80"),
        ("Chỉ thị 15", "ct_15"),
        ("Chỉ thị 12-CT/TW", "ct_12"),
        ("QĐ 299", "qd_299"),
        ("Quyết định 272", "qd_272"),
    ],
)
def test_legal_references(brain: Brain, text: str, key: str) -> None:
    assert ents(brain, text).legal == [key]


def test_no_legal_reference_in_plain_numbers(brain: Brain) -> None:
    assert ents(brain, "nhiệm vụ 2.4").legal == []
    assert ents(brain, "quý 2 năm 2023").legal == []


# --------------------------------------------------------------------------- commands


def test_command_is_read(brain: Brain) -> None:
    assert ents(brain, "/nhiemvu 5").command == "nhiemvu"
    assert ents(brain, "/han@TroLyBot quý 2").command == "han"
    assert ents(brain, "nhiệm vụ 5").command is None


# --------------------------------------------------------------------------- agencies


@pytest.mark.parametrize(
    ("text", "agency"),
    [
        ("Sở Nội vụ phải làm gì", "snv"),
        ("SNV", "snv"),
        ("snv được giao gì", "snv"),
        ("so noi vu", "snv"),
        ("Nội vụ", "snv"),
        ("STC", "stc"),
        ("Tài chánh", "stc"),
        ("so tai chin", "stc"),
        ("sở tai chinh", "stc"),
        ("Sở KH&ĐT", "skhdt"),
        ("KHĐT", "skhdt"),
        ("KH-ĐT", "skhdt"),
        ("so ke hoach dau tu", "skhdt"),
        ("Sở VHTTDL", "svhttdl"),
        ("so van hoa the thao du lich", "svhttdl"),
        ("Sở TT&TT", "stttt"),
        ("Sở LĐ-TB&XH", "sldtbxh"),
        ("Sở KH&CN", "skhcn"),
        ("VP UBND", "vp_ubnd"),
        ("cong an tinh lam gi", "ca_tinh"),
        ("sowr nooij vuj", "snv"),
        ("sowr nooij vuj lamf gif", "snv"),
        ("so noi vuu phai lam gi", "snv"),
        ("UBND huyện Tuy Phong", "h_tuy_phong"),
        ("UBND huyện Tuy Phong có nhiệm vụ gì", "h_tuy_phong"),
        ("thị xã La Gi làm gì", "tx_la_gi"),
        ("các sở ban ngành", "cac_so_ban_nganh"),
        ("các sở, ban, ngành phải làm gì", "cac_so_ban_nganh"),
        ("Sở Y tế", "syt"),
    ],
)
def test_agencies(brain: Brain, text: str, agency: str) -> None:
    assert agency_of(brain.understand(text)) == agency


def test_district_resolves_to_the_local_group(brain: Brain) -> None:
    u = brain.understand("UBND huyện Tuy Phong có nhiệm vụ gì")
    assert u.agency is not None
    assert "dia_phuong" in u.agency.agency.member_of


@pytest.mark.parametrize(
    ("text", "not_agency"),
    [
        ("là gì", "tx_la_gi"),
        ("nhiệm vụ 2.4 là gì", "tx_la_gi"),
        ("hội hữu nghị là gì", "tx_la_gi"),
        ("ODA là gì", "tx_la_gi"),
        ("tổ chức phi chính phủ", "chinh_phu"),
        ("tổ chức phi chính phủ nước ngoài là gì", "chinh_phu"),
        ("phi chính phủ", "chinh_phu"),
        ("công dân", "ca_tinh"),
        ("công dân có nhiệm vụ gì", "ca_tinh"),
        ("nhiệm vụ của công dân", "ca_tinh"),
    ],
)
def test_words_that_are_not_agencies(brain: Brain, text: str, not_agency: str) -> None:
    u = brain.understand(text)
    assert not_agency not in [m.agency.id for m in u.agencies]
    assert agency_of(u) != not_agency


def test_bare_la_gi_is_the_district(brain: Brain) -> None:
    assert agency_of(brain.understand("La Gi phải làm gì")) == "tx_la_gi"
