"""The plan's tasks, from either shape a plan comes in.

Numbered paragraphs (section «NHIỆM VỤ …»): groups «1.», items «1.1.», sub-items «a)»,
bullets; «Cơ quan chủ trì / phối hợp / thực hiện / tham mưu:» lines assign, «Thời gian
thực hiện:» lines give the deadline (a sentence after it that assigns again — «Trong quý
II/2023, giao …» — is a part of its own). A group without numbered items is itself the
item. Section «TỔ CHỨC THỰC HIỆN»: each numbered paragraph is an item («III.1») whose own
sentence assigns.

The appendix table («STT | Nội dung nhiệm vụ | Cơ quan chủ trì | Cơ quan phối hợp | Thời
gian hoàn thành | Sản phẩm»): header rows (one or two), group rows (a roman or arabic
number whose other cells are one merged cell), item rows; a ditto cell («nt») repeats
the one above.

Whatever is not read into an item goes to `Review`: nothing is dropped silently.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from bot.importer.deadlines import find_deadline, type_deadline
from bot.importer.reading import DITTO, Table
from bot.importer.roles import AgencyFinder, Reading, read_roles, role_words, split_sentences
from bot.importer.vocabulary import (
    ASSIGN_VERB,
    ASSIGNMENT_LABEL,
    DEADLINE_LABEL,
    DEPARTMENT_LIST,
    HEAD_TITLE,
    LABEL_INSIDE,
    LOCALITY_WORDS,
    OTHER_LABEL,
    ROLE_OF,
    ROLE_WORD,
    ROMAN,
    TABLE_COLUMNS,
    TASK_NUMBER,
    TASK_REFERENCE,
)

GROUP = re.compile(r"^(\d{1,2})\.\s+(.+)$")
ITEM = re.compile(r"^(\d{1,2})\.(\d{1,2})\.?\s+(.+)$")
SUB_ITEM = re.compile(r"^([a-zđ])\)\s*(.+)$")
BULLET = re.compile(r"^[-–•+*]\s*(.+)$")
TASK_COLON = re.compile(r"^(.{8,}?):\s+(.+)$")
# «…, mạng xã hội (Sở Khoa học và Công nghệ chủ trì; Công an tỉnh phối hợp; thời gian: …).»
INLINE_DEADLINE = re.compile(r"(?:Thời gian|Thời hạn)[^:.;]{0,30}:\s*([^.;]+)", re.I)
LAST_PARENTHESIS = re.compile(r"\(([^()]{6,})\)\s*[.;]?\s*$")
# «UBND các huyện», then «, thị xã, thành phố» (matched at a position: no «^»)
_LOCALITY_TAIL = re.compile(
    r"(?:\s*,\s*(?:" + "|".join(re.escape(w) for w in LOCALITY_WORDS) + r")(?!\w))+"
)


def department_list(text: str) -> str:
    """«Các sở: Nông nghiệp và Phát triển nông thôn, Y tế, Xây dựng theo …» read as «Sở
    Nông nghiệp và Phát triển nông thôn, Sở Y tế, Sở Xây dựng theo …»: each capitalised
    piece of the list is a department."""
    m = DEPARTMENT_LIST.match(text)
    if not m:
        return text
    pieces = text[m.end() :].split(",")
    out = []
    for n, piece in enumerate(pieces):
        if not piece.strip()[:1].isupper():
            out += pieces[n:]
            break
        out.append(" Sở " + piece.strip() if n else "Sở " + piece.strip())
    return ",".join(out)


@dataclass
class Review:
    """What the import could not map, each with where it stands."""

    unknown_deadlines: list[tuple[str, str]] = field(default_factory=list)
    no_agency: list[tuple[str, str]] = field(default_factory=list)
    unmapped: list[tuple[str, str]] = field(default_factory=list)
    cells: list[tuple[str, str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


@dataclass
class PartDraft:
    source: list[str]
    roles: dict[str, list[str]] = field(default_factory=dict)
    reports_to: str | None = None
    deadline: dict[str, Any] | None = None
    task: str | None = None
    scope: str = ""  # the sub-item it belongs to
    labelled: bool = False  # made by a label line: the scope's next label line joins it

    def take(self, reading: Reading) -> None:
        for agency, roles in reading.roles.items():
            mine = self.roles.setdefault(agency, [])
            mine.extend(r for r in roles if r not in mine)
        self.reports_to = self.reports_to or reading.reports_to


@dataclass
class ItemDraft:
    id: str
    text: str
    group_id: str
    group_title: str
    section: str
    parts: list[PartDraft] = field(default_factory=list)
    default_deadline: dict[str, Any] | None = None
    scope: str = ""
    scope_text: str = ""
    open_label: list[str] | None = None  # an empty label's roles: lines below are parts
    sub_items: list[tuple[str, str]] = field(default_factory=list)
    extra: list[str] = field(default_factory=list)  # paragraphs of the item's own text
    heading_agency: str | None = None  # «1. Sở Y tế:» heading the bullets under it
    heading_name: str = ""  # that agency's name as the heading writes it
    heading_agencies: list[str] = field(default_factory=list)  # «5. Các sở, …, UBND …:»
    referenced: bool = False  # its parts come from «nhiệm vụ tại khoản N mục R» elsewhere
    # its roles are said where it is assigned: its own sentence («1.1. Sở Y tế chủ trì
    # …») or the table's columns, not to be read again from its text
    roles_given: bool = False

    def scoped(self) -> list[PartDraft]:
        return [p for p in self.parts if p.scope == self.scope]


def label_roles(label: str) -> list[str]:
    """The roles a label's words give («Cơ quan tham mưu thực hiện» → tham_muu)."""
    out = []
    for m in ROLE_WORD.finditer(label):
        role = ROLE_OF[m.group(1).lower()]
        if role not in out:
            out.append(role)
    return out


class TaskReader:
    """Reads the paragraphs of the task and execution sections into items."""

    def __init__(self, finder: AgencyFinder, review: Review):
        self.finder = finder
        self.review = review
        self.items: list[ItemDraft] = []
        self.groups: list[tuple[str, str, str]] = []  # (id, section, title)

    # ------------------------------------------------------------------ section II
    def read_tasks(self, section: str, paragraphs: list[str]) -> None:
        item: ItemDraft | None = None
        group: tuple[str, str] | None = None
        group_item: ItemDraft | None = None
        for line in paragraphs:
            if m := ITEM.match(line):
                if group_item is not None and not group_item.parts:
                    self.items.remove(group_item)  # the group has items: it is not one
                    self.review.unmapped += [(f"nhóm {group_item.id}", x) for x in group_item.extra]
                if group is None or m.group(1) != group[0]:
                    group = (m.group(1), "")
                    self.groups.append((group[0], section, ""))
                group_item = None
                item = ItemDraft(
                    f"{m.group(1)}.{m.group(2)}", m.group(3), group[0], group[1], section
                )
                self.items.append(item)
                self._own_sentence(item, m.group(3))
                continue
            if (m := GROUP.match(line)) and not self._is_assignment(line):
                group = (m.group(1), m.group(2))
                self.groups.append((group[0], section, group[1]))
                item = group_item = ItemDraft(m.group(1), m.group(2), group[0], group[1], section)
                self.items.append(item)
                self._own_sentence(item, m.group(2))
                continue
            if item is None:
                self.review.unmapped.append((f"mục {section}", line))
                continue
            if (
                item is group_item
                and not item.parts
                and not item.extra
                and not item.sub_items
                and not BULLET.match(line)
                and not self._is_assignment(line)
                and not DEADLINE_LABEL.match(line)
                and not SUB_ITEM.match(line)
            ):
                item.text = line  # «5. Heading» then its paragraph: the paragraph is the item
                self._own_sentence(item, line)
                continue
            self._line(item, line)

    def _is_assignment(self, line: str) -> bool:
        return bool(ASSIGNMENT_LABEL.match(line) or DEADLINE_LABEL.match(line))

    def assigns_itself(self, text: str) -> bool:
        """A sentence that names its doer first («Sở Y tế chủ trì, phối hợp …», «Giao Sở …»,
        «Đề nghị Ủy ban MTTQ …») and gives it work: it is an assignment of its own."""
        mentions = self.finder.mentions(text, propose=False)
        if not mentions:
            return False
        verb = ASSIGN_VERB.match(text)
        first = mentions[0].start
        if not (first <= 3 or (verb and first <= verb.end() + 1)):
            return False
        rest = text[mentions[0].end :].strip(" .:")
        return bool(rest) and not self.heading(text)

    def heading(self, text: str) -> tuple[str, str, str] | None:
        """«Sở Tài nguyên và Môi trường», «Sở Tài chính: Tham mưu …», «Công an tỉnh (cơ quan
        thường trực …)», «Các sở, ban, ngành, UBND các huyện, thị xã, thành phố:»: agencies
        heading the duties under them (or after the colon). (the first agency's id, the
        agencies' names as written, the text after them)."""
        found = self.heading_agencies(text)
        if not found:
            return None
        return found[0][0], found[1], found[2]

    def heading_agencies(self, text: str) -> tuple[list[str], str, str] | None:
        mentions = self.finder.mentions(text)
        if not mentions or not (
            mentions[0].start <= 3
            or HEAD_TITLE.fullmatch(text[: mentions[0].start])
            or ASSIGN_VERB.fullmatch(text[: mentions[0].start])  # «7. Đề nghị Ủy ban MTTQ …»
        ):
            return None
        run = [mentions[0]]
        for m in mentions[1:]:
            between = re.sub(r"^\s*(?:cấp tỉnh|thuộc tỉnh)(?!\w)", "", text[run[-1].end : m.start])
            if between.strip(" ,;") not in ("", "và") and not HEAD_TITLE.fullmatch(
                between.lstrip(" ,;")
            ):
                break
            run.append(m)
        end = run[-1].end
        if tail := _LOCALITY_TAIL.match(text, end):
            end = tail.end()
        name = text[:end] if run[0].start > 3 else text[run[0].start : end]
        rest = re.sub(r"^\s*\([^()]*\)", "", text[end:]).strip()
        rest = re.sub(r"^(?:cấp tỉnh|tỉnh|huyện)(?!\w)", "", rest).strip()  # «… xã hội tỉnh»
        agencies = list(dict.fromkeys(m.agency for m in run))
        if rest.rstrip(".:/ ") == "":
            return agencies, name, ""
        if rest.startswith(":"):
            return agencies, name, rest[1:].strip()
        return None

    def _own_sentence(self, item: ItemDraft, text: str) -> None:
        if self.assigns_itself(text):
            item.roles_given = True
            self._prose(item, text, text)
        elif self._parenthesis(item, text):
            item.roles_given = True
        elif later := self._assigning_tail(text):
            item.roles_given = True
            self._prose(item, later, later)

    def _assigning_tail(self, text: str) -> str | None:
        """«Xây dựng … (Fanpage, Zalo). Sở Tư pháp chủ trì, …; hoàn thành …»: the task, then
        a sentence that names its doer first and the rest of the paragraph."""
        sentences = split_sentences(text)
        for n, sentence in enumerate(sentences[1:], start=1):
            mentions = self.finder.mentions(sentence, propose=False)
            if self.assigns_itself(sentence) and role_words(sentence, mentions):
                return " ".join(sentences[n:])
        return None

    def _parenthesis(self, item: ItemDraft, text: str) -> bool:
        """A task that ends with its assignment in brackets («(Sở X chủ trì; Công an tỉnh
        phối hợp; thời gian: thường xuyên)»): the brackets are the part."""
        m = LAST_PARENTHESIS.search(text)
        if not m:
            return False
        inside = m.group(1)
        mentions = self.finder.mentions(inside, propose=False)
        if not (mentions and mentions[0].start <= 3 and role_words(inside, mentions)):
            return False
        self._prose(item, inside, inside)
        return True

    def _prose(self, item: ItemDraft, content: str, source: str, task: str | None = None) -> None:
        """Parts from a sentence that assigns, each with the deadline written in it."""
        before = len(item.parts)
        part = self._assign(item, content, [], source, merge=False)
        if part is not None and task:
            part.task = task
        for made in item.parts[before:]:
            if made.deadline is None:
                inside = find_deadline(" ".join(made.source), recurring=True)
                if inside:
                    made.deadline = inside[0]
                elif label := INLINE_DEADLINE.search(" ".join(made.source)):
                    made.deadline = type_deadline(label.group(1))  # «… Thời gian: Năm 2020.»

    def _line(self, item: ItemDraft, line: str) -> None:
        where = f"mục {item.id}"
        if (ASSIGNMENT_LABEL.match(line) or DEADLINE_LABEL.match(line)) and (
            pieces := LABEL_INSIDE.split(line)
        ) != [line]:
            for piece in pieces:  # «Đơn vị chủ trì: …; Đơn vị phối hợp: …»
                self._line(item, piece.strip())
            return
        if OTHER_LABEL.match(line):
            self.review.unmapped.append((where, line))  # a product or a note has no field
            return
        if m := SUB_ITEM.match(line):
            item.scope, item.scope_text = m.group(1), m.group(2)
            item.sub_items.append((m.group(1), m.group(2)))
            item.open_label = None
            if self.assigns_itself(m.group(2)):
                self._prose(item, m.group(2), m.group(2))
            else:
                self._parenthesis(item, m.group(2))
            return
        if m := DEADLINE_LABEL.match(line):
            self._deadline_line(item, m.group(2), line)
            return
        if m := ASSIGNMENT_LABEL.match(line):
            roles = label_roles(m.group(1))
            content = m.group(2).strip()
            source = line.lstrip("-–•+* ").strip()
            if not content:
                item.open_label = roles
                return
            item.open_label = None
            self._assign(item, content, roles, source, merge=True)
            return
        bullet = BULLET.match(line)
        body = bullet.group(1) if bullet else line
        if item.open_label is not None and self.finder.mentions(body):
            self._assign(item, body, item.open_label, body, merge=False)
            return
        colon = TASK_COLON.match(body)
        if (
            colon
            and self.finder.mentions(colon.group(2))
            and not self.finder.mentions(colon.group(1))
        ):
            self._prose(item, colon.group(2), body, task=colon.group(1))
            return
        if self.finder.mentions(body) and (
            role_words(body, self.finder.mentions(body)) or self.assigns_itself(body)
        ):
            self._prose(item, body, body)
            return
        if not item.parts and not item.sub_items:
            item.extra.append(line)
            return
        if item.sub_items and not item.scoped():
            item.sub_items[-1] = (item.sub_items[-1][0], f"{item.sub_items[-1][1]} {line}")
            return
        self.review.unmapped.append((where, line))

    def _assign(
        self, item: ItemDraft, content: str, roles: list[str], source: str, *, merge: bool
    ) -> PartDraft | None:
        """Parts from an assignment line: a later sentence with agencies of its own as its
        subject is a part of its own; `merge`: a labelled line joins the scope's part."""
        sentences = split_sentences(content)
        made: PartDraft | None = None
        label_source = source[: len(source) - len(content)] if source.endswith(content) else ""
        for n, sentence in enumerate(sentences):
            reading = read_roles(sentence, roles if n == 0 else [], self.finder)
            text = (label_source + sentence) if n == 0 and len(sentences) > 1 else sentence
            if len(sentences) == 1:
                text = source
            if not reading.roles:
                if made is not None:
                    made.source.append(sentence)
                else:
                    self.review.unmapped.append((f"mục {item.id}", sentence))
                continue
            starts_with_agency = bool(reading.mentions) and reading.mentions[0].start <= 3
            if made is not None and not starts_with_agency:
                made.source.append(sentence)
                made.take(reading)
                continue
            scoped = item.scoped()
            if merge and made is None and scoped and n == 0 and scoped[-1].labelled:
                made = scoped[-1]
                made.source.append(text)
            else:
                made = PartDraft([text], scope=item.scope, labelled=merge)
                if item.scope:
                    made.task = item.scope_text
                item.parts.append(made)
            made.take(reading)
        return made

    def _deadline_line(self, item: ItemDraft, content: str, line: str) -> None:
        sentences = split_sentences(content) or [content]
        typed = type_deadline(sentences[0])
        if typed is None:
            typed = {"kind": "none", "text": sentences[0].strip().rstrip(".") or line}
            self.review.unknown_deadlines.append((f"mục {item.id}", line))
        waiting = [p for p in item.scoped() if p.deadline is None]
        for part in waiting:
            part.deadline = typed
        if not waiting:
            item.default_deadline = typed
        for sentence in sentences[1:]:
            reading = read_roles(sentence, [], self.finder)
            if not reading.roles:
                self.review.unmapped.append((f"mục {item.id}", sentence))
                continue
            part = PartDraft([sentence], scope=item.scope)
            inside = find_deadline(sentence)
            part.deadline = inside[0] if inside else typed
            verb = ASSIGN_VERB.search(sentence)
            if verb and reading.mentions:
                after = sentence[reading.mentions[0].end :].strip(" ,")
                task = re.sub(r"\s+của\s+\S+(?:\s+\S+){0,2}\.?$", "", after).rstrip(" .")
                part.task = task[:1].upper() + task[1:]
            part.take(reading)
            item.parts.append(part)

    # ------------------------------------------------------------------ section III
    def read_execution(self, section: str, title: str, paragraphs: list[str]) -> None:
        group_added = False
        current: ItemDraft | None = None
        for line in paragraphs:
            m = GROUP.match(line)
            if not m:
                sub = SUB_ITEM.match(line)
                if sub and current is not None and current.heading_agency:
                    line = f"- {sub.group(2)}"  # «1. Sở Tư pháp» over «a) …», «b) …»
                bullet = BULLET.match(line)
                if current is not None and current.heading_agency and not current.parts:
                    bullet = None  # «1. Sở Tài chính» over one paragraph: its duty
                    self._execution_sentence(current, line)
                    continue
                if (
                    current is not None
                    and not bullet
                    and not self.assigns_itself(line)
                    and not self.heading(line)
                ):
                    # «Trong quá trình thực hiện, nếu có khó khăn …»: the closing paragraph
                    self.review.unmapped.append((f"mục {section}", line))
                    continue
                if current is not None and (current.heading_agency or self.finder.mentions(line)):
                    bullet = BULLET.match(line)
                    self._execution_sentence(current, bullet.group(1) if bullet else line)
                    if not current.heading_agency:  # a heading's bullets are its parts
                        current.extra.append(line)
                else:
                    self.review.unmapped.append((f"mục {section}", line))
                continue
            if not group_added:
                self.groups.append((section, section, title))
                group_added = True
            current = ItemDraft(f"{section}.{m.group(1)}", m.group(2), section, title, section)
            self.items.append(current)
            self._execution_sentence(current, m.group(2))
        self._references(section)

    def _references(self, section: str) -> None:
        """«Sở Y tế, Sở Công Thương: Chủ trì thực hiện nhiệm vụ tại điểm 3.4 mục III»: the
        task named there, if its own text names no one, is theirs too."""
        by_id = {(i.section, i.id): i for i in self.items}
        for item in [i for i in self.items if i.section == section]:
            for part in item.parts:
                source = " ".join(part.source)
                for ref in TASK_REFERENCE.finditer(source):
                    roles = self._reference_roles(item, source, ref.start()) or part.roles
                    for number in TASK_NUMBER.findall(ref.group(1)):
                        target = by_id.get((ref.group(2).upper(), number))
                        if target is None or target.sub_items:
                            continue
                        if target.parts and not target.referenced:
                            continue  # the task names its own agencies
                        copy = PartDraft([source], reports_to=part.reports_to)
                        copy.roles = {a: list(r) for a, r in roles.items()}
                        target.parts.append(copy)
                        target.roles_given = True
                        target.referenced = True

    def _reference_roles(self, item: ItemDraft, source: str, at: int) -> dict[str, list[str]]:
        """The roles of the clause (between «;») that names the task: «…; chủ trì thực hiện
        nhiệm vụ tại khoản 4 mục II; tham mưu …» charges the task with that clause only."""
        start = source.rfind(";", 0, at) + 1
        end = source.find(";", at)
        clause = source[start : end if end >= 0 else len(source)].strip()
        mentions = self.finder.mentions(clause, propose=False)
        if item.heading_agency and not (mentions and mentions[0].start <= 3):
            clause = f"{item.heading_name} {clause[:1].lower()}{clause[1:]}"
        return read_roles(clause, [], self.finder).roles

    def _execution_sentence(self, item: ItemDraft, text: str) -> None:
        source = department_list(text.removesuffix("./.").strip())
        # «1. Sở Y tế» (or «1. Sở Y tế:») and its bullets: the heading names who, each
        # bullet what; «2. Sở Tài chính: Tham mưu …»: the heading and its one duty
        heading = None if item.heading_agency else self.heading_agencies(source)
        if heading:
            item.open_label = []
            item.heading_agencies, item.heading_name, source = heading
            item.heading_agency = item.heading_agencies[0]
            if not source:
                return
        reading = read_roles(source, [], self.finder)
        if item.heading_agency and not (reading.mentions and reading.mentions[0].start <= 3):
            # the bullet's subject is the heading's agency: read it as written after it
            said = f"{item.heading_name} {source[:1].lower()}{source[1:]}"
            reading = read_roles(said, [], self.finder)
            if not reading.roles:
                reading = Reading()
                for _, _, role in role_words(source, []) or [(0, 0, "thuc_hien")]:
                    for agency in item.heading_agencies:
                        reading.add(agency, role)
        if not reading.roles:
            return
        part = PartDraft([source])
        inside = find_deadline(source, recurring=True)
        if inside:
            part.deadline = inside[0]
        part.take(reading)
        item.parts.append(part)


# ---------------------------------------------------------------------- the appendix table


def _column_of(header: str) -> str | None:
    low = header.lower()
    for word, column in TABLE_COLUMNS:
        if re.search(r"(?<!\w)" + re.escape(word) + r"(?!\w)", low):
            return column
    return None


def is_task_table(table: Table) -> bool:
    header = " ".join(" ".join(row) for row in table.rows[:2]).lower()
    return ("nội dung" in header or "nhiệm vụ" in header) and (
        "chủ trì" in header or "thực hiện" in header
    )


def _number(cell: str) -> str:
    return cell.strip().rstrip(".").strip()


def read_table(
    table: Table, section: str, finder: AgencyFinder, review: Review
) -> list[tuple[tuple[str, str, str], list[ItemDraft]]]:
    """Groups (id, section, title) and their items from an appendix table."""
    rows = [list(r) for r in table.rows]
    header_rows = 0
    while header_rows < len(rows) and not re.fullmatch(
        r"[IVX]+|\d+(\.\d+)?", _number(rows[header_rows][0])
    ):
        header_rows += 1
    width = max(len(r) for r in rows)
    labels = [
        " ".join(dict.fromkeys(r[i] for r in rows[:header_rows] if i < len(r) and r[i]))
        for i in range(width)
    ]
    columns: dict[str, int] = {}
    for i, label in enumerate(labels):
        column = _column_of(label)
        if column == "lead" and "lead" in columns and "coordinate" not in columns:
            column = "coordinate"
        if column and column not in columns:
            columns[column] = i
    if "text" not in columns or "lead" not in columns:
        review.notes.append("Một bảng có cột «Nội dung» nhưng không rõ cột cơ quan; chưa đọc.")
        return []
    above: list[str] = [""] * width
    out: list[tuple[tuple[str, str, str], list[ItemDraft]]] = []
    numbers: list[str] = []
    for row in rows[header_rows:]:
        row = row + [""] * (width - len(row))
        if all(re.fullmatch(r"\(?\d+\)?", c.strip()) for c in row if c.strip()):
            continue  # the row of column numbers «(1) (2) (3)…»
        if not _number(row[0]) and any(c.strip() for c in row) and out and out[-1][1]:
            # a row with no number continues the row above (a Word row copied as two)
            last = out[-1][1][-1]
            merged = [
                a if not c.strip() else f"{a} {c}".strip() for a, c in zip(above, row, strict=False)
            ]
            out[-1][1][-1] = _table_item(merged, columns, labels, out[-1][0], finder, review)
            out[-1][1][-1].id = last.id
            above = merged
            continue
        row = [above[i] if c.strip().lower() in DITTO else c for i, c in enumerate(row)]
        above = row
        number = _number(row[0])
        others = {c for i, c in enumerate(row) if i != 0 and c}
        is_group = (
            len(others) == 1
            and re.fullmatch(r"[IVX]+|[A-Z]|\d+", number or "")
            and row[columns["text"]] in others
        ) or (number in ROMAN and not row[columns["lead"]])
        if is_group:
            title = row[columns["text"]]
            gid = str(ROMAN.get(number, number)) if number else str(len(out) + 1)
            out.append(((gid, section, title), []))
            continue
        if not out:
            out.append(((str(len(out) + 1), section, "Nhiệm vụ"), []))
        numbers.append(number)
        out[-1][1].append(_table_item(row, columns, labels, out[-1][0], finder, review))
    # ids: «1.1» as written; numbers restarting in each group get the group's number
    flat = [i for _, items in out for i in items]
    restart = len({i.id for i in flat}) != len(flat)
    for (gid, _, _), items in out:
        for item in items:
            if restart and "." not in item.id:
                item.id = f"{gid}.{item.id}"
    return out


def _table_item(
    row: list[str],
    columns: dict[str, int],
    labels: list[str],
    group: tuple[str, str, str],
    finder: AgencyFinder,
    review: Review,
) -> ItemDraft:
    number = _number(row[0]) or "?"
    text = row[columns["text"]].replace("\n", " ")
    item = ItemDraft(number, text, group[0], group[2], group[1], roles_given=True)
    where = f"mục {number} (bảng)"
    part = PartDraft([])
    for column, role in (("lead", "chu_tri"), ("coordinate", "phoi_hop")):
        if column not in columns:
            continue
        cell = row[columns[column]]
        if not cell:
            continue
        mentions, leftovers = finder.cell(cell)
        for m in mentions:
            roles = part.roles.setdefault(m.agency, [])
            if role not in roles:
                roles.append(role)
        for left in leftovers:
            review.cells.append((where, f"{labels[columns[column]]}: {left}"))
        flat = cell.replace("\n", "; ")
        part.source.append(
            f"{labels[columns[column]]}: {flat}" + ("." if column == "coordinate" else ";")
        )
    if "deadline" in columns and row[columns["deadline"]]:
        wording = row[columns["deadline"]].replace("\n", " ")
        typed = type_deadline(wording)
        if typed is None:
            typed = {"kind": "none", "text": wording}
            review.unknown_deadlines.append((where, wording))
        part.deadline = typed
    for column in ("product", "note"):
        if column in columns and row[columns[column]]:
            review.cells.append(
                (where, f"{labels[columns[column]]}: {row[columns[column]].replace(chr(10), '; ')}")
            )
    if part.roles:
        item.parts.append(part)
    return item


def roles_of_text(text: str, finder: AgencyFinder) -> list[str]:
    """The role words of an item's own sentence (outside agency names)."""
    return [role for _, _, role in role_words(text, finder.mentions(text, propose=False))]


# ------------------------------------------------------- a table that came as loose lines

_ROW_NUMBER = re.compile(r"(\d{1,2}|[IVX]{1,4})\.?")
_HEADER_START = re.compile(r"(?:S[ốo]\s*)?S?TT\.?", re.I)
_LOOSE_COLUMNS: tuple[tuple[str, str], ...] = (
    ("text", r"nội dung|nhiệm vụ|công việc|hoạt động"),
    ("lead", r"chủ trì|thực hiện|đầu mối"),
    ("coordinate", r"phối hợp"),
    ("deadline", r"thời gian|thời hạn|thời điểm|tiến độ"),
    ("product", r"sản phẩm|kết quả"),
    ("note", r"ghi chú"),
)
_COLUMN_LABELS = {
    "text": "Nhiệm vụ",
    "lead": "Cơ quan chủ trì",
    "coordinate": "Cơ quan phối hợp",
    "deadline": "Thời gian",
    "product": "Sản phẩm",
    "note": "Ghi chú",
}
# a deadline cell's first line
_DEADLINE_CELL = re.compile(
    r"^(?:Quý|Tháng|Năm|Thường xuyên|Hằng|Hàng|Định kỳ|Trước|Trong|Giai đoạn|Từ|Đến|Liên tục"
    r"|Kịp thời|\d{1,2}/\d{4}|\d{4}(?!\d))",
    re.I,
)
APPENDIX_END = re.compile(r"^(?:PHỤ LỤC|Phụ lục)\b")  # a second appendix ends the table
# a line that goes on with the cell above: it ends with a word a name goes on after
_GOES_ON = re.compile(r"(?:[,;&\-–]|(?<!\w)(?:và|với|các|cấp))$")


def loose_table(lines: list[str], finder: AgencyFinder) -> Table | None:
    """The task table of an appendix whose cells came one after another as lines (a PDF's
    text layer): «TT», the header's labels, then each row — its number alone on a line,
    the task's lines, the lead's, the partners', the deadline's, the product's (an empty
    cell leaves no line). A roman number over a line in capitals is a group row. None if
    the lines hold no such table."""
    start = next((i for i, x in enumerate(lines) if _HEADER_START.fullmatch(x)), None)
    if start is None:
        return None
    first_row = next(
        (i for i in range(start + 1, len(lines)) if _ROW_NUMBER.fullmatch(lines[i])), None
    )
    if first_row is None:
        return None
    header = " ".join(lines[start + 1 : first_row]).lower()
    found: list[tuple[int, str]] = []
    for column, words in _LOOSE_COLUMNS:
        m = re.search(words, header)
        if m and all(m.start() != at for at, _ in found):
            found.append((m.start(), column))
    columns = [c for _, c in sorted(found)]
    if "text" not in columns or "lead" not in columns:
        return None
    rows: list[list[str]] = [["TT", *(_COLUMN_LABELS[c] for c in columns)]]
    number, roman, chunk_number = 0, 0, ""  # the last item and group numbers seen
    chunk: list[str] = []
    ended = False

    def flush() -> None:
        if chunk_number:
            rows.append(_loose_row(chunk_number, chunk, columns, finder))

    for line in lines[first_row:]:
        m = _ROW_NUMBER.fullmatch(line)
        if m and not ended:
            value = m.group(1)
            if value.isdigit() and int(value) in (number + 1, 1) and (chunk or not chunk_number):
                flush()
                number, chunk_number, chunk = int(value), value, []
                continue
            if ROMAN.get(value) == roman + 1:
                flush()
                roman, chunk_number, chunk = roman + 1, value, []
                continue
        if APPENDIX_END.match(line):
            ended = True
        if not ended:
            chunk.append(line)
    flush()
    return Table(rows) if len(rows) > 1 else None


def _loose_row(
    number: str, lines: list[str], columns: list[str], finder: AgencyFinder
) -> list[str]:
    if number in ROMAN:  # a group row: its title spans the row
        return [number] + [" ".join(lines)] * len(columns)
    starts = [
        n
        for n, line in enumerate(lines)
        if n > 0
        and (found := finder.mentions(line, propose=False))
        and found[0].start == 0
        and not _GOES_ON.search(lines[n - 1])
    ]
    first = starts[0] if starts else len(lines)
    cells: dict[str, str] = {"text": " ".join(lines[:first])}
    deadline_at = next(
        (n for n in range(first + 1, len(lines)) if _DEADLINE_CELL.match(lines[n])), len(lines)
    )
    agency_cells: list[list[str]] = []
    for n in range(first, deadline_at):
        if n in starts or not agency_cells:
            agency_cells.append([lines[n]])
        else:
            agency_cells[-1].append(lines[n])
    joined = [" ".join(c) for c in agency_cells]
    if joined:
        cells["lead"] = joined[0]
    if len(joined) > 1:
        key = "coordinate" if "coordinate" in columns else "lead"
        cells[key] = "; ".join(([cells["lead"]] if key == "lead" else []) + joined[1:])
    rest = lines[deadline_at:]
    if rest:
        take = 1
        while take < len(rest) and (rest[take][:1].isdigit() or rest[take][:1].islower()):
            take += 1
        if "deadline" in columns:
            cells["deadline"] = " ".join(rest[:take])
        after = [c for c in ("product", "note") if c in columns]
        if after and rest[take:]:
            cells[after[0]] = " ".join(rest[take:])
    return [number, *(cells.get(c, "") for c in columns)]
