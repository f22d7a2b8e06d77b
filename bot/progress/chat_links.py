"""Group chats linked to an agency: /lienket requests, a change of agency waiting beside
a confirmed link, a bot admin's decisions (by command or by a request's button)."""

from __future__ import annotations

from datetime import datetime

from bot.core.reply import esc
from bot.core.text import clean
from bot.progress.access_base import CLOSED, AccessBase, AccessResult, request_token
from bot.storage.base import ACCESS_LABELS, AccessStatus, ChatLink


class ChatLinkAccess(AccessBase):
    """Linked group chats over a `Database`."""

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
