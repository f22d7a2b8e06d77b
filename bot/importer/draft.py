"""A document read into a draft plan: plan.yaml, review.md and agencies.yaml.

`import_plan` reads the file, splits it into head, sections, tail (Nơi nhận, signer)
and appendix, reads each part, and validates the result with the plan's models.
`write_draft` writes the three files and checks the draft as `check-plan` does: the
draft's agencies.yaml is the registry with the proposed agencies added at its end, so
the draft loads as it is; review.md lists what to check, with the proposals as YAML to
paste into knowledge/agencies.yaml.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import yaml

from bot.importer.metadata import LegalIndex, find_legal, read_head
from bot.importer.reading import Block, PlanImportError, Table, read_blocks
from bot.importer.roles import AgencyFinder, Proposal, ordered
from bot.importer.structure import (
    GROUP,
    ItemDraft,
    Review,
    TaskReader,
    is_task_table,
    loose_table,
    read_table,
    roles_of_text,
)
from bot.importer.vocabulary import (
    APPENDIX,
    EXECUTION_SECTION,
    PURPOSE_SECTION,
    RECIPIENTS,
    ROMAN,
    SIGNER_CAPACITY,
    TASK_SECTION,
)
from bot.plan.agencies import AgencyRegistry
from bot.plan.loader import PlanError, load_agencies, load_knowledge

SECTION = re.compile(r"^([IVX]{1,4})\.\s+(.+)$")
NO_DEADLINE = "Không ghi thời hạn"
MONITOR_WORDS = ("theo dõi", "đôn đốc")


@dataclass
class ImportResult:
    """The draft plan (as YAML data), what to review, and the proposed agencies."""

    source: Path
    plan: dict[str, Any]
    review: Review
    proposals: list[Proposal]
    unused_names: list[Proposal]
    agencies_path: Path
    problems: list[str] = field(default_factory=list)  # check-plan's, once written

    @property
    def items(self) -> list[dict[str, Any]]:
        return [i for g in self.plan["groups"] for i in g["items"]]

    def review_counts(self) -> str:
        """What the import could not map, counted (import-plan and the bot say it alike)."""
        review = self.review
        return (
            f"{len(self.proposals)} cơ quan mới đề xuất, {len(review.unknown_deadlines)} thời"
            f" hạn chưa xác định, {len(review.no_agency)} mục chưa có cơ quan,"
            f" {len(review.unmapped) + len(review.cells)} câu/ô chưa ánh xạ"
        )


def _flatten(block: Block) -> list[str]:
    if isinstance(block, str):
        return [block]
    lines: list[str] = []
    for row in block.rows:
        for cell in dict.fromkeys(row):
            lines += [x.strip() for x in cell.split("\n") if x.strip()]
    return lines


def _is_heading(block: Block) -> re.Match[str] | None:
    if not isinstance(block, str):
        return None
    m = SECTION.match(block)
    return m if m and m.group(2).isupper() else None


def import_plan(path: Path, agencies_path: Path) -> ImportResult:
    """The draft of the plan in `path`, agencies taken from `agencies_path`."""
    blocks = read_blocks(path)
    try:
        agencies = load_agencies(agencies_path)
    except PlanError as exc:
        raise PlanImportError(f"Không đọc được danh mục cơ quan: {exc.problems[0]}") from exc
    finder = AgencyFinder(AgencyRegistry(agencies))
    review = Review()

    starts = [i for i, b in enumerate(blocks) if _is_heading(b)]
    first = starts[0] if starts else len(blocks)
    appendix = next(
        (i for i, b in enumerate(blocks) if i > first and isinstance(b, str) and APPENDIX.match(b)),
        len(blocks),
    )
    last = starts[-1] if starts else first
    tail_at = next(
        (
            i
            for i in range(last + 1, appendix)
            if any(RECIPIENTS.match(x) or SIGNER_CAPACITY.match(x) for x in _flatten(blocks[i]))
        ),
        appendix,
    )
    head = [line for b in blocks[:first] for line in _flatten(b)]
    tail = [line for b in blocks[tail_at:appendix] for line in _flatten(b)]
    body_text = "\n".join(line for b in blocks for line in _flatten(b))

    sections: list[tuple[str, str, list[Block]]] = []
    bounds = [*starts, tail_at]
    for n, at in enumerate(starts):
        m = _is_heading(blocks[at])
        assert m is not None
        sections.append((m.group(1), m.group(2), list(blocks[at + 1 : bounds[n + 1]])))

    preamble, title_end = _preamble(head)
    meta_head = read_head(head[:title_end], tail, body_text, finder)
    own_number = meta_head.meta.get("number")
    prose = [line for b in blocks[first:appendix] for line in _flatten(b)]
    legal = find_legal([preamble, *prose], finder, own_number)
    bases = legal.cited_in(preamble)

    reader = TaskReader(finder, review)
    plan_sections: list[dict[str, Any]] = []
    task_roman = "II"
    tables: list[Table] = []
    for roman, title, content in sections:
        lines = [b for b in content if isinstance(b, str)]
        tables += [b for b in content if isinstance(b, Table)]
        for b in content:
            if isinstance(b, Table) and not is_task_table(b):
                lines += _flatten(b)
        if any(w in title for w in PURPOSE_SECTION):
            plan_sections.append(_purpose(roman, title, lines))
        elif any(w in title for w in EXECUTION_SECTION):
            reader.read_execution(roman, _sentence_case(title), lines)
        elif any(w in title for w in TASK_SECTION):
            task_roman = roman
            reader.read_tasks(roman, lines)
        else:
            review.unmapped += [(f"phần {roman}. {_sentence_case(title)}", x) for x in lines]
    tables += [b for b in blocks[appendix:] if isinstance(b, Table)]
    if not any(is_task_table(t) for t in tables):  # a PDF's table: its cells as loose lines
        loose = loose_table([b for b in blocks[appendix:] if isinstance(b, str)], finder)
        if loose is not None:
            tables.append(loose)

    table_groups = []
    for table in tables:
        if is_task_table(table):
            table_groups += read_table(table, task_roman, finder, review)
    groups = _groups(reader, table_groups, legal, finder, review)
    meta = _meta(meta_head.meta, bases, groups, review, meta_head.problems)
    used = _used_agencies(meta, groups, legal)
    proposals = [p for p in finder.proposals.values() if p.id in used]
    unused = [p for p in finder.proposals.values() if p.id not in used]
    for p in proposals:
        p.seen_in = _seen_in(p.id, groups)
    plan = {
        "meta": meta,
        "legal_refs": {k: c.fields for k, c in legal.refs.items()},
        "sections": plan_sections,
        "groups": groups,
    }
    for key, citation in legal.refs.items():
        if citation.issuer_text and "issuer" not in citation.fields:
            review.notes.append(
                f"Văn bản {citation.fields['kind']} {citation.fields['number']} ({key}): cơ quan"
                f" ban hành «{citation.issuer_text}» không có trong danh mục; chưa ghi issuer."
            )
    return ImportResult(path, plan, review, proposals, unused, agencies_path)


def _preamble(head: list[str]) -> tuple[str, int]:
    """The preamble (the paragraph after the title: «Thực hiện …», «Căn cứ …») and where
    the head's title lines end."""
    for i, line in enumerate(head):
        if line.isupper() or not line or i == 0:
            continue
        if re.match(r"^(Thực hiện|Căn cứ|Triển khai|Nhằm|Để)\b", line):
            rest = [x for x in head[i:] if not x.isupper()]
            return " ".join(rest), i
    return "", len(head)


def _sentence_case(title: str) -> str:
    return title[:1].upper() + title[1:].lower()


def _purpose(roman: str, title: str, lines: list[str]) -> dict[str, Any]:
    parts: list[dict[str, Any]] = []
    for line in lines:
        m = GROUP.match(line)
        if m and len(line) < 80:
            parts.append({"id": f"{roman}.{m.group(1)}", "title": m.group(2), "points": []})
            continue
        if not parts:
            parts.append({"id": f"{roman}.1", "title": _sentence_case(title), "points": []})
        parts[-1]["points"].append(re.sub(r"^[-–•+*]\s*", "", line))
    parts = [p for p in parts if p["points"]]
    return {"id": roman, "title": _sentence_case(title), "parts": parts}


def _groups(
    reader: TaskReader,
    table_groups: list[tuple[tuple[str, str, str], list[ItemDraft]]],
    legal: LegalIndex,
    finder: AgencyFinder,
    review: Review,
) -> list[dict[str, Any]]:
    order: list[tuple[str, str, str]] = []
    members: dict[str, list[ItemDraft]] = {}
    for gid, section, title in reader.groups:
        if gid not in members:
            order.append((gid, section, title))
            members[gid] = []
    for item in reader.items:
        members[item.group_id].append(item)
    for (gid, section, title), items in table_groups:
        key = gid if gid not in members else f"{section}-{gid}"
        order.append((key, section, title))
        members[key] = items
    out = []
    order.sort(key=lambda g: ROMAN.get(g[1], 99))  # the appendix's tasks before section III
    for gid, section, title in order:
        drafted = [d for d in (_item(i, legal, finder, review) for i in members[gid]) if d]
        if drafted:
            title = title or drafted[0]["text"]
            out.append({"id": gid, "section": section, "title": title, "items": drafted})
    return out


def _item(
    item: ItemDraft, legal: LegalIndex, finder: AgencyFinder, review: Review
) -> dict[str, Any] | None:
    with_parts = {p.scope for p in item.parts}
    text_lines = [item.text, *item.extra]
    for letter, text in item.sub_items:
        if letter not in with_parts:
            if with_parts - {""}:
                review.no_agency.append((f"mục {item.id}, điểm {letter})", text))
            else:
                text_lines.append(f"{letter}) {text}")
    text = "\n".join(text_lines)
    parts = [p for p in item.parts if p.roles]
    if not parts:
        review.no_agency.append((f"mục {item.id}", text))
        return None
    # the item's own words give its lead their roles («1.2. Rà soát, tham mưu …» then
    # «Cơ quan chủ trì: X»), unless the item's sentence is the assignment itself (III, or
    # «1.1. Sở Y tế chủ trì …») or the table's columns
    if len(parts) == 1 and not re.match(r"^[IVX]+\.", item.id) and not item.roles_given:
        lead = _leader(parts[0].roles)
        if lead:
            for role in roles_of_text(item.text, finder):
                if role not in parts[0].roles[lead]:
                    parts[0].roles[lead].append(role)
    assignments = []
    for n, part in enumerate(parts):
        deadline = part.deadline or item.default_deadline
        if deadline is None:
            deadline = {"kind": "none", "text": NO_DEADLINE}
            review.unknown_deadlines.append(
                (
                    f"mục {item.id}" + (f" (phần {chr(97 + n)})" if len(parts) > 1 else ""),
                    "không ghi thời hạn",
                ),
            )
        source = " ".join(part.source)
        entry: dict[str, Any] = {}
        if len(parts) > 1:
            entry["part"] = chr(97 + n)
        if part.task:
            entry["task"] = part.task
        entry["source_text"] = source
        refs = legal.cited_in(source)
        if refs and len(parts) > 1:
            entry["refs"] = refs
        entry["agencies"] = [_agency_role(a, r) for a, r in part.roles.items()]
        if (part.reports_to and part.reports_to not in part.roles) or (
            part.reports_to and "tong_hop" in part.roles.get(part.reports_to, [])
        ):
            entry["reports_to"] = part.reports_to
        entry["deadline"] = dict(deadline)
        assignments.append(entry)
    out: dict[str, Any] = {"id": item.id, "text": text}
    refs = legal.cited_in(text + " " + " ".join(" ".join(p.source) for p in parts))
    if refs:
        out["refs"] = refs
    out["assignments"] = assignments
    return out


def _agency_role(agency: str, roles: list[str]) -> dict[str, Any]:
    roles = ordered(roles)
    if len(roles) == 1:
        return {"agency": agency, "role": roles[0]}
    return {"agency": agency, "roles": roles}


def _leader(roles: dict[str, list[str]]) -> str | None:
    """The agency leading a lone assignment (as `Assignment.leader` reads it)."""
    for role in ("chu_tri", "chi_dao"):
        for agency, given in roles.items():
            if role in given:
                return agency
    doers = [a for a, given in roles.items() if "thuc_hien" in given or "tham_muu" in given]
    return doers[0] if len(doers) == 1 else None


def _meta(
    found: dict[str, Any],
    bases: list[str],
    groups: list[dict[str, Any]],
    review: Review,
    problems: list[str],
) -> dict[str, Any]:
    review.notes += problems
    issued = found.get("issued") or date.today()
    meta: dict[str, Any] = {
        "number": found.get("number") or "?",
        "doc_type": found.get("doc_type") or "Kế hoạch",
        "issuer": found.get("issuer") or "",
        "issuer_name": found.get("issuer_name") or "",
        "place": found.get("place") or "",
        "issued": issued,
        "effective": found.get("effective") or issued,
        "title": found.get("title") or "",
        "signer": found["signer"],
        "implements": bases[0] if bases else "",
        "bases": bases,
        "recipients": found["recipients"],
    }
    if not bases:
        review.notes.append(
            "Phần mở đầu không dẫn văn bản nào («Thực hiện …», «Căn cứ …»); điền tay"
            " meta.implements và meta.bases."
        )
    monitor = _monitor(groups)
    if monitor:
        meta["monitoring_agency"] = monitor
    return meta


def _monitor(groups: list[dict[str, Any]]) -> str | None:
    """The agency the execution section charges with following the plan («theo dõi, đôn
    đốc … tổng hợp»), if one is."""
    for group in groups:
        for item in group["items"]:
            if not re.match(r"^[IVX]+\.", item["id"]):
                continue
            for a in item["assignments"]:
                if all(w in a["source_text"] for w in MONITOR_WORDS) and len(a["agencies"]) == 1:
                    return str(a["agencies"][0]["agency"])
    return None


def _used_agencies(
    meta: dict[str, Any], groups: list[dict[str, Any]], legal: LegalIndex
) -> set[str]:
    used = {meta["issuer"], meta.get("monitoring_agency")}
    for group in groups:
        for item in group["items"]:
            for a in item["assignments"]:
                used |= {x["agency"] for x in a["agencies"]}
                used.add(a.get("reports_to"))
    used |= {c.fields.get("issuer") for c in legal.refs.values()}
    return {u for u in used if u}


def _seen_in(agency: str, groups: list[dict[str, Any]]) -> list[str]:
    return [
        item["id"]
        for group in groups
        for item in group["items"]
        if any(x["agency"] == agency for a in item["assignments"] for x in a["agencies"])
    ]


# ---------------------------------------------------------------------- writing


class _Dumper(yaml.SafeDumper):
    def ignore_aliases(self, data: Any) -> bool:
        return True


def _str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _str)


def dump_yaml(data: Any) -> str:
    return yaml.dump(data, Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=100)


def proposals_yaml(proposals: list[Proposal]) -> str:
    entries = [
        {"id": p.id, "name": p.name, "kind": p.kind, "aliases": p.aliases} for p in proposals
    ]
    return dump_yaml(entries)


def write_draft(result: ImportResult, out: Path) -> ImportResult:
    """Write plan.yaml, agencies.yaml and review.md into `out` and check the draft as
    check-plan does; its problems (if any) are kept in `result.problems` and review.md."""
    out.mkdir(parents=True, exist_ok=True)
    header = (
        f"# Bản nháp kế hoạch do `python -m bot import-plan` tạo từ {result.source.name}.\n"
        "# Xem review.md: những câu, ô và cơ quan chưa ánh xạ được. Mọi `text` và `source_text`\n"
        "# chép nguyên văn; cơ quan là id trong agencies.yaml (cùng thư mục: danh mục cộng đề xuất).\n"
    )
    (out / "plan.yaml").write_text(header + dump_yaml(result.plan), encoding="utf-8")
    registry_text = result.agencies_path.read_text(encoding="utf-8")
    if result.proposals:
        block = proposals_yaml(result.proposals)
        registry_text = (
            registry_text.rstrip("\n")
            + "\n\n  # --- Đề xuất của import-plan (xem review.md) ---\n"
            + "".join(f"  {line}\n" for line in block.splitlines())
        )
    (out / "agencies.yaml").write_text(registry_text, encoding="utf-8")
    try:
        load_knowledge(out / "plan.yaml", out / "agencies.yaml")
        result.problems = []
    except PlanError as exc:
        result.problems = list(exc.problems)
    (out / "review.md").write_text(review_markdown(result), encoding="utf-8")
    return result


def review_markdown(result: ImportResult) -> str:
    review = result.review
    meta = result.plan["meta"]
    items = result.items
    count = sum(len(i["assignments"]) for i in items)
    lines = [
        f"# Rà soát bản nháp: {meta['doc_type']} {meta['number']}",
        "",
        f"Tệp nguồn: `{result.source.name}`. Đã đọc {len(result.plan['groups'])} nhóm,"
        f" {len(items)} mục, {count} phần giao việc, {len(result.plan['legal_refs'])} văn bản"
        " dẫn chiếu.",
        "",
    ]
    if result.problems:
        lines += ["## Bản nháp chưa qua check-plan", ""]
        lines += [f"- {p}" for p in result.problems] + [""]
    else:
        lines += ["Bản nháp qua `check-plan` (với các cơ quan đề xuất dưới đây).", ""]
    lines += ["## Cơ quan chưa có trong danh mục (đề xuất)", ""]
    if result.proposals:
        for p in result.proposals:
            where = ", ".join(p.seen_in) or "thông tin chung"
            lines.append(f"- «{p.name}» → id `{p.id}` (loại {p.kind}); gặp ở mục: {where}")
        lines += [
            "",
            "Dán vào `knowledge/agencies.yaml` (dưới `agencies:`), sửa id, loại, nhóm"
            " (`member_of`) và tên gọi khác nếu cần:",
            "",
            "```yaml",
            proposals_yaml(result.proposals).rstrip(),
            "```",
            "",
        ]
    else:
        lines += ["Không có.", ""]
    if result.unused_names:
        lines += ["Tên cơ quan lạ có nhắc đến nhưng không được giao việc (không cần thêm):", ""]
        lines += [f"- «{p.name}»" for p in result.unused_names] + [""]
    sections = [
        ("Thời hạn chưa xác định được kiểu (để kind: none)", review.unknown_deadlines),
        ("Mục, điểm chưa có cơ quan được giao (không đưa vào bản nháp)", review.no_agency),
        ("Câu, đoạn chưa ánh xạ được", review.unmapped),
        ("Ô bảng chưa có chỗ trong khuôn dạng hoặc không nhận ra cơ quan", review.cells),
    ]
    for title, entries in sections:
        lines += [f"## {title}", ""]
        lines += [f"- {where}: «{text}»" for where, text in entries] or ["Không có."]
        lines.append("")
    lines += ["## Cần kiểm tra thêm", ""]
    lines += [f"- {n}" for n in review.notes] or ["Không có."]
    return "\n".join(lines) + "\n"
