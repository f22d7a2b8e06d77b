"""Read a one-line progress update with the brain: item, status, percent, note, agency.

`Brain.understand` gives the item number, status and percent (its entities); the
note is what the brain's progress reply carries (`Answerer.parse_update`, the same
as `Reply.note`). Two things the door adds: an assignment part typed after the
number ("3.1b", "6c") is kept as the item reference, and an agency named right
after the number ("/capnhat 2.4 Sở Tài chính xong") is the agency reported for
(and is dropped from the note); an agency mentioned later in the note is not.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.brain import Brain
from bot.plan.agencies import ASSIGNABLE, alias_tokens
from bot.plan.loader import Knowledge
from bot.plan.responsibility import find_item

_PART = re.compile(r"(?<![\w.])((?:[IVX]{1,4}\.)?\d{1,2}(?:\.\d{1,2})?)([a-eA-E])(?!\w)")
_NOTE_EDGES = "%:;,.-–— "


@dataclass(frozen=True)
class ParsedUpdate:
    """What a progress line says; None where it says nothing."""

    item_ref: str | None
    status: str | None
    percent: int | None
    note: str | None
    agency_id: str | None = None


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


class UpdateParser:
    """Parses update lines with one brain (the running one, or a private one)."""

    def __init__(self, brain: Brain, knowledge: Knowledge):
        self.brain = brain
        self.knowledge = knowledge

    def _part_key(self, text: str) -> tuple[str, str | None]:
        """Text with "3.1b" read as "3.1" for the brain, and the assignment key if any."""
        for match in _PART.finditer(text):
            key = match.group(1) + match.group(2).lower()
            found = find_item(self.knowledge.plan, key)
            if found is not None and found[1] is not None:
                return text[: match.start()] + match.group(1) + text[match.end() :], key
        return text, None

    def parse(self, text: str) -> ParsedUpdate:
        text, key = self._part_key(text)
        understood = self.brain.understand(text)
        parsed = self.brain.answerer.parse_update(understood)
        entities = understood.entities
        ref = parsed.get("item")
        item_ref = key or (ref.id if ref is not None else None)
        status: str | None = parsed.get("status")
        if entities.status_conflict:
            status = "done"  # "xong 40%": let the service ask which one is meant
        note = (parsed.get("note") or "").strip(_NOTE_EDGES) or None
        agency_id: str | None = None
        match = understood.agency
        if match is not None and note is not None:
            agency = match.agency
            if agency.kind in ASSIGNABLE and not agency.is_group:
                rest = _strip_agency(note, match.surface)
                if rest is not None:
                    agency_id, note = agency.id, rest or None
        return ParsedUpdate(
            item_ref=item_ref,
            status=status,
            percent=parsed.get("percent"),
            note=note,
            agency_id=agency_id,
        )
