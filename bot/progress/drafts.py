"""Checking a progress update before it is stored: the one validator and the one card.

Whatever the door (`python -m bot ask`, the terminal chat, Telegram), an update read
from a message goes through `UpdateChecker`: the item (and its part), who may report it
and for which agency, the status, the percent and the note (one note limit). Who may
report is a `ReporterGate`: the Telegram door's `ProgressService` knows members and
linked groups; `OperatorGate` is the operator at the terminal, who reports for any
agency (the one the message names, else the item's lead).

The answer is an `UpdateResult`; `UpdateChecker.view` turns it into what the user sees:
the one confirmation card with «Lưu / Sửa / Hủy», or the refusal with the items to
choose from. Nothing here stores anything.

Buttons are semantic (`bot.core.reply.Button`): the card's are `update` (save, edit,
cancel), the items to choose from `update_item` (the item or part); the door that keeps
the update binds them to it (Telegram: `v1:upd:save:<id>`, `v1:upick:<id>:<item>`).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from itertools import pairwise
from typing import TYPE_CHECKING, Protocol, cast, get_args

from bot.core.reply import Button, esc
from bot.core.text import clean, fold
from bot.plan.loader import Knowledge
from bot.plan.models import Assignment, Item
from bot.plan.responsibility import (
    Holders,
    agency_name,
    find_item,
    is_group,
    names_directly,
)
from bot.progress.types import STATUS_LABELS, Status

if TYPE_CHECKING:
    from bot.storage.base import StoredUpdate

NOTE_LIMIT = 1000
STATUSES: tuple[str, ...] = get_args(Status)

CARD_TITLE = "Xác nhận báo cáo tiến độ"
CARD_HINT = "Bấm «Lưu» để ghi nhận, «Sửa» để gửi lại dòng đã sửa, hoặc «Hủy»."
SAVE, EDIT, CANCEL = "save", "edit", "cancel"
CARD_ACTIONS = ((SAVE, "✅ Lưu"), (EDIT, "✏️ Sửa"), (CANCEL, "❌ Hủy"))
MAX_ITEM_BUTTONS = 24
ITEM_REF = re.compile(r"^(?:\d{1,3}(?:\.\d{1,3})?|[IVX]{1,5}\.\d{1,3})[a-z]?$")
# refusals answered with the items (or parts) to choose from
OFFERING = frozenset({"no_item", "unknown_item", "not_assigned", "ambiguous_part"})


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
    no_item, unknown_item, not_member, pending, revoked, wrong_chat, wrong_agency,
    unknown_agency, group_agency, ended_agency, not_assigned, ambiguous_part, bad_status,
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


class ReporterGate(Protocol):
    """Who may report, for which agency, from which chat."""

    def reporting_agency(
        self, user_id: int | None, chat_id: int | None, item: Item, named: str | None
    ) -> str | UpdateResult:
        """The agency a report on `item` is for ("" for the lead of the part), or a refusal."""
        ...

    def reportable_items(self, user_id: int | None, chat_id: int | None = None) -> list[str]:
        """Items the user may report on from this chat."""
        ...

    def reporting_for(self, user_id: int | None, chat_id: int | None) -> str | None:
        """The agency reports from here count for, when known before the item."""
        ...

    def not_a_reporter(self, user_id: int | None) -> str:
        """Why someone with no item to report on cannot report, and how to register."""
        ...


class OperatorGate:
    """The operator at the terminal (`ask`, the terminal chat): reports for any agency,
    the one the message names or else the item's lead. Nothing is stored from there."""

    def __init__(self, knowledge: Knowledge):
        self.knowledge = knowledge

    def reporting_agency(
        self, user_id: int | None, chat_id: int | None, item: Item, named: str | None
    ) -> str | UpdateResult:
        if named is not None and named not in self.knowledge.agencies:
            return UpdateResult("unknown_agency", f"Không có cơ quan mã «{esc(named)}».")
        return named or ""

    def reportable_items(self, user_id: int | None, chat_id: int | None = None) -> list[str]:
        return [item.id for item in self.knowledge.plan.items]

    def reporting_for(self, user_id: int | None, chat_id: int | None) -> str | None:
        return None

    def not_a_reporter(self, user_id: int | None) -> str:
        return ""  # never asked: the operator may report on every item


def card_buttons() -> list[list[Button]]:
    """«Lưu / Sửa / Hủy» of the confirmation card (bound to the update by the door)."""
    return [[Button(label, action="update", args=(action,)) for action, label in CARD_ACTIONS]]


def item_choices(refs: list[str]) -> list[list[Button]]:
    """The items (or parts) to report on, four a row (bound to the update by the door)."""
    shown = [Button(ref, action="update_item", args=(ref,)) for ref in refs[:MAX_ITEM_BUTTONS]]
    return [shown[i : i + 4] for i in range(0, len(shown), 4)]


def example_line(key: str) -> str:
    return f"<i>{esc(key)} đang thực hiện 60% đã trình dự thảo</i>"


class UpdateChecker:
    """Validates and authorises updates (through a `ReporterGate`) and shows them.

    Who holds an assignment is read as of the day (`today`, the injected clock's, or the
    day a check names): a successor reports on the parts it took over from an ended
    agency, under its own name."""

    def __init__(
        self,
        knowledge: Knowledge,
        gate: ReporterGate | None = None,
        today: Callable[[], date] = date.today,
    ):
        self.knowledge = knowledge
        self.gate: ReporterGate = gate if gate is not None else OperatorGate(knowledge)
        self.today = today
        self.holders = Holders(knowledge.plan, knowledge.agencies, knowledge.timeline)

    def _name(self, agency_id: str) -> str:
        return agency_name(self.knowledge.agencies, agency_id)

    def _items_of(self, agency_id: str, day: date) -> list[str]:
        return self.holders.items(agency_id, day)

    # -- checking -------------------------------------------------------------------

    def which_item(self, user_id: int | None, chat_id: int | None) -> UpdateResult:
        """An update without an item number: the items to choose from, or why not."""
        refs = self.gate.reportable_items(user_id, chat_id)
        if not refs:
            return UpdateResult("not_member", self.gate.not_a_reporter(user_id))
        agency = self.gate.reporting_for(user_id, chat_id)
        whose = f" của {esc(self._name(agency))}" if agency else ""
        return UpdateResult(
            "no_item",
            f"Anh/chị báo cáo cho mục nào? Chọn một mục{whose} bên dưới, hoặc gửi lại kèm số"
            f" mục, ví dụ {example_line(refs[0])}.",
            options=tuple(refs),
        )

    def check_update(
        self,
        *,
        user_id: int | None = None,
        item_ref: str,
        status: str | None = None,
        percent: int | None = None,
        note: str | None = None,
        agency_id: str | None = None,
        chat_id: int | None = None,
        today: date | None = None,
    ) -> UpdateResult:
        """Validate and authorise an update without storing it (code "ok" + draft); who
        holds what is read as of `today` (default: the checker's clock)."""
        day = today or self.today()
        found = find_item(self.knowledge.plan, item_ref or "")
        if found is None:
            ids = ", ".join(item.id for item in self.knowledge.plan.items)
            return UpdateResult(
                "unknown_item",
                f"Không có mục «{esc(item_ref)}» trong Kế hoạch"
                f" {esc(self.knowledge.plan.meta.number)}. Các mục: {esc(ids)}.",
                options=tuple(self.gate.reportable_items(user_id, chat_id)),
            )
        item, part = found
        agency = self.gate.reporting_agency(user_id, chat_id, item, agency_id)
        if isinstance(agency, UpdateResult):
            return agency
        chosen = self._choose_assignment(item, part, agency, day, note)
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

    def _choose_assignment(
        self, item: Item, part: Assignment | None, agency: str, day: date, note: str | None = None
    ) -> tuple[Assignment, str] | UpdateResult:
        agencies = self.knowledge.agencies
        if agency == "":  # no agency named: a part led by one agency, the note's topic first
            led = [a for a in item.assignments if not is_group(agencies, a.lead().agency)]
            assignment = part or (_closest(led, note) if led else item.assignments[0])
            lead = assignment.lead().agency
            holders = self.knowledge.timeline.successors(lead, day)
            today_leads = [a for a, _, h in holders if h.items is None or item.id in h.items]
            if len(today_leads) == 1:  # the lead has ended: its part is its successor's
                return assignment, today_leads[0]
            if is_group(agencies, lead) or today_leads:
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
        held = self.holders.assignments(item, agency, day)
        if not held or (part is not None and part not in held):
            gone = self.knowledge.timeline.ended(agency, day)
            if gone is not None:
                holders = self.knowledge.timeline.successors(agency, day)
                names = ", ".join(dict.fromkeys(self._name(a) for a, _, _ in holders))
                return UpdateResult(
                    "ended_agency",
                    f"{esc(self._name(agency))} không còn từ {gone.date:%d/%m/%Y}"
                    f" ({esc(gone.change)}); nhiệm vụ nay do {esc(names)} thực hiện."
                    " Anh/chị đăng ký lại cho cơ quan hiện nay bằng lệnh /dangky để báo cáo.",
                )
            mine = self._items_of(agency, day)
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
                f" {esc(', '.join(keys))}. Anh/chị báo cáo phần nào?",
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
        kept = kept_note(text)
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

    # -- showing --------------------------------------------------------------------

    def draft_html(self, draft: UpdateDraft) -> str:
        """What an update says: item, agency, status, percent, note (card and «Đã lưu»)."""
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

    def card_html(self, draft: UpdateDraft) -> str:
        """The confirmation card, the same whatever the door."""
        return f"<b>{CARD_TITLE}</b>\n{self.draft_html(draft)}\n\n{CARD_HINT}"

    def view(self, result: UpdateResult) -> tuple[str, list[list[Button]]]:
        """What a checked update shows: the card with «Lưu / Sửa / Hủy», a refusal with
        the items (or parts) to choose from, or the message alone."""
        if result.code == "ok" and result.draft is not None:
            return self.card_html(result.draft), card_buttons()
        if result.code in OFFERING:
            refs = [ref for ref in result.options if ITEM_REF.match(ref)]
            return result.message, item_choices(refs)
        return result.message, []


def _closest(parts: list[Assignment], note: str | None) -> Assignment:
    """The part whose task shares most pairs of words with the note («vướng kinh phí» →
    the funding part: «kinh phí»); the first one on a tie (pairs, so that a lone common
    word such as «đang» decides nothing)."""
    wanted = _pairs(note or "")
    return max(parts, key=lambda a: len(wanted & _pairs(a.task or "")))


def _pairs(text: str) -> set[tuple[str, str]]:
    words = fold(text).split()
    return set(pairwise(words))


def kept_note(note: str | None) -> str | None:
    """The note as stored: cleaned and cut at `NOTE_LIMIT` characters."""
    return clean(note or "")[:NOTE_LIMIT].rstrip() or None
