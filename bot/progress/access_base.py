"""What the member and chat-link services share: the outcome of an action, the token a
decision button names its request by, and the base that holds the database, the plan,
the clock and the bot admins."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from bot.core.clock import Clock
from bot.core.reply import esc
from bot.plan.loader import Knowledge
from bot.plan.responsibility import Holders, agency_name, all_assignments, is_group
from bot.storage.base import ChatLink, Database, Member

REGISTER_HINT = "Đăng ký bằng lệnh /dangky &lt;tên cơ quan&gt;, ví dụ: /dangky Sở Nội vụ."
CLOSED = "Yêu cầu này đã đóng"
MAX_NAMED = 8  # successors named in a refusal; the rest counted
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


def ended_text(knowledge: Knowledge, agency_id: str, day: date) -> str | None:
    """ "Sở Kế hoạch và Đầu tư không còn từ 01/03/2025: hợp nhất … (căn cứ: …). Nhiệm vụ
    của cơ quan này trong kế hoạch nay do Sở Tài chính thực hiện; anh/chị đăng ký Sở Tài
    chính." for an agency that has ended by `day`: when, why, on what basis and who holds
    its work. For a body not yet created on `day`: when it begins. None otherwise."""
    timeline = knowledge.timeline
    name = agency_name(knowledge.agencies, agency_id)
    event = timeline.ended(agency_id, day)
    if event is None:
        since = timeline.since(agency_id)
        if since is not None and since > day:
            return (
                f"{esc(name)} bắt đầu hoạt động từ {since:%d/%m/%Y}; anh/chị chưa đăng ký được"
                " cho cơ quan này trước ngày đó."
            )
        return None
    handed = timeline.successors(agency_id, day)
    holders = [a for a, _, h in handed if h.items is None or h.items] or [a for a, _, _ in handed]
    names = [agency_name(knowledge.agencies, a) for a in holders]
    shown = ", ".join(names[:MAX_NAMED])
    if len(names) > MAX_NAMED:
        shown += f" và {len(names) - MAX_NAMED} đơn vị khác"
    basis = timeline.basis_text(event)
    text = f"{esc(name)} không còn từ {event.date:%d/%m/%Y}: {esc(event.change)}" + (
        f" (căn cứ: {esc(basis)})." if basis else "."
    )
    if not names:
        return text
    if len(names) == 1:
        return text + (
            f" Nhiệm vụ của cơ quan này trong kế hoạch nay do <b>{esc(shown)}</b> thực hiện;"
            f" anh/chị đăng ký {esc(shown)}."
        )
    return text + (
        f" Nhiệm vụ của cơ quan này trong kế hoạch nay do <b>{esc(shown)}</b> thực hiện;"
        " anh/chị đăng ký đơn vị của mình trong số đó."
    )


class AccessBase:
    """The database, plan, clock and bot admins the access services work with."""

    def __init__(
        self, db: Database, knowledge: Knowledge, clock: Clock, admin_ids: Iterable[int] = ()
    ):
        self.db = db
        self.knowledge = knowledge
        self.clock = clock
        self.admin_ids = frozenset(admin_ids)
        self.holders = Holders(knowledge.plan, knowledge.agencies, knowledge.timeline)

    # -- small helpers ------------------------------------------------------

    def is_admin(self, user_id: int | None) -> bool:
        return user_id is not None and user_id in self.admin_ids

    def _name(self, agency_id: str) -> str:
        return agency_name(self.knowledge.agencies, agency_id)

    def _items_of(self, agency_id: str) -> list[str]:
        """The items the agency holds today (its own, and those it took over)."""
        return self.holders.items(agency_id, self.clock.today())

    def example_agencies(self) -> list[str]:
        """Names to give as examples of registering, read from the plan as of today: the
        first department the plan names that exists today and holds work, then the first
        commune-level unit that does (none of an agency that has ended)."""
        today = self.clock.today()
        agencies = self.knowledge.agencies

        def usable(agency_id: str) -> bool:
            return self.holders.exists(agency_id, today) and bool(self._items_of(agency_id))

        named = dict.fromkeys(
            ar.agency for _, a in all_assignments(self.knowledge.plan) for ar in a.agencies
        )
        department = next(
            (a for a in named if a in agencies and agencies[a].kind == "department" and usable(a)),
            None,
        )
        commune = next(
            (a for a, agency in agencies.items() if agency.kind == "commune" and usable(a)), None
        )
        return [agencies[a].name for a in (department, commune) if a is not None]

    def _check_agency(self, agency_id: str) -> str | None:
        """A Vietnamese problem with registering for `agency_id`, or None."""
        if agency_id not in self.knowledge.agencies:
            return f"Không có cơ quan mã «{esc(agency_id)}» trong danh mục."
        gone = ended_text(self.knowledge, agency_id, self.clock.today())
        if gone:
            return gone
        if is_group(self.knowledge.agencies, agency_id):
            today = self.clock.today()
            members = [m for m, _ in self.holders.members_on(agency_id, today)]
            example = next((m for m in members if self.holders.exists(m, today)), None)
            return (
                f"«{esc(self._name(agency_id))}» là một nhóm cơ quan; anh/chị hãy đăng ký cho cơ"
                " quan cụ thể của mình"
                + (f", ví dụ {esc(self._name(example))}." if example else ".")
            )
        if not self._items_of(agency_id):
            return (
                f"{esc(self._name(agency_id))} không được giao nhiệm vụ nào trong Kế hoạch"
                f" {esc(self.knowledge.plan.meta.number)}, nên không cần đăng ký báo cáo."
            )
        return None
