"""Builds tests/fixtures/import/chuong-trinh-hanh-dong-du-lich-2024.pdf: a «Chương trình
hành động» whose appendix table comes out of the PDF's text layer as loose lines, as a
PDF table does: the header's cells one a line, then each row's cells in turn, each cell
wrapped at its column's width (a narrow column breaks a name over lines), an empty cell
leaving no line at all.

The text is written by `loose_text` (also kept as the fixture's .txt, the lines as the
PDF gives them back) and laid out by tests/auxil/plan_documents.write_pdf.

    .venv/bin/python tests/importer/action_programme_pdf.py   # rewrites the fixture
"""

from __future__ import annotations

import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "auxil"))

from plan_documents import write_pdf  # noqa: E402

FIXTURE = ROOT / "tests" / "fixtures" / "import" / "chuong-trinh-hanh-dong-du-lich-2024"

BODY = """ỦY BAN NHÂN DÂN
TỈNH BÌNH THUẬN
CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM
Độc lập - Tự do - Hạnh phúc
Số: 63/CTr-UBND
Bình Thuận, ngày 12 tháng 3 năm 2024
CHƯƠNG TRÌNH HÀNH ĐỘNG
THỰC HIỆN NGHỊ QUYẾT SỐ 12-NQ/TU NGÀY 20/12/2023 CỦA BAN CHẤP HÀNH ĐẢNG BỘ TỈNH VỀ PHÁT TRIỂN DU LỊCH TRỞ THÀNH NGÀNH KINH TẾ MŨI NHỌN GIAI ĐOẠN 2024 - 2030
Thực hiện Nghị quyết số 12-NQ/TU ngày 20/12/2023 của Ban Chấp hành Đảng bộ tỉnh về phát triển du lịch trở thành ngành kinh tế mũi nhọn giai đoạn 2024 - 2030, Ủy ban nhân dân tỉnh ban hành Chương trình hành động thực hiện như sau:
I. MỤC ĐÍCH, YÊU CẦU
1. Mục đích
- Cụ thể hóa các nhiệm vụ, giải pháp của Nghị quyết số 12-NQ/TU thành các nhiệm vụ cụ thể, phân công rõ cơ quan chủ trì, cơ quan phối hợp và thời gian hoàn thành.
2. Yêu cầu
- Các cơ quan, đơn vị, địa phương chủ động, sáng tạo trong triển khai; bảo đảm đồng bộ, hiệu quả.
II. NHIỆM VỤ, GIẢI PHÁP CHỦ YẾU
Tập trung thực hiện đồng bộ các nhóm nhiệm vụ, giải pháp về hoàn thiện cơ chế, chính sách; phát triển sản phẩm du lịch; xúc tiến, quảng bá; phát triển nguồn nhân lực du lịch (chi tiết tại Phụ lục kèm theo).
III. TỔ CHỨC THỰC HIỆN
1. Các sở, ban, ngành, Ủy ban nhân dân các huyện, thị xã, thành phố căn cứ nhiệm vụ được giao tại Phụ lục kèm theo, xây dựng kế hoạch cụ thể để triển khai thực hiện; báo cáo kết quả thực hiện trước ngày 10/12 hằng năm về Sở Văn hóa, Thể thao và Du lịch để tổng hợp.
2. Giao Sở Văn hóa, Thể thao và Du lịch theo dõi, đôn đốc, kiểm tra việc thực hiện Chương trình hành động này; tổng hợp, báo cáo Ủy ban nhân dân tỉnh, Ban Thường vụ Tỉnh ủy theo quy định./.
Nơi nhận:
- Thường trực Tỉnh ủy;
- Thường trực HĐND tỉnh;
- Các sở, ban, ngành tỉnh;
- UBND các huyện, thị xã, thành phố;
- Lưu: VT, KGVXNV.
KT. CHỦ TỊCH
PHÓ CHỦ TỊCH
Nguyễn Minh
PHỤ LỤC
DANH MỤC NHIỆM VỤ THỰC HIỆN CHƯƠNG TRÌNH HÀNH ĐỘNG
(Kèm theo Chương trình hành động số 63/CTr-UBND ngày 12/3/2024 của Ủy ban nhân dân tỉnh)"""

HEADER = [
    "TT",
    "Nhiệm vụ",
    "Cơ quan chủ trì",
    "Cơ quan phối hợp",
    "Thời gian hoàn thành",
    "Sản phẩm",
]
WIDTHS = [4, 38, 20, 22, 12, 18]
# (number, task, lead, partners, deadline, product); a roman number is a group row
ROWS: list[tuple[str, ...]] = [
    ("I", "HOÀN THIỆN CƠ CHẾ, CHÍNH SÁCH"),
    (
        "1",
        "Rà soát, đề xuất điều chỉnh các chính sách hỗ trợ phát triển du lịch của tỉnh",
        "Sở Văn hóa, Thể thao và Du lịch",
        "Sở Tài chính; Sở Kế hoạch và Đầu tư; Sở Tư pháp",
        "Quý IV/2024",
        "Nghị quyết của HĐND tỉnh",
    ),
    (
        "2",
        "Xây dựng cơ chế khuyến khích đầu tư hạ tầng du lịch tại các khu du lịch quốc gia",
        "Sở Kế hoạch và Đầu tư",
        "Sở Văn hóa, Thể thao và Du lịch; Sở Xây dựng",
        "Năm 2025",
        "Quyết định của UBND tỉnh",
    ),
    ("II", "PHÁT TRIỂN SẢN PHẨM DU LỊCH"),
    (
        "3",
        "Phát triển sản phẩm du lịch biển, đảo gắn với bảo vệ môi trường",
        "Sở Văn hóa, Thể thao và Du lịch",
        "Sở Tài nguyên và Môi trường; UBND các huyện, thị xã, thành phố",
        "Thường xuyên",
        "Sản phẩm du lịch mới",
    ),
    (
        "4",
        "Phát triển du lịch nông nghiệp, nông thôn gắn với chương trình mỗi xã một sản phẩm",
        "Sở Nông nghiệp và Phát triển nông thôn",
        "Sở Văn hóa, Thể thao và Du lịch; Sở Công Thương",
        "2024 - 2025",
        "Mô hình du lịch nông nghiệp",
    ),
    (
        "5",
        "Bảo đảm an ninh, trật tự, an toàn cho khách du lịch tại các khu, điểm du lịch",
        "Công an tỉnh",
        "",
        "Thường xuyên",
        "Báo cáo kết quả",
    ),
    ("III", "XÚC TIẾN, QUẢNG BÁ DU LỊCH"),
    (
        "6",
        "Xây dựng và vận hành ứng dụng du lịch thông minh trên thiết bị di động",
        "Sở Thông tin và Truyền thông",
        "Sở Văn hóa, Thể thao và Du lịch",
        "Tháng 6/2025",
        "Ứng dụng du lịch thông minh",
    ),
    (
        "7",
        "Tổ chức các đoàn xúc tiến, quảng bá du lịch tại thị trường trọng điểm trong và ngoài nước",
        "Sở Văn hóa, Thể thao và Du lịch",
        "Văn phòng Ủy ban nhân dân tỉnh; Sở Ngoại vụ",
        "Hằng năm",
        "Các chương trình xúc tiến",
    ),
    (
        "8",
        "Tuyên truyền, quảng bá hình ảnh du lịch Bình Thuận trên các phương tiện thông tin đại chúng",
        "Đài Phát thanh - Truyền hình Bình Thuận",
        "Báo Bình Thuận; Sở Văn hóa, Thể thao và Du lịch",
        "Thường xuyên",
        "Chuyên mục, tin bài",
    ),
    ("IV", "PHÁT TRIỂN NGUỒN NHÂN LỰC DU LỊCH"),
    (
        "9",
        "Đào tạo, bồi dưỡng kỹ năng nghề du lịch cho người lao động tại các cơ sở lưu trú",
        "Sở Lao động - Thương binh và Xã hội",
        "Sở Văn hóa, Thể thao và Du lịch; Hiệp hội Du lịch tỉnh",
        "Hằng năm",
        "Lớp đào tạo, bồi dưỡng",
    ),
    (
        "10",
        "Bố trí kinh phí thực hiện các nhiệm vụ của Chương trình hành động",
        "Sở Tài chính",
        "Sở Kế hoạch và Đầu tư",
        "Hằng năm",
        "Dự toán ngân sách",
    ),
]


def loose_text() -> str:
    """The document as its PDF's text layer gives it back: paragraphs, then the table as
    loose lines (each cell wrapped at its column's width; an empty cell gives no line)."""
    lines = BODY.splitlines()
    for head, width in zip(HEADER, WIDTHS, strict=True):
        lines += textwrap.wrap(head, max(width, 16))
    for row in ROWS:
        for cell, width in zip(row, WIDTHS, strict=False):
            lines += textwrap.wrap(cell, width, break_long_words=False)
    return "\n".join(lines) + "\n"


def build(path: Path) -> Path:
    return write_pdf(loose_text(), path)


if __name__ == "__main__":
    FIXTURE.with_suffix(".txt").write_text(loose_text(), encoding="utf-8")
    print(build(FIXTURE.with_suffix(".pdf")))
