"""What the member and chat-link services share: the outcome of an action, the token a
decision button names its request by, and the base that holds the database, the plan,
the clock and the bot admins."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from bot.core.clock import Clock
from bot.core.reply import esc
from bot.plan.loader import Knowledge
from bot.plan.responsibility import agency_items, agency_name, is_group
from bot.storage.base import ChatLink, Database, Member

REGISTER_HINT = "Đăng ký bằng lệnh /dangky &lt;tên cơ quan&gt;, ví dụ: /dangky Sở Nội vụ."
CLOSED = "Yêu cầu này đã đóng"
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def request_token(requested_at: datetime) -> str:
    """How a decision button names its request: the time it was made, in microseconds
    since 1970 (a user's or group's newer request has a later time)."""
    return str((requested_at - _EPOCH) // timedelta(microseconds=1))


def open_request_at(link: ChatLink) -> datetime:
    """When the link's open request was made: the change waiting beside a confirmed
    link, else the link's own request."""
    if link.pending_agency_id is not None and link.pending_requested_at is not None:
        return link.pending_requested_at
    return link.requested_at


@dataclass(frozen=True)
class AccessResult:
    """Outcome of a membership or chat-link action.

    `message` is for the person acting; `notice` (if any) for the user or chat
    concerned (e.g. "your registration was approved")."""

    code: str
    message: str
    member: Member | None = None
    link: ChatLink | None = None
    notice: str | None = None

    @property
    def ok(self) -> bool:
        return self.code in ("ok", "already")


class AccessBase:
    """The database, plan, clock and bot admins the access services work with."""

    def __init__(
        self, db: Database, knowledge: Knowledge, clock: Clock, admin_ids: Iterable[int] = ()
    ):
        self.db = db
        self.knowledge = knowledge
        self.clock = clock
        self.admin_ids = frozenset(admin_ids)

    # -- small helpers ------------------------------------------------------

    def is_admin(self, user_id: int | None) -> bool:
        return user_id is not None and user_id in self.admin_ids

    def _name(self, agency_id: str) -> str:
        return agency_name(self.knowledge.agencies, agency_id)

    def _items_of(self, agency_id: str) -> list[str]:
        return agency_items(self.knowledge.plan, self.knowledge.agencies, agency_id)

    def _check_agency(self, agency_id: str) -> str | None:
        """A Vietnamese problem with registering for `agency_id`, or None."""
        if agency_id not in self.knowledge.agencies:
            return f"Không có cơ quan mã «{esc(agency_id)}» trong danh mục."
        if is_group(self.knowledge.agencies, agency_id):
            return (
                f"«{esc(self._name(agency_id))}» là một nhóm cơ quan; hãy đăng ký cho cơ quan"
                " cụ thể của bạn, ví dụ Sở Y tế hoặc UBND huyện Tuy Phong."
            )
        if not self._items_of(agency_id):
            return (
                f"{esc(self._name(agency_id))} không được giao nhiệm vụ nào trong Kế hoạch"
                f" {esc(self.knowledge.plan.meta.number)}, nên không cần đăng ký báo cáo."
            )
        return None
