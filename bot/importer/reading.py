"""A plan document as blocks: paragraphs and tables, in the order they come.

- `.txt`: one paragraph per non-empty line; lines written `| a | b |` form a table
  (a row with fewer cells spans the rest, as a merged group row does).
- `.docx`: python-docx's paragraphs and tables in body order; a merged cell is read as
  the cell it spans (python-docx repeats it for every grid cell it covers).
- `.pdf`: the text layer (pypdf), its lines re-joined into paragraphs where the page
  wrapped them. A PDF without a text layer (a scan) is refused with a Vietnamese line.

Every failure is a `PlanImportError` with one Vietnamese line, never a traceback.
"""

from __future__ import annotations

import logging
import re
import unicodedata
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

_SPACES = re.compile(r"[ \t\u00a0\u2002-\u200b\u202f]+")
# a ditto mark in a table cell: the cell above, as typists write it
DITTO = {"nt", "như trên", "〃", '"', "”", "-nt-", "(nt)", "^"}


class PlanImportError(Exception):
    """A document that cannot be imported; the message is one Vietnamese line."""


@dataclass
class Table:
    rows: list[list[str]] = field(default_factory=list)


Block = str | Table


def normalize(text: str) -> str:
    """NFC, one space between words, no leading or trailing space (the words are kept
    exactly: no punctuation is touched)."""
    return _SPACES.sub(" ", unicodedata.normalize("NFC", text)).strip()


def read_blocks(path: Path) -> list[Block]:
    """The document's blocks; PlanImportError for a missing, unknown or unreadable file."""
    if not path.is_file():
        raise PlanImportError(f"Không tìm thấy tệp {path}.")
    suffix = path.suffix.lower()
    if suffix == ".txt":
        return _from_text(_read_text(path))
    if suffix == ".docx":
        return _from_docx(path)
    if suffix == ".pdf":
        return _from_pdf(path)
    raise PlanImportError(f"Tệp {path.name}: chỉ nhập được tệp .txt, .docx hoặc .pdf (có lớp chữ).")


def _read_text(path: Path) -> str:
    data = path.read_bytes()
    for encoding in ("utf-8-sig", "utf-16"):
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        if "\x00" not in text:
            return text
    raise PlanImportError(
        f"Tệp {path.name} không phải văn bản UTF-8; lưu lại tệp với mã hóa UTF-8 rồi thử lại."
    )


def _cells(line: str) -> list[str]:
    inner = line.strip()
    inner = inner[1:] if inner.startswith("|") else inner
    inner = inner[:-1] if inner.endswith("|") else inner
    return [normalize(c) for c in inner.split("|")]


def _from_text(text: str) -> list[Block]:
    blocks: list[Block] = []
    table: Table | None = None
    for raw in text.splitlines():
        line = normalize(raw)
        if line.startswith("|") and line.count("|") >= 2:
            if re.fullmatch(r"[|\s:\-]+", line):  # a Markdown rule under the header
                continue
            if table is None:
                table = Table()
                blocks.append(table)
            cells = _cells(line)
            width = max((len(r) for r in table.rows), default=len(cells))
            if len(cells) < width:  # a merged row: its last cell spans the rest
                cells += [cells[-1]] * (width - len(cells))
            table.rows.append(cells)
            continue
        table = None
        if line:
            blocks.append(line)
    return blocks


def _from_docx(path: Path) -> list[Block]:
    try:
        import docx
        from docx.table import Table as DocxTable
        from docx.text.paragraph import Paragraph

        document = docx.Document(str(path))
        blocks: list[Block] = []
        for part in document.iter_inner_content():
            if isinstance(part, Paragraph):
                for line in part.text.splitlines():
                    if normalize(line):
                        blocks.append(normalize(line))
            elif isinstance(part, DocxTable):
                rows = []
                for row in part.rows:
                    rows.append([_cell_text(cell.text) for cell in row.cells])
                blocks.append(Table(rows))
        return blocks
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        raise PlanImportError(
            f"Không đọc được tệp Word {path.name}: tệp hỏng hoặc không phải .docx ({type(exc).__name__})."
        ) from exc
    except Exception as exc:  # python-docx raises its own errors for a broken package
        raise PlanImportError(
            f"Không đọc được tệp Word {path.name}: tệp hỏng hoặc không phải .docx."
        ) from exc


def _cell_text(text: str) -> str:
    """A cell's lines, each normalized, one per line."""
    return "\n".join(line for line in (normalize(x) for x in text.splitlines()) if line)


# A line that begins a paragraph of its own: a number, a bullet, a label, a heading.
_STARTS = re.compile(
    r"^(?:[IVX]+\.\s|\d+(?:\.\d+)*\.?\s|[a-zđ]\)\s|[-–•+*]\s?|(?:Thời gian|Thời hạn|Cơ quan|Đơn vị"
    r"|Tổ chức thực hiện|Nơi nhận|Số:|KT\.|TM\.|TL\.|PHỤ LỤC|Phụ lục)\b)"
)


def _from_pdf(path: Path) -> list[Block]:
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    log = logging.getLogger("pypdf")
    level = log.level
    log.setLevel(logging.CRITICAL)  # its warnings about a broken file: the one line says it
    try:
        reader = PdfReader(str(path))
        pages = [page.extract_text() or "" for page in reader.pages]
    except (PyPdfError, ValueError, OSError, KeyError, TypeError, AttributeError) as exc:
        raise PlanImportError(
            f"Không đọc được tệp PDF {path.name}: tệp hỏng hoặc không phải PDF ({type(exc).__name__})."
        ) from exc
    finally:
        log.setLevel(level)
    lines = [normalize(line) for page in pages for line in page.splitlines()]
    if not any(lines):
        raise PlanImportError(
            f"Tệp PDF {path.name} không có lớp chữ (có thể là bản quét); cần bản PDF có chữ"
            " hoặc bản Word."
        )
    return _unwrap([line for line in lines if line])


def _unwrap(lines: list[str]) -> list[Block]:
    """Paragraphs from the lines of a page: a line continues the one before when that one
    filled the width (it was wrapped) and this one does not begin a paragraph of its own."""
    width = max(len(line) for line in lines)
    out: list[Block] = []
    previous = ""
    for line in lines:
        wrapped = len(previous) >= 0.75 * width and not previous.endswith(":")
        if previous.endswith(".") and line[:1].isupper() and len(previous) < 0.9 * width:
            wrapped = False  # a sentence ended before the line was full
        heading = previous.isupper() != line.isupper()  # a heading in capitals ends there
        if out and wrapped and not heading and not _STARTS.match(line) and isinstance(out[-1], str):
            out[-1] = f"{out[-1]} {line}"
        else:
            out.append(line)
        previous = line
    return out
