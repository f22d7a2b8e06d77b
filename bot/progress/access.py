"""Who may report: members (user ↔ agency) and group chats linked to an agency.

A user asks to report for an agency (/dangky), a bot admin approves, rejects or
revokes; a group admin links a group chat to an agency (/lienket), a bot admin
confirms. A confirmed link stays in force when a group admin asks for another
agency: the change waits beside it until a bot admin confirms it. A decision
button names its request (`request_token`) and acts on nothing else: once that
request is decided, revoked or replaced, the button says the request is closed.
Every decision is audited by the storage. Transport-free.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from bot.core.clock import Clock
from bot.core.reply import esc
from bot.core.text import clean
from bot.plan.loader import Knowledge
from bot.plan.responsibility import agency_items, agency_name, is_group
from bot.progress.types import Asker
from bot.storage.base import ACCESS_LABELS, AccessStatus, ChatLink, Database, Member

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


class AccessService:
    """Members (user ↔ agency) and linked group chats over a `Database`."""

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

    # -- members --------------------------------------------------------------

    def member(self, user_id: int) -> Member | None:
        return self.db.get_member(user_id)

    def members(
        self, status: AccessStatus | None = None, agency_id: str | None = None
    ) -> list[Member]:
        return self.db.list_members(status, agency_id)

    async def request_membership(
        self, user_id: int, agency_id: str, display_name: str | None = None
    ) -> AccessResult:
        """/dangky: ask to report for an agency; admins approve or reject."""
        problem = self._check_agency(agency_id)
        if problem:
            code = "unknown_agency" if agency_id not in self.knowledge.agencies else "bad_agency"
            return AccessResult(code, problem)
        current = self.db.get_member(user_id)
        name = esc(self._name(agency_id))
        if current and current.agency_id == agency_id and current.status in ("pending", "approved"):
            state = "đã được duyệt" if current.status == "approved" else "đang chờ duyệt"
            return AccessResult(
                "already", f"Bạn đã đăng ký cho <b>{name}</b> và {state}.", member=current
            )
        member = await self.db.save_member_request(
            user_id, agency_id, clean(display_name or "") or None, self.clock.now()
        )
        text = (
            f"Đã gửi yêu cầu đăng ký báo cáo cho <b>{name}</b>; vui lòng chờ quản trị viên duyệt."
        )
        if current and current.status == "approved" and current.agency_id != agency_id:
            text += (
                f"\nĐăng ký cũ ({esc(self._name(current.agency_id))}) không còn hiệu lực;"
                " yêu cầu mới cần được duyệt lại."
            )
        return AccessResult("ok", text, member=member)

    async def _decide_member(
        self,
        admin_id: int,
        user_id: int,
        status: AccessStatus,
        allowed_from: tuple[AccessStatus, ...],
        request: str | None = None,
    ) -> AccessResult:
        """Apply a decision; with `request` (a button's `request_token`), only to that
        request while it is pending."""
        if not self.is_admin(admin_id):
            return AccessResult(
                "not_admin", "Chỉ quản trị viên bot mới duyệt hoặc thu hồi thành viên."
            )
        current = self.db.get_member(user_id)
        if current is None:
            return AccessResult(
                "not_found", f"Không có yêu cầu đăng ký nào của người dùng {user_id}."
            )
        who = esc(current.display_name or str(user_id))
        name = esc(self._name(current.agency_id))
        already = AccessResult(
            "already", f"{who} ({name}) đã ở trạng thái «{ACCESS_LABELS[status]}».", current
        )
        if request is not None:
            if request != request_token(current.requested_at) or current.status != "pending":
                same = request == request_token(current.requested_at)
                return already if same and current.status == status else self._closed(current)
            allowed_from = ("pending",)
        elif current.status == status:
            return already
        decided = await self.db.decide_member(
            user_id,
            status,
            allowed_from=allowed_from,
            by=admin_id,
            at=self.clock.now(),
            requested_at=current.requested_at if request is not None else None,
        )
        if decided is None and request is not None:  # decided or replaced meanwhile
            return self._closed(self.db.get_member(user_id) or current)
        if decided is None:
            return AccessResult(
                "bad_state",
                f"Không thể chuyển {who} từ «{ACCESS_LABELS[current.status]}»"
                f" sang «{ACCESS_LABELS[status]}».",
                current,
            )
        messages = {
            "approved": (
                f"Đã duyệt {who} báo cáo cho <b>{name}</b>.",
                f"Yêu cầu của bạn đã được duyệt: bạn báo cáo tiến độ cho <b>{name}</b>."
                " Gửi /capnhat &lt;số mục&gt; … để báo cáo.",
            ),
            "rejected": (
                f"Đã từ chối yêu cầu của {who} ({name}).",
                f"Yêu cầu đăng ký báo cáo cho <b>{name}</b> chưa được chấp thuận."
                " Liên hệ quản trị viên nếu cần.",
            ),
            "revoked": (
                f"Đã thu hồi quyền báo cáo của {who} ({name}).",
                f"Quyền báo cáo cho <b>{name}</b> của bạn đã được thu hồi.",
            ),
        }
        message, notice = messages[status]
        return AccessResult("ok", message, decided, notice=notice)

    def _closed(self, current: Member) -> AccessResult:
        who = esc(current.display_name or str(current.user_id))
        return AccessResult(
            "closed",
            f"{CLOSED}: hiện {who} ({esc(self._name(current.agency_id))}) ở trạng thái"
            f" «{ACCESS_LABELS[current.status]}». Nút này không còn tác dụng; xem /thanhvien,"
            f" duyệt lại bằng /duyet {current.user_id} nếu cần.",
            current,
        )

    async def approve_member(
        self, admin_id: int, user_id: int, request: str | None = None
    ) -> AccessResult:
        """/duyet (any request not approved) or a ✅ button (`request`: that one only)."""
        return await self._decide_member(
            admin_id, user_id, "approved", ("pending", "rejected", "revoked"), request
        )

    async def reject_member(
        self, admin_id: int, user_id: int, request: str | None = None
    ) -> AccessResult:
        return await self._decide_member(admin_id, user_id, "rejected", ("pending",), request)

    async def revoke_member(self, admin_id: int, user_id: int) -> AccessResult:
        return await self._decide_member(admin_id, user_id, "revoked", ("approved", "pending"))

    def member_request_html(self, member: Member) -> str:
        """The card admins see for a registration request."""
        who = esc(member.display_name or "(không tên)")
        return (
            f"Yêu cầu đăng ký: {who} (id <code>{member.user_id}</code>) xin báo cáo tiến độ cho"
            f" <b>{esc(self._name(member.agency_id))}</b>."
        )

    def whoami_html(self, user_id: int) -> str:
        """/toi: one's agency, role and items."""
        member = self.db.get_member(user_id)
        lines: list[str] = []
        if member is None:
            lines.append("Bạn chưa đăng ký cơ quan. " + REGISTER_HINT)
        else:
            name = esc(self._name(member.agency_id))
            lines.append(f"Cơ quan: <b>{name}</b> ({ACCESS_LABELS[member.status]}).")
            if member.status == "approved":
                items = ", ".join(self._items_of(member.agency_id))
                lines.append(f"Các mục cơ quan được giao: {esc(items)}.")
        if self.is_admin(user_id):
            lines.append("Vai trò: quản trị viên bot (duyệt thành viên, báo cáo cho mọi cơ quan).")
        elif member is not None and member.status == "approved":
            lines.append("Vai trò: thành viên báo cáo.")
        return "\n".join(lines)

    def members_html(self, status: AccessStatus | None = None) -> str:
        """/thanhvien: members grouped by status, with ids for /duyet and /thuhoi."""
        members = self.db.list_members(status)
        if not members:
            return "Chưa có thành viên nào" + (
                f" ở trạng thái «{ACCESS_LABELS[status]}»." if status else "."
            )
        lines = ["<b>Thành viên</b>"]
        for state in ("pending", "approved", "rejected", "revoked"):
            group = [m for m in members if m.status == state]
            if not group:
                continue
            lines.append(f"\n<b>{ACCESS_LABELS[state].capitalize()}</b> ({len(group)})")
            for m in group:
                who = esc(m.display_name or "(không tên)")
                lines.append(
                    f"• {who} — {esc(self._name(m.agency_id))} — id <code>{m.user_id}</code>"
                )
        return "\n".join(lines)

    # -- chat links -----------------------------------------------------------

    async def request_chat_link(
        self, chat_id: int, agency_id: str, requested_by: int, title: str | None = None
    ) -> AccessResult:
        """/lienket in a group (the caller checks the sender is a group admin)."""
        problem = self._check_agency(agency_id)
        if problem:
            code = "unknown_agency" if agency_id not in self.knowledge.agencies else "bad_agency"
            return AccessResult(code, problem)
        name = esc(self._name(agency_id))
        current = self.db.get_chat_link(chat_id)
        confirmed = current is not None and current.status == "approved"
        change = current.pending_agency_id if current is not None and confirmed else None
        open_request = current is not None and current.status in ("pending", "approved")
        if current and open_request and current.agency_id == agency_id and change is None:
            state = "đã được xác nhận" if confirmed else "đang chờ xác nhận"
            return AccessResult(
                "already", f"Nhóm này đã liên kết với <b>{name}</b> ({state}).", link=current
            )
        if current is not None and change is not None and change == agency_id:
            return AccessResult(
                "already",
                f"Yêu cầu đổi liên kết nhóm này sang <b>{name}</b> đang chờ quản trị viên bot"
                f" xác nhận; trong khi chờ, nhóm vẫn liên kết với"
                f" <b>{esc(self._name(current.agency_id))}</b>.",
                link=current,
            )
        link = await self.db.save_chat_link_request(
            chat_id, agency_id, clean(title or "") or None, requested_by, self.clock.now()
        )
        if current is not None and confirmed and current.agency_id == agency_id:
            return AccessResult(
                "cancelled",
                f"Nhóm vẫn liên kết với <b>{name}</b>; yêu cầu đổi sang"
                f" {esc(self._name(change or ''))} đã được hủy.",
                link=link,
            )
        if current is not None and confirmed:
            return AccessResult(
                "ok",
                f"Đã gửi yêu cầu đổi liên kết nhóm này sang <b>{name}</b>; trong khi chờ quản trị"
                f" viên bot xác nhận, nhóm vẫn liên kết với"
                f" <b>{esc(self._name(current.agency_id))}</b>.",
                link=link,
            )
        return AccessResult(
            "ok",
            f"Đã gửi yêu cầu liên kết nhóm này với <b>{name}</b>; chờ quản trị viên bot xác nhận.",
            link=link,
        )

    async def _decide_chat(
        self,
        admin_id: int,
        chat_id: int,
        status: AccessStatus,
        allowed_from: tuple[AccessStatus, ...],
        request: str | None = None,
    ) -> AccessResult:
        """Apply a decision to the link or, when it names the change waiting beside a
        confirmed link, to that change; with `request` (a button's `request_token`),
        only to that request while it is open."""
        if not self.is_admin(admin_id):
            return AccessResult("not_admin", "Chỉ quản trị viên bot mới xác nhận liên kết nhóm.")
        current = self.db.get_chat_link(chat_id)
        if current is None:
            return AccessResult("not_found", f"Không có yêu cầu liên kết nào của nhóm {chat_id}.")
        title = esc(current.title or str(chat_id))
        change_at = current.pending_requested_at if current.pending_agency_id else None
        already = AccessResult(
            "already", f"Nhóm {title} đã ở trạng thái «{ACCESS_LABELS[status]}».", link=current
        )
        own = request_token(current.requested_at)
        target: datetime | None = None  # the request decided, when it must be that one
        if request is None:
            target = change_at if status in ("approved", "rejected") else None
            if target is None and current.status == status:
                return already
        elif change_at is not None and request == request_token(change_at):
            target = change_at
        elif request == own and current.status == "pending":
            target, allowed_from = current.requested_at, ("pending",)
        elif request == own and current.status == status and change_at is None:
            return already
        else:
            return self._closed_link(current)
        decided = await self.db.decide_chat_link(
            chat_id,
            status,
            allowed_from=allowed_from,
            by=admin_id,
            at=self.clock.now(),
            requested_at=target,
        )
        if decided is None and request is not None:  # decided or replaced meanwhile
            return self._closed_link(self.db.get_chat_link(chat_id) or current)
        if decided is None:
            return AccessResult(
                "bad_state",
                f"Không thể chuyển liên kết nhóm {title} sang «{ACCESS_LABELS[status]}».",
                link=current,
            )
        name = esc(self._name(current.agency_id))
        if target is not None and target == change_at and current.pending_agency_id:
            new = esc(self._name(current.pending_agency_id))
            texts = {
                "approved": (
                    f"Đã xác nhận đổi liên kết nhóm {title}: từ {name} sang <b>{new}</b>.",
                    f"Nhóm đã chuyển liên kết sang <b>{new}</b> (trước đây: {name}): thành viên"
                    " đã duyệt của cơ quan báo cáo tại đây sẽ được ghi cho cơ quan này.",
                ),
                "rejected": (
                    f"Đã từ chối đổi liên kết nhóm {title} sang {new}; nhóm vẫn liên kết với"
                    f" <b>{name}</b>.",
                    f"Yêu cầu đổi liên kết nhóm sang <b>{new}</b> chưa được chấp thuận; nhóm vẫn"
                    f" liên kết với <b>{name}</b>.",
                ),
            }
        else:
            texts = {
                "approved": (
                    f"Đã xác nhận nhóm {title} thuộc <b>{name}</b>.",
                    f"Nhóm đã được liên kết với <b>{name}</b>: thành viên đã duyệt của cơ quan"
                    " báo cáo tại đây sẽ được ghi cho cơ quan này.",
                ),
                "rejected": (
                    f"Đã từ chối liên kết nhóm {title} với {name}.",
                    f"Yêu cầu liên kết nhóm với <b>{name}</b> chưa được chấp thuận.",
                ),
                "revoked": (
                    f"Đã hủy liên kết nhóm {title} với {name}.",
                    f"Nhóm không còn liên kết với <b>{name}</b>.",
                ),
            }
        message, notice = texts[status]
        return AccessResult("ok", message, link=decided, notice=notice)

    def _closed_link(self, current: ChatLink) -> AccessResult:
        title = esc(current.title or str(current.chat_id))
        name = esc(self._name(current.agency_id))
        if current.status == "approved":
            state = f"nhóm {title} đang liên kết với {name}"
            if current.pending_agency_id:
                new = esc(self._name(current.pending_agency_id))
                state += f"; yêu cầu đổi sang {new} (thẻ mới hơn) đang chờ xác nhận"
        else:
            state = (
                f"liên kết nhóm {title} với {name} ở trạng thái «{ACCESS_LABELS[current.status]}»"
            )
        return AccessResult(
            "closed", f"{CLOSED}: hiện {state}. Nút này không còn tác dụng.", link=current
        )

    async def approve_chat_link(
        self, admin_id: int, chat_id: int, request: str | None = None
    ) -> AccessResult:
        """Confirm the open request (a change waiting beside a confirmed link first); a
        button's `request` confirms that request only."""
        return await self._decide_chat(
            admin_id, chat_id, "approved", ("pending", "rejected", "revoked"), request
        )

    async def reject_chat_link(
        self, admin_id: int, chat_id: int, request: str | None = None
    ) -> AccessResult:
        return await self._decide_chat(admin_id, chat_id, "rejected", ("pending",), request)

    async def revoke_chat_link(self, admin_id: int, chat_id: int) -> AccessResult:
        return await self._decide_chat(admin_id, chat_id, "revoked", ("approved", "pending"))

    def chat_agency(self, chat_id: int | None) -> str | None:
        """The agency a confirmed group chat reports for."""
        if chat_id is None:
            return None
        link = self.db.get_chat_link(chat_id)
        return link.agency_id if link and link.status == "approved" else None

    # -- who is asking --------------------------------------------------------

    def _approved_agency(self, user_id: int | None) -> str | None:
        if user_id is None:
            return None
        member = self.db.get_member(user_id)
        return member.agency_id if member and member.status == "approved" else None

    def asker(
        self, user_id: int | None, display_name: str | None = None, chat_id: int | None = None
    ) -> Asker:
        """The `Asker` the brain needs: approved agency (or the linked chat's), admin flag."""
        agency = self.chat_agency(chat_id) or self._approved_agency(user_id)
        return Asker(
            user_id=user_id,
            agency_id=agency,
            is_admin=self.is_admin(user_id),
            display_name=display_name,
            chat_id=chat_id,
        )

    def reportable_items(self, user_id: int | None, chat_id: int | None = None) -> list[str]:
        """Item ids the user may report on from this chat (for "which item?" buttons)."""
        agency = self.chat_agency(chat_id) or self._approved_agency(user_id)
        if agency is not None:
            return self._items_of(agency)
        if self.is_admin(user_id):
            return [item.id for item in self.knowledge.plan.items]
        return []

    def may_read_notes(self, user_id: int | None, chat_id: int | None = None) -> bool:
        """Whether the reports' notes and reporters' names may be shown: to bot admins, to
        approved members (of any agency of the plan) and in a group linked to an agency;
        everyone else sees the statuses only."""
        return (
            self.is_admin(user_id)
            or self._approved_agency(user_id) is not None
            or self.chat_agency(chat_id) is not None
        )

    # -- reporting --------------------------------------------------------------
