"""The real format of an attachment from its bytes, never from its name (domain/MESSAGING.md).

PDF, PNG and JPEG by their signatures (the `filetype` package); DOCX and XLSX are ZIP containers
whose part list names the Word document or the Excel workbook; CSV and TXT are text: valid UTF-8
(a truncated last character allowed) without NUL bytes, and not any known binary type. Anything
else (executables, archives, other formats) is no format at all.
"""

from __future__ import annotations

import io
import zipfile

TEXT_HEAD = 8192  # bytes of a text file checked for UTF-8 and NUL bytes
_BINARY = {"pdf": "pdf", "png": "png", "jpg": "jpg"}


def _office(data: bytes) -> str | None:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = set(archive.namelist())
    except (zipfile.BadZipFile, ValueError, OSError):
        return None
    if "[Content_Types].xml" not in names:
        return None
    if "word/document.xml" in names:
        return "docx"
    if "xl/workbook.xml" in names:
        return "xlsx"
    return None


def _is_text(head: bytes) -> bool:
    if not head or b"\x00" in head:
        return False
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        # a multi-byte character cut by the head's end is still text
        return exc.start >= len(head) - 3 and exc.reason == "unexpected end of data"
    return True


def detect_attachment_format(data: bytes, declared: str) -> str | None:
    """The format ``data`` really has, among pdf, jpg, png, docx, xlsx and csv/txt (text: the declared
    one of the two), else None."""
    import filetype

    kind = filetype.guess(data[:262])
    if kind is not None and kind.extension in _BINARY:
        return _BINARY[kind.extension]
    if data[:4] == b"PK\x03\x04":
        return _office(data)
    if kind is None and _is_text(data[:TEXT_HEAD]):
        return declared if declared in ("csv", "txt") else "txt"
    return None
