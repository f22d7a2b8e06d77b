"""The intents as data, schema-checked when loaded.

`intents/registry.yaml` names every intent, in the order that breaks ties between equal
scores, with the slots its answer reads. Beside it, one folder per language
(`intents/vi/`): one `<intent>.yaml` per registered intent (commands, slot weights, cues,
examples), `lists.yaml` (the word lists of the lexicon),
`fallback.yaml` (thresholds) and `conversation.yaml` (the follow-up words). Every file is validated with pydantic; every problem (an
unknown key, a missing intent file, an intent file the registry does not name, a slot the
understanding does not know…) is an `IntentError` line naming the file, the line and the
key, as the plan loader's errors do.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

from bot.nlu.slots import SLOTS
from bot.plan.loader import PlanError, read_yaml, validate_model, vietnamese_wording, where

INTENTS_DIR = Path(__file__).resolve().parent.parent.parent / "intents" / "vi"  # the default
REGISTRY_FILE = "registry.yaml"  # in the parent of the language folder
CONVERSATION_FILE = "conversation.yaml"  # the follow-up words (bot.nlu.followups)
# the language folder's files that are not intents
SHARED_FILES = ("lists.yaml", "fallback.yaml", CONVERSATION_FILE)
FALLBACK_INTENT = "unknown"  # what a message below the threshold is read as


class IntentError(PlanError):
    """Intent data that cannot be used; `problems` holds one line per problem (the same
    shape as a plan's, so the doors report both alike)."""


Name = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$")]
Phrases = tuple[str, ...]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# --------------------------------------------------------------------------- registry


class RegisteredIntent(_Strict):
    """One intent of the registry: the slots its answer reads."""

    slots: tuple[str, ...] = ()


class RegistryFile(_Strict):
    intents: dict[Name, RegisteredIntent]


# --------------------------------------------------------------------------- intent files


class IntentFile(_Strict):
    intent: Name
    description: str = ""
    commands: tuple[Annotated[str, Field(pattern=r"^[a-z_]+$")], ...] = ()
    bias: float = 0.0
    slots: dict[str, float] = {}  # slot (or no_<slot>) → weight
    cues: dict[str, float] = {}  # phrase → weight
    examples: tuple[dict[str, Any], ...] = ()  # {text: …, <slot>: expected value}
    topics: dict[Name, Phrases] = {}  # sub-topics the answer tells apart (plan_info)
    focus: dict[Name, tuple[tuple[str, ...], ...]] = {}  # what a question is about: word sets


class FallbackFile(_Strict):
    threshold: float
    margin: float
    max_cue_total: float = 4.5


class AgencyNameWords(_Strict):
    """How an agency name the registry does not know is spotted ("Sở Ngoại vụ")."""

    heads: Annotated[Phrases, Field(min_length=1)]  # start a name; matched as typed
    stop_words: Phrases  # words that end it: the question starts there


class UpdateNoteWords(_Strict):
    """Words stripped from the front of a progress update to leave its note."""

    report: Phrases  # "cập nhật", "báo cáo"
    progress: Phrases  # "tiến độ"
    item: Phrases  # "nhiệm vụ", "mục"
    number: Phrases  # "số"
    reached: Phrases  # "đạt" before a percent


class ListsFile(_Strict):
    skip_phrases: Phrases = ()
    chatter_fillers: Phrases = ()  # around small talk, asking nothing (the `chatter` slot)
    question_endings: Phrases = ()
    statuses: dict[Name, Phrases]
    statuses_exact: dict[Name, Phrases] = {}
    roles: dict[Name, Phrases]
    relative: dict[Name, Phrases]
    recurring: Phrases = ()
    no_deadline: Phrases = ()
    event_deadline: Phrases = ()
    yearly_deadline: Phrases = ()
    quarter_words: dict[str, Annotated[int, Field(ge=1, le=4)]]
    percent_words: Phrases = ()
    item_keywords: Phrases = ()
    abbreviations: dict[str, str] = {}
    stop_words: Phrases = ()
    legal_kinds: dict[str, Phrases] = {}
    agency_name: AgencyNameWords
    update_note: UpdateNoteWords
    all_agencies: Phrases = ()
    asks: dict[Name, Phrases] = {}
    yes_no_endings: Phrases = ()
    joins: dict[Name, Phrases] = {}
    self_intro: Phrases = ()
    progress_words: dict[Name, Phrases] = {}
    ack_emoji: tuple[str, ...] = ()


class ConversationFile(_Strict):
    """How a message leans on the conversation so far (`conversation.yaml`)."""

    openers: Phrases  # «còn …», «thế còn …» at the start
    closers: Phrases = ()  # «… thì sao» at the end
    pointers: Phrases = ()  # «nó», «việc đó»: the item last talked about
    item_questions: Phrases  # «hạn khi nào», «ai chủ trì»: asked of an item not named
    progress_questions: Phrases = ()  # of those, the ones asking how far it has got
    general_words: Phrases = ()  # «tiến độ chung»: about everything, not one item
    more: Annotated[Phrases, Field(min_length=1)]  # «thêm», «xem tất cả»
    ordinal_nouns: Phrases  # «việc», «cái» before a place in the list
    ordinal_prefix: Phrases = ()  # «thứ» before a place in digits
    ordinal_digit_nouns: Phrases = ()  # «việc 2»: digits right after them are a place
    ordinals: dict[Annotated[int, Field(ge=-1, le=50)], Phrases]  # place (-1: last) → words
    ordinal_not_before: Phrases = ()  # «đầu» then «tư» is «đầu tư», not «the first»
    list_words: Phrases = ()  # «trong danh sách»: «số 3 trong danh sách» is a place


def _load(model: type[BaseModel], path: Path) -> tuple[Any, str]:
    data, raw = read_yaml(path, IntentError)
    return validate_model(model, data, path, raw, IntentError, vietnamese_wording(model)), raw


def load_lists(path: Path) -> ListsFile:
    """One word-list file (`lists.yaml`), validated; IntentError when it is not valid."""
    lists: ListsFile = _load(ListsFile, path)[0]
    return lists


def load_conversation_words(folder: Path) -> ConversationFile:
    """The follow-up words of the language folder `folder`, validated; IntentError when
    the file is missing or not valid."""
    path = folder / CONVERSATION_FILE
    if not path.is_file():
        raise IntentError([f"{path}: thiếu tệp từ ngữ hội thoại (câu hỏi nối tiếp)"])
    words: ConversationFile = _load(ConversationFile, path)[0]
    if 0 in words.ordinals:
        raise IntentError([f"{path}: ordinals: vị trí 0 không hợp lệ (1 là đầu tiên, -1 là cuối)"])
    return words


def _slot_problem(name: str, weighed: bool) -> str | None:
    """Why `name` is not a slot (None when it is); `weighed` also allows "no_<slot>"."""
    base = name[3:] if weighed and name.startswith("no_") else name
    if base in SLOTS:
        return None
    return f"slot '{name}' không có trong các slot mà bộ hiểu câu biết ({', '.join(SLOTS)})"


# --------------------------------------------------------------------------- catalog


@dataclass(frozen=True)
class IntentCatalog:
    """Everything `intents/` says, validated: the registry's intents in order, each
    with its file, the shared word lists and the fallback."""

    registry: RegistryFile
    intents: dict[str, IntentFile]  # in the registry's order
    lists: ListsFile
    fallback: FallbackFile
    folder: Path

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(self.intents)

    def slots_of(self, intent: str) -> tuple[str, ...]:
        return self.registry.intents[intent].slots


def registry_path(folder: Path) -> Path:
    """Where the registry of the language folder `folder` is."""
    return folder.parent / REGISTRY_FILE


def _check_registry(registry: RegistryFile, path: Path, raw: str) -> list[str]:
    problems = []
    if FALLBACK_INTENT not in registry.intents:
        problems.append(
            f"{where(path, raw, ('intents',))}: thiếu ý định '{FALLBACK_INTENT}' (câu ngoài"
            " phạm vi); sổ ý định phải có nó"
        )
    for name, entry in registry.intents.items():
        for i, slot in enumerate(entry.slots):
            problem = _slot_problem(slot, weighed=False)
            if problem:
                problems.append(f"{where(path, raw, ('intents', name, 'slots', i))}: {problem}")
    return problems


def _check_intent(spec: IntentFile, path: Path, raw: str) -> list[str]:
    problems: list[str] = []

    def problem(loc: tuple[Any, ...], text: str) -> None:
        problems.append(f"{where(path, raw, loc)}: {text}")

    if spec.intent != path.stem:
        problem(
            ("intent",),
            f"tệp {path.name} khai báo ý định '{spec.intent}'; tên ý định phải trùng tên tệp"
            f" ('{path.stem}')",
        )
    for name in spec.slots:
        why = _slot_problem(name, weighed=True)
        if why:
            problem(("slots", name), why)
    for i, example in enumerate(spec.examples):
        if "text" not in example:
            problem(("examples", i), "ví dụ thiếu khóa 'text' (câu hỏi mẫu)")
        for key in example:
            if key != "text" and _slot_problem(str(key), weighed=False):
                problem(("examples", i, key), _slot_problem(str(key), weighed=False) or "")
    return problems


def _stamp(folder: Path) -> tuple[tuple[str, int, int], ...]:
    """What changes when a file of `intents/` changes: names, modification times, sizes."""
    out = []
    for path in sorted([registry_path(folder), *folder.glob("*.yaml")]):
        try:
            stat = path.stat()
        except OSError:
            continue
        out.append((str(path), stat.st_mtime_ns, stat.st_size))
    return tuple(out)


_CACHE: dict[tuple[Path, tuple[tuple[str, int, int], ...]], IntentCatalog] = {}


def load_intents(folder: Path) -> IntentCatalog:
    """The validated intents of the language folder `folder` (cached until a file
    changes); IntentError lists every problem found."""
    key = (folder.resolve(), _stamp(folder))
    cached = _CACHE.get(key)
    if cached is None:
        cached = _load_catalog(folder)
        _CACHE.clear()  # one folder in use at a time; tests build others
        _CACHE[key] = cached
    return cached


def _load_catalog(folder: Path) -> IntentCatalog:
    reg_path = registry_path(folder)
    registry, reg_raw = _load(RegistryFile, reg_path)
    problems = _check_registry(registry, reg_path, reg_raw)
    intents: dict[str, IntentFile] = {}
    for name in registry.intents:
        path = folder / f"{name}.yaml"
        if not path.is_file():
            problems.append(
                f"{where(reg_path, reg_raw, ('intents', name))}: ý định '{name}' không có tệp"
                f" {path}; tạo tệp đó hoặc bỏ ý định khỏi sổ"
            )
            continue
        try:
            spec, raw = _load(IntentFile, path)
        except IntentError as exc:
            problems.extend(exc.problems)
            continue
        problems.extend(_check_intent(spec, path, raw))
        intents[name] = spec
    for path in sorted(folder.glob("*.yaml")):
        if path.name not in SHARED_FILES and path.stem not in registry.intents:
            problems.append(
                f"{path}: tệp ý định '{path.stem}' không có trong {reg_path}; thêm"
                f" '{path.stem}' vào sổ ý định (intents:) hoặc xóa tệp"
            )
    owners: dict[str, str] = {}
    for name, spec in intents.items():
        for command in spec.commands:
            if command in owners:
                problems.append(
                    f"{folder / (name + '.yaml')}: lệnh /{command} đã thuộc ý định"
                    f" '{owners[command]}'; mỗi lệnh chỉ dẫn tới một ý định"
                )
            owners.setdefault(command, name)
    lists = fallback = None
    for model, file in ((ListsFile, "lists.yaml"), (FallbackFile, "fallback.yaml")):
        try:
            loaded, _ = _load(model, folder / file)
        except IntentError as exc:
            problems.extend(exc.problems)
            continue
        if model is ListsFile:
            lists = loaded
        else:
            fallback = loaded
    if problems or lists is None or fallback is None:
        raise IntentError(problems)
    return IntentCatalog(registry, intents, lists, fallback, folder)
