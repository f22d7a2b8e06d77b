"""Four plan documents written after the importer, in shapes it was not tuned on; their
expected YAML was written by hand from the text (tests/fixtures/import/):

- prose with the agency first and the deadline in the sentence (.txt);
- «Đơn vị chủ trì / Đơn vị phối hợp / Thời hạn» labels, «+» labels under a), b), two
  labels on one line, a «Sản phẩm:» line, section III headed by agencies (.txt, and the
  text-layer PDF made from it);
- an appendix table «TT | Nhiệm vụ | Đơn vị chủ trì | Đơn vị phối hợp | Thời gian | Kết
  quả/Sản phẩm | Ghi chú» with roman and arabic group rows (.txt);
- a Word table with a two-row header and merged cells (.docx, built by ethnic_plan_docx).

BENCHMARKS.md («Issue 17») has their figures before and after the importer learnt them.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from ethnic_plan_docx import build
from fidelity import (
    FIXTURES,
    assert_every_figure_exact,
    compare,
    expected,
    imported,
    items_of,
    read_alike,
)
from plan_documents import write_pdf

PROSE = FIXTURES / "ke-hoach-phong-chong-dich-benh-2024.txt"
LABELS = FIXTURES / "ke-hoach-chat-thai-ran-2024.txt"
LABELS_PDF = FIXTURES / "ke-hoach-chat-thai-ran-2024.pdf"
TABLE = FIXTURES / "ke-hoach-cai-cach-hanh-chinh-2024.txt"
WORD = FIXTURES / "ke-hoach-dan-toc-thieu-so-2024.docx"


@pytest.mark.parametrize(
    "source",
    [PROSE, LABELS, LABELS_PDF, TABLE, WORD],
    ids=["prose", "labels", "pdf", "table", "docx"],
)
def test_an_unseen_plan_imports_to_its_hand_made_yaml(tmp_path: Path, source: Path) -> None:
    got, result = imported(source, tmp_path)
    figures = compare(got, expected(source))
    assert figures["assignments"][2] >= 0.95, (figures["missing_triples"], figures["extra_triples"])
    # today every figure is 1.0 (BENCHMARKS.md)
    assert_every_figure_exact(figures)
    assert not result.problems  # check-plan passes with the proposed agencies added


def test_the_pdf_is_the_text_with_a_text_layer(tmp_path: Path) -> None:
    fresh = write_pdf(LABELS.read_text(encoding="utf-8"), tmp_path / "ke-hoach.pdf")
    assert read_alike(fresh, LABELS, tmp_path)


def test_the_word_fixture_is_what_its_builder_writes(tmp_path: Path) -> None:
    assert read_alike(build(tmp_path / "ke-hoach.docx"), WORD, tmp_path)


def test_prose_with_the_agency_first(tmp_path: Path) -> None:
    got, result = imported(PROSE, tmp_path)
    items = items_of(got)
    # «Sở Y tế chủ trì, phối hợp với Sở Nội vụ tham mưu …; hoàn thành trước ngày 28/02/2024»
    first = items["1.1"]["assignments"][0]
    assert first["agencies"] == [
        {"agency": "syt", "roles": ["chu_tri", "tham_muu"]},
        {"agency": "snv", "role": "phoi_hop"},
    ]
    assert str(first["deadline"]["date"]) == "2024-02-28"
    # «Đề nghị Ủy ban Mặt trận Tổ quốc Việt Nam tỉnh …» names the registry's «Ủy ban MTTQ …»
    assert items["3.3"]["assignments"][0]["agencies"] == [{"agency": "mttq", "role": "phoi_hop"}]
    # «trước ngày 20 tháng 12 năm 2024», «định kỳ 6 tháng»
    assert str(items["III.1"]["assignments"][0]["deadline"]["date"]) == "2024-12-20"
    assert items["2.2"]["assignments"][0]["deadline"]["kind"] == "recurring"
    names = {p.name for p in result.proposals}
    assert names == {
        "Ủy ban nhân dân các xã, phường, thị trấn",
        "Trung tâm Kiểm soát bệnh tật tỉnh",
        "Cảng vụ Hàng hải Ninh Thuận",
        "Báo Ninh Thuận",
    }
    review = (tmp_path / "review.md").read_text(encoding="utf-8")
    for name in names:
        assert f"«{name}»" in review


def test_labels_and_agency_headings(tmp_path: Path) -> None:
    got, result = imported(LABELS, tmp_path)
    items = items_of(got)
    # two labels on one line
    assert {a["agency"]: a["role"] for a in items["3.1"]["assignments"][0]["agencies"]} == {
        "stttt": "chu_tri",
        "dai_ptth": "phoi_hop",
        "bao_khanh_hoa": "phoi_hop",
        "tinh_doan": "phoi_hop",
        "hoi_lien_hiep_phu_nu_tinh": "phoi_hop",
    }
    # «3. Ủy ban nhân dân các huyện …» then «- Chỉ đạo Ủy ban nhân dân cấp xã …»
    parts = items["III.3"]["assignments"]
    assert parts[0]["agencies"] == [
        {"agency": "dia_phuong", "role": "chi_dao"},
        {"agency": "uy_ban_nhan_dan_cap_xa", "role": "thuc_hien"},
    ]
    assert parts[1]["deadline"] == {
        "kind": "yearly",
        "text": "Trước ngày 30/11 hằng năm",
        "day": 30,
        "month": 11,
    }
    # the product line names no one to assign; it is listed, not dropped
    assert ("mục 1.1", "- Sản phẩm: Quyết định của Ủy ban nhân dân tỉnh.") in result.review.unmapped


def test_the_tables_read_other_headers_and_merged_cells(tmp_path: Path) -> None:
    got, _ = imported(TABLE, tmp_path / "txt")
    items = items_of(got)
    # the «nt» partner cell repeats the row above
    assert items["3.2"]["assignments"][0]["agencies"] == items["3.1"]["assignments"][0]["agencies"]
    got, result = imported(WORD, tmp_path / "docx")
    items = items_of(got)
    # item 4's lead and deadline cells are merged with item 3's
    assert items["4"]["assignments"][0]["agencies"][0] == {"agency": "snnptnt", "role": "chu_tri"}
    assert str(items["4"]["assignments"][0]["deadline"]["date"]) == "2024-12-31"
    # two agencies on two lines of the lead cell
    assert [a["agency"] for a in items["8"]["assignments"][0]["agencies"][:2]] == [
        "ban_dan_toc",
        "stttt",
    ]
    assert "chi_nhanh_ngan_hang_chinh_sach_xa_hoi" in {p.id for p in result.proposals}
