"""knowledge/plan.yaml and agencies.yaml against the plan's own text.

The source (knowledge/source/ke-hoach-91-KH-UBND-2023.txt) is parsed here, not
copied: every numbered item of sections II and III must exist in plan.yaml with
the same text (after whitespace normalisation), every assignment must quote the
source, every agency the source names must resolve in the registry, and the
metadata, the multi-part items and the typed deadlines must say what the text says.
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest
from pydantic import ValidationError

from bot.plan.agencies import AgencyRegistry, alias_tokens
from bot.plan.deadlines import Deadline
from bot.plan.loader import Knowledge, load_knowledge
from bot.plan.models import Assignment, Item

ROOT = Path(__file__).resolve().parents[2]
SOURCE = ROOT / "knowledge" / "source" / "ke-hoach-91-KH-UBND-2023.txt"


def norm(text: str) -> str:
    return " ".join(text.split())


@pytest.fixture(scope="module")
def k() -> Knowledge:
    return load_knowledge(ROOT / "knowledge" / "plan.yaml")


@pytest.fixture(scope="module")
def registry(k: Knowledge) -> AgencyRegistry:
    return AgencyRegistry(k.agencies)


@pytest.fixture(scope="module")
def items(k: Knowledge) -> dict[str, Item]:
    return {item.id: item for item in k.plan.items}


# --------------------------------------------------------------------------- source parsing

RAW = SOURCE.read_text(encoding="utf-8")
SOURCE_NORM = norm(RAW)


def _paragraphs(block: str) -> list[str]:
    return [norm(line) for line in block.splitlines() if line.strip()]


def _section(start: str, end: str) -> list[str]:
    body = RAW[RAW.index(start) + len(start) : RAW.index(end)]
    return _paragraphs(body)


SECTION_I = _section("I. MỤC ĐÍCH, YÊU CẦU", "II. NHIỆM VỤ VÀ GIẢI PHÁP CỤ THỂ")
SECTION_II = _section("II. NHIỆM VỤ VÀ GIẢI PHÁP CỤ THỂ", "III. TỔ CHỨC THỰC HIỆN")
SECTION_III = _section("III. TỔ CHỨC THỰC HIỆN", "Nơi nhận:")

_GROUP = re.compile(r"^(\d)\. (.+)$")
_ITEM = re.compile(r"^(\d)\.(\d)\. (.+)$")


def _source_groups() -> dict[str, str]:
    """Group number → heading, section II."""
    return {m.group(1): m.group(2) for p in SECTION_II if (m := _GROUP.match(p))}


def _source_items() -> dict[str, list[str]]:
    """Item id → the texts the plan may give it (the paragraph after its number).

    A group without numbered sub-items ("5.", "6.") is itself the item: its text is
    the first plain paragraph under the heading, or the heading when bullets follow.
    """
    out: dict[str, list[str]] = {}
    has_sub = {m.group(1) for p in SECTION_II if (m := _ITEM.match(p))}
    for i, p in enumerate(SECTION_II):
        if m := _ITEM.match(p):
            out[f"{m.group(1)}.{m.group(2)}"] = [m.group(3)]
        elif (m := _GROUP.match(p)) and m.group(1) not in has_sub:
            texts = [m.group(2)]
            following = SECTION_II[i + 1] if i + 1 < len(SECTION_II) else ""
            if following and not following.startswith("-") and not _GROUP.match(following):
                texts.append(following)
            out[m.group(1)] = texts
    for p in SECTION_III:
        if m := _GROUP.match(p):
            out[f"III.{m.group(1)}"] = [m.group(2)]
    return out


SOURCE_GROUPS = _source_groups()
SOURCE_ITEMS = _source_items()


def test_source_parsing_finds_the_whole_plan() -> None:
    # guards the parser itself: the plan has groups 1-6, 15 items, III.1 and III.2
    assert sorted(SOURCE_GROUPS) == ["1", "2", "3", "4", "5", "6"]
    assert list(SOURCE_ITEMS) == [
        "1.1",
        "1.2",
        "2.1",
        "2.2",
        "2.3",
        "2.4",
        "3.1",
        "3.2",
        "4.1",
        "4.2",
        "4.3",
        "5",
        "6",
        "III.1",
        "III.2",
    ]


# --------------------------------------------------------------------------- items


@pytest.mark.parametrize("item_id", list(SOURCE_ITEMS))
def test_every_source_item_is_in_the_plan(items: dict[str, Item], item_id: str) -> None:
    assert item_id in items


def test_the_plan_has_no_item_the_source_lacks(items: dict[str, Item]) -> None:
    assert set(items) == set(SOURCE_ITEMS)


def test_items_keep_the_source_order(k: Knowledge) -> None:
    assert [i.id for i in k.plan.items] == list(SOURCE_ITEMS)


@pytest.mark.parametrize("item_id", list(SOURCE_ITEMS))
def test_item_text_is_the_source_text(items: dict[str, Item], item_id: str) -> None:
    text = norm(items[item_id].text)
    assert text in SOURCE_NORM
    assert text in SOURCE_ITEMS[item_id], f"{item_id}: {text!r} != {SOURCE_ITEMS[item_id]!r}"


@pytest.mark.parametrize("group_id", list(SOURCE_GROUPS))
def test_group_titles_are_the_source_headings(k: Knowledge, group_id: str) -> None:
    group = next(g for g in k.plan.groups if g.id == group_id)
    assert group.section == "II"
    assert norm(group.title) == SOURCE_GROUPS[group_id]


def test_section_iii_is_its_own_group(k: Knowledge) -> None:
    groups = [g for g in k.plan.groups if g.section == "III"]
    assert [i.id for g in groups for i in g.items] == ["III.1", "III.2"]


def test_every_assignment_quotes_the_source(k: Knowledge) -> None:
    missing = [
        f"{item.assignment_key(a)}: {norm(a.source_text)!r}"
        for item in k.plan.items
        for a in item.assignments
        if norm(a.source_text) not in SOURCE_NORM
    ]
    assert not missing


def test_section_i_points_are_the_source_bullets(k: Knowledge) -> None:
    parts = {p.id: [norm(x) for x in p.points] for s in k.plan.sections for p in s.parts}
    purposes_at = SECTION_I.index("1. Mục đích")
    requirements_at = SECTION_I.index("2. Yêu cầu")
    purposes = [p[2:] for p in SECTION_I[purposes_at + 1 : requirements_at]]
    requirements = [p[2:] for p in SECTION_I[requirements_at + 1 :]]
    assert parts["I.1"] == purposes
    assert parts["I.2"] == requirements


def test_legal_references_of_each_item_are_those_its_text_cites(k: Knowledge) -> None:
    refs = k.plan.legal_refs
    for item in k.plan.items:
        quoted = norm(item.text) + " " + " ".join(norm(a.source_text) for a in item.assignments)
        cited = {key for key, ref in refs.items() if ref.number in quoted}
        declared = set(item.refs) | {r for a in item.assignments for r in a.refs}
        assert declared == cited, item.id


def test_every_legal_reference_is_cited_in_the_source(k: Knowledge) -> None:
    for key, ref in k.plan.legal_refs.items():
        assert ref.number in SOURCE_NORM, key
        if ref.date:
            when = rf"0?{ref.date.day}/0?{ref.date.month}/{ref.date.year}"
            cited = re.search(re.escape(ref.number) + r"\W{1,3}(?:ngày )?" + when, SOURCE_NORM)
            assert cited, f"{key}: {ref.number} dated {ref.date} not found so in the source"


# --------------------------------------------------------------------------- metadata


def test_meta(k: Knowledge) -> None:
    meta = k.plan.meta
    assert meta.number == "91/KH-UBND"
    assert meta.issued == date(2023, 1, 10)
    assert meta.effective == date(2023, 1, 10)
    assert meta.doc_type == "Kế hoạch"
    assert meta.signer.name == "Nguyễn Minh"
    assert meta.signer.capacity == "KT. Chủ tịch"
    assert meta.signer.position == "Phó Chủ tịch"
    assert "Số: 91/KH-UBND" in RAW
    assert "ngày 10 tháng 01 năm 2023" in RAW
    assert "KT. CHỦ TỊCH\nPHÓ CHỦ TỊCH" in RAW and "Nguyễn Minh" in RAW


def test_meta_directive_and_bases(k: Knowledge) -> None:
    meta = k.plan.meta
    refs = k.plan.legal_refs
    directive = refs[meta.implements]
    assert (directive.kind, directive.number, directive.date) == (
        "Chỉ thị",
        "12-CT/TW",
        date(2022, 1, 5),
    )
    bases = {refs[b].number: refs[b] for b in meta.bases}
    assert {"01-HD/BĐNTW", "1830/LHHN-VP", "116-KH/TU"} <= set(bases)
    assert bases["01-HD/BĐNTW"].date == date(2022, 4, 18)
    assert bases["1830/LHHN-VP"].date == date(2022, 10, 13)
    assert bases["116-KH/TU"].date == date(2022, 12, 5)


def test_meta_recipients_are_the_source_list(k: Knowledge) -> None:
    block = RAW[RAW.index("Nơi nhận:") : RAW.index("KT. CHỦ TỊCH")]
    source = [norm(line)[2:].rstrip(";") for line in block.splitlines() if line.startswith("- ")]
    assert "Bộ Ngoại giao" in k.plan.meta.recipients
    assert list(k.plan.meta.recipients) == source


# --------------------------------------------------------------------------- multi-part items


def _roles(a: Assignment) -> dict[str, str]:
    return {ar.agency: ar.role for ar in a.agencies}


def test_4_2_has_a_recurring_part_and_a_quarter_part(items: dict[str, Item]) -> None:
    item = items["4.2"]
    assert len(item.assignments) == 2
    regular, q2 = item.assignments
    assert _roles(regular) == {"skhdt": "chu_tri"}
    assert regular.deadline.kind == "recurring"
    assert list(_roles(q2)) == ["vp_ubnd"]
    assert q2.deadline.kind == "quarter"
    assert (q2.deadline.quarter, q2.deadline.year) == (2, 2023)
    assert q2.deadline.single_due() == date(2023, 6, 30)
    assert "nd_58" in q2.refs
    assert {item.assignment_key(a) for a in item.assignments} == {"4.2a", "4.2b"}


def test_6_has_three_parts(items: dict[str, Item]) -> None:
    item = items["6"]
    assert len(item.assignments) == 3
    groups, training, funding = item.assignments
    assert set(_roles(groups)) == {"cac_so_ban_nganh", "dia_phuong"}
    assert list(_roles(training)) == ["snv"]
    assert _roles(funding) == {"stc": "chu_tri"}
    assert len({a.part for a in item.assignments}) == 3


def test_3_1_has_home_affairs_and_police(items: dict[str, Item]) -> None:
    item = items["3.1"]
    assert [list(_roles(a)) for a in item.assignments] == [["snv"], ["ca_tinh"]]
    assert all(a.deadline.kind == "recurring" for a in item.assignments)


def test_2_4_lead_and_coordinators(items: dict[str, Item]) -> None:
    (a,) = items["2.4"].assignments
    assert _roles(a) == {
        "snv": "chu_tri",
        "stc": "phoi_hop",
        "ca_tinh": "phoi_hop",
        "skhdt": "phoi_hop",
    }
    assert a.deadline.text == "Trong quý II/2023"
    assert a.reports_to == "ubnd_tinh"


def test_iii_1_is_yearly_on_30_november(items: dict[str, Item]) -> None:
    (a,) = items["III.1"].assignments
    assert (a.deadline.kind, a.deadline.day, a.deadline.month) == ("yearly", 30, 11)
    assert "30/11" in a.deadline.text
    assert a.reports_to == "vp_ubnd"


def test_iii_2_is_the_provincial_office(items: dict[str, Item]) -> None:
    (a,) = items["III.2"].assignments
    assert list(_roles(a)) == ["vp_ubnd"]


def test_1_2_is_an_event_deadline(items: dict[str, Item]) -> None:
    (a,) = items["1.2"].assignments
    assert a.deadline.kind == "event"
    assert a.deadline.text == "Khi có điều chỉnh mới và hiệu lực thi hành"


def test_items_with_several_assignments_have_distinct_parts(k: Knowledge) -> None:
    for item in k.plan.items:
        if len(item.assignments) > 1:
            parts = [a.part for a in item.assignments]
            assert None not in parts and len(set(parts)) == len(parts), item.id


# --------------------------------------------------------------------------- deadlines


def _all_deadlines(k: Knowledge) -> list[tuple[str, Deadline]]:
    return [(item.assignment_key(a), a.deadline) for item in k.plan.items for a in item.assignments]


def test_deadline_texts_are_the_source_wording(k: Knowledge) -> None:
    for key, dl in _all_deadlines(k):
        if dl.kind == "none":
            continue
        assert norm(dl.text).lower() in SOURCE_NORM.lower(), key


def test_every_deadline_knows_its_due_dates(k: Knowledge) -> None:
    issued = k.plan.meta.issued
    for key, dl in _all_deadlines(k):
        nxt = dl.next_due(issued)
        if dl.is_dated:
            assert nxt is not None and nxt >= issued, key
            assert dl.due_between(issued, date(2030, 12, 31)), key
        else:
            assert nxt is None, key
            assert dl.last_due(date(2030, 1, 1)) is None, key
            assert dl.due_between(issued, date(2030, 12, 31)) == [], key


def test_quarter_deadline_dates() -> None:
    dl = Deadline(kind="quarter", text="Trong quý II/2023", quarter=2, year=2023)
    assert dl.single_due() == date(2023, 6, 30)
    assert dl.next_due(date(2023, 1, 10)) == date(2023, 6, 30)
    assert dl.next_due(date(2023, 6, 30)) == date(2023, 6, 30)
    assert dl.next_due(date(2023, 7, 1)) is None
    assert dl.last_due(date(2023, 6, 30)) is None
    assert dl.last_due(date(2023, 7, 1)) == date(2023, 6, 30)
    assert dl.last_due(date(2026, 11, 26)) == date(2023, 6, 30)
    assert dl.due_between(date(2023, 4, 1), date(2023, 6, 30)) == [date(2023, 6, 30)]
    assert dl.due_between(date(2023, 7, 1), date(2023, 12, 31)) == []
    assert dl.matches_quarter(2, 2023)
    assert dl.matches_quarter(2, None)
    assert not dl.matches_quarter(3, 2023)
    assert not dl.matches_quarter(2, 2024)


@pytest.mark.parametrize(
    ("quarter", "end"), [(1, date(2024, 3, 31)), (3, date(2024, 9, 30)), (4, date(2024, 12, 31))]
)
def test_quarter_ends(quarter: int, end: date) -> None:
    dl = Deadline(kind="quarter", text=f"quý {quarter}/2024", quarter=quarter, year=2024)
    assert dl.single_due() == end


def test_yearly_deadline_dates() -> None:
    dl = Deadline(kind="yearly", text="Trước ngày 30/11 hàng năm", day=30, month=11)
    assert dl.next_due(date(2026, 12, 1)) == date(2027, 11, 30)
    assert dl.next_due(date(2026, 11, 30)) == date(2026, 11, 30)
    assert dl.next_due(date(2026, 11, 18)) == date(2026, 11, 30)
    assert dl.last_due(date(2026, 12, 1)) == date(2026, 11, 30)
    assert dl.last_due(date(2026, 11, 30)) == date(2025, 11, 30)
    assert dl.last_due(date(2026, 11, 26)) == date(2025, 11, 30)
    assert dl.due_in_year(2031) == date(2031, 11, 30)
    assert dl.due_between(date(2023, 1, 10), date(2025, 12, 31)) == [
        date(2023, 11, 30),
        date(2024, 11, 30),
        date(2025, 11, 30),
    ]
    assert dl.matches_quarter(4, 2026)
    assert not dl.matches_quarter(2, 2026)


def test_fixed_date_deadline_dates() -> None:
    dl = Deadline(kind="date", text="Trước ngày 15/3/2024", on=date(2024, 3, 15))
    assert dl.next_due(date(2024, 1, 1)) == date(2024, 3, 15)
    assert dl.next_due(date(2024, 3, 16)) is None
    assert dl.last_due(date(2024, 3, 16)) == date(2024, 3, 15)
    assert dl.matches_quarter(1, 2024)
    assert not dl.matches_quarter(2, 2024)


@pytest.mark.parametrize("kind", ["recurring", "event", "none"])
def test_undated_deadlines_have_no_due_date(kind: str) -> None:
    dl = Deadline(kind=kind, text="Thường xuyên")  # type: ignore[arg-type]
    assert not dl.is_dated
    assert dl.next_due(date(2026, 1, 1)) is None
    assert dl.last_due(date(2026, 1, 1)) is None
    assert dl.due_between(date(2023, 1, 1), date(2030, 12, 31)) == []
    assert not dl.matches_quarter(2, 2023)


@pytest.mark.parametrize(
    "fields",
    [
        {"kind": "quarter", "quarter": 2},
        {"kind": "quarter", "quarter": 5, "year": 2023},
        {"kind": "date"},
        {"kind": "yearly", "day": 31, "month": 2},
        {"kind": "yearly", "day": 30},
        {"kind": "weekly"},
    ],
)
def test_malformed_deadlines_are_rejected(fields: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        Deadline(text="x", **fields)  # type: ignore[arg-type]


def test_yearly_29_february_is_rejected_or_computable() -> None:
    try:
        dl = Deadline(kind="yearly", text="Trước ngày 29/02 hàng năm", day=29, month=2)
    except ValidationError:
        return  # rejected up front: fine
    assert dl.next_due(date(2025, 1, 1)) is not None
    assert dl.last_due(date(2025, 12, 31)) is not None
    assert dl.due_between(date(2025, 1, 1), date(2025, 12, 31))


# --------------------------------------------------------------------------- agencies

# (item, phrase exactly as the source writes it in the item's assignment lines, agency id)
SOURCE_AGENCIES = [
    ("1.1", "Các sở, ban, ngành", "cac_so_ban_nganh"),
    ("1.1", "Ủy ban nhân dân các huyện, thị xã, thành phố", "dia_phuong"),
    ("1.2", "Văn phòng Ủy ban nhân dân tỉnh", "vp_ubnd"),
    ("1.2", "các sở, ban, ngành", "cac_so_ban_nganh"),
    ("1.2", "địa phương", "dia_phuong"),
    ("2.1", "Văn phòng Ủy ban nhân dân tỉnh", "vp_ubnd"),
    ("2.1", "Sở Kế hoạch và Đầu tư", "skhdt"),
    ("2.1", "các sở, ngành", "cac_so_ban_nganh"),
    ("2.1", "địa phương", "dia_phuong"),
    ("2.2", "Văn phòng Ủy ban nhân dân tỉnh", "vp_ubnd"),
    ("2.3", "Sở Văn hóa, Thể thao và Du lịch", "svhttdl"),
    ("2.4", "Sở Nội vụ", "snv"),
    ("2.4", "Sở Tài chính", "stc"),
    ("2.4", "Công an tỉnh", "ca_tinh"),
    ("2.4", "Sở Kế hoạch và Đầu tư", "skhdt"),
    ("2.4", "Ủy ban nhân dân tỉnh", "ubnd_tinh"),
    ("3.1", "Sở Nội vụ", "snv"),
    ("3.1", "Công an tỉnh", "ca_tinh"),
    ("3.2", "Sở Thông tin và Truyền thông", "stttt"),
    ("3.2", "các cơ quan báo chí", "co_quan_bao_chi"),
    ("3.2", "Các sở, ban, ngành", "cac_so_ban_nganh"),
    ("3.2", "địa phương", "dia_phuong"),
    ("4.1", "Văn phòng Ủy ban nhân dân tỉnh", "vp_ubnd"),
    ("4.1", "Sở Kế hoạch và Đầu tư", "skhdt"),
    ("4.1", "Sở Công Thương", "sct"),
    ("4.1", "Sở Lao động - Thương binh và Xã hội", "sldtbxh"),
    ("4.1", "Sở Khoa học và Công nghệ", "skhcn"),
    ("4.1", "các sở, ngành", "cac_so_ban_nganh"),
    ("4.1", "địa phương", "dia_phuong"),
    ("4.2", "Sở Kế hoạch và Đầu tư", "skhdt"),
    ("4.2", "Văn phòng Ủy ban nhân dân tỉnh", "vp_ubnd"),
    ("4.2", "Ủy ban nhân dân tỉnh", "ubnd_tinh"),
    ("4.3", "Sở Kế hoạch và Đầu tư", "skhdt"),
    ("4.3", "Ủy ban nhân dân tỉnh", "ubnd_tinh"),
    ("5", "Các sở, ban, ngành", "cac_so_ban_nganh"),
    ("5", "địa phương", "dia_phuong"),
    ("6", "Các sở, ban, ngành", "cac_so_ban_nganh"),
    ("6", "địa phương", "dia_phuong"),
    ("6", "Sở Nội vụ", "snv"),
    ("6", "Sở Tài chính", "stc"),
    ("III.1", "Các sở, ban, ngành", "cac_so_ban_nganh"),
    ("III.1", "địa phương", "dia_phuong"),
    ("III.1", "Văn phòng Ủy ban nhân dân tỉnh", "vp_ubnd"),
    ("III.2", "Văn phòng Ủy ban nhân dân tỉnh", "vp_ubnd"),
    ("III.2", "Ủy ban nhân dân tỉnh", "ubnd_tinh"),
]

# Bodies the source names outside the assignments (bases, legal documents, Nơi nhận).
SOURCE_BODIES = [
    ("Ban Bí thư Trung ương Đảng", "ban_bi_thu"),
    ("Ban Đối ngoại Trung ương Đảng", "ban_doi_ngoai_tw"),
    ("Liên hiệp các tổ chức hữu nghị Việt Nam", "lhhn_vn"),
    ("Ban Thường vụ Tỉnh ủy", "btv_tinh_uy"),
    ("Ban Thương vụ Tỉnh ủy", "btv_tinh_uy"),
    ("Ủy ban Công tác về các tổ chức phi chính phủ nước ngoài", "uy_ban_cong_tac_pcp"),
    ("Ban cán sự đảng Ủy ban nhân dân tỉnh", "ban_can_su_dang"),
    ("Bộ Ngoại giao", "bo_ngoai_giao"),
    ("Thường trực Tỉnh ủy", "tt_tinh_uy"),
    ("Thường trực HĐND tỉnh", "tt_hdnd"),
    ("Mặt trận và các tổ chức chính trị - xã hội", "mttq"),
    ("Ban Tuyên giáo Tỉnh ủy", "ban_tuyen_giao"),
    ("Ban Dân vận Tỉnh ủy", "ban_dan_van"),
    ("Cơ quan chuyên môn thuộc UBND tỉnh", "cac_so_ban_nganh"),
    ("UBND các huyện, thị xã, thành phố", "dia_phuong"),
]


def resolve(registry: AgencyRegistry, phrase: str) -> str | None:
    match = registry.pick(registry.find(list(alias_tokens(phrase))) or registry.find_cased(phrase))
    return match.agency.id if match else None


def _item_source(item_id: str) -> str:
    """The item's paragraph and its assignment lines, as one normalised string."""
    ids = list(SOURCE_ITEMS)
    first = SOURCE_ITEMS[item_id][0]
    start = SOURCE_NORM.index(first)
    following = ids[ids.index(item_id) + 1] if ids.index(item_id) + 1 < len(ids) else None
    end = SOURCE_NORM.index(SOURCE_ITEMS[following][0], start) if following else None
    return SOURCE_NORM[start:end]


@pytest.mark.parametrize(("item_id", "phrase", "agency_id"), SOURCE_AGENCIES)
def test_source_agency_resolves_and_is_assigned(
    k: Knowledge, registry: AgencyRegistry, item_id: str, phrase: str, agency_id: str
) -> None:
    assert phrase in _item_source(item_id), f"{phrase!r} is not in the source of {item_id}"
    assert resolve(registry, phrase) == agency_id
    item = next(i for i in k.plan.items if i.id == item_id)
    named = {ar.agency for a in item.assignments for ar in a.agencies}
    named |= {a.reports_to for a in item.assignments if a.reports_to}
    assert agency_id in named


def test_every_agency_of_an_item_is_named_in_its_source(k: Knowledge) -> None:
    by_item: dict[str, set[str]] = {}
    for item_id, _, agency_id in SOURCE_AGENCIES:
        by_item.setdefault(item_id, set()).add(agency_id)
    for item in k.plan.items:
        named = {ar.agency for a in item.assignments for ar in a.agencies}
        named |= {a.reports_to for a in item.assignments if a.reports_to}
        assert named == by_item[item.id], item.id


@pytest.mark.parametrize(("phrase", "agency_id"), SOURCE_BODIES)
def test_other_bodies_the_source_names_resolve(
    registry: AgencyRegistry, phrase: str, agency_id: str
) -> None:
    assert phrase in SOURCE_NORM
    assert resolve(registry, phrase) == agency_id


def test_chinh_phu_is_in_the_registry_but_not_read_in_messages(
    k: Knowledge, registry: AgencyRegistry
) -> None:
    # the Government issues the decrees; it is never what "phi chính phủ" means
    assert k.agencies["chinh_phu"].name == "Chính phủ"
    assert "Chính phủ" in SOURCE_NORM
    assert resolve(registry, "các tổ chức phi chính phủ nước ngoài") is None


def test_registry_names_are_the_plan_wording(k: Knowledge) -> None:
    for agency in k.agencies.values():
        if agency.named_in_plan and agency.kind != "group":
            assert agency.name.lower() in SOURCE_NORM.lower(), agency.id


DISTRICTS = [
    ("Phan Thiết", "tp_phan_thiet"),
    ("La Gi", "tx_la_gi"),
    ("Tuy Phong", "h_tuy_phong"),
    ("Bắc Bình", "h_bac_binh"),
    ("Hàm Thuận Bắc", "h_ham_thuan_bac"),
    ("Hàm Thuận Nam", "h_ham_thuan_nam"),
    ("Hàm Tân", "h_ham_tan"),
    ("Đức Linh", "h_duc_linh"),
    ("Tánh Linh", "h_tanh_linh"),
    ("Phú Quý", "h_phu_quy"),
]


def _district_params() -> list[object]:
    out: list[object] = []
    for name, agency_id in DISTRICTS:
        out.append(pytest.param(name, agency_id, id=agency_id))
    return out


@pytest.mark.parametrize(("name", "agency_id"), _district_params())
def test_district_names_resolve_to_local_group_members(
    k: Knowledge, registry: AgencyRegistry, name: str, agency_id: str
) -> None:
    assert resolve(registry, name) == agency_id
    agency = k.agencies[agency_id]
    assert agency.kind == "district"
    assert "dia_phuong" in agency.member_of


@pytest.mark.parametrize(("name", "agency_id"), DISTRICTS)
def test_district_with_its_title_resolves(
    registry: AgencyRegistry, name: str, agency_id: str
) -> None:
    kind = {"tp_phan_thiet": "thành phố", "tx_la_gi": "thị xã"}.get(agency_id, "huyện")
    assert resolve(registry, f"UBND {kind} {name}") == agency_id
    assert resolve(registry, f"{kind} {name}") == agency_id


def test_the_local_group_has_exactly_the_ten_districts(k: Knowledge) -> None:
    members = {a.id for a in k.agencies.values() if "dia_phuong" in a.member_of}
    assert members == {agency_id for _, agency_id in DISTRICTS}


@pytest.mark.parametrize(
    ("alias", "agency_id"),
    [
        ("SNV", "snv"),
        ("STC", "stc"),
        ("Sở KH&ĐT", "skhdt"),
        ("KHĐT", "skhdt"),
        ("KH-ĐT", "skhdt"),
        ("Sở VHTTDL", "svhttdl"),
        ("Sở TT&TT", "stttt"),
        ("Sở LĐ-TB&XH", "sldtbxh"),
        ("Sở KH&CN", "skhcn"),
        ("VP UBND", "vp_ubnd"),
        ("Nội vụ", "snv"),
        ("Tài chánh", "stc"),
        ("Sở Tài chánh", "stc"),
        ("snv", "snv"),
        ("so kh&dt", "skhdt"),
        ("van phong ubnd tinh", "vp_ubnd"),
        ("CA tỉnh", "ca_tinh"),
    ],
)
def test_aliases_resolve(registry: AgencyRegistry, alias: str, agency_id: str) -> None:
    assert resolve(registry, alias) == agency_id


def test_no_alias_points_to_two_agencies(k: Knowledge) -> None:
    seen: dict[tuple[str, ...], str] = {}
    clashes = []
    for agency in k.agencies.values():
        for name in (agency.name, *agency.aliases):
            key = alias_tokens(name)
            if key in seen and seen[key] != agency.id:
                clashes.append(f"{name!r}: {seen[key]} / {agency.id}")
            seen.setdefault(key, agency.id)
    assert not clashes


def test_member_groups_exist_and_are_groups(k: Knowledge) -> None:
    for agency in k.agencies.values():
        for group in agency.member_of:
            assert k.agencies[group].is_group, agency.id


# --------------------------------------------------------------------------- roles

# The role words of the text, and the two compounds whose "thực hiện" is not a role of its own.
ROLE_WORDS = {
    "chủ trì": "chu_tri",
    "phối hợp": "phoi_hop",
    "thực hiện": "thuc_hien",
    "tham mưu": "tham_muu",
    "tổng hợp": "tong_hop",
    "chỉ đạo": "chi_dao",
}
_ROLE_WORD = re.compile(r"(phối hợp thực hiện|tham mưu thực hiện|" + "|".join(ROLE_WORDS) + ")")
# "- Cơ quan chủ trì soạn thảo: …", "- Tổ chức thực hiện: …": a label giving its role
_LABEL = re.compile(r"^(Cơ quan [^:]*|Tổ chức thực hiện):\s*")
# where the text takes the agencies that follow as its object, not as its subject
_OBJECT_AFTER = ("phoi_hop", "tham_muu", "chi_dao")


def _sentences(text: str) -> list[str]:
    text = text.replace("Lao động - Thương", "Lao động \0 Thương")  # a name, not a bullet
    parts = [p.strip().replace("\0", "-") for p in re.split(r"(?<=\.)\s+(?=[A-ZĐÂƯƠ])|\s-\s", text)]
    return [p for p in parts if p and not p.startswith("Thời gian")]


def _mentions(sentence: str, item_id: str) -> list[tuple[int, int, str]]:
    """(start, end, agency id) of each agency the item's source names, longest first."""
    lowered = sentence.lower()
    found: list[tuple[int, int, str]] = []
    for source_item, phrase, agency_id in sorted(SOURCE_AGENCIES, key=lambda r: -len(r[1])):
        if source_item != item_id:
            continue
        for m in re.finditer(re.escape(phrase.lower()), lowered):
            if not any(s < m.end() and m.start() < e for s, e, _ in found):
                found.append((m.start(), m.end(), agency_id))
    return sorted(found)


def _role_words(sentence: str) -> list[tuple[int, int, str]]:
    out = []
    for m in _ROLE_WORD.finditer(sentence.lower()):
        if sentence.lower()[: m.start()].endswith("theo "):  # "theo chỉ đạo của …": a noun
            continue
        word = m.group(1).removesuffix(" thực hiện") if " thực hiện" in m.group(1) else m.group(1)
        out.append((m.start(), m.end(), ROLE_WORDS[word]))
    return out


def _sentence_roles(sentence: str, item_id: str) -> set[tuple[str, str]]:
    """(agency, role) pairs one sentence of the assignment lines gives."""
    label = _LABEL.match(sentence)
    label_roles: set[str] = set()
    if label:
        words = label.group(1).lower()
        role = next(
            (ROLE_WORDS[w] for w in ("tham mưu", "chủ trì", "thực hiện") if w in words), None
        )
        label_roles = {role} if role else set()
        sentence = sentence[label.end() :]
    mentions = _mentions(sentence, item_id)
    words = _role_words(sentence)
    out: set[tuple[str, str]] = set()
    first_word = words[0][0] if words else len(sentence)
    for start, _, agency in mentions:
        if start < first_word:
            out |= {(agency, r) for r in label_roles}
    objects: set[int] = set()  # mentions that are the object of a role word
    for w_start, w_end, role in words:
        following = [m for m in mentions if m[0] >= w_end]
        gap = sentence[w_end : following[0][0]].strip() if following else "x"
        if role in _OBJECT_AFTER and gap in ("", "với"):
            next_word = next((ws for ws, _, _ in words if ws > w_end), len(sentence))
            listed = [m for m in following if m[0] < next_word]
            objects |= {m[0] for m in listed}
            if role == "phoi_hop":
                out |= {(m[2], role) for m in listed}
                continue
        subjects = [m for m in mentions if m[1] <= w_start and m[0] not in objects]
        # the subject: the list of agencies just before the word ("Các sở, ban, ngành, địa
        # phương phối hợp"), or the nearest one
        run = subjects[-1:]
        while run and len(run) < len(subjects):
            before = subjects[-len(run) - 1]
            if sentence[before[1] : run[0][0]].strip(" ,;") not in ("", "và"):
                break
            run.insert(0, before)
        out |= {(m[2], role) for m in run}
    return out


def roles_the_text_gives(item: Item) -> set[tuple[str, str]]:
    """Every (agency, role) the source gives in an item, read from its assignment lines (and,
    for an item led by one agency, the role words of the item's own sentence)."""
    text = _item_source(item.id)
    own = SOURCE_ITEMS[item.id][0]
    body = text if item.id.startswith("III") else text[text.index(own) + len(own) :]
    out: set[tuple[str, str]] = set()
    for sentence in _sentences(body):
        out |= _sentence_roles(sentence, item.id)
    lead = item.leader_of(item.assignments[0]) if len(item.assignments) == 1 else None
    if lead and not item.id.startswith("III") and not _mentions(own, item.id):
        out |= {(lead.agency, role) for _, _, role in _role_words(own)}
    return out


def missing_roles(item: Item) -> set[tuple[str, str]]:
    """The roles the text gives that the data does not (for agencies the item assigns)."""
    assigned = {ar.agency for a in item.assignments for ar in a.agencies}
    given = {(ar.agency, r) for a in item.assignments for ar in a.agencies for r in ar.roles}
    return {(ag, r) for ag, r in roles_the_text_gives(item) if ag in assigned} - given


def test_every_role_the_text_gives_is_in_the_data(k: Knowledge) -> None:
    problems = {item.id: sorted(m) for item in k.plan.items if (m := missing_roles(item))}
    assert not problems


@pytest.mark.parametrize(
    ("item_id", "agency", "role"),
    [
        ("1.2", "vp_ubnd", "chu_tri"),
        ("1.2", "vp_ubnd", "tham_muu"),
        ("2.1", "vp_ubnd", "tham_muu"),
        ("2.1", "skhdt", "phoi_hop"),
        ("2.4", "snv", "chu_tri"),
        ("2.4", "snv", "thuc_hien"),
        ("2.4", "ca_tinh", "phoi_hop"),
        ("3.1", "ca_tinh", "thuc_hien"),
        ("3.2", "stttt", "chi_dao"),
        ("3.2", "cac_so_ban_nganh", "phoi_hop"),
        ("4.1", "sldtbxh", "tham_muu"),
        ("4.2", "vp_ubnd", "tham_muu"),
        ("4.3", "skhdt", "tham_muu"),
        ("6", "snv", "phoi_hop"),
        ("6", "stc", "chu_tri"),
        ("III.1", "vp_ubnd", "tong_hop"),
        ("III.2", "vp_ubnd", "tong_hop"),
        ("III.2", "vp_ubnd", "tham_muu"),
    ],
)
def test_the_role_reader_finds_what_the_text_says(
    items: dict[str, Item], item_id: str, agency: str, role: str
) -> None:
    assert (agency, role) in roles_the_text_gives(items[item_id])


def test_the_role_reader_does_not_invent(items: dict[str, Item]) -> None:
    # the objects of "phối hợp với", "chỉ đạo" are not given the subject's roles
    assert ("skhdt", "chu_tri") not in roles_the_text_gives(items["2.1"])
    assert ("co_quan_bao_chi", "chi_dao") not in roles_the_text_gives(items["3.2"])
    assert ("stc", "chu_tri") not in roles_the_text_gives(items["2.4"])


def test_a_role_dropped_from_the_data_is_caught(items: dict[str, Item]) -> None:
    item = items["4.3"]
    a = item.assignments[0]
    only_lead = a.model_copy(
        update={"agencies": (a.agencies[0].model_copy(update={"roles": ("chu_tri",)}),)}
    )
    assert ("skhdt", "tham_muu") in missing_roles(
        item.model_copy(update={"assignments": (only_lead,)})
    )
