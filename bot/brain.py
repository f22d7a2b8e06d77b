"""The brain: from a message (however it is typed) to a grounded Vietnamese reply.

A thin facade, transport-free: the Telegram handlers, the terminal chat and
`python -m bot ask` all call `Brain.answer`, which understands the message
(`bot.nlu.understanding`) and then answers it (`bot.answers`), reading only the plan
and stored progress. Given a chat key and a conversation store, a message is read
against that chat's short context first (`bot.conversation`): «còn Sở Tài chính?»,
«hạn khi nào?», «việc thứ hai», «thêm».
"""

from __future__ import annotations

import re
from collections import OrderedDict
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bot.answers.answerer import Answerer
from bot.conversation import Conversations, ConversationStore
from bot.core.reply import Button, Reply, esc
from bot.nlu.followups import FollowUpReader
from bot.nlu.understanding import Understander, Understanding
from bot.plan.agencies import AgencyRegistry
from bot.plan.library import Library, button_id, plan_key, qualified
from bot.plan.loader import Knowledge
from bot.progress.drafts import UpdateChecker
from bot.progress.types import Asker, ProgressReader

if TYPE_CHECKING:
    from bot.progress.view import ProgressView

__all__ = ["Brain", "PlanDesk", "Understanding"]

LONG_MESSAGE = 300  # characters: past this, an unclear message is read again by its end
_SENTENCE_END = re.compile(r"(?<=[.!?…\n])\s+")


def last_sentences(text: str, count: int = 2) -> str:
    """The last `count` sentences of a message (its question is usually there)."""
    parts = [p for p in _SENTENCE_END.split(text.strip()) if p.strip()]
    return " ".join(parts[-count:])


class Brain:
    """Understands messages about one plan and answers them.

    `updates` checks progress updates: the progress service's `checker` where members
    report (the composition root passes it); by default the operator's rules, as
    `python -m bot ask` and the terminal chat use. `view` is the process's one progress
    view of `progress` (the composition root's); without it one is made when needed.
    `conversations` keeps each chat's context (the composition root's one store); without
    it every message is read on its own."""

    def __init__(
        self,
        knowledge: Knowledge,
        progress: ProgressReader | None = None,
        intents_dir: Path | None = None,
        registry: AgencyRegistry | None = None,
        updates: UpdateChecker | None = None,
        view: ProgressView | None = None,
        conversations: ConversationStore | None = None,
    ):
        self.knowledge = knowledge
        self.progress = progress
        self.understander = Understander(knowledge, intents_dir, registry)
        self.registry = self.understander.registry
        self.answerer = Answerer(
            knowledge, self.registry, self.understander.folder, progress, updates, view
        )
        reader = FollowUpReader.load(self.understander.folder, self.understander.lexicon)
        self.conversations = (
            Conversations(conversations, reader) if conversations is not None else None
        )

    def understand(self, message: str) -> Understanding:
        return self.understander.understand(message)

    # --- answering -----------------------------------------------------------

    def warm_up(self, today: date) -> None:
        """Do at start-up what the first progress question would otherwise do in the
        event loop: read the stored history and derive today's progress."""
        self.answerer.warm_up(today)

    def answer(
        self,
        text: str,
        *,
        today: date,
        asker: Asker | None = None,
        chat: str | None = None,
        fresh: bool = False,
        plan: str | None = None,
    ) -> Reply:
        """Understand `text` and compose the reply, relative to `today` (`plan`, a chat's
        default plan, means nothing to the brain of one plan). With a `chat`
        key (`bot.conversation.chat_key`) the message may be a follow-up of that chat's
        last questions, and the reply is remembered for the next; a `fresh` question (a
        command's, a button's) is read on its own and remembered. The reply carries the
        plan's number."""
        reply = self._answer(text, today=today, asker=asker, chat=chat, fresh=fresh)
        reply.plan = self.knowledge.plan.meta.number
        return reply

    def _answer(
        self,
        text: str,
        *,
        today: date,
        asker: Asker | None,
        chat: str | None,
        fresh: bool,
    ) -> Reply:
        understanding = self.understand(text)
        if len(text) > LONG_MESSAGE:
            # a long message that ends with its question («… Sở Nội vụ có nhiệm vụ gì?»):
            # its last sentences alone, when they ask something of the plan
            for count in (1, 2):
                tail = self.understand(last_sentences(text, count))
                if tail.intent not in ("unknown", "smalltalk"):
                    understanding = tail
                    break
        talk = self.conversations
        if chat is None or talk is None:
            return self.answerer.reply(understanding, today=today, asker=asker)
        turn = talk.resolve(understanding, chat, fresh=fresh)
        if turn.more:
            return talk.more(chat) or talk.nothing_more(chat)
        if turn.reply is not None:
            reply = turn.reply
        else:
            reply = self.answerer.reply(turn.understanding, today=today, asker=asker)
        return talk.remember(chat, turn, reply)

    def asks_more(self, text: str) -> bool:
        """Whether `text` asks for the rest of the last list («thêm», «xem tất cả»)."""
        if self.conversations is None:
            return False
        return bool(self.conversations.reader.read(self.understand(text)).more)

    def follows_up(self, text: str, chat: str) -> bool:
        """Whether `text` reads as a follow-up of the chat's last question («còn Sở Tài
        chính?», «hạn khi nào?», «thêm»); nothing is remembered."""
        if self.conversations is None:
            return False
        turn = self.conversations.resolve(self.understand(text), chat)
        return turn.followup or turn.more

    def more(self, chat: str, key: str | None = None) -> Reply | None:
        """The whole of the chat's last list that was cut («Xem tất cả»); None when there
        is none, it has expired, or `key` names an older list."""
        if self.conversations is None:
            return None
        return self.conversations.more(chat, key)


# --- several plans -------------------------------------------------------------------

GROUPED_MORE = "a11"  # the «Xem tất cả» key of an answer grouped by plan (hex, as keys are)
CHATS_KEPT = 10_000  # chats whose last plan scope and grouped list the desk keeps


def _keep(kept: OrderedDict[str, Any], chat: str, value: Any) -> None:
    """Keep `value` for `chat`, the oldest chats forgotten past CHATS_KEPT."""
    kept[chat] = value
    kept.move_to_end(chat)
    while len(kept) > CHATS_KEPT:
        kept.popitem(last=False)


# intents whose answer does not depend on the plan: the main plan's brain gives it
_PLAN_FREE = frozenset({"smalltalk", "help", "unknown"})
_NAMES_THE_PLANS = frozenset({"help", "unknown"})  # replies that name the plan served
_BUTTON_ITEM_ACTIONS = frozenset({"open_item", "history", "update_item"})


def _found(reply: Reply) -> bool:
    """Whether a plan's reply found something of its own (items, or an answer about it)."""
    return bool(reply.task_ids or reply.general_task_ids or reply.inherited_task_ids) or (
        reply.intent == "plan_info"
    )


class PlanDesk:
    """Several plans' brains behind one door (`bot.plan.library.Library`).

    A message that names a plan («kế hoạch 58 …», «KH 12/KH-UBND», «58: 1.2») is answered
    by that plan's brain, the mention taken out; so is one in a chat whose default plan
    is set (`plan=`, from /kehoach), and a follow-up of a chat's last plan-scoped answer.
    Any other question is asked of every plan and the answers are grouped by plan, the
    count per plan first. With one plan the desk is that plan's brain, answers unchanged
    but for the `plan` key."""

    def __init__(self, library: Library, brains: list[Brain]):
        self._scope: OrderedDict[str, str] = OrderedDict()  # chat → its last answer's plan
        self._more: OrderedDict[str, Reply] = OrderedDict()  # chat → its last grouped list
        self.serve(library, brains)

    def serve(self, library: Library, brains: list[Brain]) -> None:
        """Serve these plans from now on (an admin activated one)."""
        from bot.nlu.plans import PlanMentions

        if len(brains) != len(library):
            raise ValueError("mỗi kế hoạch một bộ não")
        self.library = library
        self.brains = {
            plan_key(k.plan.meta.number): b for k, b in zip(library, brains, strict=True)
        }
        self.mentions = PlanMentions(library)

    @property
    def knowledge(self) -> Knowledge:
        return self.library.main

    @property
    def main(self) -> Brain:
        return next(iter(self.brains.values()))

    def _plan(self, key: str) -> Knowledge:
        """The plan of a key the desk serves."""
        knowledge = self.library.get(key)
        assert knowledge is not None
        return knowledge

    def _chat_of(self, key: str, chat: str | None) -> str | None:
        """Each plan's conversation of a chat; the main plan's is the chat's own."""
        if chat is None or key == next(iter(self.brains)):
            return chat
        return f"{chat}@{key}"

    def answer(
        self,
        text: str,
        *,
        today: date,
        asker: Asker | None = None,
        chat: str | None = None,
        fresh: bool = False,
        plan: str | None = None,
    ) -> Reply:
        """`Brain.answer` over the plans; `plan`: the chat's default plan (its key)."""
        key: str | None
        if not self.library.several:
            return self._tagged(
                next(iter(self.brains)),
                self.main.answer(text, today=today, asker=asker, chat=chat, fresh=fresh),
            )
        mention = self.mentions.find(text)
        if mention is not None and mention.rest.strip():
            key, text = mention.key, mention.rest
        elif mention is not None:
            key, text = mention.key, "kế hoạch này là gì"
        elif plan is not None and self.library.get(plan) is not None:
            key = plan_key(plan)
        else:
            key = self._following(text, chat)
        if key is not None:
            if chat is not None:
                _keep(self._scope, chat, key)
            brain = self.brains[key]
            reply = brain.answer(
                text, today=today, asker=asker, chat=self._chat_of(key, chat), fresh=fresh
            )
            return self._tagged(key, reply)
        if chat is not None:
            self._scope.pop(chat, None)
            if chat in self._more and self.main.asks_more(text):
                return self._more[chat]  # «thêm» after an answer grouped by plan
        replies = {
            key: brain.answer(
                text, today=today, asker=asker, chat=self._chat_of(key, chat), fresh=fresh
            )
            for key, brain in self.brains.items()
        }
        return self._grouped(replies, chat)

    def _following(self, text: str, chat: str | None) -> str | None:
        """The plan of the chat's last scoped answer, when `text` follows it up."""
        if chat is None:
            return None
        key = self._scope.get(chat)
        if key is None:
            return None
        if self.brains[key].follows_up(text, self._chat_of(key, chat) or chat):
            return key
        return None

    def _tagged(self, key: str, reply: Reply) -> Reply:
        """A plan's own reply: its number, and item buttons that name the plan."""
        reply.plan = self._plan(key).plan.meta.number
        if self.library.several:
            reply.buttons = [[self._qualified_button(key, b) for b in row] for row in reply.buttons]
        return reply

    @staticmethod
    def _qualified_button(key: str, button: Button) -> Button:
        if button.action in _BUTTON_ITEM_ACTIONS and button.args:
            return Button(button.text, action=button.action, args=(button_id(key, button.args[0]),))
        if button.action == "pick" and len(button.args) == 2:
            return Button(
                button.text, action="pick", args=(button.args[0], button_id(key, button.args[1]))
            )
        return button

    def _grouped(self, replies: dict[str, Reply], chat: str | None) -> Reply:
        """The answers of every plan to one question, grouped by plan."""
        main_key = next(iter(replies))
        first = replies[main_key]
        if first.intent in _PLAN_FREE and all(r.intent == first.intent for r in replies.values()):
            reply = self._tagged(main_key, first)
            if reply.intent in _NAMES_THE_PLANS:  # it named the main plan only
                numbers = ", ".join(k.plan.meta.number for k in self.library)
                example = self.library.keys()[-1]
                reply.html += (
                    f"\n<i>Bot theo dõi {len(self.library)} kế hoạch: {esc(numbers)}; hỏi riêng"
                    f" một kế hoạch, ví dụ «kế hoạch {esc(example)} …», hoặc chọn bằng"
                    " /kehoach.</i>"
                )
            return reply
        found = {k: r for k, r in replies.items() if _found(r)}
        if not found:
            return self._tagged(main_key, first)
        if len(found) == 1:
            ((key, reply),) = found.items()
            others = [
                k.plan.meta.label for k in self.library if plan_key(k.plan.meta.number) != key
            ]
            reply = self._tagged(key, reply)
            reply.html += (
                f"\n<i>Theo {esc(self._plan(key).plan.meta.label)};"
                f" {esc(', '.join(others))} không có.</i>"
            )
            return reply
        if any(r.intent == "progress_update" for r in found.values()):
            return self._which_plan(found)
        labels = {k: self._plan(k).plan.meta.number for k in found}
        counts = ", ".join(
            labels[k]
            if r.intent == "plan_info"
            else f"{labels[k]} ({len(set(r.task_ids) | set(r.inherited_task_ids))} mục)"
            for k, r in found.items()
        )
        head = f"Có trong {len(found)} kế hoạch: {counts}."
        lines = [head]  # each plan's answer line; its details behind «Xem tất cả»
        full_lines = [head]
        cut = False
        buttons: list[list[Button]] = []
        for key, reply in found.items():
            meta = self._plan(key).plan.meta
            title = f" — {esc(meta.short_title)}" if meta.short_title else ""
            header = f"\n<b>{esc(meta.label)}</b>{title}"
            own = reply.html.split("\n")
            lines += [header, *own[:2]]
            if len(own) > 2:
                lines.append(f"<i>… còn {len(own) - 2} dòng (Xem tất cả).</i>")
            cut = cut or len(own) > 2 or reply.more is not None
            full_lines += [header, reply.more or reply.html]
            buttons += self._tagged(key, reply).buttons[:1]
        whole = "\n".join(full_lines) if cut else None
        shown = "\n".join(lines)
        qualified_ids = [qualified(k, i) for k, r in found.items() for i in r.task_ids]
        out = Reply(
            intent=next(iter(found.values())).intent,
            html=shown,
            confidence=max(r.confidence for r in found.values()),
            agency=first.agency or next(iter(found.values())).agency,
            agency_id=first.agency_id or next(iter(found.values())).agency_id,
            task_ids=qualified_ids,
            general_task_ids=[
                qualified(k, i) for k, r in found.items() for i in r.general_task_ids
            ],
            inherited_task_ids=[
                qualified(k, i) for k, r in found.items() for i in r.inherited_task_ids
            ],
            role=first.role,
            buttons=buttons[:3],
            plans=[labels[k] for k in found],
        )
        if whole is not None:
            out.more = whole
            if chat is not None:
                _keep(self._more, chat, replace(out, html=whole, more=None, buttons=[]))
            out.buttons = [
                [Button("Xem tất cả", action="more", args=(GROUPED_MORE,))],
                *out.buttons,
            ]
        return out

    def _which_plan(self, found: dict[str, Reply]) -> Reply:
        """A report on an item that several plans number alike: ask which plan."""
        item = next((r.task_ids[0] for r in found.values() if r.task_ids), "")
        labels = [self._plan(k).plan.meta.number for k in found]
        keys = list(found)
        html = (
            f"Mục {esc(item)} có trong {len(found)} kế hoạch: {esc(', '.join(labels))}. "
            f"Anh/chị ghi rõ kế hoạch, ví dụ «{esc(qualified(keys[-1], item))} đã xong»."
        )
        return Reply(intent="progress_update", html=html, confidence=0.5, plans=labels)

    def more(self, chat: str, key: str | None = None) -> Reply | None:
        if key == GROUPED_MORE:
            return self._more.get(chat)
        for plan, brain in self.brains.items():
            reply = brain.more(self._chat_of(plan, chat) or chat, key)
            if reply is not None:
                return self._tagged(plan, reply)
        return None
