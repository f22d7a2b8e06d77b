"""Progress services, independent of any transport: who reports what, and updates.

Telegram handlers (and any other door) call `ProgressService` (which includes
the membership and chat-link services of `bot.progress.access`); every answer is
a result with a machine `code` and a Vietnamese HTML `message` ready to send.
Writes happen in one transaction each, and a result that says "saved" is only
returned after the commit. Updates are append-only; an undo is a separate mark.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta

from bot.core.clock import Clock
from bot.core.reply import esc
from bot.core.text import clean
from bot.plan.loader import Knowledge
from bot.plan.models import Item
from bot.progress.access import AccessService
from bot.progress.access_base import REGISTER_HINT, AccessResult
from bot.progress.drafts import (
    NOTE_LIMIT,
    UpdateChecker,
    UpdateDraft,
    UpdateResult,
    kept_note,
)
from bot.storage.base import Database, NewUpdate, StoredUpdate

__all__ = [
    "NOTE_LIMIT",
    "UNDO_WINDOW",
    "AccessResult",
    "ProgressService",
    "UpdateDraft",
    "UpdateResult",
]

UNDO_WINDOW = timedelta(minutes=10)


class ProgressService(AccessService):
    """Access (see `AccessService`) plus permissions and progress updates.

    It is the `ReporterGate` of its `UpdateChecker` (members, linked groups, admins):
    `check_update` is the one validator every door's update goes through."""

    def __init__(
        self, db: Database, knowledge: Knowledge, clock: Clock, admin_ids: Iterable[int] = ()
    ):
        super().__init__(db, knowledge, clock, admin_ids)
        self.checker = UpdateChecker(knowledge, self, clock.today)

    def _who_may_report(self, item: Item) -> str:
        names: list[str] = []
        timeline, today = self.knowledge.timeline, self.clock.today()
        for assignment in item.assignments:
            for ar in assignment.agencies:
                if timeline.ended(ar.agency, today) is None:
                    names.append(self._name(ar.agency))
                else:  # today's name(s) of the agency the plan names
                    names += [self._name(a) for a, _, _ in timeline.successors(ar.agency, today)]
        listed = ", ".join(dict.fromkeys(names))
        return (
            f"Chỉ thành viên đã được duyệt của cơ quan được giao mục {esc(item.id)}"
            f" ({esc(listed)}) hoặc quản trị viên mới báo cáo được mục này."
        )

    def reporting_agency(
        self, user_id: int | None, chat_id: int | None, item: Item, named: str | None
    ) -> str | UpdateResult:
        """The agency this report is for, or a refusal."""
        admin = self.is_admin(user_id)
        member = self.db.get_member(user_id) if user_id is not None else None
        approved = member is not None and member.status == "approved"
        if not admin and not approved:
            if member is not None and member.status == "pending":
                return UpdateResult(
                    "pending",
                    f"Yêu cầu đăng ký của anh/chị ({esc(self._name(member.agency_id))}) đang chờ"
                    " quản trị viên duyệt; sau khi được duyệt anh/chị mới báo cáo được.",
                )
            if member is not None and member.status == "revoked":
                return UpdateResult(
                    "revoked",
                    "Quyền báo cáo của anh/chị đã bị thu hồi. " + self._who_may_report(item),
                )
            return UpdateResult("not_member", self._who_may_report(item) + "\n" + REGISTER_HINT)
        own = member.agency_id if member is not None and approved else None
        linked = self.chat_agency(chat_id) if chat_id != user_id else None
        if linked is not None and not admin and own != linked:
            return UpdateResult(
                "wrong_chat",
                f"Nhóm này báo cáo cho <b>{esc(self._name(linked))}</b>, còn anh/chị là thành viên"
                f" {esc(self._name(own or ''))}; hãy báo cáo trong tin nhắn riêng với bot.",
            )
        if named is not None:
            if named not in self.knowledge.agencies:
                return UpdateResult("unknown_agency", f"Không có cơ quan mã «{esc(named)}».")
            if not admin and named != own:
                return UpdateResult(
                    "wrong_agency",
                    f"Anh/chị là thành viên <b>{esc(self._name(own or ''))}</b> nên chỉ báo cáo cho"
                    f" cơ quan mình, không báo cáo thay {esc(self._name(named))}.",
                )
            return named
        if linked is not None:
            return linked
        if own is not None and (
            not admin or self.holders.assignments(item, own, self.clock.today())
        ):
            return own
        return ""  # an admin without an agency: the lead, decided with the assignment

    def reporting_for(self, user_id: int | None, chat_id: int | None) -> str | None:
        return self.chat_agency(chat_id) or self._approved_agency(user_id)

    def not_a_reporter(self, user_id: int | None) -> str:
        member = self.member(user_id) if user_id is not None else None
        if member is not None and member.status == "pending":
            return (
                f"Yêu cầu đăng ký của anh/chị ({esc(self._name(member.agency_id))}) đang chờ quản"
                " trị viên duyệt; sau khi được duyệt anh/chị mới báo cáo được."
            )
        text = (
            "Chỉ thành viên đã được duyệt của cơ quan được giao nhiệm vụ hoặc quản trị viên"
            " mới báo cáo tiến độ được."
        )
        if member is not None and member.status == "revoked":
            return "Quyền báo cáo của anh/chị đã bị thu hồi. " + text
        return text + "\n" + REGISTER_HINT

    async def record_update(
        self,
        *,
        user_id: int,
        item_ref: str,
        status: str | None = None,
        percent: int | None = None,
        note: str | None = None,
        agency_id: str | None = None,
        chat_id: int | None = None,
        message_id: int | None = None,
        display_name: str | None = None,
    ) -> UpdateResult:
        """Check and store an update once per (chat_id, message_id); "saved" after commit."""
        if chat_id is not None and message_id is not None:
            existing = self.db.find_by_source(chat_id, message_id)
            if existing is not None:
                return self._duplicate(existing, status, percent, note)
        checked = self.checker.check_update(
            user_id=user_id,
            item_ref=item_ref,
            status=status,
            percent=percent,
            note=note,
            agency_id=agency_id,
            chat_id=chat_id,
        )
        if checked.draft is None:
            return checked
        draft = checked.draft
        stored, created = await self.db.insert_update(
            NewUpdate(
                item_id=draft.item_id,
                assignment_key=draft.assignment_key,
                agency_id=draft.agency_id,
                status=draft.status,
                percent=draft.percent,
                note=draft.note,
                reporter_id=user_id,
                reporter_name=clean(display_name or "") or None,
                created_at=self.clock.now(),
                source_chat_id=chat_id,
                source_message_id=message_id,
            )
        )
        if not created:
            return self._duplicate(stored, status, percent, note)
        minutes = int(UNDO_WINDOW.total_seconds() // 60)
        message = "✅ Đã lưu báo cáo.\n" + self.checker.draft_html(draft)
        message += f"\nCó thể hoàn tác trong {minutes} phút."
        return UpdateResult("saved", message, draft=draft, record=stored)

    def _duplicate(
        self, existing: StoredUpdate, status: str | None, percent: int | None, note: str | None
    ) -> UpdateResult:
        when = existing.created_at.astimezone(self.clock.tz).strftime("%H:%M %d/%m/%Y")
        same = (status is None or status == existing.status) and (
            percent is None or percent == existing.percent
        )
        same = same and (note is None or kept_note(note) == existing.note)
        if same:
            return UpdateResult(
                "duplicate",
                f"Báo cáo này đã được lưu lúc {when} (mục {esc(existing.assignment_key)}); không"
                " ghi thêm lần nữa.",
                record=existing,
            )
        return UpdateResult(
            "edited",
            f"Tin nhắn đã sửa không thay đổi báo cáo đã lưu lúc {when} (mục"
            f" {esc(existing.assignment_key)}). Muốn điều chỉnh, hãy gửi một báo cáo mới.",
            record=existing,
        )

    def undo_deadline(self, record: StoredUpdate) -> timedelta:
        """Time left to undo `record` (zero or negative when expired)."""
        return record.created_at + UNDO_WINDOW - self.clock.now()

    async def undo_update(self, user_id: int, update_id: int) -> UpdateResult:
        """Undo one's own update within 10 minutes (marks it; nothing is deleted)."""
        record = self.db.get_update(update_id)
        if record is None:
            return UpdateResult("not_found", "Không tìm thấy báo cáo cần hoàn tác.")
        if record.reporter_id != user_id:
            return UpdateResult("not_yours", "Chỉ người gửi báo cáo mới hoàn tác được báo cáo đó.")
        if record.undone:
            return UpdateResult(
                "already_undone", "Báo cáo này đã được hoàn tác trước đó.", record=record
            )
        if self.undo_deadline(record) < timedelta(0):
            minutes = int(UNDO_WINDOW.total_seconds() // 60)
            return UpdateResult(
                "expired",
                f"Đã quá {minutes} phút nên không hoàn tác được;"
                " hãy gửi báo cáo mới để điều chỉnh.",
                record=record,
            )
        if not await self.db.mark_undone(update_id, by=user_id, at=self.clock.now()):
            return UpdateResult(
                "already_undone", "Báo cáo này đã được hoàn tác trước đó.", record=record
            )
        fresh = self.db.get_update(update_id)
        return UpdateResult(
            "undone",
            f"↩️ Đã hoàn tác báo cáo mục {esc(record.assignment_key)}"
            f" ({esc(self._name(record.agency_id))}).",
            record=fresh,
        )
