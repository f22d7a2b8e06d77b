"""The Word fixture ke-hoach-dan-toc-thieu-so-2024.docx, built the way a typist lays it out.

A real Word table, not one converted from text: a two-row header whose «Đơn vị thực
hiện» spans «Chủ trì» and «Phối hợp» (the other header cells merged down), roman group
rows merged across, a lead and a deadline cell merged down over two items, cells holding
two agencies on two lines, a «nt» cell, a «Ghi chú» column; «Nơi nhận» and the signature
side by side in a borderless table.

    .venv/bin/python tests/importer/ethnic_plan_docx.py   # rewrites the fixture
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "auxil"))  # run as a script too
from plan_documents import official_document, set_cell

FIXTURE = (
    Path(__file__).resolve().parents[1]
    / "fixtures"
    / "import"
    / "ke-hoach-dan-toc-thieu-so-2024.docx"
)

HEAD = [
    "ỦY BAN NHÂN DÂN\nTỈNH ĐẮK NÔNG",
    "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM\nĐộc lập - Tự do - Hạnh phúc",
]
PARAGRAPHS = [
    "Số: 164/KH-UBND",
    "Đắk Nông, ngày 21 tháng 3 năm 2024",
    "KẾ HOẠCH",
    "THỰC HIỆN CHƯƠNG TRÌNH MỤC TIÊU QUỐC GIA PHÁT TRIỂN KINH TẾ - XÃ HỘI VÙNG ĐỒNG BÀO DÂN"
    " TỘC THIỂU SỐ VÀ MIỀN NÚI TRÊN ĐỊA BÀN TỈNH NĂM 2024",
    "Căn cứ Quyết định số 1719/QĐ-TTg ngày 14/10/2021 của Thủ tướng Chính phủ phê duyệt"
    " Chương trình mục tiêu quốc gia phát triển kinh tế - xã hội vùng đồng bào dân tộc thiểu"
    " số và miền núi giai đoạn 2021 - 2030; Căn cứ Nghị quyết số 12/NQ-HĐND ngày 15/12/2023"
    " của Hội đồng nhân dân tỉnh về kế hoạch đầu tư công năm 2024; Ủy ban nhân dân tỉnh ban"
    " hành Kế hoạch thực hiện năm 2024 như sau:",
    "I. MỤC ĐÍCH, YÊU CẦU",
    "1. Mục đích",
    "- Cụ thể hóa các mục tiêu, nhiệm vụ của Chương trình năm 2024; giải ngân hết nguồn vốn"
    " được giao, cải thiện đời sống đồng bào dân tộc thiểu số.",
    "2. Yêu cầu",
    "- Phân công rõ đơn vị chủ trì, đơn vị phối hợp, thời gian hoàn thành từng nhiệm vụ.",
    "II. NHIỆM VỤ VÀ GIẢI PHÁP",
    "(Có Phụ lục chi tiết kèm theo)",
    "III. TỔ CHỨC THỰC HIỆN",
    "1. Ban Dân tộc tỉnh là cơ quan thường trực, chủ trì, phối hợp với các sở, ngành liên quan"
    " hướng dẫn, theo dõi, đôn đốc thực hiện Kế hoạch; định kỳ 6 tháng, năm tổng hợp, báo cáo"
    " Ủy ban nhân dân tỉnh.",
    "2. Sở Kế hoạch và Đầu tư, Sở Tài chính căn cứ khả năng cân đối ngân sách, tham mưu Ủy ban"
    " nhân dân tỉnh phân bổ vốn thực hiện Chương trình theo quy định.",
    "3. UBND các huyện, thị xã, thành phố chỉ đạo các phòng, ban chuyên môn và Ủy ban nhân dân"
    " các xã tổ chức thực hiện các nội dung của Chương trình trên địa bàn; báo cáo kết quả về"
    " Ban Dân tộc trước ngày 10/12/2024 để tổng hợp./.",
]
RECIPIENTS = (
    "Nơi nhận:\n- Ủy ban Dân tộc;\n- Thường trực Tỉnh ủy;\n- Thường trực HĐND tỉnh;\n"
    "- CT, các PCT UBND tỉnh;\n- Các sở, ban, ngành;\n- UBND các huyện, thị xã, thành phố;\n"
    "- Lưu: VT, KGVX."
)
SIGNATURE = "TM. ỦY BAN NHÂN DÂN\nKT. CHỦ TỊCH\nPHÓ CHỦ TỊCH\n\nTôn Thị Ngọc Hạnh"
APPENDIX = [
    "PHỤ LỤC",
    "NHIỆM VỤ THỰC HIỆN CHƯƠNG TRÌNH MỤC TIÊU QUỐC GIA NĂM 2024",
    "(Kèm theo Kế hoạch số 164/KH-UBND ngày 21/3/2024 của UBND tỉnh Đắk Nông)",
]
HEADER = [
    [
        "TT",
        "Nhiệm vụ",
        "Đơn vị thực hiện",
        None,
        "Thời gian hoàn thành",
        "Kết quả/Sản phẩm",
        "Ghi chú",
    ],
    [None, None, "Chủ trì", "Phối hợp", None, None, None],
]
# None: merged with the cell above (a header cell, or a body cell merged down)
ROWS: list[list[str | None] | tuple[str, str]] = [
    ("I", "GIẢI QUYẾT TÌNH TRẠNG THIẾU ĐẤT Ở, NHÀ Ở, ĐẤT SẢN XUẤT, NƯỚC SINH HOẠT"),
    [
        "1",
        "Rà soát, xác định đối tượng thiếu đất ở, nhà ở, đất sản xuất",
        "Ban Dân tộc",
        "Sở Tài nguyên và Môi trường; UBND các huyện, thị xã, thành phố",
        "Quý II/2024",
        "Danh sách đối tượng",
        "",
    ],
    [
        "2",
        "Hỗ trợ nhà ở cho hộ nghèo đồng bào dân tộc thiểu số",
        "Sở Xây dựng",
        "Ban Dân tộc\nSở LĐ-TB&XH",
        "Năm 2025",
        "Nhà ở được hỗ trợ",
        "Lồng ghép các nguồn vốn",
    ],
    [
        "3",
        "Đầu tư công trình nước sinh hoạt tập trung",
        "Sở NN&PTNT",
        "Sở KH&ĐT, Sở Tài chính",
        "Tháng 12/2024",
        "Công trình hoàn thành",
        "",
    ],
    [
        "4",
        "Hỗ trợ chuyển đổi nghề cho lao động thiếu đất sản xuất",
        None,
        "Sở LĐ-TB&XH; Chi nhánh Ngân hàng Chính sách xã hội tỉnh",
        None,
        "Lao động được chuyển đổi nghề",
        "",
    ],
    ("II", "PHÁT TRIỂN GIÁO DỤC, Y TẾ, VĂN HÓA"),
    [
        "5",
        "Nâng cao chất lượng giáo dục vùng đồng bào dân tộc thiểu số; củng cố trường phổ thông"
        " dân tộc nội trú",
        "Sở GD&ĐT",
        "Ban Dân tộc",
        "Trước 15/10 hằng năm",
        "Báo cáo kết quả",
        "",
    ],
    [
        "6",
        "Chăm sóc sức khỏe Nhân dân, nâng cao thể trạng, tầm vóc người dân tộc thiểu số",
        "Sở Y tế",
        "nt",
        "Thường xuyên",
        "",
        "",
    ],
    [
        "7",
        "Bảo tồn, phát huy giá trị văn hóa truyền thống tốt đẹp của các dân tộc thiểu số",
        "Sở VH-TT&DL",
        "Ban Dân tộc; UBND các huyện, thị xã, thành phố",
        "Quý III/2024",
        "Lễ hội được phục dựng",
        "",
    ],
    ("III", "THÔNG TIN, TUYÊN TRUYỀN VÀ KIỂM TRA, GIÁM SÁT"),
    [
        "8",
        "Tuyên truyền, phổ biến chính sách dân tộc",
        "Ban Dân tộc\nSở Thông tin và Truyền thông",
        "Đài PT-TH tỉnh; Hội Liên hiệp Phụ nữ tỉnh",
        "Định kỳ 6 tháng",
        "Tin, bài, phóng sự",
        "",
    ],
    [
        "9",
        "Kiểm tra, giám sát, đánh giá việc thực hiện Chương trình",
        "Ban Dân tộc",
        "Sở KH&ĐT, Sở Tài chính, các sở, ngành liên quan",
        "Trước ngày 20 tháng 12 năm 2024",
        "Báo cáo kiểm tra",
        "",
    ],
]


def build(path: Path = FIXTURE) -> Path:
    document = official_document(HEAD, PARAGRAPHS, RECIPIENTS, SIGNATURE, APPENDIX)
    width = len(HEADER[0])
    table = document.add_table(rows=len(HEADER) + len(ROWS), cols=width)
    table.style = "Table Grid"
    grid: list[list[str | None]] = [list(r) for r in HEADER]
    for row in ROWS:
        if isinstance(row, tuple):
            grid.append([row[0], row[1], *([row[1]] * (width - 2))])
        else:
            grid.append(list(row))
    for r, cells in enumerate(grid):
        for c, text in enumerate(cells):
            if text is not None and not (isinstance(ROWS[r - 2], tuple) if r >= 2 else False):
                set_cell(table.cell(r, c), text)
        if r >= 2 and isinstance(ROWS[r - 2], tuple):
            set_cell(table.cell(r, 0), str(cells[0]))
            merged = table.cell(r, 1).merge(table.cell(r, width - 1))
            set_cell(merged, str(cells[1]))
    table.cell(0, 2).merge(table.cell(0, 3))  # «Đơn vị thực hiện» over «Chủ trì», «Phối hợp»
    for r, cells in enumerate(grid):
        for c, text in enumerate(cells):
            if text is None and not (r == 0 and c == 3):
                top = r - 1
                while grid[top][c] is None:
                    top -= 1
                table.cell(top, c).merge(table.cell(r, c))
    document.save(str(path))
    return path


if __name__ == "__main__":
    print(build())
