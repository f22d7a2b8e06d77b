"""The plans admins send (`bot.shelf.documents`): what is refused before it is read."""

from __future__ import annotations

import zipfile
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.plan.library import load_library
from bot.shelf.documents import MAX_UNPACKED_BYTES, PlanShelf, ShelfError
from bot.storage.sqlite import open_sqlite

ROOT = Path(__file__).resolve().parents[2]
KNOWLEDGE = ROOT / "knowledge"
NOW = datetime(2026, 11, 30, 2, 0, tzinfo=UTC)


def shelf_over(tmp_path: Path) -> tuple[PlanShelf, object]:
    db = open_sqlite(tmp_path / "p.db", now=NOW)
    shelf = PlanShelf(
        db, tmp_path / "plans", KNOWLEDGE / "agencies.yaml", KNOWLEDGE / "successions.yaml"
    )
    return shelf, db


async def test_a_docx_that_unpacks_to_gigabytes_is_refused_unread(tmp_path: Path) -> None:
    bomb = tmp_path / "ke-hoach.docx"
    with zipfile.ZipFile(bomb, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("word/document.xml", b"\0" * (MAX_UNPACKED_BYTES + 1))
    assert bomb.stat().st_size < 1024 * 1024  # small on the wire
    shelf, db = shelf_over(tmp_path)
    try:
        with pytest.raises(ShelfError, match="quá lớn"):
            await shelf.import_document(
                bomb,
                file_name="ke-hoach.docx",
                user_id=1,
                at=NOW,
                served=load_library(KNOWLEDGE / "plan.yaml"),
            )
        assert db.plan_documents() == []  # type: ignore[attr-defined]
        assert not any((tmp_path / "plans" / "drafts").iterdir())  # nothing left behind
    finally:
        db.close()  # type: ignore[attr-defined]


async def test_a_file_that_is_no_document_says_so(tmp_path: Path) -> None:
    fake = tmp_path / "ke-hoach.pdf"
    fake.write_bytes(b"not a pdf at all")
    shelf, db = shelf_over(tmp_path)
    try:
        with pytest.raises(ShelfError):
            await shelf.import_document(
                fake,
                file_name="ke-hoach.pdf",
                user_id=1,
                at=NOW,
                served=load_library(KNOWLEDGE / "plan.yaml"),
            )
        assert db.plan_documents() == []  # type: ignore[attr-defined]
    finally:
        db.close()  # type: ignore[attr-defined]


async def test_only_a_draft_that_passed_is_activated(tmp_path: Path) -> None:
    shelf, db = shelf_over(tmp_path)
    try:
        with pytest.raises(ShelfError, match="Không có bản nháp số 7"):
            await shelf.activate(7, user_id=1, at=NOW, served=load_library(KNOWLEDGE / "plan.yaml"))
    finally:
        db.close()  # type: ignore[attr-defined]
