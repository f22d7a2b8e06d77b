"""Members (user ↔ agency): /dangky requests, a bot admin's decisions (approve, reject,
revoke, by command or by a request's button), the cards and lists about them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from bot.core.reply import esc
from bot.core.text import clean
from bot.progress.access_base import (
    CLOSED,
    REGISTER_HINT,
    AccessBase,
    AccessResult,
    ended_text,
    request_token,
)
from bot.storage.base import ACCESS_LABELS, AccessStatus, Member

APPROVE, REJECT, REVOKE, REAPPROVE = "ok", "no", "off", "re"
# a decision on a named request: (the status it leads to, the statuses it acts from)
DECISIONS: dict[str, tuple[AccessStatus, tuple[AccessStatus, ...]]] = {
    APPROVE: ("approved", ("pending",)),
    REJECT: ("rejected", ("pending",)),
    REVOKE: ("revoked", ("approved",)),
    REAPPROVE: ("approved", ("rejected", "revoked")),
}
MAX_CHOICE_ROWS = 30  # members offered as buttons in one list (Telegram allows 100 buttons)
LABEL_LIMIT = 48


@dataclass(frozen=True)
class MemberChoice:
    """A decision a bot admin can take from a list (/thanhvien, /duyet, /thuhoi): one
    button, acting only on the request `request` names (`request_token`)."""

    label: str
    action: str  # one of DECISIONS
    user_id: int
    request: str


def _short(text: str) -> str:
    return text if len(text) <= LABEL_LIMIT else text[: LABEL_LIMIT - 1].rstrip() + "…"


class MemberAccess(AccessBase):
    """Members over a `Database`."""

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
                "already", f"Anh/chị đã đăng ký cho <b>{name}</b> và {state}.", member=current
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
        if request is not None:  # a button: only its request, in the state it was shown in
            if request != request_token(current.requested_at) or current.status not in allowed_from:
                same = request == request_token(current.requested_at)
                return already if same and current.status == status else self._closed(current)
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
                f"Yêu cầu của anh/chị đã được duyệt: anh/chị báo cáo tiến độ cho <b>{name}</b>."
                " Gửi /capnhat &lt;số mục&gt; … để báo cáo.",
            ),
            "rejected": (
                f"Đã từ chối yêu cầu của {who} ({name}).",
                f"Yêu cầu đăng ký báo cáo cho <b>{name}</b> chưa được chấp thuận."
                " Liên hệ quản trị viên nếu cần.",
            ),
            "revoked": (
                f"Đã thu hồi quyền báo cáo của {who} ({name}).",
                f"Quyền báo cáo cho <b>{name}</b> của anh/chị đã được thu hồi.",
            ),
        }
        message, notice = messages[status]
        return AccessResult("ok", message, decided, notice=notice)

    def _closed(self, current: Member) -> AccessResult:
        who = esc(current.display_name or str(current.user_id))
        return AccessResult(
            "closed",
            f"{CLOSED}: hiện {who} ({esc(self._name(current.agency_id))}) ở trạng thái"
            f" «{ACCESS_LABELS[current.status]}». Nút này không còn tác dụng; xem /thanhvien"
            " để quyết định lại nếu cần.",
            current,
        )

    async def approve_member(
        self, admin_id: int, user_id: int, request: str | None = None
    ) -> AccessResult:
        """/duyet (any request not approved) or a ✅ button (`request`: that one only)."""
        if request is not None:
            return await self.decide_request(admin_id, user_id, APPROVE, request)
        return await self._decide_member(
            admin_id, user_id, "approved", ("pending", "rejected", "revoked"), request
        )

    async def reject_member(
        self, admin_id: int, user_id: int, request: str | None = None
    ) -> AccessResult:
        return await self._decide_member(admin_id, user_id, "rejected", ("pending",), request)

    async def revoke_member(
        self, admin_id: int, user_id: int, request: str | None = None
    ) -> AccessResult:
        """/thuhoi (approved or pending) or a «Thu hồi» button (`request`: that approval)."""
        if request is not None:
            return await self.decide_request(admin_id, user_id, REVOKE, request)
        return await self._decide_member(admin_id, user_id, "revoked", ("approved", "pending"))

    async def decide_request(
        self, admin_id: int, user_id: int, action: str, request: str
    ) -> AccessResult:
        """A list's or a card's button (`MemberChoice`): the decision `action` on the
        request `request` names, only while it is in the state the button was shown for."""
        status, allowed_from = DECISIONS[action]
        return await self._decide_member(admin_id, user_id, status, allowed_from, request)

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
            lines.append("Anh/chị chưa đăng ký cơ quan. " + REGISTER_HINT)
        else:
            name = esc(self._name(member.agency_id))
            lines.append(f"Cơ quan: <b>{name}</b> ({ACCESS_LABELS[member.status]}).")
            gone = ended_text(self.knowledge, member.agency_id, self.clock.today())
            if gone:
                lines.append(gone)
            elif member.status == "approved":
                items = ", ".join(self._items_of(member.agency_id))
                lines.append(f"Các mục cơ quan được giao: {esc(items)}.")
        if self.is_admin(user_id):
            lines.append("Vai trò: quản trị viên bot (duyệt thành viên, báo cáo cho mọi cơ quan).")
        elif member is not None and member.status == "approved":
            lines.append("Vai trò: thành viên báo cáo.")
        return "\n".join(lines)

    def _when(self, at: datetime) -> str:
        return f"{at.astimezone(self.clock.tz):%d/%m/%Y}"

    def member_line(self, member: Member) -> str:
        """«Lan — Sở Nội vụ — đăng ký 15/06/2026» (a decided one: the decision's date)."""
        who = esc(member.display_name or "(không tên)")
        line = f"{who} — {esc(self._name(member.agency_id))}"
        line += f" — đăng ký {self._when(member.requested_at)}"
        if member.status != "pending" and member.decided_at is not None:
            verb = {"approved": "duyệt", "rejected": "từ chối", "revoked": "thu hồi"}
            line += f", {verb[member.status]} {self._when(member.decided_at)}"
        return line

    def members_html(self, status: AccessStatus | None = None) -> str:
        """/thanhvien: members grouped by status, each with name, agency and dates."""
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
            lines += [f"• {self.member_line(m)}" for m in group]
        return "\n".join(lines)

    def member_choices(
        self, members: Sequence[Member], *, reapprove: bool = False
    ) -> list[list[MemberChoice]]:
        """The buttons of a list, one row a member: ✅ Duyệt / ❌ Từ chối a pending
        request, «Thu hồi» an approved member, «Duyệt lại» a rejected or revoked one
        when `reapprove`; at most `MAX_CHOICE_ROWS` rows."""
        rows: list[list[MemberChoice]] = []
        for m in members:
            who = f"{m.display_name or '(không tên)'} — {self._name(m.agency_id)}"
            token = request_token(m.requested_at)
            if m.status == "pending":
                row = [
                    MemberChoice(_short(f"✅ Duyệt {who}"), APPROVE, m.user_id, token),
                    MemberChoice("❌ Từ chối", REJECT, m.user_id, token),
                ]
            elif m.status == "approved":
                row = [MemberChoice(_short(f"Thu hồi {who}"), REVOKE, m.user_id, token)]
            elif reapprove:
                row = [MemberChoice(_short(f"✅ Duyệt lại {who}"), REAPPROVE, m.user_id, token)]
            else:
                continue
            rows.append(row)
        return rows[:MAX_CHOICE_ROWS]

    def members_view(self) -> tuple[str, list[list[MemberChoice]]]:
        """/thanhvien: the list and its buttons (pending requests, then approved members)."""
        html = self.members_html()
        members = self.db.list_members(None)
        ordered = [m for m in members if m.status == "pending"]
        ordered += [m for m in members if m.status == "approved"]
        choices = self.member_choices(ordered)
        if len(ordered) > len(choices):
            html += f"\n\n(Nút cho {len(choices)} người đầu; dùng /duyet, /thuhoi để xem tiếp.)"
        return html, choices

    def decision_list(self, revoke: bool) -> tuple[str, list[list[MemberChoice]]]:
        """/duyet (`revoke` False) or /thuhoi without an argument: the requests waiting
        (and the rejected or revoked, to approve again), or the approved members, as
        buttons; a sentence when there is none."""
        members = self.db.list_members(None)
        if revoke:
            shown = [m for m in members if m.status == "approved"]
            if not shown:
                return "Không có thành viên nào đang được quyền báo cáo để thu hồi.", []
            title = "Chọn thành viên cần thu hồi quyền báo cáo:"
            choices = self.member_choices(shown)
        else:
            shown = [m for m in members if m.status == "pending"]
            shown += [m for m in members if m.status in ("rejected", "revoked")]
            if not shown:
                return "Không có yêu cầu đăng ký nào đang chờ duyệt.", []
            title = "Chọn yêu cầu cần duyệt:"
            choices = self.member_choices(shown, reapprove=True)
        lines = [title] + [f"• {self.member_line(m)} ({ACCESS_LABELS[m.status]})" for m in shown]
        return "\n".join(lines), choices

    def _approved_agency(self, user_id: int | None) -> str | None:
        if user_id is None:
            return None
        member = self.db.get_member(user_id)
        return member.agency_id if member and member.status == "approved" else None
