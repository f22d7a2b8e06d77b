"""The storage interface: what the progress services need from a database.

`ProgressStore` is the read side (also what `ask` and the report use);
`Database` adds the writes. SQLite implements both (`bot.storage.sqlite`); a
PostgreSQL backend can implement the same protocols later. Every time passed in
or returned is timezone-aware; backends store UTC.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal, Protocol

from bot.progress.types import ProgressReader, ProgressRecord, Status

AccessStatus = Literal["pending", "approved", "rejected", "revoked"]

ACCESS_LABELS: dict[str, str] = {
    "pending": "chờ duyệt",
    "approved": "đã duyệt",
    "rejected": "bị từ chối",
    "revoked": "đã thu hồi",
}


@dataclass(frozen=True)
class Member:
    """A Telegram user's link to one agency."""

    user_id: int
    agency_id: str
    display_name: str | None
    status: AccessStatus
    requested_at: datetime
    decided_at: datetime | None = None
    decided_by: int | None = None


PlanStatus = Literal["draft", "active", "replaced"]


@dataclass(frozen=True)
class NewPlanDocument:
    """A plan an admin sent, imported: its draft (YAML, agency registry, review)."""

    plan_key: str
    number: str
    title: str | None
    file_name: str | None
    plan_yaml: str
    agencies_yaml: str | None
    review: str | None
    problems: int
    uploaded_by: int | None
    uploaded_at: datetime


@dataclass(frozen=True)
class PlanDocument(NewPlanDocument):
    """A stored plan document and its state (draft, active, replaced)."""

    id: int
    status: PlanStatus
    decided_by: int | None = None
    decided_at: datetime | None = None


@dataclass(frozen=True)
class ChatLink:
    """A group chat linked to an agency; a confirmed link may carry a change of agency
    asked for by a group admin (`pending_*`), waiting for a bot admin while the link
    stays in force."""

    chat_id: int
    agency_id: str
    title: str | None
    status: AccessStatus
    requested_by: int
    requested_at: datetime
    decided_at: datetime | None = None
    decided_by: int | None = None
    pending_agency_id: str | None = None
    pending_requested_by: int | None = None
    pending_requested_at: datetime | None = None


@dataclass(frozen=True)
class StoredUpdate(ProgressRecord):
    """A stored progress update with its source ids and undo mark."""

    source_chat_id: int | None = None
    source_message_id: int | None = None
    undone_at: datetime | None = None
    undone_by: int | None = None

    @property
    def undone(self) -> bool:
        return self.undone_at is not None


@dataclass(frozen=True)
class NewUpdate:
    """A validated progress update about to be stored."""

    item_id: str
    assignment_key: str
    agency_id: str
    status: Status
    percent: int | None
    note: str | None
    reporter_id: int | None
    reporter_name: str | None
    created_at: datetime
    source_chat_id: int | None = None
    source_message_id: int | None = None


class ProgressStore(ProgressReader, Protocol):
    """Everything that can be read; never writes."""

    def updates(
        self, item_id: str | None = None, *, include_undone: bool = False
    ) -> list[StoredUpdate]:
        """Updates (of one item, or all), oldest first."""
        ...

    def version(self) -> object | None:
        """A token equal between two calls only if nothing was stored in between (None:
        unknown, so nothing derived from the data may be kept)."""
        ...

    def get_update(self, update_id: int) -> StoredUpdate | None: ...

    def find_by_source(self, chat_id: int, message_id: int) -> StoredUpdate | None:
        """The update stored from this Telegram message, if any."""
        ...

    def get_member(self, user_id: int) -> Member | None: ...

    def list_members(
        self, status: AccessStatus | None = None, agency_id: str | None = None
    ) -> list[Member]: ...

    def get_chat_link(self, chat_id: int) -> ChatLink | None: ...

    def list_chat_links(self, status: AccessStatus | None = None) -> list[ChatLink]: ...

    def schema_version(self) -> int: ...

    def close(self) -> None: ...


class PlanStore(Protocol):
    """The plans admins sent, and each chat's default plan."""

    def plan_documents(self, status: PlanStatus | None = None) -> list[PlanDocument]: ...

    def plan_document(self, document_id: int) -> PlanDocument | None: ...

    def chat_plan(self, chat_id: int) -> str | None:
        """The short key of the chat's default plan (/kehoach), if set."""
        ...

    def chat_plans(self) -> dict[int, str]:
        """Every chat's default plan."""
        ...

    async def save_plan_draft(self, draft: NewPlanDocument) -> PlanDocument: ...

    async def activate_plan(self, document_id: int, *, by: int, at: datetime) -> PlanDocument:
        """Make the draft active and any active document of its key replaced, in one
        transaction; ValueError when it is not a draft."""
        ...

    async def set_chat_plan(
        self, chat_id: int, plan_key: str | None, *, by: int, at: datetime
    ) -> None:
        """Set (or, with None, clear) the chat's default plan."""
        ...


class Database(ProgressStore, Protocol):
    """Read and write. Each write is one transaction, all or nothing, run off the event
    loop; it returns only once committed (durable)."""

    async def insert_update(self, update: NewUpdate) -> tuple[StoredUpdate, bool]:
        """Store `update` unless one with the same (source_chat_id, source_message_id)
        exists; return the stored record and whether it was created now."""
        ...

    async def mark_undone(self, update_id: int, *, by: int | None, at: datetime) -> bool:
        """Add the undo mark; False when the update is missing or already undone."""
        ...

    async def save_member_request(
        self, user_id: int, agency_id: str, display_name: str | None, at: datetime
    ) -> Member:
        """Create or replace the user's request as pending (audited)."""
        ...

    async def decide_member(
        self,
        user_id: int,
        status: AccessStatus,
        *,
        allowed_from: tuple[AccessStatus, ...],
        by: int | None,
        at: datetime,
        requested_at: datetime | None = None,
    ) -> Member | None:
        """Move a member to `status` if it is currently in `allowed_from` (and, given
        `requested_at`, still the request made then); else None."""
        ...

    async def save_chat_link_request(
        self, chat_id: int, agency_id: str, title: str | None, requested_by: int, at: datetime
    ) -> ChatLink:
        """Create or replace the chat's request as pending (audited); for a confirmed link
        to another agency, record the change beside it instead (the link stays)."""
        ...

    async def decide_chat_link(
        self,
        chat_id: int,
        status: AccessStatus,
        *,
        allowed_from: tuple[AccessStatus, ...],
        by: int | None,
        at: datetime,
        requested_at: datetime | None = None,
    ) -> ChatLink | None:
        """As `decide_member`; a `requested_at` naming the pending change of a confirmed
        link decides that change (approved: the link moves to its agency; rejected: the
        link stays as it is)."""
        ...
