"""Words of Vietnamese administrative writing the importer reads by.

These belong to the language of plans (kế hoạch, chương trình, đề án), not to any one
plan: the role words, the labels of assignment and deadline lines, the heads that begin
an agency's name, the kinds of legal documents and the words of deadlines.
"""

from __future__ import annotations

import re

# Role words, longest first; a compound's "thực hiện" is not a role of its own.
ROLE_WORDS: tuple[tuple[str, str], ...] = (
    ("phối hợp thực hiện", "phoi_hop"),
    ("tham mưu thực hiện", "tham_muu"),
    ("chủ trì thực hiện", "chu_tri"),
    ("chủ trì", "chu_tri"),
    ("phối hợp", "phoi_hop"),
    ("thực hiện", "thuc_hien"),
    ("tham mưu", "tham_muu"),
    ("tổng hợp", "tong_hop"),
    ("chỉ đạo", "chi_dao"),
)
ROLE_WORD = re.compile(r"(?<!\w)(" + "|".join(w for w, _ in ROLE_WORDS) + r")(?!\w)", re.I)
ROLE_OF = dict(ROLE_WORDS)
# a role word after these is a noun ("theo chỉ đạo của …", "kết quả thực hiện")
NOUN_BEFORE = (
    "theo",
    "sự",
    "công tác",
    "kết quả",
    "tình hình",
    "quá trình",
    "trong",
    "kinh phí",
    "việc",
    "nguồn lực",
    "thời gian",
    "thời hạn",
    "Ban",
)
# «thực hiện» right after these is the object of another verb or a noun («đôn đốc thực hiện
# Kế hoạch», «vốn thực hiện Chương trình», «để thực hiện»), not a role
THUC_HIEN_OBJECT_OF = (
    "đôn đốc",
    "giám sát",
    "kiểm tra",
    "hướng dẫn",
    "theo dõi",
    "đánh giá",
    "để",
    "nhằm",
    "vốn",
    "ngân sách",
)
# role words whose following agencies are their object, not their subject
OBJECT_ROLES = {"phoi_hop", "tham_muu", "chi_dao"}
# the object of "chỉ đạo" carries the work out
OBJECT_GETS = {"phoi_hop": "phoi_hop", "chi_dao": "thuc_hien"}

# The label of an assignment line ("Cơ quan chủ trì:", "Đơn vị thực hiện:", "Tổ chức thực
# hiện:") and of a deadline line ("Thời gian thực hiện:", "Thời hạn hoàn thành:").
ASSIGNMENT_LABEL = re.compile(
    r"^(?:[-–•+*]\s*)?((?:Cơ quan|Đơn vị|Tổ chức thực hiện|Chủ trì|Phối hợp|Trách nhiệm|Thực hiện"
    r"|Bộ phận)[^:]{0,50}):\s*(.*)$",
    re.I,
)
# a second label on the same line («Đơn vị chủ trì: Sở A; Đơn vị phối hợp: Sở B»)
LABEL_INSIDE = re.compile(
    r"[;.]\s+(?=(?:Cơ quan|Đơn vị|Chủ trì|Phối hợp|Thời gian|Thời hạn|Tiến độ)[^:;]{0,50}:)", re.I
)
DEADLINE_LABEL = re.compile(
    r"^(?:[-–•+*]\s*)?((?:Thời gian|Thời hạn|Tiến độ)[^:]{0,40}):\s*(.*)$", re.I
)

# Words an agency's name begins with (capitalised as the text writes them), longest first.
AGENCY_HEADS: tuple[str, ...] = (
    "Ủy ban nhân dân",
    "Uỷ ban nhân dân",
    "Ủy ban Mặt trận Tổ quốc",
    "Bảo hiểm xã hội",
    "Bộ Chỉ huy",
    "Bộ đội Biên phòng",
    "Ban Quản lý",
    "Tổng công ty",
    "Chi nhánh",
    "Cảng vụ",
    "Bưu điện",
    "Viễn thông",
    "Văn phòng",
    "Trung tâm",
    "Liên đoàn",
    "Liên minh",
    "Liên hiệp",
    "Hiệp hội",
    "Hội đồng",
    "Tỉnh đoàn",
    "Cổng Thông tin điện tử",
    "Thanh tra",
    "Kho bạc",
    "Ngân hàng",
    "Bệnh viện",
    "Công an",
    "Công ty",
    "Chi cục",
    "Mặt trận",
    "Trường",
    "Phòng",
    "UBND",
    "Ban",
    "Sở",
    "Hội",
    "Cục",
    "Đài",
    "Báo",
    "Viện",
    "Bộ",
    "Đoàn",
)
# heads of a unit inside an agency («Công an tỉnh (Phòng PC06)»): in brackets right after
# the agency, the unit is the agency's, not a body of its own
UNIT_HEADS = ("Phòng", "Chi cục", "Trung tâm")
# Names of the genre with «và» or a comma inside, read as one name (with the place after)
COMPOUND_NAMES = (
    "Văn phòng Đoàn đại biểu Quốc hội và Hội đồng nhân dân",
    "Văn phòng Đoàn ĐBQH và HĐND",
    "Báo và Phát thanh, Truyền hình",
    "Đài Phát thanh và Truyền hình",
)
# Words that end an agency's name in running text (the verb or clause after it).
# A body named by its head: «Thủ trưởng các sở, ban, ngành», «Giám đốc các sở», «Chủ tịch
# Ủy ban nhân dân các huyện» (the words before the agency in a heading).
HEAD_TITLE = re.compile(r"(?:Thủ trưởng|Giám đốc|Chủ tịch|Người đứng đầu|Chánh Văn phòng)\s+", re.I)
NAME_STOPS = (
    "chủ trì",
    "phối hợp",
    "thực hiện",
    "tham mưu",
    "chỉ đạo",
    "tổng hợp",
    "triển khai",
    "tổ chức",
    "xây dựng",
    "hướng dẫn",
    "báo cáo",
    "theo dõi",
    "kiểm tra",
    "rà soát",
    "nghiên cứu",
    "đề xuất",
    "bố trí",
    "cung cấp",
    "tuyên truyền",
    "đẩy mạnh",
    "tăng cường",
    "chủ động",
    "tiếp tục",
    "nâng cao",
    "vận động",
    "kiện toàn",
    "giám sát",
    "đôn đốc",
    "hỗ trợ",
    "ban hành",
    "phân bổ",
    "lồng ghép",
    "tham gia",
    "phổ biến",
    "hoàn thành",
    "căn cứ",
    "định kỳ",
    "trước",
    "là",
    "có",
    "để",
    "khi",
    "trong",
    "theo",
    "của",
    "với",
    "cho",
    "tại",
    "trên",
    "về",
    "và các",
    "và Ủy ban",
    "và UBND",
    "và Sở",
    "và Ban",
    "và Công an",
    "và Văn phòng",
    "và Trung tâm",
    "và Hội",
)
# what a new agency's kind is, by the head of its name
KIND_BY_HEAD: tuple[tuple[str, str], ...] = (
    ("Ủy ban nhân dân các", "group"),
    ("Ủy ban nhân dân cấp", "group"),
    ("UBND các", "group"),
    ("UBND cấp", "group"),
    ("Ủy ban nhân dân huyện", "district"),
    ("Ủy ban nhân dân thị xã", "district"),
    ("Ủy ban nhân dân thành phố", "district"),
    ("UBND huyện", "district"),
    ("UBND thị xã", "district"),
    ("UBND thành phố", "district"),
    ("Ủy ban nhân dân xã", "commune"),
    ("Ủy ban nhân dân phường", "commune"),
    ("Công an", "police"),
    ("Văn phòng", "office"),
    ("Phòng", "office"),
    ("Báo ", "press"),
    ("Đài Phát thanh", "press"),
    ("Đài Truyền hình", "press"),
    ("Hội", "mass_org"),
    ("Liên đoàn", "mass_org"),
    ("Liên minh", "mass_org"),
    ("Liên hiệp", "mass_org"),
    ("Tỉnh đoàn", "mass_org"),
    ("Đoàn", "mass_org"),
    ("Mặt trận", "mass_org"),
    ("Ủy ban Mặt trận", "mass_org"),
    ("Bộ ", "central"),
    ("các", "group"),
    ("Các", "group"),
)
# a mention after these is context (whose proposal, whose direction), not assigned
# («đề nghị X …» at a sentence's head assigns X; «theo đề nghị của X» is read by «của»)
# («tại địa phương» is a place)
CONTEXT_BEFORE = ("của", "theo", "cho", "đối với", "với sự", "tại", "giúp", "trước")
# generic words between a context word and the agency («của các cơ quan, đơn vị, địa
# phương», «trước Chủ tịch Ủy ban nhân dân tỉnh»)
CONTEXT_FILLER = re.compile(
    r"(?:\s*(?:các\s+)?(?:cơ quan|đơn vị)\s*,?)+$|\s+(?:chủ tịch|giám đốc|thủ trưởng)$"
)
# a mention after these receives the report (reports_to), it is not assigned
REPORT_BEFORE = ("báo cáo", "trình", "gửi về", "gửi", "về")
# a clause beginning so names agencies as a condition ("khi có đề nghị của …")
CONDITION = re.compile(r"(?<!\w)(?:khi|trong trường hợp|nếu)(?!\w)", re.I)
# "giao Sở … thực hiện": the sentence assigns
ASSIGN_VERB = re.compile(r"(?<!\w)(?:giao|đề nghị|yêu cầu)\s+", re.I)

# Abbreviations of administrative names and what they stand for: a registry name written
# one way is found written the other («Ủy ban MTTQ Việt Nam tỉnh» ~ «Ủy ban Mặt trận Tổ
# quốc Việt Nam tỉnh», «Đài PT-TH» ~ «Đài Phát thanh - Truyền hình»).
ABBREVIATIONS: tuple[tuple[str, str], ...] = (
    ("UBND", "Ủy ban nhân dân"),
    ("HĐND", "Hội đồng nhân dân"),
    ("MTTQ", "Mặt trận Tổ quốc"),
    ("VN", "Việt Nam"),
    ("PT-TH", "Phát thanh - Truyền hình"),
    ("PTTH", "Phát thanh và Truyền hình"),
    ("BCH", "Ban Chấp hành"),
    ("BCH", "Bộ Chỉ huy"),
    ("BCHQS", "Bộ Chỉ huy Quân sự"),
    ("BĐBP", "Bộ đội Biên phòng"),
    ("BHXH", "Bảo hiểm xã hội"),
    ("LĐLĐ", "Liên đoàn Lao động"),
    ("NHCSXH", "Ngân hàng Chính sách xã hội"),
    ("BQL", "Ban Quản lý"),
    ("KCN", "khu công nghiệp"),
    ("VP", "Văn phòng"),
    ("TP", "thành phố"),
    ("TX", "thị xã"),
)
# Abbreviations a new agency's name is written out with, so that one body has one id
# however it is spelt («UBND cấp xã» and «Ủy ban nhân dân cấp xã»); «BCH» (Ban Chấp
# hành or Bộ Chỉ huy) is left as written.
EXPAND_IN_NAMES = ("UBND", "HĐND", "MTTQ", "BHXH", "BCHQS", "BĐBP", "LĐLĐ", "NHCSXH", "BQL")
# «nhiệm vụ tại điểm 3.4 mục III»: an execution paragraph naming the task it charges
# («các nhiệm vụ tại khoản 2, khoản 3 mục II», «… tại điểm 1 và điểm 2 phần III»: several)
TASK_REFERENCE = re.compile(
    r"(?:nhiệm vụ|nội dung)\s+(?:tại|ở|nêu tại)\s+(?:điểm|mục|tiểu mục|khoản)\s+"
    r"(\d{1,2}(?:\.\d{1,2})?(?:\s*(?:,|và)\s*(?:(?:điểm|mục|tiểu mục|khoản)\s+)?\d{1,2}(?:\.\d{1,2})?)*)"
    r"\s*,?\s+(?:mục|phần)\s+([IVX]{1,4})(?![\w.])",
    re.I,
)
TASK_NUMBER = re.compile(r"\d{1,2}(?:\.\d{1,2})?")
# verbs whose following agencies are those watched or guided, not doers («hướng dẫn các
# cơ quan, đơn vị, địa phương sử dụng …»)
SUPERVISE_VERBS = re.compile(r"(?<!\w)(?:hướng dẫn|đôn đốc|theo dõi|kiểm tra|giám sát)(?!\w)", re.I)
# verbs of watching over the plan: their subject does that work («Giao Văn phòng … theo dõi,
# đôn đốc …» → thực hiện)
MONITOR_VERBS = re.compile(r"(?<!\w)(?:theo dõi|đôn đốc)(?!\w)", re.I)
# «thực hiện Chương trình», «thực hiện Kế hoạch»: after another role word of its clause the
# plan document is the object of a noun («vốn … thực hiện Chương trình»), not a role
DOCUMENT_AFTER = re.compile(
    r"\s+(?:Chương trình|Kế hoạch|Đề án|Nghị quyết|Dự án|Chỉ thị|Quyết định)(?!\w)"
)
# «Các sở: Nông nghiệp và Phát triển nông thôn, Y tế, …»: departments listed without «Sở»
DEPARTMENT_LIST = re.compile(r"^(?:Các|các)\s+[Ss]ở(?:,\s*ngành)?\s*:\s*")
# Kinds of local units: «Ủy ban nhân dân các xã, phường, thị trấn» is one name over commas.
LOCALITY_WORDS = ("xã", "phường", "thị trấn", "huyện", "thị xã", "thành phố", "quận")
# Labels of a line that neither assigns nor dates: the product, the note, the funding.
OTHER_LABEL = re.compile(
    r"^(?:[-–•+*]\s*)?((?:Sản phẩm|Kết quả|Ghi chú|Kinh phí|Nguồn kinh phí|Nguồn vốn)[^:]{0,40}):\s*(.*)$",
    re.I,
)

# Kinds of legal documents and their key prefix in legal_refs, longest first.
LEGAL_KINDS: tuple[tuple[str, str], ...] = (
    ("Chương trình hành động", "ctr"),
    ("Chương trình", "ctr"),
    ("Nghị quyết", "nq"),
    ("Nghị định", "nd"),
    ("Quyết định", "qd"),
    ("Chỉ thị", "ct"),
    ("Thông tư", "tt"),
    ("Hướng dẫn", "hd"),
    ("Kế hoạch", "kh"),
    ("Kết luận", "kl"),
    ("Công văn", "cv"),
    ("Thông báo", "tb"),
    ("Luật", "luat"),
    ("Đề án", "da"),
)
# Kinds of the plan document itself, as its title line writes them.
DOC_TYPES = ("CHƯƠNG TRÌNH HÀNH ĐỘNG", "KẾ HOẠCH", "CHƯƠNG TRÌNH", "ĐỀ ÁN")
SIGNER_CAPACITY = re.compile(r"^(KT|TM|TL|TUQ|Q)\.\s*(.+)$")
# titles of signers as they are written in running text
SIGNER_TITLES = {
    "CHỦ TỊCH": "Chủ tịch",
    "PHÓ CHỦ TỊCH": "Phó Chủ tịch",
    "GIÁM ĐỐC": "Giám đốc",
    "PHÓ GIÁM ĐỐC": "Phó Giám đốc",
    "TRƯỞNG BAN": "Trưởng ban",
    "PHÓ TRƯỞNG BAN": "Phó Trưởng ban",
    "CHÁNH VĂN PHÒNG": "Chánh Văn phòng",
}

# Headings of the plan's sections, by what they hold.
PURPOSE_SECTION = ("MỤC ĐÍCH", "MỤC TIÊU")
TASK_SECTION = ("NHIỆM VỤ", "GIẢI PHÁP", "NỘI DUNG")
EXECUTION_SECTION = ("TỔ CHỨC THỰC HIỆN",)
APPENDIX = re.compile(r"^(PHỤ LỤC|Phụ lục)\b")
RECIPIENTS = re.compile(r"^Nơi nhận\s*:?\s*(.*)$")

# Table header words and the column each names.
TABLE_COLUMNS: tuple[tuple[str, str], ...] = (
    ("stt", "number"),
    ("tt", "number"),
    ("chủ trì", "lead"),
    ("phối hợp", "coordinate"),
    ("thời gian", "deadline"),
    ("thời điểm", "deadline"),
    ("thời hạn", "deadline"),
    ("tiến độ", "deadline"),
    ("sản phẩm", "product"),
    ("kết quả", "product"),
    ("ghi chú", "note"),
    ("nội dung", "text"),
    ("nhiệm vụ", "text"),
    ("công việc", "text"),
    ("hoạt động", "text"),
    ("thực hiện", "lead"),
    ("đầu mối", "lead"),
)

# Deadline words.
RECURRING = (
    "hằng tháng",
    "hàng tháng",
    "thường xuyên",
    "liên tục",
    "hằng năm",
    "hàng năm",
    "định kỳ",
    "hằng quý",
    "hàng quý",
)
EVENT_START = ("khi ", "sau khi ", "ngay sau ", "theo ", "kịp thời", "ngay khi ")
ROMAN = {"I": 1, "II": 2, "III": 3, "IV": 4, "V": 5, "VI": 6, "VII": 7, "VIII": 8, "IX": 9, "X": 10}
