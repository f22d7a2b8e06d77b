"""The slots: every kind of thing the understanding finds in a message.

An intent reads some of them (`intents/registry.yaml`) and weighs any of them when
scoring (`slots` of `intents/vi/<intent>.yaml`, also as `no_<slot>`: the weight when
absent). `Understander._features` scores each message on these names; the intent
files are checked against them when loaded.
"""

from __future__ import annotations

SLOTS: dict[str, str] = {
    "item": "số nhiệm vụ: 2.4, III.1, mục 2",
    "agency": "cơ quan có trong danh mục: Sở Nội vụ, SNV",
    "agency_like": "tên giống tên cơ quan mà danh mục không có: Sở Ngoại vụ",
    "role": "vai trò: chủ trì, phối hợp, tham mưu, chỉ đạo",
    "quarter": "quý: quý II/2023",
    "date": "ngày: 30/11",
    "month": "tháng: tháng 6/2023",
    "year": "năm: năm 2024",
    "relative": "thời gian tương đối: sắp đến hạn, quá hạn, tháng này",
    "window_days": "số ngày tới: 10 ngày tới",
    "recurring": "thường xuyên",
    "undated": "không có thời hạn",
    "event_deadline": "thời hạn theo sự kiện",
    "yearly": "hằng năm",
    "deadline": "một thời hạn bất kỳ trong các loại trên",
    "status": "trạng thái: xong, đang làm, vướng, chưa triển khai",
    "percent": "tỷ lệ hoàn thành: 60%",
    "note": "ghi chú của một báo cáo tiến độ",
    "legal": "văn bản dẫn chiếu: Nghị định 58/2022",
    "basis": "văn bản là căn cứ ban hành kế hoạch",
    "question": "câu hỏi: dấu ?, «chưa», «không»",
    "chatter": "cả câu chỉ là lời xã giao: cảm ơn, xin chào, ok, tạm biệt",
    "topic": "chủ đề có trong kế hoạch, hoặc phần thông tin văn bản được hỏi",
}
