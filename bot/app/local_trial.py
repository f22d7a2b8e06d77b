"""The terminal chat as a complete local trial: the services of the bot on the local
database, with the person at the terminal as a bot admin.

`LocalTrial.open` builds, over the database DATABASE_URL names (migrated as `run`
does), what the Telegram door runs on: the progress view, the agency registry, the
progress (access) service with the local user (`LOCAL_USER_ID`) among the bot admins,
and the brain that checks updates through that service. `LocalTrial.turn` answers one
typed line:

- a progress update is the one confirmation card; «lưu» stores it through
  `ProgressService.record_update` (the path of Telegram's «Lưu» button: nothing is stored
  before, «Đã lưu» only after the commit), «sửa …» reads the corrected line, «hủy» drops
  it, «hoàn tác» undoes the last one saved (10 minutes, as the Undo button);
- the commands: the questions (/nhiemvu, /coquan, /han, /timkiem, /tiendo, /capnhat) go
  to the brain; /chuabaocao, /baocao (the workbook written to a file, its path said),
  /dangky, /toi, /thanhvien, /duyet, /thuhoi use the services as the Telegram handlers
  do; /lienket and the group reminders (/nhacviec, /tatnhacviec, /lichnhac) say they work
  in a Telegram group only; /help lists them all;
- a reply's buttons become numbered choices (`Shown.choices`), typed by number.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.answers.progress_update import UPDATE, UpdateSlots
from bot.conversation import InMemoryConversationStore, chat_key
from bot.core.clock import Clock
from bot.core.config import Settings
from bot.core.reply import Reply, html_to_plain
from bot.core.text import fold
from bot.plan.library import Library, load_library, plan_key, split_qualified
from bot.plan.loader import Knowledge
from bot.progress.access_base import AccessResult
from bot.progress.drafts import CARD_HINT, UpdateResult, example_line
from bot.progress.members import MemberChoice
from bot.progress.report_xlsx import build_plans_report, report_filename
from bot.progress.service import ProgressService
from bot.progress.view import ProgressView
from bot.storage import Database, open_database
from bot.telegram.commands import QUERY_COMMANDS

LOCAL_USER_ID = 1  # the person at the terminal: a bot admin of the local trial
LOCAL_NAME = "Người dùng terminal"
CHAT = chat_key("terminal")  # the one conversation of a terminal session
MAX_CANDIDATES = 6

TERMINAL_CARD_HINT = "Gõ «lưu» để ghi nhận, «sửa <dòng báo cáo đã sửa>» để sửa, hoặc «hủy» để bỏ."
SAVE_WORDS, EDIT_WORDS, CANCEL_WORDS = {"luu"}, {"sua"}, {"huy", "huy bo"}
UNDO_WORDS = {"hoan tac"}
NOTHING_PENDING = "Chưa có báo cáo nào chờ xác nhận. Gửi báo cáo, ví dụ: {example}."
NOTHING_TO_UNDO = "Chưa có báo cáo nào vừa lưu để hoàn tác."
UNDO_HINT = "(Gõ «hoàn tác» để hoàn tác.)"

GROUP_ONLY = {
    "lienket": "liên kết một nhóm Telegram với cơ quan (quản trị viên nhóm gõ trong nhóm)",
    "nhacviec": "bật nhắc việc cho một nhóm Telegram (quản trị viên nhóm gõ trong nhóm)",
    "tatnhacviec": "tắt nhắc việc của một nhóm Telegram (quản trị viên nhóm gõ trong nhóm)",
    "lichnhac": "xem lịch nhắc việc của một nhóm Telegram (gõ trong nhóm)",
}
TELEGRAM_ONLY = (
    "Lệnh /{command} chỉ dùng được trên Telegram, trong nhóm của cơ quan: {what}."
    " Trên terminal không có nhóm; chạy bot với TELEGRAM_BOT_TOKEN để dùng lệnh này."
)
UNKNOWN_COMMAND = "Không có lệnh /{command}. Gõ /help để xem các lệnh."
KICHHOAT_HERE = (
    "Trên Telegram, quản trị viên gửi văn bản kế hoạch cho bot rồi /kichhoat <số bản nháp>."
    " Trên terminal: python -m bot import-plan <tệp> --out knowledge/plans/<tên> rồi đặt"
    " PLAN_PATH là thư mục knowledge (kế hoạch chính và các kế hoạch trong plans/)."
)
ALL_PLAN_WORDS = {"tat ca", "all", "moi ke hoach", "bo"}

HELP = """Trợ lý {plan} trên terminal — anh/chị là quản trị viên bot trên cơ sở dữ liệu cục bộ ({database}).
Hỏi bằng câu thường, ví dụ: Sở Nội vụ phải làm gì? · nhiệm vụ 2.4 · việc nào sắp đến hạn?

Tra cứu: /nhiemvu 2.4 · /coquan Sở Nội vụ · /han quý II/2023 · /timkiem hội hữu nghị
Tiến độ: /tiendo [số mục] · /chuabaocao · /baocao (ghi tệp Excel)
Báo cáo: /capnhat 2.4 đang thực hiện 60% đã trình dự thảo (hoặc gõ thẳng dòng báo cáo),
  rồi gõ «lưu», «sửa <dòng đã sửa>» hoặc «hủy»; «hoàn tác» trong 10 phút sau khi lưu.
Thành viên: /dangky <tên cơ quan> · /toi · /thanhvien · /duyet · /thuhoi
Kế hoạch: /kehoach [số | tất cả] (các kế hoạch đang theo dõi, kế hoạch mặc định)
Chỉ trên Telegram (trong nhóm): /lienket · /nhacviec · /tatnhacviec · /lichnhac
Gõ số để chọn khi có danh sách lựa chọn; gõ "thoát" để kết thúc."""


@dataclass
class Shown:
    """What one turn prints: plain text, «thêm» hinted when a list was cut, and the
    numbered choices the next line may pick (their label and what picking does)."""

    text: str
    more: bool = False
    choices: list[tuple[str, Callable[[], Shown]]] = field(default_factory=list)


class LocalTrial:
    """The bot's services on the local database, the terminal's user a bot admin."""

    def __init__(
        self,
        settings: Settings,
        knowledge: Knowledge | Library,
        clock: Clock,
        database: Database,
        *,
        reports: Path | None = None,
    ):
        from bot.app.plans import serve_plans
        from bot.shelf.documents import plan_shelf, with_activated

        self.settings = settings
        self.clock = clock
        self.db = database
        self.reports = reports or Path.cwd()
        library = Library((knowledge,)) if isinstance(knowledge, Knowledge) else knowledge
        library, self.registry, self.plans, self.brain = serve_plans(
            with_activated(library, plan_shelf(settings, database)),
            database,
            clock,
            settings.admin_ids | {LOCAL_USER_ID},
            InMemoryConversationStore(clock),
        )
        self.knowledge = library.main
        self.current = next(iter(self.plans.values()))  # the plan of the last answer
        self.default_plan: str | None = None  # /kehoach <số>: this session's default
        self.runner = asyncio.Runner()
        self.pending: UpdateSlots | None = None  # the card shown, waiting for «lưu»
        self.last_saved: int | None = None  # the update «hoàn tác» undoes

    @property
    def service(self) -> ProgressService:
        """The progress service of the plan the conversation is on."""
        return self.current.service

    @property
    def view(self) -> ProgressView:
        return self.current.view

    def _on_plan(self, plan: str | None) -> None:
        """Follow the plan of an answer (several plans served): its card, its history."""
        if plan is not None:
            self.current = self.plans.get(plan_key(plan), self.current)

    @classmethod
    def open(cls, settings: Settings, clock: Clock, *, reports: Path | None = None) -> LocalTrial:
        """Load the plan and open the database DATABASE_URL names (ConfigError,
        PlanError, MigrationError or sqlite3.Error when they cannot be used)."""
        knowledge = load_library(settings.plan_path)
        database = open_database(settings, clock)
        try:
            return cls(settings, knowledge, clock, database, reports=reports)
        except BaseException:
            database.close()
            raise

    def close(self) -> None:
        """Stop the event loop and close the database (commits what is queued)."""
        try:
            self.runner.close()
        finally:
            self.db.close()

    def _run(self, coroutine: Coroutine[Any, Any, Any]) -> Any:
        return self.runner.run(coroutine)

    # -- one line ----------------------------------------------------------------

    def turn(self, text: str) -> Shown:
        """Answer one typed line (a command, a word about the card, or a question)."""
        if text.startswith("/"):
            return self.command(text)
        words = fold(text).strip(" .!")
        head, _, rest = text.strip().partition(" ")
        if words in SAVE_WORDS:
            return self.save()
        if words in CANCEL_WORDS:
            return self.cancel()
        if words in UNDO_WORDS:
            return self.undo()
        if fold(head) in EDIT_WORDS and (self.pending is not None or not rest):
            return self.edit(rest.strip())
        return self.ask(text)

    def ask(self, text: str, *, fresh: bool = False) -> Shown:
        """The brain's reply, as the Telegram door would send it to the local user."""
        asker = self.service.asker(LOCAL_USER_ID, LOCAL_NAME, LOCAL_USER_ID)
        reply = self.brain.answer(
            text,
            today=self.clock.today(),
            asker=asker,
            chat=CHAT,
            fresh=fresh,
            plan=self.default_plan,
        )
        if reply.plan is not None and self.pending is None:
            self._on_plan(reply.plan)
        return self.shown(reply)

    def shown(self, reply: Reply) -> Shown:
        """A reply as printed: a card keeps its update for «lưu»; buttons become choices."""
        slots = reply.extra.get(UPDATE)
        actions = {button.action for row in reply.buttons for button in row}
        text = reply.plain.strip()
        if isinstance(slots, UpdateSlots):
            self.pending = slots if "update" in actions else None
            text = text.replace(html_to_plain(CARD_HINT), TERMINAL_CARD_HINT)
        shown = Shown(text, more=reply.more is not None)
        for row in reply.buttons:
            for button in row:
                choice = self._choice(button.action, button.args, slots)
                if choice is not None:
                    shown.choices.append((button.text, choice))
        return shown

    def _choice(
        self, action: str | None, args: tuple[str, ...], slots: object
    ) -> Callable[[], Shown] | None:
        if action == "ask":
            return lambda: self.ask(args[0], fresh=True)
        if action == "open_item":
            return lambda: self.ask(f"nhiệm vụ {args[0]}", fresh=True)
        if action == "history":
            plan, item = split_qualified(args[0])
            self._on_plan(plan)
            return lambda: Shown(html_to_plain(self.view.history_html(item, notes=True)))
        if action == "update_item" and isinstance(slots, UpdateSlots):
            return lambda: self._with_item(slots, args[0])
        if action == "pick":
            verb, ref = args
            if fold(verb).startswith("cap nhat") and isinstance(slots, UpdateSlots):
                return lambda: self._with_item(slots, ref)
            question = f"tiến độ {ref}" if fold(verb).startswith("xem tien") else f"nhiệm vụ {ref}"
            return lambda: self.ask(question, fresh=True)
        return None

    # -- the confirmation card --------------------------------------------------------

    def _with_item(self, slots: UpdateSlots, ref: str) -> Shown:
        """An update that had no item, with the item chosen: checked, the card shown."""
        chosen = UpdateSlots(ref, slots.status, slots.percent, slots.note, slots.agency_id)
        result = self.service.checker.check_update(
            user_id=LOCAL_USER_ID,
            item_ref=ref,
            status=chosen.status,
            percent=chosen.percent,
            note=chosen.note,
            agency_id=chosen.agency_id,
            chat_id=LOCAL_USER_ID,
        )
        html, buttons = self.service.checker.view(result)
        return self.shown(Reply("progress_update", html, buttons=buttons, extra={UPDATE: chosen}))

    def save(self) -> Shown:
        """«lưu»: store the card's update (committed before «Đã lưu» is printed)."""
        slots = self.pending
        if slots is None:
            return Shown(NOTHING_PENDING.format(example=html_to_plain(example_line("2.4"))))
        result: UpdateResult = self._run(
            self.service.record_update(
                user_id=LOCAL_USER_ID,
                item_ref=slots.item_ref or "",
                status=slots.status,
                percent=slots.percent,
                note=slots.note,
                agency_id=slots.agency_id,
                chat_id=LOCAL_USER_ID,
                display_name=LOCAL_NAME,
            )
        )
        self.pending = None  # only now: had the database failed, «lưu» could be typed again
        if result.created and result.record is not None:
            self.last_saved = result.record.id
            return Shown(f"{html_to_plain(result.message)}\n{UNDO_HINT}")
        return Shown(html_to_plain(self.service.checker.view(result)[0]))

    def edit(self, line: str) -> Shown:
        """«sửa <dòng>»: the card is dropped and the corrected line read instead."""
        self.pending = None
        if line:
            return self.ask(line)
        hint = html_to_plain(example_line("2.4"))
        return Shown(f"✏️ Chưa lưu. Hãy gõ lại dòng báo cáo đã sửa, ví dụ: {hint}.")

    def cancel(self) -> Shown:
        if self.pending is None:
            return Shown(NOTHING_PENDING.format(example=html_to_plain(example_line("2.4"))))
        self.pending = None
        return Shown("❌ Đã hủy; báo cáo này không được lưu.")

    def undo(self) -> Shown:
        if self.last_saved is None:
            return Shown(NOTHING_TO_UNDO)
        result: UpdateResult = self._run(self.service.undo_update(LOCAL_USER_ID, self.last_saved))
        return Shown(html_to_plain(result.message))

    # -- commands ----------------------------------------------------------------------

    def command(self, text: str) -> Shown:
        """A slash command: what the Telegram door does for the local user, or why not here."""
        word, _, rest = text.strip().partition(" ")
        name = word[1:].partition("@")[0].lower()
        argument = rest.strip()
        handler = self._commands().get(name)
        if handler is not None:
            return handler(argument)
        query = next((c for c in QUERY_COMMANDS if c.name == name), None)
        if query is not None:
            question = query.question(argument)
            if question is None:
                return Shown(html_to_plain(query.usage or ""))
            return self.ask(question, fresh=True)
        if name in GROUP_ONLY:
            return Shown(TELEGRAM_ONLY.format(command=name, what=GROUP_ONLY[name]))
        return Shown(UNKNOWN_COMMAND.format(command=name))

    def _commands(self) -> dict[str, Callable[[str], Shown]]:
        return {
            "start": self.help,
            "help": self.help,
            "capnhat": lambda argument: self.ask(f"/capnhat {argument}".strip()),
            "chuabaocao": lambda argument: self._html(
                self.view.not_reported_html(self.clock.today())
            ),
            "baocao": self.report,
            "dangky": self.register,
            "toi": lambda argument: self._html(self.service.whoami_html(LOCAL_USER_ID)),
            "thanhvien": lambda argument: self._listed(*self.service.members_view()),
            "duyet": lambda argument: self.decide_by_command(argument, revoke=False),
            "thuhoi": lambda argument: self.decide_by_command(argument, revoke=True),
            "kehoach": self.choose_plan,
            "kichhoat": lambda argument: Shown(KICHHOAT_HERE),
        }

    def choose_plan(self, argument: str) -> Shown:
        """/kehoach [số | tất cả]: the plans served, and this session's default plan."""
        library = self.brain.library
        if argument:
            if fold(argument) in ALL_PLAN_WORDS:
                self.default_plan = None
                return Shown(
                    "Đã bỏ kế hoạch mặc định: câu hỏi không nêu kế hoạch được trả lời theo mọi kế hoạch."
                )
            chosen = library.get(argument.split()[-1])
            if chosen is None:
                return Shown(
                    f"Không có kế hoạch số {argument}. Các kế hoạch: {', '.join(library.keys())}."
                )
            self.default_plan = plan_key(chosen.plan.meta.number)
            return Shown(f"Đã chọn {chosen.plan.meta.label} làm kế hoạch mặc định của phiên này.")
        lines = [f"Đang theo dõi {len(library)} kế hoạch:"]
        for knowledge in library:
            meta = knowledge.plan.meta
            mark = " (mặc định)" if plan_key(meta.number) == self.default_plan else ""
            lines.append(
                f"• {meta.label} ngày {meta.issued:%d/%m/%Y} — {meta.short_title or meta.title}"
                f" ({len(knowledge.plan.items)} mục){mark}"
            )
        if library.several:
            lines.append("Chọn mặc định: /kehoach <số>; hỏi mọi kế hoạch: /kehoach tất cả.")
        return Shown("\n".join(lines))

    @staticmethod
    def _html(html: str) -> Shown:
        return Shown(html_to_plain(html).strip())

    def help(self, argument: str = "") -> Shown:
        return Shown(
            HELP.format(plan=self.knowledge.plan.meta.label, database=self.settings.database_url)
        )

    def report(self, argument: str = "") -> Shown:
        """/baocao: the workbook written to a file in `reports`, its path said."""
        today = self.clock.today()
        served = [(p.knowledge, p.store) for p in self.plans.values()]
        data = build_plans_report(served, today, self.clock.tz)
        name = report_filename(self.knowledge, today)
        if len(served) > 1:
            name = f"tien-do-{len(served)}-ke-hoach-{today:%Y-%m-%d}.xlsx"
        path = (self.reports / name).resolve()
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
        except OSError as exc:
            return Shown(f"Không ghi được tệp báo cáo {path}: {exc}")
        labels = ", ".join(k.plan.meta.number for k, _ in served)
        return Shown(
            f"Đã ghi báo cáo tiến độ Kế hoạch {labels}, tính đến ngày"
            f" {today:%d/%m/%Y}, vào tệp: {path}"
        )

    # -- members -----------------------------------------------------------------------

    def register(self, argument: str) -> Shown:
        """/dangky <tên cơ quan>: the local user asks to report for an agency; as the
        bot admin of the trial, the request's ✅ Duyệt / ❌ Từ chối come as choices."""
        if not argument:
            return Shown(
                "Gõ kèm tên cơ quan của anh/chị, ví dụ: /dangky Sở Nội vụ hoặc"
                " /dangky UBND huyện Tuy Phong."
            )
        found = self.registry.resolve(argument)[:MAX_CANDIDATES]
        if not found:
            return Shown(
                f"Không tìm thấy cơ quan «{argument}» trong danh mục. Hãy gõ đúng tên, ví dụ:"
                " /dangky Sở Nội vụ, /dangky Công an tỉnh."
            )
        if len(found) > 1:
            shown = Shown(f"«{argument}» có thể là một trong các cơ quan sau; chọn một:")
            for agency in found:
                shown.choices.append((agency.name, self._requester(agency.id)))
            return shown
        return self._request(found[0].id)

    def _requester(self, agency_id: str) -> Callable[[], Shown]:
        return lambda: self._request(agency_id)

    def _request(self, agency_id: str) -> Shown:
        result = self._run(self.service.request_membership(LOCAL_USER_ID, agency_id, LOCAL_NAME))
        text = html_to_plain(result.message)
        if result.code != "ok" or result.member is None:
            return Shown(text)
        card = html_to_plain(self.service.member_request_html(result.member))
        rows = self.service.member_choices([result.member])
        return self._listed(
            f"{text}\n\nAnh/chị cũng là quản trị viên bot trên terminal; yêu cầu gửi tới quản"
            f" trị viên:\n{card}",
            rows,
            html=False,
        )

    def decide_by_command(self, argument: str, *, revoke: bool) -> Shown:
        """/duyet, /thuhoi: without an argument the list to choose from, with an id at once."""
        if not argument:
            return self._listed(*self.service.decision_list(revoke=revoke))
        if not argument.isdigit() or len(argument) > 18:
            command = "thuhoi" if revoke else "duyet"
            return Shown(
                f"Gõ /{command} để chọn trong danh sách, hoặc kèm id người dùng, ví dụ:"
                f" /{command} 123456789."
            )
        decide = self.service.revoke_member if revoke else self.service.approve_member
        result = self._run(decide(LOCAL_USER_ID, int(argument)))
        return self._decided(result)

    def _listed(self, text: str, rows: list[list[MemberChoice]], *, html: bool = True) -> Shown:
        shown = Shown(html_to_plain(text).strip() if html else text)
        for row in rows:
            for choice in row:
                shown.choices.append((choice.label, self._decider(choice)))
        return shown

    def _decider(self, choice: MemberChoice) -> Callable[[], Shown]:
        def decide() -> Shown:
            result = self._run(
                self.service.decide_request(
                    LOCAL_USER_ID, choice.user_id, choice.action, choice.request
                )
            )
            return self._decided(result)

        return decide

    def _decided(self, result: AccessResult) -> Shown:
        """A decision's outcome; the member's notice too when the member is the local user."""
        text = html_to_plain(result.message)
        member = result.member
        mine = member is not None and member.user_id == LOCAL_USER_ID
        if result.code == "ok" and result.notice and mine:
            text += "\n" + html_to_plain(result.notice)
        return Shown(text)
