"""Load and validate a plan and its agency registry from YAML.

Every error names the file, the YAML path and line, and what to fix, so that a
plan of the same shape can be written by hand and checked with
`python -m bot check-plan PATH`.
"""

from __future__ import annotations

import types
import typing
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from bot.core.yaml_io import compose_yaml, load_yaml_text, load_yaml_text_dates_as_text
from bot.plan.models import Agency, AgencyFile, Plan
from bot.plan.successions import SuccessionFile, Timeline
from bot.plan.successions import check as check_successions


class PlanError(Exception):
    """A plan or registry that cannot be used; `problems` holds one line per problem."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("\n".join(problems))


@dataclass(frozen=True)
class Knowledge:
    """A validated plan together with its agency registry and, when the folder has a
    successions.yaml, the agencies' changes over time."""

    plan: Plan
    agencies: dict[str, Agency]
    plan_path: Path
    timeline: Timeline = field(default_factory=Timeline)
    # what `check-plan` should point out though the plan loads (an old key read as the new)
    notes: tuple[str, ...] = ()


def read_yaml(path: Path, error: type[PlanError] | None = None) -> tuple[Any, str]:
    """(data, raw text) of a YAML file; `error` (PlanError by default) for a missing,
    unreadable or malformed file, naming the file and line."""
    error = error or PlanError
    try:
        raw = path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise error([f"{path}: không tìm thấy tệp"]) from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise error([f"{path}: không đọc được tệp ({exc})"]) from exc
    try:
        try:
            data = load_yaml_text(raw)
        except ValueError:  # an impossible date ("2023-02-31"): let the model say where
            data = load_yaml_text_dates_as_text(raw)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f":{mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise error(
            [
                f"{path}{where}: YAML không hợp lệ: {problem}. Kiểm tra thụt lề và dấu ':' ở dòng này."
            ]
        ) from exc
    return data, raw


def _line_of(node: yaml.Node | None, loc: tuple[Any, ...]) -> int | None:
    """Line (1-based) of the YAML node at `loc` (of its key, in a mapping), or of its
    deepest existing parent."""
    line = node.start_mark.line + 1 if node is not None else None
    for key in loc:
        mark = None
        if isinstance(node, yaml.MappingNode):
            pair = next(((k, v) for k, v in node.value if k.value == str(key)), None)
            nxt, mark = (pair[1], pair[0].start_mark) if pair else (None, None)
        elif isinstance(node, yaml.SequenceNode) and isinstance(key, int):
            nxt = node.value[key] if 0 <= key < len(node.value) else None
        else:
            nxt = None
        if nxt is None:
            break
        node = nxt
        line = (mark or node.start_mark).line + 1
    return line


_NODE_CACHE: dict[int, yaml.Node | None] = {}


def _nodes(raw: str) -> yaml.Node | None:
    """Node tree of a YAML text, composed only when an error needs a line number."""
    key = hash(raw)
    if key not in _NODE_CACHE:
        _NODE_CACHE.clear()
        _NODE_CACHE[key] = compose_yaml(raw)
    return _NODE_CACHE[key]


def _dotted(loc: tuple[Any, ...]) -> str:
    out = ""
    for key in loc:
        out += f"[{key}]" if isinstance(key, int) else (f".{key}" if out else str(key))
    return out or "(gốc)"


def where(path: Path, raw: str, loc: tuple[Any, ...]) -> str:
    """ "file:line (dotted.path)" of the YAML node at `loc`, for an error message."""
    line = _line_of(_nodes(raw), loc)
    return f"{path}:{line} ({_dotted(loc)})" if line else f"{path} ({_dotted(loc)})"


ErrorWording = Callable[[dict[str, Any]], str]


def _unwrap(tp: Any) -> Any:
    """`tp` without Annotated[…] and Optional."""
    while True:
        origin = typing.get_origin(tp)
        if origin is typing.Annotated:
            tp = typing.get_args(tp)[0]
        elif origin in (typing.Union, types.UnionType):
            tp = next(a for a in typing.get_args(tp) if a is not type(None))
        else:
            return tp


def _model_at(model: Any, loc: tuple[Any, ...]) -> Any:
    """The pydantic model at `loc` inside `model`, or None."""
    current: Any = model
    for key in loc:
        current = _unwrap(current)
        if isinstance(current, type) and issubclass(current, BaseModel):
            field = current.model_fields.get(str(key))
            if field is None:
                return None
            current = field.annotation
        else:
            args = typing.get_args(current)
            if not args:
                return None
            current = args[1] if typing.get_origin(current) is dict else args[0]
    current = _unwrap(current)
    return current if isinstance(current, type) and issubclass(current, BaseModel) else None


def vietnamese_wording(model: type[BaseModel]) -> ErrorWording:
    """pydantic's complaints about `model`, said in Vietnamese with what to write instead."""

    def wording(err: dict[str, Any]) -> str:
        kind, loc = err["type"], tuple(err["loc"])
        key = loc[-1] if loc else ""
        if kind == "extra_forbidden":
            parent = _model_at(model, loc[:-1])
            allowed = ", ".join(parent.model_fields) if parent else ""
            return f"khóa '{key}' không có trong khuôn dạng" + (
                f"; các khóa hợp lệ: {allowed}" if allowed else ""
            )
        if kind == "missing":
            return f"thiếu khóa bắt buộc '{key}'"
        if kind.startswith("float") or kind.startswith("int"):
            return f"giá trị {err.get('input')!r} phải là một số"
        if kind == "string_type":
            return (
                f"giá trị {err.get('input')!r} phải là chữ (đặt trong ngoặc kép nếu YAML hiểu"
                " nhầm thành số, true/false hay null)"
            )
        if kind == "string_pattern_mismatch":
            return f"'{err.get('input')}' không đúng dạng: chỉ chữ thường không dấu, số và '_'"
        if kind in ("list_type", "tuple_type"):
            return "phải là một danh sách, ví dụ [a, b]"
        if kind in ("dict_type", "model_type", "model_attributes_type"):
            return "phải là một bảng «khóa: giá trị»"
        if kind == "too_short":
            return "danh sách không được rỗng"
        if kind in ("greater_than_equal", "less_than_equal", "greater_than", "less_than"):
            bound = next(iter((err.get("ctx") or {}).values()), "")
            return f"giá trị {err.get('input')!r} nằm ngoài khoảng cho phép (giới hạn {bound})"
        if kind.startswith("date") or kind.startswith("datetime"):
            return f"ngày {err.get('input')!r} không hợp lệ hoặc không có thật; viết YYYY-MM-DD, ví dụ 2023-06-30"
        if kind == "literal_error":
            expected = (err.get("ctx") or {}).get("expected", "")
            expected = str(expected).replace(" or ", ", ")
            return f"giá trị {err.get('input')!r} không được chấp nhận; chọn một trong: {expected}"
        if kind.startswith("bool"):
            return f"giá trị {err.get('input')!r} phải là true hoặc false"
        if kind == "value_error":
            return str(err["msg"]).removeprefix("Value error, ")
        if kind == "assertion_error":
            return str(err["msg"]).removeprefix("Assertion failed, ")
        return f"giá trị {err.get('input')!r} không hợp lệ ở đây"

    return wording


def validate_model(
    model: type[BaseModel],
    data: Any,
    path: Path,
    raw: str,
    error: type[PlanError] | None = None,
    wording: ErrorWording | None = None,
) -> Any:
    """`model` validated from `data`, or `error` (PlanError by default) with one line
    per problem: file, line, YAML path and pydantic's message (or `wording`'s)."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        problems = []
        errors = exc.errors()
        failed = [tuple(e["loc"]) for e in errors if e["type"] != "too_short"]
        for err in errors:
            loc_full = tuple(err["loc"])
            # a list emptied by its invalid members is not a problem of its own
            if err["type"] == "too_short" and any(f[: len(loc_full)] == loc_full for f in failed):
                continue
            loc = tuple(
                k for k in err["loc"] if not (isinstance(k, str) and k.startswith("function"))
            )
            msg = (wording or vietnamese_wording(model))(dict(err))
            problems.append(f"{where(path, raw, loc)}: {msg}")
        raise (error or PlanError)(problems) from exc


def load_agencies(path: Path) -> dict[str, Agency]:
    """Load the agency registry, checking ids are unique and groups exist."""
    data, raw = read_yaml(path)
    registry: AgencyFile = validate_model(AgencyFile, data, path, raw)
    problems = []
    counts = Counter(a.id for a in registry.agencies)
    by_id: dict[str, Agency] = {}
    for i, agency in enumerate(registry.agencies):
        if counts[agency.id] > 1 and agency.id in by_id:
            problems.append(
                f"{where(path, raw, ('agencies', i, 'id'))}: id cơ quan '{agency.id}' bị trùng;"
                " mỗi cơ quan cần một id riêng"
            )
        by_id.setdefault(agency.id, agency)
    for i, agency in enumerate(registry.agencies):
        for j, group in enumerate(agency.member_of):
            if group not in by_id or not by_id[group].is_group:
                problems.append(
                    f"{where(path, raw, ('agencies', i, 'member_of', j))}: nhóm '{group}'"
                    " không có trong danh mục (cần một cơ quan kind: group với id này)"
                )
    if problems:
        raise PlanError(problems)
    return by_id


def load_knowledge(
    plan_path: str | Path,
    agencies_path: str | Path | None = None,
    successions_path: str | Path | None = None,
) -> Knowledge:
    """Load plan.yaml and the agencies.yaml beside it (and the successions.yaml beside
    that, unless given); raise PlanError listing all problems."""
    plan_file = Path(plan_path)
    if not plan_file.is_file():
        raise PlanError(
            [f"{plan_file}: không tìm thấy tệp kế hoạch (kiểm tra PLAN_PATH hoặc đường dẫn)"]
        )
    agency_file = Path(agencies_path) if agencies_path else plan_file.with_name("agencies.yaml")
    agencies = load_agencies(agency_file)
    data, raw = read_yaml(plan_file)
    plan: Plan = validate_model(Plan, data, plan_file, raw)
    succession_file = (
        Path(successions_path) if successions_path else agency_file.with_name("successions.yaml")
    )
    timeline = Timeline()
    if succession_file.is_file():
        timeline = load_successions(succession_file, agencies, plan)
    problems = _cross_check(plan, agencies, plan_file, raw, agency_file)
    if problems:
        raise PlanError(problems)
    notes = tuple(
        f"{where(plan_file, raw, loc)}: khóa 'on' nay là 'date' (YAML đọc chữ on không có"
        " ngoặc kép là true); đã đọc như 'date' — anh/chị nên đổi thành date: YYYY-MM-DD"
        for loc in _old_date_keys(data)
    )
    return Knowledge(
        plan=plan, agencies=agencies, plan_path=plan_file, timeline=timeline, notes=notes
    )


def _old_date_keys(data: Any, loc: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Where a deadline still uses the old key `on` (read by YAML as the boolean true)."""
    found: list[tuple[Any, ...]] = []
    if isinstance(data, dict):
        if loc and loc[-1] == "deadline" and (True in data or "on" in data):
            found.append(loc)
        for key, value in data.items():
            if isinstance(key, str):
                found += _old_date_keys(value, (*loc, key))
    elif isinstance(data, list):
        for i, value in enumerate(data):
            found += _old_date_keys(value, (*loc, i))
    return found


def load_successions(path: Path, agencies: dict[str, Agency], plan: Plan | None) -> Timeline:
    """Read successions.yaml: its agencies join `agencies` (ids must be new), its events are
    checked against them and the plan; PlanError lists every problem."""
    data, raw = read_yaml(path)
    loaded: SuccessionFile = validate_model(SuccessionFile, data, path, raw)
    loaded = loaded.for_plan(plan.meta.number if plan is not None else None)
    problems = []
    for i, agency in enumerate(loaded.agencies):
        if agency.id in agencies:
            problems.append(
                f"{where(path, raw, ('agencies', i, 'id'))}: id cơ quan '{agency.id}' đã có trong"
                " danh mục; mỗi cơ quan cần một id riêng"
            )
        agencies[agency.id] = agency
    for i, agency in enumerate(loaded.agencies):
        for j, group in enumerate(agency.member_of):
            if group not in agencies or not agencies[group].is_group:
                problems.append(
                    f"{where(path, raw, ('agencies', i, 'member_of', j))}: nhóm '{group}'"
                    " không có trong danh mục"
                )
    problems += check_successions(loaded, agencies, plan, lambda loc: where(path, raw, loc))
    if problems:
        raise PlanError(problems)
    created = frozenset(a.id for a in loaded.agencies if a.kind != "central")
    return Timeline(loaded.events, dict(loaded.legal_refs), created)


def _cross_check(
    plan: Plan, agencies: dict[str, Agency], path: Path, raw: str, agency_file: Path
) -> list[str]:
    problems: list[str] = []

    def need_agency(agency_id: str | None, loc: tuple[Any, ...]) -> None:
        if agency_id is not None and agency_id not in agencies:
            problems.append(
                f"{where(path, raw, loc)}: cơ quan '{agency_id}' không có trong {agency_file};"
                " thêm cơ quan đó vào danh mục hoặc sửa id"
            )

    def need_ref(ref: str, loc: tuple[Any, ...]) -> None:
        if ref not in plan.legal_refs:
            problems.append(
                f"{where(path, raw, loc)}: văn bản '{ref}' không có trong legal_refs;"
                " khai báo nó ở đó hoặc sửa khóa"
            )

    need_agency(plan.meta.issuer, ("meta", "issuer"))
    monitor = plan.meta.monitoring_agency
    need_agency(monitor, ("meta", "monitoring_agency"))
    if monitor in agencies and agencies[monitor].is_group:
        problems.append(
            f"{where(path, raw, ('meta', 'monitoring_agency'))}: '{monitor}' là một nhóm cơ quan;"
            " cơ quan theo dõi phải là một cơ quan cụ thể (ví dụ văn phòng UBND)"
        )
    need_ref(plan.meta.implements, ("meta", "implements"))
    for i, ref in enumerate(plan.meta.bases):
        need_ref(ref, ("meta", "bases", i))
    for key, legal in plan.legal_refs.items():
        need_agency(legal.issuer, ("legal_refs", key, "issuer"))

    seen: dict[str, tuple[Any, ...]] = {}
    for gi, group in enumerate(plan.groups):
        for ii, item in enumerate(group.items):
            loc = ("groups", gi, "items", ii)
            if item.id in seen:
                problems.append(
                    f"{where(path, raw, (*loc, 'id'))}: mục '{item.id}' bị trùng (đã có ở dòng"
                    f" {_line_of(_nodes(raw), seen[item.id])}); mỗi mục cần một số riêng"
                )
            seen.setdefault(item.id, (*loc, "id"))
            for ri, ref in enumerate(item.refs):
                need_ref(ref, (*loc, "refs", ri))
            parts = [a.part for a in item.assignments]
            if len(parts) > 1 and (None in parts or len(set(parts)) != len(parts)):
                problems.append(
                    f"{where(path, raw, loc)}: mục '{item.id}' có nhiều phần giao việc; mỗi phần"
                    " cần một chữ 'part' riêng (a, b, c…)"
                )
            for ai, assignment in enumerate(item.assignments):
                aloc = (*loc, "assignments", ai)
                need_agency(assignment.reports_to, (*aloc, "reports_to"))
                for ri, ref in enumerate(assignment.refs):
                    need_ref(ref, (*aloc, "refs", ri))
                for ci, agency_role in enumerate(assignment.agencies):
                    need_agency(agency_role.agency, (*aloc, "agencies", ci, "agency"))
    return problems
