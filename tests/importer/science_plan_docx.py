"""The Word fixture ke-hoach-khoa-hoc-cong-nghe-2025.docx, built the way a typist lays it out.

A plan implementing Nghị quyết 57-NQ/TW (science, technology, innovation and digital
transformation), written for the second unseen round: tasks in section III sent to an
appendix, «V. TỔ CHỨC THỰC HIỆN» with agency headings over bullets; a Word appendix table
«STT | Nội dung nhiệm vụ | Cơ quan chủ trì | Cơ quan phối hợp | Thời gian hoàn thành | Sản
phẩm» whose item numbers start again under each roman group row, cells of two paragraphs
(a task and its detail; agencies one a line), a lead cell merged down over two items, an
empty product cell; «Nơi nhận» and the signature side by side in a borderless table.

    .venv/bin/python tests/importer/science_plan_docx.py   # rewrites the fixture
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
    / "ke-hoach-khoa-hoc-cong-nghe-2025.docx"
)

HEAD = [
    "ỦY BAN NHÂN DÂN\nTỈNH BÌNH ĐỊNH\n-------",
    "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM\nĐộc lập - Tự do - Hạnh phúc\n---------------",
]
PARAGRAPHS = [
    "Số: 35/KH-UBND",
    "Bình Định, ngày 14 tháng 02 năm 2025",
    "KẾ HOẠCH",
    "Thực hiện Nghị quyết số 57-NQ/TW ngày 22/12/2024 của Bộ Chính trị về đột phá phát triển"
    " khoa học, công nghệ, đổi mới sáng tạo và chuyển đổi số quốc gia",
    "Thực hiện Nghị quyết số 57-NQ/TW ngày 22/12/2024 của Bộ Chính trị; Nghị quyết số 03/NQ-CP"
    " ngày 09/01/2025 của Chính phủ ban hành Chương trình hành động của Chính phủ thực hiện"
    " Nghị quyết số 57-NQ/TW; Chương trình hành động số 45-CTr/TU ngày 10/02/2025 của Ban"
    " Thường vụ Tỉnh ủy, Ủy ban nhân dân tỉnh ban hành Kế hoạch thực hiện như sau:",
    "I. MỤC ĐÍCH, YÊU CẦU",
    "1. Mục đích",
    "- Cụ thể hóa các nhiệm vụ, giải pháp của Nghị quyết số 57-NQ/TW phù hợp với điều kiện của"
    " tỉnh; tạo chuyển biến mạnh mẽ về nhận thức và hành động của các cấp, các ngành.",
    "2. Yêu cầu",
    "- Xác định rõ nhiệm vụ, cơ quan chủ trì, cơ quan phối hợp, thời gian hoàn thành và sản"
    " phẩm; bảo đảm tính khả thi, gắn trách nhiệm người đứng đầu.",
    "II. MỤC TIÊU",
    "- Đến năm 2030, kinh tế số đạt tối thiểu 30% GRDP của tỉnh; tỷ lệ dịch vụ công trực tuyến"
    " toàn trình đạt trên 80%.",
    "III. NHIỆM VỤ, GIẢI PHÁP CHỦ YẾU",
    "1. Nâng cao nhận thức, đột phá về đổi mới tư duy, quyết tâm chính trị mạnh mẽ, quyết liệt"
    " lãnh đạo, chỉ đạo, tạo xung lực mới phát triển khoa học, công nghệ, đổi mới sáng tạo và"
    " chuyển đổi số.",
    "2. Khẩn trương, quyết liệt hoàn thiện thể chế; xóa bỏ mọi tư tưởng, quan niệm, rào cản"
    " đang cản trở sự phát triển.",
    "3. Tăng cường đầu tư, hoàn thiện hạ tầng cho khoa học, công nghệ, đổi mới sáng tạo và"
    " chuyển đổi số.",
    "4. Phát triển, trọng dụng nhân lực chất lượng cao, nhân tài.",
    "(Nhiệm vụ cụ thể tại Phụ lục kèm theo Kế hoạch này)",
    "IV. KINH PHÍ THỰC HIỆN",
    "Kinh phí thực hiện Kế hoạch từ nguồn ngân sách nhà nước theo phân cấp hiện hành; lồng"
    " ghép trong các chương trình, đề án, dự án và huy động các nguồn hợp pháp khác.",
    "V. TỔ CHỨC THỰC HIỆN",
    "1. Sở Khoa học và Công nghệ",
    "- Là cơ quan thường trực, chủ trì, phối hợp với Sở Thông tin và Truyền thông theo dõi,"
    " đôn đốc các cơ quan, đơn vị triển khai Kế hoạch này.",
    "- Định kỳ hằng quý tổng hợp, báo cáo Ủy ban nhân dân tỉnh, Ban Chỉ đạo của Tỉnh ủy kết"
    " quả thực hiện.",
    "2. Sở Thông tin và Truyền thông: Chủ trì triển khai các nhiệm vụ về chuyển đổi số, hạ"
    " tầng số, an toàn thông tin mạng tại Phụ lục; hướng dẫn các cơ quan, đơn vị, địa phương"
    " sử dụng các nền tảng số dùng chung.",
    "3. Sở Kế hoạch và Đầu tư, Sở Tài chính: Theo chức năng, nhiệm vụ tham mưu Ủy ban nhân dân"
    " tỉnh cân đối, bố trí vốn đầu tư công, kinh phí chi thường xuyên thực hiện Kế hoạch.",
    "4. Sở Nội vụ chủ trì tham mưu cơ chế thu hút, trọng dụng nhân tài trong lĩnh vực khoa"
    " học, công nghệ; hoàn thành trong Quý III/2025.",
    "5. Các sở, ban, ngành, UBND các huyện, thị xã, thành phố:",
    "- Căn cứ nhiệm vụ được giao, xây dựng kế hoạch triển khai của cơ quan, đơn vị, địa"
    " phương; hoàn thành trước ngày 31/3/2025.",
    "- Báo cáo kết quả thực hiện về Sở Khoa học và Công nghệ trước ngày 15/11 hằng năm để"
    " tổng hợp.",
    "6. Đề nghị Ủy ban MTTQ Việt Nam tỉnh, Liên hiệp các Hội Khoa học và Kỹ thuật tỉnh tuyên"
    " truyền, vận động hội viên và Nhân dân tham gia phong trào đổi mới sáng tạo; tham gia"
    " phản biện xã hội các chính sách của tỉnh./.",
]
RECIPIENTS = (
    "Nơi nhận:\n- Bộ Khoa học và Công nghệ;\n- Thường trực Tỉnh ủy;\n- Thường trực HĐND tỉnh;\n"
    "- CT, các PCT UBND tỉnh;\n- Các sở, ban, ngành tỉnh;\n- UBND các huyện, thị xã, thành phố;\n"
    "- Lưu: VT, K14."
)
SIGNATURE = "TM. ỦY BAN NHÂN DÂN\nKT. CHỦ TỊCH\nPHÓ CHỦ TỊCH\n\nLâm Hải Giang"
APPENDIX = [
    "PHỤ LỤC",
    "DANH MỤC NHIỆM VỤ THỰC HIỆN NGHỊ QUYẾT SỐ 57-NQ/TW CỦA BỘ CHÍNH TRỊ",
    "(Kèm theo Kế hoạch số 35/KH-UBND ngày 14/02/2025 của UBND tỉnh Bình Định)",
]
HEADER = [
    "STT",
    "Nội dung nhiệm vụ",
    "Cơ quan chủ trì",
    "Cơ quan phối hợp",
    "Thời gian hoàn thành",
    "Sản phẩm",
]
# a tuple: a group row (number, title) merged across; None: merged with the cell above
ROWS: list[list[str | None] | tuple[str, str]] = [
    ("I", "NÂNG CAO NHẬN THỨC, ĐỔI MỚI TƯ DUY"),
    [
        "1",
        "Tổ chức hội nghị quán triệt Nghị quyết số 57-NQ/TW và Kế hoạch này đến cán bộ chủ chốt"
        " các cấp",
        "Sở KH&CN",
        "Sở Nội vụ; Các sở, ban, ngành; UBND các huyện, thị xã, thành phố",
        "Quý I/2025",
        "Hội nghị quán triệt",
    ],
    [
        "2",
        "Tuyên truyền về vai trò của khoa học, công nghệ, đổi mới sáng tạo và chuyển đổi số\n"
        "(mở chuyên trang, chuyên mục trên báo, đài của tỉnh)",
        "Sở TT&TT",
        "Báo Bình Định\nĐài PT-TH tỉnh",
        "Hằng năm",
        "Tin, bài, chuyên mục",
    ],
    ("II", "HOÀN THIỆN THỂ CHẾ, CƠ CHẾ, CHÍNH SÁCH"),
    [
        "1",
        "Rà soát, đề xuất bãi bỏ, sửa đổi các văn bản quy phạm pháp luật của tỉnh không còn phù"
        " hợp, cản trở phát triển khoa học, công nghệ",
        "Sở Tư pháp",
        "Sở KH&CN; Sở TT&TT",
        "Trước 30/6/2025",
        "Báo cáo rà soát",
    ],
    [
        "2",
        "Xây dựng Nghị quyết của HĐND tỉnh quy định chính sách hỗ trợ doanh nghiệp đổi mới công"
        " nghệ, khởi nghiệp sáng tạo",
        "Sở KH&CN",
        "Sở Tài chính, Sở KH&ĐT, Sở Tư pháp",
        "Tháng 9/2025",
        "Nghị quyết của HĐND tỉnh",
    ],
    [
        "3",
        "Xây dựng chính sách thu hút, trọng dụng chuyên gia, nhà khoa học đến làm việc tại tỉnh",
        "Sở Nội vụ",
        "Sở KH&CN",
        "Năm 2025",
        "Quyết định của UBND tỉnh",
    ],
    ("III", "PHÁT TRIỂN HẠ TẦNG SỐ, DỮ LIỆU SỐ VÀ CHÍNH QUYỀN SỐ"),
    [
        "1",
        "Phủ sóng di động 4G/5G đến 100% thôn, làng; phổ cập cáp quang đến hộ gia đình",
        "Sở TT&TT",
        "Viễn thông Bình Định\nViettel Bình Định\nUBND các huyện, thị xã, thành phố",
        "2025-2026",
        "Hạ tầng được phủ sóng",
    ],
    [
        "2",
        "Xây dựng, vận hành Trung tâm giám sát, điều hành thông minh (IOC) cấp tỉnh",
        None,
        "Công an tỉnh",
        "Quý IV/2025",
        "IOC đi vào vận hành",
    ],
    [
        "3",
        "Số hóa, tái sử dụng dữ liệu số hóa hồ sơ, kết quả giải quyết thủ tục hành chính",
        "Văn phòng UBND tỉnh",
        "Các sở, ban, ngành; UBND các huyện",
        "Trước 31/12/2025",
        "Dữ liệu được số hóa",
    ],
    [
        "4",
        "Làm sạch, đồng bộ dữ liệu dân cư phục vụ Đề án 06",
        "Công an tỉnh",
        "Sở Tư pháp; Sở LĐ-TB&XH; BHXH tỉnh",
        "Thường xuyên",
        "",
    ],
    ("IV", "PHÁT TRIỂN NGUỒN NHÂN LỰC VÀ HỆ SINH THÁI ĐỔI MỚI SÁNG TẠO"),
    [
        "1",
        "Đào tạo, bồi dưỡng kỹ năng số cho cán bộ, công chức, viên chức",
        "Sở Nội vụ",
        "Sở TT&TT",
        "Hằng năm",
        "Lớp bồi dưỡng",
    ],
    [
        "2",
        "Đưa nội dung giáo dục STEM, trí tuệ nhân tạo vào các trường phổ thông",
        "Sở GD&ĐT",
        "Sở KH&CN",
        "Năm học 2025 - 2026",
        "Kế hoạch giáo dục",
    ],
    [
        "3",
        "Hỗ trợ hình thành Trung tâm Đổi mới sáng tạo tỉnh",
        "Sở KH&CN",
        "Sở KH&ĐT; Trường Đại học Quy Nhơn",
        "2025-2030",
        "Trung tâm được thành lập",
    ],
]


def build(path: Path = FIXTURE) -> Path:
    document = official_document(HEAD, PARAGRAPHS, RECIPIENTS, SIGNATURE, APPENDIX)
    width = len(HEADER)
    table = document.add_table(rows=1 + len(ROWS), cols=width)
    table.style = "Table Grid"
    for c, text in enumerate(HEADER):
        set_cell(table.cell(0, c), text)
    for r, row in enumerate(ROWS, start=1):
        if isinstance(row, tuple):
            set_cell(table.cell(r, 0), row[0])
            merged = table.cell(r, 1).merge(table.cell(r, width - 1))
            set_cell(merged, row[1])
            continue
        for c, text in enumerate(row):
            if text is not None:
                set_cell(table.cell(r, c), text)
    for r, row in enumerate(ROWS, start=1):
        if isinstance(row, tuple):
            continue
        for c, text in enumerate(row):
            if text is None:
                table.cell(r - 1, c).merge(table.cell(r, c))
    document.save(str(path))
    return path


if __name__ == "__main__":
    print(build())
