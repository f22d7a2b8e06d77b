"""Three plan texts modelled on real provincial plans (the third round), their expected
YAML written by hand before the importer was changed (tests/fixtures/import/):

- Tây Ninh 2019, legal education (.txt): labels, a task whose second sentence assigns,
  «V. TỔ CHỨC THỰC HIỆN» with agency headings without a colon over a) b) or over one
  paragraph, bodies named by their heads («Thủ trưởng các sở, ban, ngành tỉnh»);
- Thanh Hóa 2025, emulation (.txt): 2025 names («Báo và Phát thanh, Truyền hình Thanh
  Hóa», «Cổng Thông tin điện tử tỉnh»), a heading of three bodies, «(qua Sở Nội vụ)»;
- Lào Cai 2023, Đề án 06 (.txt): an appendix table with units in brackets after the lead
  («Công an tỉnh (Phòng PC06)»), a row continued on a row with no number, «hằng tháng».

Their bodies are synthetic (the search found only the openings of the real plans);
BENCHMARKS.md («Issue 17», «Third round») has the sources and the figures.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from fidelity import FIXTURES, agencies_of, compare, expected, imported, items_of

LEGAL = FIXTURES / "ke-hoach-pbgdpl-cntt-2019.txt"
EMULATION = FIXTURES / "ke-hoach-thi-dua-doi-moi-sang-tao-2025.txt"
DATA = FIXTURES / "ke-hoach-de-an-06-mo-hinh-2023.txt"


@pytest.mark.parametrize("source", [LEGAL, EMULATION, DATA], ids=["legal", "emulation", "data"])
def test_a_third_round_plan_imports_close_to_its_hand_made_yaml(
    tmp_path: Path, source: Path
) -> None:
    got, result = imported(source, tmp_path)
    figures = compare(got, expected(source))
    assert figures["assignments"][2] >= 0.95, (figures["missing_triples"], figures["extra_triples"])
    assert figures["deadlines"] == 1.0, figures["wrong_deadlines"]
    assert result.problems == []  # check-plan passes on the draft


def test_headings_without_colon_and_bodies_named_by_their_heads(tmp_path: Path) -> None:
    got, _ = imported(LEGAL, tmp_path)
    items = items_of(got)
    # «1. Sở Tư pháp» over «a) Là cơ quan thường trực, giúp Ủy ban nhân dân tỉnh …»
    assert agencies_of(items["V.1"], 0) == {"stp": ["thuc_hien"]}
    assert items["V.1"]["assignments"][1]["deadline"] == {
        "kind": "yearly",
        "text": "Trước ngày 25 tháng 11 hằng năm",
        "day": 25,
        "month": 11,
    }
    # «3. Sở Tài chính» over one paragraph
    assert agencies_of(items["V.3"]) == {"stc": ["tham_muu"]}
    assert agencies_of(items["V.4"]) == {"cac_so_ban_nganh": ["thuc_hien"]}
    assert agencies_of(items["V.5"], 1) == {
        "dia_phuong": ["chi_dao"],
        "uy_ban_nhan_dan_cac_xa_phuong_thi_tran": ["thuc_hien"],
    }
    # the second sentence assigns; «6 tháng đầu năm 2020»; a group's lower-case qualifier
    assert agencies_of(items["3.2"])["dia_phuong"] == ["phoi_hop"]
    assert str(items["3.2"]["assignments"][0]["deadline"]["date"]) == "2020-06-30"
    # one name over «và»; the province's broadcaster whatever its place
    assert "van_phong_doan_dai_bieu_quoc_hoi_hoi" in agencies_of(items["2"])
    assert "dai_ptth" in agencies_of(items["6"])


def test_names_of_2025_and_reports_through_a_department(tmp_path: Path) -> None:
    got, _ = imported(EMULATION, tmp_path)
    items = items_of(got)
    assert set(agencies_of(items["IV.3"])) == {
        "svhttdl",
        "bao_phat_thanh_truyen_hinh_thanh_hoa",
        "cong_thong_tin_dien_tu_tinh",
    }
    # «báo cáo … về Ủy ban nhân dân tỉnh (qua Sở Nội vụ) … để tổng hợp»
    assert agencies_of(items["IV.5"], 1)["snv"] == ["tong_hop"]


def test_units_in_brackets_and_continued_rows(tmp_path: Path) -> None:
    got, _ = imported(DATA, tmp_path)
    items = items_of(got)
    assert agencies_of(items["1"])["ca_tinh"] == ["chu_tri"]
    assert "phong_pc06" not in agencies_of(items["1"])
    assert "cac_ngan_hang_thuong_mai_tren_dia_ban" in agencies_of(items["4"])
    assert "?" not in items
    assert items["III.1"]["assignments"][1]["deadline"]["kind"] == "recurring"
