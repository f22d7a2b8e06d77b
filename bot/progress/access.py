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

from bot.progress.chat_links import ChatLinkAccess
from bot.progress.members import MemberAccess
from bot.progress.types import Asker


class AccessService(MemberAccess, ChatLinkAccess):
    """Members (user ↔ agency) and linked group chats over a `Database`, and who is
    asking (`asker`, what they may report on and read)."""

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
