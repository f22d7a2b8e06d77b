"""Follow-ups: a message read against the chat's context, and the context kept up to date.

`Conversations.resolve` turns a message that leans on the conversation into the
question it stands for, as an `Understanding` the answers read like any other:

- «còn Sở Văn hóa?», «Sở Tài chính thì sao?», «còn mục 4.2?», «còn thường xuyên?»:
  the last question again, with the agency, item, period or role the message names
  (the rest of it kept: after «Sở Nội vụ chủ trì việc gì?», «còn Sở Tài chính?» asks
  what Sở Tài chính leads);
- «hạn khi nào?», «ai chủ trì?», «nó làm gì», «tiến độ thế nào»: that question about
  the item last talked about;
- «việc thứ hai», «cái cuối», «số 3 trong danh sách»: the item at that place of the
  list last shown;
- «thêm», «xem tất cả»: the rest of the last list that was cut (`Reply.more`).

Only a message that looks like a follow-up (its follow-up words, a bare name, or a
short question with no subject of its own) is read so; any other message is a new
question and starts afresh. `Conversations.remember` keeps what a reply was about.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from bot.answers.rendering import item_buttons
from bot.conversation.store import ChatContext, ConversationStore, MoreList
from bot.core.reply import Button, Reply, esc
from bot.nlu.classifier import IntentScores
from bot.nlu.entities import Entities, ItemRef
from bot.nlu.followups import FollowUpCues, FollowUpReader

if TYPE_CHECKING:
    from bot.nlu.understanding import Understanding

# the intents whose question can be asked again with another agency, item, period or role
QUERY_INTENTS = frozenset(
    {"agency_tasks", "deadline_tasks", "task_detail", "progress_status", "search"}
)
ITEM_INTENTS = frozenset({"task_detail", "progress_status"})
# what a subject-less question reads as on its own when it may be about the last item
# («ai chủ trì?» is not understood; «tiến độ thế nào» is the overview)
ITEM_FRIENDLY = frozenset(
    {"unknown", "task_detail", "progress_status", "agency_tasks", "deadline_tasks"}
)
# replies that tell which item was talked about (progress updates too)
ITEM_REPLIES = QUERY_INTENTS | {"progress_update"}
TIME_FIELDS = (
    "quarter",
    "dates",
    "month",
    "year",
    "relative",
    "recurring",
    "no_deadline",
    "window_days",
    "event_deadline",
    "yearly",
)
SHORT = 6  # words (padding aside) of a short follow-up with no subject of its own
TOPIC_OWN = 0.5  # a topic this strong is a new subject («còn ODA?» is a search)
FOLLOWUP_CONFIDENCE = 0.9
MORE_LABEL = "Xem tất cả"  # the button of a reply whose list was cut
MORE_HINT = "(gõ «thêm» để xem tất cả)"  # its words where there are no buttons

NO_LIST = (
    "Anh/chị muốn xem việc thứ mấy trong danh sách nào? Chưa có danh sách nhiệm vụ nào"
    " được hiện trong cuộc trò chuyện này (hoặc đã quá 15 phút). Anh/chị hãy hỏi lại, ví dụ"
    " «Sở Nội vụ phải làm gì?» rồi «việc thứ hai»."
)
NO_MORE = (
    "Danh sách vừa rồi đã hiện đầy đủ, không còn mục nào để xem thêm. Anh/chị có thể hỏi"
    " tiếp, ví dụ «việc thứ hai» hoặc «còn Sở Tài chính?»."
)
NO_MORE_CONTEXT = (
    "Chưa có danh sách nào để xem thêm (hoặc đã quá 15 phút). Anh/chị hãy đặt câu hỏi, ví"
    " dụ «Sở Nội vụ phải làm gì?» hoặc «việc nào sắp đến hạn?»."
)


def has_time(ent: Entities) -> bool:
    """A period or deadline filter is named («quý II/2023», «thường xuyên», «năm 2023»)."""
    return ent.has_deadline or ent.year is not None


def _with_time(ent: Entities, source: Entities | None) -> Entities:
    """`ent` with the period of `source` (none when `source` is None)."""
    blank = Entities()
    src = source or blank
    return replace(ent, **{f: getattr(src, f) for f in TIME_FIELDS})


def _part_free(task_id: str) -> str:
    """An item's number without a part letter ("4.2b" → "4.2")."""
    return task_id[:-1] if task_id[-1:].isalpha() and task_id[:-1][-1:].isdigit() else task_id


@dataclass(frozen=True)
class Turn:
    """What to answer: the message's own understanding or the question it stands for
    (`followup`), the rest of the last list (`more`), or a reply decided here."""

    understanding: Understanding
    cues: FollowUpCues
    followup: bool = False
    more: bool = False
    reply: Reply | None = None


class Conversations:
    """Reads messages against each chat's context in `store` and keeps it up to date."""

    def __init__(self, store: ConversationStore, reader: FollowUpReader) -> None:
        self.store = store
        self.reader = reader

    # ------------------------------------------------------------------ reading

    def resolve(self, u: Understanding, chat: str, *, fresh: bool = False) -> Turn:
        """The question `u` stands for in the chat `chat`; a `fresh` one (a command's or
        a button's question) stands for itself."""
        cues = self.reader.read(u)
        context = self.store.get(chat)
        if cues.more and not fresh:
            return Turn(u, cues, more=True)
        if fresh or u.scores.forced:
            return Turn(u, cues)  # a command names what it is about
        if u.intent == "progress_update" or (
            u.entities.status is not None
            and not u.entities.items
            and u.intent in ("unknown", "search")
        ):
            # «bên em đã làm được 70%» right after 2.4: a report on the item just talked about
            asked_of_item = (
                context is not None
                and context.query is not None
                and context.query.intent in ("task_detail", "progress_status")
            )
            if u.entities.items or context is None or context.item is None or not asked_of_item:
                return Turn(u, cues)  # not right after a question about one item: ask which
            item = ItemRef(_part_free(context.item), exists=True)
            entities = replace(u.entities, items=[item])
            update = replace(
                u,
                intent="progress_update",
                entities=entities,
                scores=self._scored(u, "progress_update", FOLLOWUP_CONFIDENCE),
            )
            return Turn(update, cues, followup=True)
        if cues.ordinal is not None:
            return self._place(u, cues, context)
        if context is None:
            return Turn(u, cues)
        ent = u.entities
        subject = bool(u.agencies or ent.items or has_time(ent))
        if ent.legal or (not subject and u.features.get("topic", 0.0) >= TOPIC_OWN):
            return Turn(u, cues)  # a document or a topic: a new search
        looks = cues.marked or cues.pointer or cues.bare or (cues.words <= SHORT and not subject)
        if not looks:
            return Turn(u, cues)
        prev = context.query
        if prev is not None and (cues.marked or cues.bare) and (subject or ent.roles):
            swapped = self._swap(prev, u, cues)
            if swapped is not None:
                return Turn(swapped, cues, followup=True)
        # «ai chủ trì?» is not understood alone: about the last item; «tiến độ» alone is
        # the overview, «tiến độ thế nào?» asks it of the last item
        asks = (
            u.intent == "unknown"
            or ent.question
            or cues.pointer
            or bool(ent.roles)
            or not cues.keyword_only
        )
        if (
            not subject
            and (cues.asks_item or cues.pointer)
            and not cues.general
            and asks
            and (u.intent in ITEM_FRIENDLY or cues.pointer)
        ):
            if context.item is not None:
                return Turn(self._about(u, context.item, cues), cues, followup=True)
            if prev is not None and prev.intent == "agency_tasks" and u.cues.asked == "who":
                # «giờ ai làm?» after an agency's list: that agency's work and who holds it
                # today (an agency that has ended names its successors)
                return Turn(prev, cues, followup=True)
            if context.shown and u.intent == "unknown":
                return Turn(u, cues, reply=self._which_item(context.shown))
        return Turn(u, cues)

    def _place(self, u: Understanding, cues: FollowUpCues, context: ChatContext | None) -> Turn:
        """«việc thứ hai»: the item at that place of the list last shown."""
        shown = context.shown if context is not None else ()
        if not shown:
            if context is None and u.intent != "unknown":
                return Turn(u, cues)  # no conversation: read as a question of its own
            return Turn(u, cues, reply=Reply("task_detail", esc(NO_LIST), confidence=0.5))
        place = cues.ordinal or 1
        index = place - 1 if place > 0 else len(shown) + place
        if not 0 <= index < len(shown):
            html = (
                f"Danh sách vừa rồi chỉ có {len(shown)} nhiệm vụ: {esc(', '.join(shown))}."
                " Anh/chị muốn xem nhiệm vụ nào? Gõ số mục hoặc chọn bên dưới."
            )
            return Turn(
                u,
                cues,
                reply=Reply("task_detail", html, buttons=item_buttons(list(shown)), confidence=0.5),
            )
        return Turn(self._about(u, shown[index], cues), cues, followup=True)

    @staticmethod
    def _which_item(shown: tuple[str, ...]) -> Reply:
        html = (
            f"Anh/chị hỏi nhiệm vụ nào trong danh sách vừa rồi ({esc(', '.join(shown))})?"
            " Gõ số mục (ví dụ «việc thứ hai» hoặc «nhiệm vụ "
            f"{esc(shown[0])}») hoặc chọn bên dưới."
        )
        return Reply("task_detail", html, buttons=item_buttons(list(shown)), confidence=0.5)

    # ------------------------------------------------------------------ resolving

    @staticmethod
    def _scored(base: Understanding, intent: str, confidence: float) -> IntentScores:
        ranked = [(intent, 1.0), *((n, s) for n, s in base.scores.ranked if n != intent)]
        return IntentScores(ranked, confidence, ambiguous=False, below_threshold=False)

    def _about(self, u: Understanding, item_id: str, cues: FollowUpCues) -> Understanding:
        """`u` asked of the item `item_id`: its detail (what was asked of it first) or,
        when it asks how far it has got, its progress."""
        intent = "progress_status" if cues.asks_progress else "task_detail"
        entities = replace(u.entities, items=[ItemRef(_part_free(item_id), exists=True)])
        entities = _with_time(entities, None)
        return replace(
            u,
            intent=intent,
            entities=entities,
            scores=self._scored(u, intent, FOLLOWUP_CONFIDENCE),
        )

    def _swap(
        self, prev: Understanding, u: Understanding, cues: FollowUpCues
    ) -> Understanding | None:
        """The last question `prev` again with what `u` names instead (agency, item,
        period, role); None when that makes no question."""
        new = u.entities
        asked = prev.intent
        entities = prev.entities
        agencies, agency = (u.agencies, u.agency) if u.agencies else (prev.agencies, prev.agency)
        if new.items:
            intent = asked if asked in ITEM_INTENTS else "task_detail"
            roles = new.roles or (entities.roles if asked in ITEM_INTENTS else [])
            entities = _with_time(replace(entities, items=list(new.items), roles=roles), None)
            if not u.agencies:
                agencies, agency = [], None
        elif has_time(new) and asked in ("deadline_tasks", "agency_tasks"):
            intent = "deadline_tasks"
            entities = _with_time(replace(entities, items=[]), new)
        elif u.agencies and asked in ("agency_tasks", "deadline_tasks"):
            intent = asked
            entities = replace(entities, roles=list(new.roles or entities.roles))
        elif u.agencies and asked in QUERY_INTENTS and prev.cues.agencies and entities.items:
            # «VP UBND chủ trì hay phối hợp ở 2.1?» then «còn SKHĐT?»: its part in 2.1
            intent = asked
            entities = replace(entities, roles=list(new.roles or entities.roles))
        elif u.agencies and asked in QUERY_INTENTS:
            intent = "agency_tasks"  # «2.4 ai chủ trì?» then «còn Sở Tài chính?»
            entities = _with_time(replace(entities, items=[], roles=list(new.roles)), None)
        elif new.roles and not u.agencies and asked in ("agency_tasks", *ITEM_INTENTS):
            intent = asked  # «Sở Nội vụ chủ trì việc gì?» then «còn phối hợp?»
            entities = replace(entities, roles=list(new.roles))
        else:
            return None
        base = prev if intent == asked else u
        tokens = u.tokens if (cues.asks_item and new.items) else base.tokens
        # the plan query's cues: the last question's, about the agencies now named
        query_cues = base.cues
        if u.agencies or not agencies:
            query_cues = replace(
                query_cues,
                agencies=u.cues.agencies,
                own=u.cues.own,
                join=u.cues.join,
                partner=u.cues.partner,
                agency_roles=u.cues.agency_roles,
            )
        if u.cues.asked != "items":  # «còn ai phối hợp?»: what the follow-up asks
            query_cues = replace(query_cues, asked=u.cues.asked, yes_no=u.cues.yes_no)
        confidence = 1.0 if prev.scores.forced else max(prev.scores.confidence, 0.5)
        return replace(
            base,
            intent=intent,
            entities=entities,
            agencies=list(agencies),
            agency=agency,
            tokens=tokens,
            cues=query_cues,
            unknown_agency=u.unknown_agency if u.agencies or intent != asked else None,
            scores=self._scored(base, intent, confidence),
        )

    # ------------------------------------------------------------------ remembering

    def remember(self, chat: str, turn: Turn, reply: Reply) -> Reply:
        """Keep what `reply` (the answer to `turn`) was about as the chat's context; a
        reply with the whole of a cut list (`Reply.more`) gets its «Xem tất cả» button."""
        if turn.more:
            return reply  # `more` keeps the context itself
        context = self.store.get(chat) or ChatContext()
        ids = list(dict.fromkeys(t for t in reply.task_ids if t))
        changed = False
        if reply.intent in QUERY_INTENTS and reply.intent == turn.understanding.intent:
            context = replace(context, query=turn.understanding)
            changed = True
        if reply.intent in ITEM_REPLIES:
            # a role's list holds only the agency's own items; otherwise those shared
            # with its groups are not its own
            general = set() if reply.role else set(reply.general_task_ids)
            direct = [t for t in ids if t not in general]
            if len(ids) >= 2:  # a list: its places; its one own item, if any, is talked about
                context = replace(
                    context, shown=tuple(ids), item=direct[0] if len(direct) == 1 else None
                )
            else:  # one item (a list before it keeps its places) or none
                context = replace(context, item=ids[0] if ids else None)
            changed = True
        if reply.more:
            key = hashlib.blake2b(reply.more.encode("utf-8"), digest_size=6).hexdigest()
            more = MoreList(key, reply.more, reply.intent, reply.agency, tuple(ids))
            context = replace(context, more=more)
            reply.buttons = [[Button(MORE_LABEL, action="more", args=(key,))], *reply.buttons]
            changed = True
        elif changed:
            context = replace(context, more=None)
        if changed:
            self.store.put(chat, context)
        return reply

    def more(self, chat: str, key: str | None = None) -> Reply | None:
        """The whole of the chat's last cut list (`key`: the one a button showed); None
        when there is none to show or the button is of an older list."""
        context = self.store.get(chat)
        if context is None or context.more is None:
            return None
        more = context.more
        if key is not None and key != more.key:
            return None
        self.store.put(chat, replace(context, more=None, shown=more.task_ids or context.shown))
        return Reply(
            more.intent,
            more.html,
            agency=more.agency,
            task_ids=list(more.task_ids),
            buttons=item_buttons(list(more.task_ids)),
        )

    def nothing_more(self, chat: str) -> Reply:
        """«thêm» with nothing cut to show."""
        context = self.store.get(chat)
        if context is None or context.query is None:
            return Reply("unknown", esc(NO_MORE_CONTEXT), confidence=0.5)
        return Reply(context.query.intent, esc(NO_MORE), confidence=0.5)
