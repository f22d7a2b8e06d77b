"""Progress services, independent of any transport: who reports what, and updates.

Telegram handlers (and any other door) call `ProgressService` (which includes
the membership and chat-link services of `bot.progress.access`); every answer is
a result with a machine `code` and a Vietnamese HTML `message` ready to send.
Writes happen in one transaction each, and a result that says "saved" is only
returned after the commit. Updates are append-only; an undo is a separate mark.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import cast, get_args

from bot.core.reply import esc
from bot.core.text import clean
from bot.plan.models import Assignment, Item
from bot.plan.responsibility import (
    find_item,
    held_assignments,
    is_group,
    names_directly,
)
from bot.progress.access import REGISTER_HINT, AccessResult, AccessService
from bot.progress.types import STATUS_LABELS, Status
from bot.storage.base import NewUpdate, StoredUpdate

__all__ = [
    "NOTE_LIMIT",
    "UNDO_WINDOW",
    "AccessResult",
    "ProgressService",
    "UpdateDraft",
    "UpdateResult",
]

NOTE_LIMIT = 1000
UNDO_WINDOW = timedelta(minutes=10)
STATUSES: tuple[str, ...] = get_args(Status)


def number(n: int) -> str:
    """Vietnamese thousands separator: 2000 → "2.000"."""
    return f"{n:,}".replace(",", ".")


@dataclass(frozen=True)
class UpdateDraft:
    """A validated, authorised update, not yet stored (for a confirmation card)."""

    item_id: str
    assignment_key: str
    agency_id: str
    status: Status
    percent: int | None
    note: str | None
    note_truncated_from: int | None = None


@dataclass(frozen=True)
class UpdateResult:
    """Outcome of checking, recording or undoing an update.

    Codes: ok (checked), saved, duplicate, edited, undone, and refusals:
    unknown_item, not_member, pending, revoked, wrong_chat, wrong_agency,
    unknown_agency, group_agency, not_assigned, ambiguous_part, bad_status,
    bad_percent, contradiction, empty, not_found, not_yours, already_undone,
    expired. `options` are item ids or assignment keys to offer as buttons."""

    code: str
    message: str
    draft: UpdateDraft | None = None
    record: StoredUpdate | None = None
    options: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return self.code in ("ok", "saved", "duplicate", "undone")

    @property
    def created(self) -> bool:
        return self.code == "saved"


class ProgressService(AccessService):
    """Access (see `AccessService`) plus permissions and progress updates."""

    def _who_may_report(self, item: Item) -> str:
        names: list[str] = []
        for assignment in item.assignments:
            names.extend(self._name(ar.agency) for ar in assignment.agencies)
        listed = ", ".join(dict.fromkeys(names))
        return (
            f"Chỉ thành viên đã được duyệt của cơ quan được giao mục {esc(item.id)}"
            f" ({esc(listed)}) hoặc quản trị viên mới báo cáo được mục này."
        )

    def _resolve_agency(
        self, user_id: int, chat_id: int | None, item: Item, named: str | None
    ) -> str | UpdateResult:
        """The agency this report is for, or a refusal."""
        admin = self.is_admin(user_id)
        member = self.db.get_member(user_id)
        approved = member is not None and member.status == "approved"
        if not admin and not approved:
            if member is not None and member.status == "pending":
                return UpdateResult(
                    "pending",
                    f"Yêu cầu đăng ký của bạn ({esc(self._name(member.agency_id))}) đang chờ"
                    " quản trị viên duyệt; sau khi được duyệt bạn mới báo cáo được.",
                )
            if member is not None and member.status == "revoked":
                return UpdateResult(
                    "revoked",
                    "Quyền báo cáo của bạn đã bị thu hồi. " + self._who_may_report(item),
                )
            return UpdateResult("not_member", self._who_may_report(item) + "\n" + REGISTER_HINT)
        own = member.agency_id if member is not None and approved else None
        linked = self.chat_agency(chat_id) if chat_id != user_id else None
        if linked is not None and not admin and own != linked:
            return UpdateResult(
                "wrong_chat",
                f"Nhóm này báo cáo cho <b>{esc(self._name(linked))}</b>, còn bạn là thành viên"
                f" {esc(self._name(own or ''))}; hãy báo cáo trong tin nhắn riêng với bot.",
            )
        if named is not None:
            if named not in self.knowledge.agencies:
                return UpdateResult("unknown_agency", f"Không có cơ quan mã «{esc(named)}».")
            if not admin and named != own:
                return UpdateResult(
                    "wrong_agency",
                    f"Bạn là thành viên <b>{esc(self._name(own or ''))}</b> nên chỉ báo cáo cho"
                    f" cơ quan mình, không báo cáo thay {esc(self._name(named))}.",
                )
            return named
        if linked is not None:
            return linked
        if own is not None and (not admin or held_assignments(item, own, self.knowledge.agencies)):
            return own
        return ""  # an admin without an agency: the lead, decided with the assignment

    def _choose_assignment(
        self, item: Item, part: Assignment | None, agency: str
    ) -> tuple[Assignment, str] | UpdateResult:
        agencies = self.knowledge.agencies
        if agency == "":
            assignment = part or item.assignments[0]
            lead = assignment.lead().agency
            if is_group(agencies, lead):
                names = ", ".join(
                    dict.fromkeys(self._name(ar.agency) for ar in assignment.agencies)
                )
                return UpdateResult(
                    "group_agency",
                    f"Mục {esc(item.assignment_key(assignment))} giao cho {esc(names)}; hãy ghi rõ"
                    f" cơ quan báo cáo, ví dụ: /capnhat {esc(item.id)} Sở Y tế 50%.",
                )
            return assignment, lead
        if is_group(agencies, agency):
            return UpdateResult(
                "group_agency",
                f"«{esc(self._name(agency))}» là một nhóm cơ quan; hãy ghi rõ cơ quan cụ thể.",
            )
        held = held_assignments(item, agency, agencies)
        if not held or (part is not None and part not in held):
            mine = self._items_of(agency)
            target = item.assignment_key(part) if part is not None else item.id
            listed = ", ".join(mine) if mine else "không có mục nào"
            return UpdateResult(
                "not_assigned",
                f"{esc(self._name(agency))} không có phần việc trong mục {esc(target)}."
                f" Các mục {esc(self._name(agency))} được giao: {esc(listed)}.",
                options=tuple(mine),
            )
        if part is not None:
            return part, agency
        if len(held) > 1:
            direct = [a for a in held if names_directly(a, agency)]
            held = direct if len(direct) == 1 else held
        if len(held) > 1:
            keys = tuple(item.assignment_key(a) for a in held)
            return UpdateResult(
                "ambiguous_part",
                f"Mục {esc(item.id)} có nhiều phần việc của {esc(self._name(agency))}:"
                f" {esc(', '.join(keys))}. Bạn báo cáo phần nào?",
                options=keys,
            )
        return held[0], agency

    def _validate_fields(
        self, key: str, status: str | None, percent: int | None, note: str | None
    ) -> tuple[Status, int | None, str | None, int | None] | UpdateResult:
        if status is not None and status not in STATUSES:
            return UpdateResult(
                "bad_status",
                "Trạng thái không hợp lệ; dùng một trong: đã hoàn thành, đang thực hiện,"
                " vướng mắc, chưa triển khai.",
            )
        bad_type = isinstance(percent, bool) or not isinstance(percent, int)
        if percent is not None and (bad_type or not 0 <= percent <= 100):
            return UpdateResult(
                "bad_percent",
                f"Tỷ lệ {esc(percent)}% không hợp lệ: tỷ lệ hoàn thành phải từ 0 đến 100%.",
            )
        text = clean(note or "")
        if status is None:
            if percent == 100:
                status = "done"
            elif percent == 0:
                status = "not_started"
            elif percent is not None or text:
                status = "in_progress"
            else:
                return UpdateResult(
                    "empty",
                    "Báo cáo chưa có nội dung: cần trạng thái, tỷ lệ % hoặc ghi chú. Ví dụ:"
                    f" /capnhat {esc(key)} đang thực hiện 60% đã trình dự thảo.",
                )
        problem = self._contradiction(key, status, percent)
        if problem:
            return UpdateResult("contradiction", problem, options=("done", "in_progress"))
        if status == "done" and percent is None:
            percent = 100
        truncated_from = len(text) if len(text) > NOTE_LIMIT else None
        kept = text[:NOTE_LIMIT].rstrip() or None
        return cast(Status, status), percent, kept, truncated_from

    @staticmethod
    def _contradiction(key: str, status: str, percent: int | None) -> str | None:
        if percent is None:
            return None
        label = STATUS_LABELS[status]
        if status == "done" and percent < 100:
            ask = f"đã xong (100%) hay đang thực hiện {percent}%"
        elif status == "not_started" and percent > 0:
            ask = f"chưa triển khai hay đang thực hiện {percent}%"
        elif status in ("in_progress", "blocked") and percent == 100:
            ask = "đã hoàn thành hay vẫn đang thực hiện"
        else:
            return None
        return (
            f"Báo cáo mục {esc(key)} vừa «{label}» vừa {percent}%, hai thông tin này mâu thuẫn."
            f" Mục này {ask}? Hãy gửi lại báo cáo cho rõ; chưa có gì được lưu."
        )

    def check_update(
        self,
        *,
        user_id: int,
        item_ref: str,
        status: str | None = None,
        percent: int | None = None,
        note: str | None = None,
        agency_id: str | None = None,
        chat_id: int | None = None,
    ) -> UpdateResult:
        """Validate and authorise an update without storing it (code "ok" + draft)."""
        found = find_item(self.knowledge.plan, item_ref or "")
        if found is None:
            ids = ", ".join(item.id for item in self.knowledge.plan.items)
            return UpdateResult(
                "unknown_item",
                f"Không có mục «{esc(item_ref)}» trong Kế hoạch"
                f" {esc(self.knowledge.plan.meta.number)}. Các mục: {esc(ids)}.",
                options=tuple(self.reportable_items(user_id, chat_id)),
            )
        item, part = found
        agency = self._resolve_agency(user_id, chat_id, item, agency_id)
        if isinstance(agency, UpdateResult):
            return agency
        chosen = self._choose_assignment(item, part, agency)
        if isinstance(chosen, UpdateResult):
            return chosen
        assignment, agency = chosen
        key = item.assignment_key(assignment)
        fields = self._validate_fields(key, status, percent, note)
        if isinstance(fields, UpdateResult):
            return fields
        final_status, final_percent, final_note, truncated_from = fields
        draft = UpdateDraft(
            item_id=item.id,
            assignment_key=key,
            agency_id=agency,
            status=final_status,
            percent=final_percent,
            note=final_note,
            note_truncated_from=truncated_from,
        )
        return UpdateResult("ok", self.draft_html(draft), draft=draft)

    def draft_html(self, draft: UpdateDraft) -> str:
        """The confirmation card: item, agency, status, percent, note."""
        lines = [
            f"Mục: <b>{esc(draft.assignment_key)}</b>",
            f"Cơ quan: <b>{esc(self._name(draft.agency_id))}</b>",
            f"Trạng thái: {esc(STATUS_LABELS[draft.status])}",
        ]
        if draft.percent is not None:
            lines.append(f"Tỷ lệ: {draft.percent}%")
        if draft.note:
            lines.append(f"Ghi chú: {esc(draft.note)}")
        if draft.note_truncated_from is not None:
            lines.append(
                f"⚠️ Ghi chú dài {number(draft.note_truncated_from)} ký tự, vượt giới hạn"
                f" {number(NOTE_LIMIT)} ký tự; chỉ giữ {number(NOTE_LIMIT)} ký tự đầu."
            )
        return "\n".join(lines)

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
        checked = self.check_update(
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
        message = "✅ Đã lưu báo cáo.\n" + self.draft_html(draft)
        message += f"\nCó thể hoàn tác trong {minutes} phút."
        return UpdateResult("saved", message, draft=draft, record=stored)

    def _duplicate(
        self, existing: StoredUpdate, status: str | None, percent: int | None, note: str | None
    ) -> UpdateResult:
        when = existing.created_at.astimezone(self.clock.tz).strftime("%H:%M %d/%m/%Y")
        same = (status is None or status == existing.status) and (
            percent is None or percent == existing.percent
        )
        same = same and (
            note is None or (clean(note)[:NOTE_LIMIT].rstrip() or None) == existing.note
        )
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
