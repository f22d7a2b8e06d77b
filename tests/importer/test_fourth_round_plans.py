"""Three plans in shapes the first three rounds did not cover (the fourth round), their
expected YAML written by hand before the importer was changed (tests/fixtures/import/):

- a provincial plan implementing a central directive whose section II names no agency:
  «IV. TỔ CHỨC THỰC HIỆN» gives each agency «- Chủ trì, phối hợp …» bullets and charges the
  tasks of II by reference («các nhiệm vụ tại khoản 2, khoản 3 mục II»);
- a «Chương trình hành động» whose appendix table comes out of a PDF as loose lines
  (built by tests/importer/action_programme_pdf.py; its .txt is the same lines);
- a district plan assigning to «Phòng …», «Trung tâm … huyện», «Công an huyện», «Ủy ban
  nhân dân các xã, thị trấn».

Their bodies are synthetic; BENCHMARKS.md («Issue 17», «Fourth round») has the figures.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from fidelity import FIXTURES, ROOT, agencies_of, compare, expected, imported, items_of

DIRECTIVE = FIXTURES / "ke-hoach-chi-thi-giao-duc-nghe-nghiep-2024.txt"
PROGRAMME = FIXTURES / "chuong-trinh-hanh-dong-du-lich-2024.pdf"
PROGRAMME_LINES = FIXTURES / "chuong-trinh-hanh-dong-du-lich-2024.txt"
DISTRICT = FIXTURES / "ke-hoach-huyen-van-hoa-co-so-2024.txt"

sys.path.insert(0, str(ROOT / "tests" / "importer"))
from action_programme_pdf import build, loose_text  # noqa: E402


@pytest.mark.parametrize(
    "source",
    [DIRECTIVE, PROGRAMME, PROGRAMME_LINES, DISTRICT],
    ids=["directive", "pdf-table", "pdf-lines", "district"],
)
def test_a_fourth_round_plan_imports_close_to_its_hand_made_yaml(
    tmp_path: Path, source: Path
) -> None:
    got, result = imported(source, tmp_path)
    figures = compare(got, expected(source.with_suffix(".txt")))
    assert figures["assignments"][2] >= 0.95, (figures["missing_triples"], figures["extra_triples"])
    assert figures["deadlines"] == 1.0, figures["wrong_deadlines"]
    assert result.problems == []  # check-plan passes on the draft


def test_tasks_charged_only_from_the_execution_section(tmp_path: Path) -> None:
    got, _ = imported(DIRECTIVE, tmp_path)
    items = items_of(got)
    # «Chủ trì, phối hợp với Sở Nội vụ, Sở Giáo dục và Đào tạo thực hiện các nhiệm vụ tại
    # khoản 2, khoản 3 mục II …; tham mưu …, hoàn thành trong quý III/2024»: the clause only
    for task in ("2", "3"):
        assert agencies_of(items[task]) == {
            "sldtbxh": ["chu_tri", "thuc_hien"],
            "snv": ["phoi_hop"],
            "sgddt": ["phoi_hop"],
        }
        assert items[task]["assignments"][0]["deadline"]["kind"] == "none"
    assert agencies_of(items["IV.1"], 1)["sldtbxh"] == ["chu_tri", "thuc_hien", "tham_muu"]
    # «Theo dõi, đôn đốc …; tổng hợp, báo cáo …» under the heading: the seed's III.2
    assert agencies_of(items["IV.1"], 3) == {"sldtbxh": ["thuc_hien", "tong_hop"]}
    # «7. Đề nghị Ủy ban Mặt trận Tổ quốc Việt Nam tỉnh và … tỉnh» heads its bullet
    assert agencies_of(items["IV.7"]) == {"mttq": ["phoi_hop"]}


def test_the_pdf_table_is_rebuilt_from_its_loose_lines(tmp_path: Path) -> None:
    assert PROGRAMME_LINES.read_text(encoding="utf-8") == loose_text()
    got_built, _ = imported(build(tmp_path / "ctr.pdf"), tmp_path / "built")
    got_pdf, _ = imported(PROGRAMME, tmp_path / "pdf")
    assert got_built["groups"] == got_pdf["groups"]
    items = items_of(got_pdf)
    # «Sở Kế hoạch và Đầu» / «tư» (lead), «Sở Văn hóa, Thể thao» / «và Du lịch; Sở Xây» /
    # «dựng» (partners): names broken over lines are one cell each
    assert agencies_of(items["2"]) == {
        "skhdt": ["chu_tri"],
        "svhttdl": ["phoi_hop"],
        "sxd": ["phoi_hop"],
    }
    # an empty partner cell leaves no line
    assert agencies_of(items["5"]) == {"ca_tinh": ["chu_tri"]}
    assert items["4"]["assignments"][0]["deadline"] == {"kind": "none", "text": "2024 - 2025"}
    assert [g["title"] for g in got_pdf["groups"]][:2] == [
        "HOÀN THIỆN CƠ CHẾ, CHÍNH SÁCH",
        "PHÁT TRIỂN SẢN PHẨM DU LỊCH",
    ]


def test_a_district_plan_names_its_own_bodies(tmp_path: Path) -> None:
    got, result = imported(DISTRICT, tmp_path)
    items = items_of(got)
    # «Phòng Tài chính - Kế hoạch» is not Sở Tài chính; a name over « - »
    assert agencies_of(items["3"])["phong_tai_chinh_ke_hoach"] == ["chu_tri"]
    assert "stc" not in agencies_of(items["3"])
    # «Trung tâm Y tế huyện» is not Sở Y tế; «Phòng Y tế huyện» neither
    assert agencies_of(items["6"]) == {
        "trung_tam_y_te_huyen": ["chu_tri", "thuc_hien"],
        "phong_y_te_huyen": ["phoi_hop"],
    }
    # a name over «, … và …»
    assert "trung_tam_van_hoa_thong_tin_the_thao" in agencies_of(items["1"])
    # «Công an huyện» is not Công an tỉnh
    assert "ca_tinh" not in agencies_of(items["5"])
    # «X phối hợp với Y tham mưu …»: X is a partner too (the seed's 6 b)
    assert agencies_of(items["IV.3"])["phong_noi_vu"] == ["phoi_hop", "tham_muu"]
    # «Phòng, chống …» heads no name
    assert not any(p.name.startswith("Phòng, chống") for p in result.proposals)
