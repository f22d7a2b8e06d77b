"""Command line: `python -m bot {ask,chat,check-plan,import-plan,run,report,reminders,backup}`.

Every door is thin: it loads settings and knowledge, then hands the message to
the brain (`bot.brain`) or the service it needs.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bot", description="Trợ lý Kế hoạch")
    sub = parser.add_subparsers(dest="command", required=True)

    ask = sub.add_parser("ask", help="trả lời một câu hỏi (hoặc từng dòng stdin), không lưu gì")
    ask.add_argument("--json", action="store_true", help="in mỗi câu trả lời thành một dòng JSON")
    ask.add_argument("--today", help="ngày hôm nay YYYY-MM-DD (mặc định: hôm nay, giờ Việt Nam)")
    ask.add_argument(
        "--conversation",
        action="store_true",
        help="stdin là các cuộc trò chuyện: mỗi dòng là tin tiếp theo, dòng trống bắt đầu cuộc mới",
    )
    ask.add_argument("message", nargs="*", help="câu hỏi; bỏ trống để đọc từng dòng từ stdin")

    sub.add_parser("chat", help="trò chuyện với trợ lý trên terminal")

    check = sub.add_parser("check-plan", help="kiểm tra tệp kế hoạch")
    check.add_argument("path", nargs="?", help="đường dẫn plan.yaml (mặc định PLAN_PATH)")

    imp = sub.add_parser(
        "import-plan", help="nhập một văn bản kế hoạch (.txt, .docx, .pdf) thành bản nháp plan.yaml"
    )
    imp.add_argument("file", help="tệp văn bản kế hoạch")
    imp.add_argument("--out", help="thư mục ghi bản nháp (mặc định: nhap-<tên tệp>)")
    imp.add_argument("--agencies", help="danh mục cơ quan (mặc định: agencies.yaml cạnh PLAN_PATH)")

    sub.add_parser("run", help="chạy bot Telegram (cần TELEGRAM_BOT_TOKEN)")

    report = sub.add_parser("report", help="xuất báo cáo tiến độ ra Excel")
    report.add_argument("--out", required=True, help="tệp .xlsx đầu ra")
    report.add_argument("--today", help="ngày tính trạng thái YYYY-MM-DD")

    rem = sub.add_parser("reminders", help="xem trước các tin nhắc việc sẽ gửi")
    rem.add_argument("--today", help="ngày bắt đầu YYYY-MM-DD")
    rem.add_argument("--days", type=int, default=7, help="số ngày xem trước")
    rem.add_argument(
        "--agency",
        help="xem trước cho một nhóm giả định nhận nhắc việc của cơ quan này (chưa cần bật"
        ' /nhacviec), ví dụ --agency "Sở Nội vụ" hoặc --agency "tất cả"',
    )

    backup = sub.add_parser(
        "backup", help="sao lưu cơ sở dữ liệu ra một tệp (an toàn cả khi bot đang chạy)"
    )
    backup.add_argument("file", help="tệp sao lưu cần tạo, ví dụ saoluu-2026-11-20.db")
    backup.add_argument("--force", action="store_true", help="ghi đè nếu tệp đã có")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    from bot.app import cli

    handler = {
        "ask": cli.cmd_ask,
        "chat": cli.cmd_chat,
        "check-plan": cli.cmd_check_plan,
        "import-plan": cli.cmd_import_plan,
        "run": cli.cmd_run,
        "report": cli.cmd_report,
        "reminders": cli.cmd_reminders,
        "backup": cli.cmd_backup,
    }[args.command]
    try:
        return handler(args)
    except BrokenPipeError:
        # `ask --json < questions.txt | head`: the reader left; stop quietly (Python's
        # advice: point stdout at devnull so the interpreter's final flush cannot fail)
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0


if __name__ == "__main__":
    sys.exit(main())
