"""Import an uploaded plan into a stored draft, activate it, load the active plans."""

from __future__ import annotations

import asyncio
import shutil
import tempfile
import zipfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import cast

from bot.core.config import ConfigError, Settings
from bot.core.reply import esc
from bot.importer import ImportResult, PlanImportError, import_plan, write_draft
from bot.plan.library import Library, plan_key, registry_files
from bot.plan.loader import Knowledge, PlanError, load_knowledge
from bot.storage import sqlite_path
from bot.storage.base import NewPlanDocument, PlanDocument, PlanStore

PLAN_FILE = "plan.yaml"
AGENCIES_FILE = "agencies.yaml"
REVIEW_FILE = "review.md"
SHOWN_PROBLEMS = 5


@dataclass(frozen=True)
class Draft:
    """A stored draft and what to tell the admin of it."""

    document: PlanDocument
    folder: Path  # its files: plan.yaml, agencies.yaml, review.md
    summary: str  # HTML, Vietnamese

    @property
    def plan_file(self) -> Path:
        return self.folder / PLAN_FILE


@dataclass(frozen=True)
class Activation:
    """A draft now served: its plan, the version it replaced (if any) and the item
    numbers that version had and this one has not."""

    document: PlanDocument
    knowledge: Knowledge
    replaced: Knowledge | None
    gone: tuple[str, ...]

    def message(self) -> str:
        meta = self.knowledge.plan.meta
        lines = [
            f"✅ Đã kích hoạt {esc(meta.label)} ({len(self.knowledge.plan.items)} mục)."
            " Cán bộ hỏi được ngay; tiến độ, nhắc việc và báo cáo theo kế hoạch này."
        ]
        if self.replaced is not None:
            lines.append("Bản này thay bản đang dùng; tiến độ đã báo cáo được giữ theo số mục.")
            if self.gone:
                lines.append(
                    f"⚠️ Các mục không còn trong bản mới: {esc(', '.join(self.gone))}"
                    " (tiến độ cũ của các mục này vẫn lưu nhưng không còn hiển thị)."
                )
            else:
                lines.append("Không mục nào của bản cũ bị mất.")
        return "\n".join(lines)


class ShelfError(Exception):
    """A draft that cannot be stored or activated; the message is for the admin."""


class PlanShelf:
    """Drafts and active plans, stored in `store`, their files under `folder`;
    `agencies` and `successions` are the shared registry and changes the drafts are
    read against."""

    def __init__(self, store: PlanStore, folder: Path, agencies: Path, successions: Path):
        self.store = store
        self.folder = folder
        self.agencies = agencies
        self.successions = successions

    # -- drafts -----------------------------------------------------------------------

    async def import_document(
        self, source: Path, *, file_name: str, user_id: int, at: datetime, served: Library | None
    ) -> Draft:
        """Import `source` (a .docx, .pdf or .txt), store the draft; ShelfError with a
        Vietnamese reason when the document cannot be read."""
        work = Path(tempfile.mkdtemp(prefix="draft-", dir=self._ensure(self.folder / "drafts")))
        try:
            result = await asyncio.to_thread(self._import, source, work)
        except BaseException:
            shutil.rmtree(work, ignore_errors=True)
            raise
        meta = result.plan.get("meta", {})
        number = str(meta.get("number") or "")
        problems = list(result.problems)
        if not number:
            problems.insert(0, "không đọc được số hiệu văn bản (ví dụ 12/KH-UBND)")
        document = await self.store.save_plan_draft(
            NewPlanDocument(
                plan_key=plan_key(number) if number else "",
                number=number,
                title=str(meta.get("title") or "") or None,
                file_name=file_name,
                plan_yaml=(work / PLAN_FILE).read_text(encoding="utf-8"),
                agencies_yaml=(work / AGENCIES_FILE).read_text(encoding="utf-8"),
                review=(work / REVIEW_FILE).read_text(encoding="utf-8"),
                problems=len(problems),
                uploaded_by=user_id,
                uploaded_at=at,
            )
        )
        folder = self.folder / "drafts" / str(document.id)
        shutil.rmtree(folder, ignore_errors=True)
        work.rename(folder)
        return Draft(document, folder, self._summary(document, result, problems, served))

    def _import(self, source: Path, out: Path) -> ImportResult:
        _refuse_zip_bomb(source)
        try:
            return write_draft(import_plan(source, self.agencies), out)
        except PlanImportError as exc:
            raise ShelfError(str(exc)) from exc

    def _summary(
        self,
        document: PlanDocument,
        result: ImportResult,
        problems: list[str],
        served: Library | None,
    ) -> str:
        meta = result.plan.get("meta", {})
        items = result.items
        parts = sum(len(i.get("assignments", ())) for i in items)
        label = f"{meta.get('doc_type') or 'Kế hoạch'} {document.number or '(chưa rõ số)'}"
        lines = [
            f"📄 Bản nháp số {document.id}: {esc(label)}"
            + (f" — {esc(document.title)}" if document.title else ""),
            f"{len(items)} mục, {parts} phần giao việc. Cần rà soát: {esc(result.review_counts())}"
            " (chi tiết trong review.md).",
        ]
        if problems:
            lines.append(
                f"❌ Bản nháp có {len(problems)} lỗi nên chưa thể kích hoạt; anh/chị sửa văn bản"
                " rồi gửi lại:"
            )
            lines += [f"• {esc(p)}" for p in problems[:SHOWN_PROBLEMS]]
            if len(problems) > SHOWN_PROBLEMS:
                lines.append(f"… và {len(problems) - SHOWN_PROBLEMS} lỗi khác (xem review.md).")
            return "\n".join(lines)
        if served is not None and served.get(document.plan_key) is not None:
            lines.append(
                f"Kế hoạch số {esc(document.number)} đang được phục vụ: kích hoạt sẽ thay bản cũ,"
                " tiến độ đã báo cáo được giữ theo số mục."
            )
        lines.append(f"✅ Bản nháp qua kiểm tra. Gửi /kichhoat {document.id} để đưa vào sử dụng.")
        return "\n".join(lines)

    def drafts(self) -> list[PlanDocument]:
        return self.store.plan_documents("draft")

    # -- activation -------------------------------------------------------------------

    async def activate(
        self, document_id: int, *, user_id: int, at: datetime, served: Library | None
    ) -> Activation:
        """Activate a draft that passed the checks: it is loaded first (a draft that does
        not load is never activated), then the database records it, then it is served."""
        document = self.store.plan_document(document_id)
        if document is None:
            raise ShelfError(
                f"Không có bản nháp số {document_id}. Gõ /kichhoat để xem các bản nháp."
            )
        if document.status == "active":
            raise ShelfError(f"Bản nháp số {document_id} đã được kích hoạt.")
        if document.status != "draft":
            raise ShelfError(f"Bản nháp số {document_id} đã được thay bằng bản mới hơn.")
        if document.problems:
            raise ShelfError(
                f"Bản nháp số {document_id} có {document.problems} lỗi nên không thể kích hoạt;"
                " anh/chị sửa văn bản rồi gửi lại."
            )
        try:
            knowledge = await asyncio.to_thread(self._materialize, document)
        except PlanError as exc:
            raise ShelfError(
                f"Bản nháp số {document_id} không nạp được ({len(exc.problems)} lỗi):\n"
                + "\n".join(f"• {esc(p)}" for p in exc.problems[:SHOWN_PROBLEMS])
            ) from exc
        replaced = served.get(document.plan_key) if served is not None else None
        stored = await self.store.activate_plan(document_id, by=user_id, at=at)
        gone: tuple[str, ...] = ()
        if replaced is not None:
            new_ids = {i.id for i in knowledge.plan.items}
            gone = tuple(i.id for i in replaced.plan.items if i.id not in new_ids)
        return Activation(stored, knowledge, replaced, gone)

    def load_active(self) -> list[Knowledge]:
        """The active plans, their files written from the database; PlanError when one
        no longer loads (e.g. the shared registry lost an agency it names)."""
        return [self._materialize(d) for d in self.store.plan_documents("active")]

    def _materialize(self, document: PlanDocument) -> Knowledge:
        """Write the document's files under the plans folder and load them."""
        folder = self._ensure(self.folder / "active" / document.plan_key)
        _write_if_changed(folder / PLAN_FILE, document.plan_yaml)
        agencies = self.agencies
        if document.agencies_yaml:
            _write_if_changed(folder / AGENCIES_FILE, document.agencies_yaml)
            agencies = folder / AGENCIES_FILE
        if document.review:
            _write_if_changed(folder / REVIEW_FILE, document.review)
        return load_knowledge(folder / PLAN_FILE, agencies, self.successions)

    @staticmethod
    def _ensure(folder: Path) -> Path:
        folder.mkdir(parents=True, exist_ok=True)
        return folder


MAX_UNPACKED_BYTES = 100 * 1024 * 1024  # a .docx that unpacks to more is not a plan


def _refuse_zip_bomb(source: Path) -> None:
    """A .docx is a zip: refuse one whose parts unpack to more than MAX_UNPACKED_BYTES
    before a reader unpacks it (a few kilobytes can unpack to gigabytes)."""
    if source.suffix.lower() != ".docx" or not zipfile.is_zipfile(source):
        return  # not a zip: the importer says it cannot read it
    with zipfile.ZipFile(source) as archive:
        unpacked = sum(info.file_size for info in archive.infolist())
    if unpacked > MAX_UNPACKED_BYTES:
        raise ShelfError(
            f"tệp .docx giải nén ra {unpacked // (1024 * 1024)} MB, quá lớn cho một văn bản kế"
            " hoạch; anh/chị gửi bản .docx chỉ gồm kế hoạch."
        )


def _write_if_changed(path: Path, text: str) -> None:
    """Write `text` to `path` (through a temporary file and a rename) unless it holds it."""
    try:
        if path.read_text(encoding="utf-8") == text:
            return
    except OSError:
        pass
    partial = path.with_suffix(path.suffix + ".tmp")
    partial.write_text(text, encoding="utf-8")
    partial.replace(path)


def plan_shelf(settings: Settings, store: object) -> PlanShelf:
    """The shelf of plans admins send, over the database (`store`), its files in
    PLANS_DIR (by default a folder "plans" beside the SQLite file)."""
    folder = settings.plans_dir
    if folder is None:
        try:
            path = sqlite_path(settings.database_url)
            memory = str(path) == ":memory:"
            folder = (
                Path(tempfile.gettempdir()) / "planbot-plans" if memory else path.parent / "plans"
            )
        except ConfigError:
            folder = Path("data") / "plans"
    agencies, successions = registry_files(settings.plan_path)
    return PlanShelf(cast(PlanStore, store), folder, agencies, successions)


def with_activated(library: Library, shelf: PlanShelf) -> Library:
    """`library` with the plans admins activated (their documents in the database; a
    store that keeps no plans, a database from before them, adds none), each plan knowing
    every plan's agencies (`Library.sharing_agencies`)."""
    if hasattr(shelf.store, "plan_documents"):
        for knowledge in shelf.load_active():
            library = library.with_plan(knowledge)
    return library.sharing_agencies()
