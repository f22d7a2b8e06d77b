"""Plan documents made from a text source, for the import tests.

- `write_docx`: a Word file from a fixture's text: paragraphs as paragraphs, `| … |` lines
  as a table (a short row is merged across, a `^` cell is merged with the cell above, as
  Word does it), the «Nơi nhận» list and the signature side by side in a borderless
  two-column table, as provincial documents lay them out.
- `write_pdf`: a PDF with a text layer, written by hand (no PDF library writes one with
  Vietnamese text): a Type0 font with Identity-H codes and a ToUnicode map, so a reader
  gets the text back; paragraphs wrapped at `width` characters as a page would.
"""

from __future__ import annotations

import textwrap
from pathlib import Path


def _table_rows(lines: list[str]) -> list[list[str]]:
    rows = []
    for line in lines:
        inner = line.strip().strip("|")
        rows.append([c.strip() for c in inner.split("|")])
    return rows


def write_docx(source: str, path: Path) -> Path:
    import docx

    document = docx.Document()
    lines = source.splitlines()
    i = 0
    while i < len(lines):
        line = lines[i].strip()
        if line.startswith("|"):
            block = []
            while i < len(lines) and lines[i].strip().startswith("|"):
                block.append(lines[i])
                i += 1
            _add_table(document, _table_rows(block))
            continue
        if line.startswith("Nơi nhận:"):
            recipients = []
            while i < len(lines) and lines[i].strip():
                recipients.append(lines[i].strip())
                i += 1
            signature = []
            while i < len(lines) and not lines[i].strip().startswith("PHỤ LỤC"):
                if lines[i].strip():
                    signature.append(lines[i].strip())
                i += 1
            table = document.add_table(rows=1, cols=2)
            table.cell(0, 0).text = "\n".join(recipients)
            table.cell(0, 1).text = "\n".join(signature)
            continue
        if line:
            document.add_paragraph(line)
        i += 1
    document.save(str(path))
    return path


def _add_table(document, rows: list[list[str]]) -> None:  # type: ignore[no-untyped-def]
    width = max(len(r) for r in rows)
    table = document.add_table(rows=len(rows), cols=width)
    for r, row in enumerate(rows):
        for c, text in enumerate(row):
            if text != "^":
                table.cell(r, c).text = text
        if len(row) < width:  # a group row: its last cell spans the rest
            table.cell(r, len(row) - 1).merge(table.cell(r, width - 1))
    for r, row in enumerate(rows):
        for c, text in enumerate(row):
            if text == "^":
                top = r - 1
                while rows[top][c] == "^":
                    top -= 1
                table.cell(top, c).merge(table.cell(r, c))


def _pdf_string(text: str, codes: dict[str, int]) -> str:
    for ch in text:
        codes.setdefault(ch, len(codes) + 1)
    return "<" + "".join(f"{codes[ch]:04X}" for ch in text) + ">"


def write_pdf(source: str, path: Path, width: int = 95, per_page: int = 55) -> Path:
    lines: list[str] = []
    for paragraph in source.splitlines():
        if paragraph.strip().startswith("|"):
            raise ValueError("tables are not written to PDF here")
        lines += (
            textwrap.wrap(paragraph, width, break_long_words=False, break_on_hyphens=False) or []
        )
    codes: dict[str, int] = {}
    pages = [lines[i : i + per_page] for i in range(0, len(lines), per_page)]
    streams = []
    for page in pages:
        ops = ["BT", "/F1 9 Tf", "11 TL", "40 800 Td"]
        for line in page:
            ops.append(f"{_pdf_string(line, codes)} Tj T*")
        ops.append("ET")
        streams.append("\n".join(ops).encode("ascii"))
    cmap_entries = sorted(codes.items(), key=lambda kv: kv[1])
    chunks = [cmap_entries[i : i + 100] for i in range(0, len(cmap_entries), 100)]
    cmap = [
        "/CIDInit /ProcSet findresource begin",
        "12 dict begin",
        "begincmap",
        "/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def",
        "/CMapName /Adobe-Identity-UCS def",
        "/CMapType 2 def",
        "1 begincodespacerange",
        "<0000> <FFFF>",
        "endcodespacerange",
    ]
    for chunk in chunks:
        cmap.append(f"{len(chunk)} beginbfchar")
        cmap += [f"<{code:04X}> <{ord(ch):04X}>" for ch, code in chunk]
        cmap.append("endbfchar")
    cmap += ["endcmap", "CMapName currentdict /CMap defineresource pop", "end", "end"]
    cmap_bytes = "\n".join(cmap).encode("ascii")

    objects: list[bytes] = []
    page_ids = [6 + 2 * n for n in range(len(pages))]
    objects.append(b"<< /Type /Catalog /Pages 2 0 R >>")
    kids = " ".join(f"{p} 0 R" for p in page_ids)
    objects.append(f"<< /Type /Pages /Kids [{kids}] /Count {len(pages)} >>".encode())
    objects.append(
        b"<< /Type /Font /Subtype /Type0 /BaseFont /Arial /Encoding /Identity-H"
        b" /DescendantFonts [4 0 R] /ToUnicode 5 0 R >>"
    )
    objects.append(
        b"<< /Type /Font /Subtype /CIDFontType2 /BaseFont /Arial /CIDSystemInfo"
        b" << /Registry (Adobe) /Ordering (Identity) /Supplement 0 >> /DW 500 >>"
    )
    objects.append(b"<< /Length %d >>\nstream\n" % len(cmap_bytes) + cmap_bytes + b"\nendstream")
    for n, stream in enumerate(streams):
        content_id = page_ids[n] + 1
        objects.append(
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources"
            f" << /Font << /F1 3 0 R >> >> /Contents {content_id} 0 R >>".encode()
        )
        objects.append(b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream")
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{o:010d} 00000 n \n".encode() for o in offsets)
    out += (
        f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    )
    path.write_bytes(bytes(out))
    return path


def set_cell(cell, text: str) -> None:  # type: ignore[no-untyped-def]
    """A Word table cell holding `text`, a paragraph per line."""
    lines = text.split("\n")
    cell.text = lines[0]
    for line in lines[1:]:
        cell.add_paragraph(line)


def official_document(  # type: ignore[no-untyped-def]
    head: list[str], paragraphs: list[str], recipients: str, signature: str, appendix: list[str]
):
    """A Word document laid out as a provincial plan: the two-column head (issuer and
    national motto), the body's paragraphs, «Nơi nhận» beside the signature, then the
    appendix's opening paragraphs (the caller adds its table)."""
    import docx

    document = docx.Document()
    top = document.add_table(rows=1, cols=2)
    for c, text in enumerate(head):
        set_cell(top.cell(0, c), text)
    for text in paragraphs:
        document.add_paragraph(text)
    tail = document.add_table(rows=1, cols=2)
    set_cell(tail.cell(0, 0), recipients)
    set_cell(tail.cell(0, 1), signature)
    for text in appendix:
        document.add_paragraph(text)
    return document
