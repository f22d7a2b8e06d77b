"""The `progress_update` intent: one pipeline for «2.4 đã xong», «/capnhat 4.2 60% …»,
whatever the door.

1. `read_update` is the one parser of an update's slots, from the Understanding: the
   item (an assignment part typed after the number, «3.1b», «6c», is kept), status,
   percent, the note (`Understanding.note`; the words taken off its front are in
   `intents/vi/lists.yaml`), and an agency named right after the number («/capnhat 2.4
   Sở Tài chính xong»: dropped from the note); an agency mentioned later in the note is
   not the reporting agency.
2. The slots go through the one validator, `UpdateChecker.check_update`
   (`bot.progress.drafts`): the brain's `ctx.updates`, the progress service's checker
   where members report (Telegram), the operator's rules at the terminal.
3. `UpdateChecker.view` shows the result: the one confirmation card with «Lưu / Sửa /
   Hủy», the items to choose from, or the refusal.

`python -m bot ask` prints this reply, the terminal chat shows it, and the Telegram door
sends it as it is; the door only keeps the update (`reply.extra["update"]`, the slots)
and binds the buttons to it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from bot.answers.context import AnswerContext
from bot.answers.registry import register
from bot.core.reply import Reply
from bot.plan.agencies import ASSIGNABLE, alias_tokens
from bot.plan.models import Plan
from bot.plan.responsibility import find_item
from bot.progress.types import Asker

if TYPE_CHECKING:
    from bot.nlu.understanding import Understanding

UPDATE = "update"  # `Reply.extra` key of the slots

_PART = re.compile(r"(?<![\w.])((?:[IVX]{1,4}\.)?\d{1,2}(?:\.\d{1,2})?)([a-eA-E])(?!\w)")
_NOTE_EDGES = "%:;,.-–— "


@dataclass(frozen=True)
class UpdateSlots:
    """What an update message says; None where it says nothing."""

    item_ref: str | None
    status: str | None
    percent: int | None
    note: str | None
    agency_id: str | None = None


def _part_key(plan: Plan, text: str) -> str | None:
    """The assignment key typed after an item number ("3.1b"), if the plan has that part."""
    for match in _PART.finditer(text):
        key = match.group(1) + match.group(2).lower()
        found = find_item(plan, key)
        if found is not None and found[1] is not None:
            return key
    return None


def _note(u: Understanding, part_key: str | None) -> str | None:
    """The note of the update; a part letter left in front of it ("b" of "3.1b") is the
    item's, not the note's."""
    note = u.note.strip(_NOTE_EDGES)
    if part_key is not None and re.match(rf"{part_key[-1]}(?!\w)", note, re.IGNORECASE):
        note = note[1:].strip(_NOTE_EDGES)
    return note or None


def _strip_agency(note: str, surface: str) -> str | None:
    """The note without a leading agency name (`surface` in alias tokens), or None
    when the note does not start with it."""
    wanted = surface.split()
    got: list[str] = []
    words = note.split()
    for index, word in enumerate(words):
        got.extend(alias_tokens(word))
        if got == wanted:
            return " ".join(words[index + 1 :]).strip(_NOTE_EDGES)
        if len(got) >= len(wanted) or got != wanted[: len(got)]:
            return None
    return None


def read_update(plan: Plan, u: Understanding) -> UpdateSlots:
    """The slots of an update message: item, status, percent, note, named agency."""
    key = _part_key(plan, u.text)
    entities = u.entities
    ref = entities.items[0] if entities.items else None
    status = entities.status
    if entities.status_conflict:
        status = "done"  # "xong 40%": the validator asks which one is meant
    note = _note(u, key)
    agency_id: str | None = None
    match = u.agency
    if match is not None and note is not None:
        agency = match.agency
        if agency.kind in ASSIGNABLE and not agency.is_group:
            rest = _strip_agency(note, match.surface)
            if rest is not None:
                agency_id, note = agency.id, rest or None
    return UpdateSlots(
        item_ref=key or (ref.id if ref is not None else None),
        status=status,
        percent=entities.percent,
        note=note,
        agency_id=agency_id,
    )


@register("progress_update", reading="cập nhật tiến độ nhiệm vụ {item}")
def progress_update(
    ctx: AnswerContext, u: Understanding, today: date, asker: Asker | None
) -> Reply:
    """Check the update read from the message and show the card (or why not)."""
    slots = read_update(ctx.plan, u)
    checker = ctx.updates
    user_id = asker.user_id if asker is not None else None
    chat_id = asker.chat_id if asker is not None else None
    if slots.item_ref is None:
        result = checker.which_item(user_id, chat_id)
    else:
        result = checker.check_update(
            user_id=user_id,
            item_ref=slots.item_ref,
            status=slots.status,
            percent=slots.percent,
            note=slots.note,
            agency_id=slots.agency_id,
            chat_id=chat_id,
            today=today,
        )
    html, buttons = checker.view(result)
    reply = Reply("progress_update", html, buttons=buttons, percent=slots.percent)
    draft = result.draft
    if draft is not None:
        reply.task_ids = [draft.item_id]
        reply.status, reply.note = draft.status, draft.note
        reply.agency, reply.agency_id = ctx.name(draft.agency_id), draft.agency_id
        reply.extra["assignment_key"] = draft.assignment_key
    else:
        found = find_item(ctx.plan, slots.item_ref or "")
        reply.task_ids = [found[0].id] if found is not None else []
        # what the message says (a "xong 40%" contradiction reads as in progress)
        reply.status, reply.note = u.entities.status, slots.note
    reply.extra[UPDATE] = slots
    return reply
