"""Agencies named in a sentence or a table cell, and the roles the text gives them.

`AgencyFinder` finds the registry's agencies (exact names, aliases, initials; no typo
guessing) with their place in the text, and names it does not know that begin like an
agency («Sở …», «Trung tâm …», «Bảo hiểm xã hội …»): those become proposals, one id per
name for the whole import.

`read_roles` reads one sentence as the plan's text is written:
- a label («Cơ quan chủ trì:») gives its role to the agencies before the first role word;
- a role word gives its role to the agencies just before it (the run «A, B và C»);
- «phối hợp (với) X», «chỉ đạo X», «tham mưu X»: X is the object — the partner
  (phối hợp), the executor (thực hiện) under direction, the advised (not assigned);
- «của X», «theo X», «khi …» name context; «báo cáo / trình / gửi về X» the recipient;
- an agency no role word reaches does the work (the label's role, else thực hiện).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from bot.core.text import fold, strip_marks
from bot.importer.vocabulary import (
    ABBREVIATIONS,
    AGENCY_HEADS,
    COMPOUND_NAMES,
    CONDITION,
    CONTEXT_BEFORE,
    CONTEXT_FILLER,
    DOCUMENT_AFTER,
    EXPAND_IN_NAMES,
    KIND_BY_HEAD,
    LOCALITY_WORDS,
    MONITOR_VERBS,
    NAME_STOPS,
    NOUN_BEFORE,
    OBJECT_GETS,
    OBJECT_ROLES,
    REPORT_BEFORE,
    ROLE_OF,
    ROLE_WORD,
    SUPERVISE_VERBS,
    THUC_HIEN_OBJECT_OF,
    UNIT_HEADS,
)
from bot.plan.agencies import AgencyRegistry, alias_tokens, initials
from bot.plan.models import Agency

_TOKEN = re.compile(r"[0-9a-z]+|&")
_CONNECTORS = {"va", "&"}
_HEAD = re.compile(r"(?<!\w)(" + "|".join(re.escape(h) for h in AGENCY_HEADS) + r")(?!\w)")
_STOP = re.compile(r"(?<!\w)(" + "|".join(re.escape(s) for s in NAME_STOPS) + r")(?!\w)")
_LOCALITY_GO_ON = re.compile(
    r",\s*(?:" + "|".join(re.escape(w) for w in LOCALITY_WORDS) + r")(?!\w)"
)
# «thực hiện thường xuyên», «thực hiện trước ngày …»: the verb of the deadline clause
_DEADLINE_AFTER = re.compile(
    r"\s*(?::\s*)?(?:thường xuyên|liên tục|trước|trong|hằng|hàng|định kỳ|từ|đến|xong)(?!\w)", re.I
)
_NOT_NAMES = re.compile(
    r"^(Hội nghị|Hội thảo|Hội thi|Hội diễn|Trường hợp|Báo cáo|Ban hành|Đoàn kết|Sở hữu|Bộ luật"
    r"|Bộ tiêu chí|Bộ chỉ số|Viện trợ|Cục bộ|Đài tưởng niệm|Phòng,? chống|Phòng ngừa|Phòng tránh"
    r"|Phòng họp|Phòng học|Phòng làm việc|Phòng cháy)\b"
)
ROLE_ORDER = ("chu_tri", "chi_dao", "tham_muu", "thuc_hien", "tong_hop", "phoi_hop")


@dataclass(frozen=True)
class Mention:
    start: int
    end: int
    agency: str
    surface: str
    known: bool


@dataclass
class Proposal:
    """An agency the registry lacks, as the import proposes it."""

    id: str
    name: str
    kind: str
    aliases: list[str]
    seen_in: list[str] = field(default_factory=list)


@dataclass
class Reading:
    """What one sentence assigns: agency → roles (in the text's order), and whom it
    reports to."""

    roles: dict[str, list[str]] = field(default_factory=dict)
    reports_to: str | None = None
    mentions: list[Mention] = field(default_factory=list)

    def add(self, agency: str, role: str) -> None:
        roles = self.roles.setdefault(agency, [])
        if role not in roles:
            roles.append(role)


def _fold_chars(text: str) -> str:
    """`fold` character by character, keeping every offset (one character each)."""
    out = []
    for ch in text:
        bare = strip_marks(ch).lower()
        out.append(bare[:1] if bare[:1].isalnum() or bare == "&" else " ")
    return "".join(out)


def _variants(name: str) -> set[str]:
    """A name written with its abbreviations expanded, or its long words abbreviated
    (`ABBREVIATIONS`), one or two at a time."""
    out = {name}
    for _ in range(2):
        for text in list(out):
            for short, long in ABBREVIATIONS:
                for a, b in ((short, long), (long, short)):
                    pattern = re.compile(r"(?<!\w)" + re.escape(a) + r"(?!\w)", re.I)
                    if pattern.search(text):
                        out.add(pattern.sub(b, text))
    out.discard(name)
    return out


def with_variants(registry: AgencyRegistry) -> AgencyRegistry:
    """The registry whose agencies also answer to their names' abbreviated or expanded
    variants (an alias another agency answers to is not added)."""
    taken = {fold(n) for a in registry.agencies.values() for n in [a.name, *a.aliases]}
    agencies: dict[str, Agency] = {}
    for agency in registry.agencies.values():
        extra = sorted(
            {v for n in [agency.name, *agency.aliases] for v in _variants(n)} - set(agency.aliases)
        )
        extra = [v for v in extra if fold(v) not in taken]
        agencies[agency.id] = agency.model_copy(update={"aliases": [*agency.aliases, *extra]})
    return AgencyRegistry(agencies)


class AgencyFinder:
    """The registry's agencies and the proposed ones, found with their place in a text."""

    def __init__(self, registry: AgencyRegistry):
        self.registry = with_variants(registry)
        self.proposals: dict[str, Proposal] = {}  # folded name → proposal

    def known(self, text: str) -> list[Mention]:
        folded = _fold_chars(text)
        spans = [
            (m.start(), m.end(), m.group(0))
            for m in _TOKEN.finditer(folded)
            if m.group(0) not in _CONNECTORS
        ]
        tokens = [s[2] for s in spans]
        out = []
        for match in self.registry.find(tokens, fuzzy=False):
            start, end = spans[match.start][0], spans[match.end - 1][1]
            out.append(Mention(start, end, match.agency.id, text[start:end], True))
        return out

    def mentions(self, text: str, *, propose: bool = True) -> list[Mention]:
        """Agencies in `text`, in order: registry ones and names that begin like an
        agency's and are not in the registry (proposed, unless `propose` is false: then
        found with an empty id, only to keep their words out of the role words)."""
        compounds = [
            (c.start(), c.end())
            for c in re.finditer("|".join(map(re.escape, COMPOUND_NAMES)), text)
        ]
        found = [
            m
            for m in self.known(text)
            if not self._longer_name(text, m)
            and not self._headed_elsewhere(text, m)
            and not self._common_words(text, m)
            and not any(a < m.start < b for a, b in compounds)
        ]
        found += self._unknown(text, found, propose, compounds)
        return sorted(found, key=lambda m: m.start)

    def _longer_name(self, text: str, m: Mention) -> bool:
        """A short alias that a name goes on after («Văn phòng thường trực Ban Chỉ huy …»
        is not «Văn phòng»): the whole name is read as a name of its own."""
        agency = self.registry.agencies[m.agency]
        if alias_tokens(m.surface) == alias_tokens(agency.name):
            return False
        after = re.match(r" (\w+)", text[m.end :])
        if not after or after.group(1) == "tỉnh" or not _HEAD.match(text, m.start):
            return False
        if agency.kind == "group" and after.group(1).islower():
            return False  # «Ủy ban nhân dân các huyện biên giới»: some of the group
        return not _STOP.match(text, m.end + 1)

    def _common_words(self, text: str, m: Mention) -> bool:
        """A short name written in lower case inside other words («hệ thống y tế», «các cơ
        sở giáo dục»): common words, not the agency — unless it names a group («các sở,
        ban, ngành», «địa phương») or follows «các» («các cơ quan báo chí»)."""
        if not m.surface[:1].islower():
            return False
        if self.registry.agencies[m.agency].kind == "group":
            return False
        if m.surface.lower().startswith("các "):
            return False
        return not re.search(r"(?<!\w)các $", text[: m.start], re.I)

    def _headed_elsewhere(self, text: str, m: Mention) -> bool:
        """An alias right after a head of another name («Bộ Nội vụ» is not «Nội vụ», the
        Sở): the whole name is read as a name of its own."""
        if _HEAD.match(text, m.start):
            return False
        before = text[: m.start]
        # «Bộ Nội vụ», «Phòng Tài chính - Kế hoạch», «Trung tâm Y tế huyện»
        return any(
            re.search(r"(?<!\w)" + re.escape(h) + " $", before)
            for h in AGENCY_HEADS
            if h[:1].isupper()
        )

    def _unknown(
        self,
        text: str,
        known: list[Mention],
        propose: bool = True,
        compounds: list[tuple[int, int]] | None = None,
    ) -> list[Mention]:
        out: list[Mention] = []
        whole = dict(compounds or [])
        for head in _HEAD.finditer(text):
            start = head.start()
            if any(m.start <= start < m.end for m in known + out):
                continue
            if _NOT_NAMES.match(text[start:]) or re.search(r"thành viên\s+$", text[:start]):
                continue  # «các đơn vị thành viên Hội đồng …»: the members, not the council
            bracket = re.search(r"\s*\(\s*(?:qua\s+)?$", text[:start])
            if (
                head.group(1) in UNIT_HEADS
                and bracket
                and any(m.end == bracket.start() for m in known)
            ):
                continue  # «Công an tỉnh (qua Phòng Cảnh sát …)»: a unit inside the agency
            end = len(text)
            for m in known:
                if m.start > start:
                    end = min(end, m.start)
            at = whole.get(start, head.end())
            while stop := re.search(r"[,;.:()\n]|\s-\s", text[at:end]):
                going_on = _LOCALITY_GO_ON.match(text, at + stop.start()) or _name_goes_on(
                    text, at + stop.start()
                )
                if not going_on:  # «… các xã, phường, thị trấn»: one name over commas
                    end = min(end, at + stop.start())
                    break
                at = going_on.end()
            after = _STOP.search(text, max(at, head.end()) if start in whole else head.end(), end)
            if after:
                end = after.start()
            name = _end_at_numeral(text[start:end].strip(" -"))
            words = name.split()
            if len(words) < 2 or len(words) > 20:
                continue
            close = self.close_to(name) or self._broadcaster(name)
            if close:
                out.append(Mention(start, start + len(name), close, name, True))
                continue
            agency = self.propose(name).id if propose else ""
            out.append(Mention(start, start + len(name), agency, name, False))
        return out

    def _broadcaster(self, name: str) -> str | None:
        """«Đài Phát thanh và Truyền hình Tây Ninh»: a province has one broadcaster, the
        registry's, whatever place its name ends with."""
        if not re.match(r"Đài Phát thanh\s*(?:và|-|,)?\s*Truyền hình\b", name):
            return None
        press = [
            m.agency
            for m in self.known("Đài Phát thanh Truyền hình")
            if self.registry.agencies[m.agency].kind == "press"
        ]
        return press[0] if len(press) == 1 else None

    def close_to(self, name: str) -> str | None:
        """The registry's agency a name not written as registered is a variant of (a typo,
        «-» for «và», a word dropped), by rapidfuzz over the whole name; None if unsure."""
        tokens = list(alias_tokens(name))
        found = self.registry.find(tokens, fuzzy=True)
        if (
            len(found) == 1
            and found[0].score < 100
            and found[0].end - found[0].start >= len(tokens) - 1
        ):
            return found[0].agency.id
        return None

    def cell(self, text: str) -> tuple[list[Mention], list[str]]:
        """The agencies of a table cell: every piece between commas, semicolons and line
        breaks that names none of the registry's is itself an agency to propose. Returns
        the mentions and the pieces left (nothing that names an agency)."""
        # «Công an tỉnh (Phòng PC06)»: a unit in brackets after an agency is inside it
        text = re.sub(
            r"\s*\([^()]*\)",
            lambda b: " " * len(b.group(0)) if self.known(text[: b.start()]) else b.group(0),
            text,
        )
        found = [
            m
            for m in self.known(text)
            if not (
                re.match(r" [^\W\d_]", text[m.end :])
                and text[m.end + 1 : m.end + 2].isupper()
                and self._longer_name(text, m)
            )
        ]
        leftovers: list[str] = []
        pos = 0
        pieces = []
        for m in sorted(found, key=lambda m: m.start):
            pieces.append((pos, m.start))
            pos = m.end
        pieces.append((pos, len(text)))
        extra: list[Mention] = []
        for a, b in pieces:
            offset = a
            for piece in re.split(r"([,;\n]|\s-\s|\s\+\s)", text[a:b]):
                name = piece.strip(" .:-()")
                name = re.sub(r"^(và|với)\s+", "", name).strip()
                name = re.sub(r"\s+(và|với)$", "", name).strip()
                if len(name) > 2 and not re.fullmatch(r"[\W\d_]+", name):
                    if name.split()[0].islower() and name.split()[0] not in ("các",):
                        leftovers.append(name)
                    else:
                        at = text.index(name, offset)
                        close = self.close_to(name)
                        agency = close or self.propose(name).id
                        extra.append(Mention(at, at + len(name), agency, name, bool(close)))
                offset += len(piece)
        return sorted(found + extra, key=lambda m: m.start), leftovers

    def propose(self, name: str) -> Proposal:
        written = name
        name = expand_abbreviations(name)
        key = fold(name)
        if key in self.proposals:
            return self.proposals[key]
        taken = set(self.registry.agencies) | {p.id for p in self.proposals.values()}
        base = "_".join(alias_tokens(name))
        if len(base) > 40:
            base = base[:41].rsplit("_", 1)[0]
        base = base.strip("_") or "co_quan"
        if base[0].isdigit():
            base = "cq_" + base
        agency_id, n = base, 2
        while agency_id in taken:
            agency_id, n = f"{base}_{n}", n + 1
        kind = next((k for head, k in KIND_BY_HEAD if name.startswith(head)), "department")
        aliases = [written] if written != name else []
        short = re.sub(r"\s+(tỉnh|thành phố)$", "", name)
        if short != name:
            aliases.append(short)
        letters = initials(name).upper()
        if len(letters) >= 3:
            aliases.append(letters)
        # no alias another agency already answers to
        aliases = [a for a in aliases if not self.known(a)]
        proposal = Proposal(agency_id, name[:1].upper() + name[1:], kind, aliases)
        self.proposals[key] = proposal
        return proposal


# «Phòng Tài chính - Kế hoạch», «Trung tâm Văn hóa, Thông tin và Thể thao huyện»: a dash
# or a comma inside a name, before a capitalised word that heads no other name (after a
# comma, the name's last piece comes after «và»)
_DASH_GOES_ON = re.compile(r"\s-\s(?=[A-ZĐÂĂÊÔƠƯÁÀẢÃẠÉÈẺẼẸÍÌỈĨỊÓÒỎÕỌÚÙỦŨỤÝỲỶỸỴ])")
_COMMA_GOES_ON = re.compile(
    r",\s(?=[A-ZĐÂĂÊÔƠƯÁÀẢÃẠÉÈẺẼẸÍÌỈĨỊÓÒỎÕỌÚÙỦŨỤÝỲỶỸỴ][^\W\d_]*(?:\s[^\W\d_]+){0,2}\svà\s"
    r"[A-ZĐÂĂÊÔƠƯÁÀẢÃẠÉÈẺẼẸÍÌỈĨỊÓÒỎÕỌÚÙỦŨỤÝỲỶỸỴ])"
)


def _name_goes_on(text: str, at: int) -> re.Match[str] | None:
    going_on = _DASH_GOES_ON.match(text, at) or _COMMA_GOES_ON.match(text, at)
    if going_on and not _HEAD.match(text, going_on.end()):
        return going_on
    return None


def _end_at_numeral(name: str) -> str:
    """«Chi cục Hải quan khu vực XI mở các đợt …»: a name numbered by a roman or arabic
    numeral ends at it when a word in lower case follows."""
    m = re.search(r"\s(?:[IVXL]+|\d+)(?=\s+[^\W\d_])", name)
    if m and name[m.end() :].split()[0][:1].islower():
        return name[: m.end()]
    return name


def expand_abbreviations(name: str) -> str:
    """A name with its unambiguous abbreviations written out («UBND cấp xã» → «Ủy ban
    nhân dân cấp xã»)."""
    for short, long in ABBREVIATIONS:
        if short in EXPAND_IN_NAMES:
            name = re.sub(r"(?<!\w)" + re.escape(short) + r"(?!\w)", long, name)
    return name


def _before(text: str, at: int) -> str:
    return text[:at].rstrip(" ,").lower()


def _ends_with_word(text: str, words: tuple[str, ...]) -> bool:
    return any(re.search(r"(?<!\w)" + re.escape(w) + r"$", text) for w in words)


def role_words(text: str, mentions: list[Mention]) -> list[tuple[int, int, str]]:
    """(start, end, role) of each role word outside agency names and not used as a noun."""
    out: list[tuple[int, int, str]] = []
    for m in ROLE_WORD.finditer(text):
        if any(x.start < m.end() and m.start() < x.end for x in mentions):
            continue
        if _ends_with_word(_before(text, m.start()), NOUN_BEFORE):
            continue
        if ROLE_OF[m.group(1).lower()] == "thuc_hien" and (
            _ends_with_word(text[: m.start()].rstrip().lower(), THUC_HIEN_OBJECT_OF)
            or _DEADLINE_AFTER.match(text, m.end())
            or (
                DOCUMENT_AFTER.match(text, m.end())
                and any(";" not in text[end : m.start()] for _, end, _ in out)
            )
        ):
            continue
        out.append((m.start(), m.end(), ROLE_OF[m.group(1).lower()]))
    return out


def _supervised(sentence: str, m: Mention, previous: Mention | None) -> bool:
    """«… hướng dẫn các cơ quan, đơn vị, địa phương sử dụng …»: an agency after a verb of
    guiding or watching, with no role word between, is watched, not a doer."""
    start = max(previous.end if previous else 0, sentence.rfind(";", 0, m.start) + 1)
    stretch = sentence[start : m.start]
    return bool(SUPERVISE_VERBS.search(stretch)) and not ROLE_WORD.search(stretch)


def read_roles(sentence: str, label_roles: list[str], finder: AgencyFinder) -> Reading:
    """The agencies `sentence` assigns and their roles (see the module's docstring)."""
    mentions = finder.mentions(sentence)
    reading = Reading(mentions=mentions)
    if not mentions:
        return reading
    condition = CONDITION.search(sentence)
    context: set[int] = set()
    targets: list[Mention] = []
    previous: Mention | None = None
    for m in mentions:
        before = _before(sentence, m.start)
        joined = previous is not None and sentence[previous.end : m.start].strip(" ,;") in (
            "",
            "và",
        )
        if (
            _ends_with_word(CONTEXT_FILLER.sub("", before).rstrip(" ,"), CONTEXT_BEFORE)
            or (condition and m.start > condition.start())
            or _supervised(sentence, m, previous)
        ):
            context.add(m.start)
        elif _ends_with_word(before, REPORT_BEFORE):
            targets.append(m)
            context.add(m.start)
        elif joined and previous is not None and previous.start in context:
            context.add(m.start)
            if previous in targets:
                targets.append(m)
        previous = m
    actors = [m for m in mentions if m.start not in context]
    words = role_words(sentence, mentions)
    first_word = words[0][0] if words else len(sentence)
    given: dict[int, list[str]] = {}

    def give(m: Mention, role: str) -> None:
        given.setdefault(m.start, [])
        if role not in given[m.start]:
            given[m.start].append(role)

    for m in actors:
        if m.start < first_word:
            for role in label_roles:
                give(m, role)
    objects: set[int] = set()
    for w_start, w_end, role in words:
        following = [m for m in mentions if m.start >= w_end]
        gap = sentence[w_end : following[0].start].strip() if following else "x"
        if role in OBJECT_ROLES and gap in ("", "với"):
            next_word = next((ws for ws, _, _ in words if ws > w_end), len(sentence))
            clause_end = sentence.find(";", w_end)
            if clause_end >= 0:
                next_word = min(next_word, clause_end)
            listed = [m for m in following if m.start < next_word]
            objects |= {m.start for m in listed}
            if role in OBJECT_GETS:
                for m in listed:
                    if m.start not in context:
                        give(m, OBJECT_GETS[role])
            if role == "tham_muu":
                targets[:0] = listed  # the advised first: it receives the work
            partner_of = role == "phoi_hop"
        else:
            partner_of = False
        # after «X chỉ đạo Y …» the work's words are Y's, not X's: a subject stands after
        # the last «chỉ đạo» of the clause
        directed = max(
            (
                ws
                for ws, _, r in words
                if r == "chi_dao" and ws < w_start and ";" not in sentence[ws:w_start]
            ),
            default=-1,
        )
        subjects = [
            m
            for m in mentions
            if m.end <= w_start
            and m.start > directed
            and m.start not in objects
            and (m.start not in context or m in targets)
        ]
        run = subjects[-1:]
        while run and len(run) < len(subjects):
            before_m = subjects[-len(run) - 1]
            if sentence[before_m.end : run[0].start].strip(" ,;") not in ("", "và"):
                break
            run.insert(0, before_m)
        if partner_of and any("chu_tri" in given.get(m.start, []) for m in run):
            continue  # «X chủ trì, phối hợp với Y»: X leads, Y is the partner
        for m in run:
            give(m, role)  # «X phối hợp với Y tham mưu …»: both are partners
    for m in actors:
        # «Giao X theo dõi, đôn đốc …», «X là cơ quan thường trực, giúp … theo dõi»: X
        # does the work of watching over the plan, whatever else the sentence gives it
        if m.start in objects or m.start in context:
            continue
        stop = min(
            [a.start for a in actors if a.start > m.start]
            + [len(sentence)]
            + [p for p in [sentence.find(";", m.end)] if p >= 0]
        )
        watch = MONITOR_VERBS.search(sentence, m.end, stop)
        if watch and not any(m.end <= ws < watch.start() for ws, _, _ in words):
            mine = given.setdefault(m.start, [])
            if "thuc_hien" not in mine:
                mine.insert(0, "thuc_hien")  # said first: the text's order
    for m in actors:
        if m.start not in given and m.start not in objects:
            for role in label_roles or ["thuc_hien"]:
                give(m, role)
    for m in mentions:
        for role in given.get(m.start, []):
            reading.add(m.agency, role)
    for target in targets:
        if target.known:
            reading.reports_to = target.agency
            break
    return reading


def ordered(roles: list[str]) -> list[str]:
    """Roles with «chủ trì» first (the main one), the rest in the text's order."""
    return sorted(dict.fromkeys(roles), key=lambda r: r != "chu_tri")


def split_sentences(text: str) -> list[str]:
    """Sentences of a line: a full stop followed by a capital begins the next."""
    parts = re.split(r"(?<=\.)\s+(?=[^\W\d_])", text)
    out: list[str] = []
    for part in parts:
        if out and not part[:1].isupper():
            out[-1] = f"{out[-1]} {part}"
        else:
            out.append(part)
    return [p.strip() for p in out if p.strip()]
