"""Office Open XML plumbing shared by the XLSX and DOCX renderers: escaping, reproducible zips.

A zip records a modification time per entry and Office records created/modified dates in
``docProps/core.xml``; both come from the data here (never the clock), so the same data always
gives the same bytes.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from typing import IO

# Characters XML 1.0 forbids (control characters other than tab, newline, carriage return).
_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;"})


def esc(text: str) -> str:
    """Escape for XML text and attribute values, dropping characters XML cannot carry."""
    if _ILLEGAL.search(text):
        text = _ILLEGAL.sub("", text)
    return text.translate(_ESCAPES)


def zip_time(day: date) -> tuple[int, int, int, int, int, int]:
    """A zip entry timestamp from a calendar date (zip cannot go below 1980)."""
    return (max(day.year, 1980), day.month, day.day, 0, 0, 0)


class ReproducibleZip:
    """A zip written in memory whose entries all carry the same timestamp and attributes."""

    def __init__(self, day: date) -> None:
        self._buffer = io.BytesIO()
        self._zip = zipfile.ZipFile(self._buffer, "w", zipfile.ZIP_DEFLATED)
        self._time = zip_time(day)

    def _info(self, name: str) -> zipfile.ZipInfo:
        info = zipfile.ZipInfo(name, date_time=self._time)
        info.compress_type = zipfile.ZIP_DEFLATED
        info.create_system = 3
        info.external_attr = 0o644 << 16
        return info

    def write(self, name: str, data: str | bytes) -> None:
        self._zip.writestr(self._info(name), data.encode() if isinstance(data, str) else data)

    @contextmanager
    def stream(self, name: str) -> Iterator[IO[bytes]]:
        """A writable entry, compressed as it is written (nothing of it is held in memory)."""
        with self._zip.open(self._info(name), "w", force_zip64=True) as handle:
            yield handle

    def close(self) -> bytes:
        self._zip.close()
        return self._buffer.getvalue()


_CORE_DATE = re.compile(rb"(<dcterms:(created|modified)[^>]*>)[^<]*(</dcterms:\2>)")


def w3c_datetime(day: date) -> str:
    return f"{day.isoformat()}T00:00:00Z"


def repack(data: bytes, day: date) -> bytes:
    """Rewrite a zip (e.g. from python-docx) with fixed timestamps and core-property dates."""
    stamp = w3c_datetime(day).encode()
    out = ReproducibleZip(day)
    with zipfile.ZipFile(io.BytesIO(data)) as source:
        for info in source.infolist():
            content = source.read(info.filename)
            if info.filename == "docProps/core.xml":
                content = _CORE_DATE.sub(lambda m: m.group(1) + stamp + m.group(3), content)
            out.write(info.filename, content)
    return out.close()


def core_properties(*, title: str, creator: str, day: date, language: str) -> str:
    stamp = w3c_datetime(day)
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties"'
        ' xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/"'
        ' xmlns:dcmitype="http://purl.org/dc/dcmitype/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
        f"<dc:title>{esc(title)}</dc:title><dc:creator>{esc(creator)}</dc:creator>"
        f"<cp:lastModifiedBy>{esc(creator)}</cp:lastModifiedBy><dc:language>{language}</dc:language>"
        f'<dcterms:created xsi:type="dcterms:W3CDTF">{stamp}</dcterms:created>'
        f'<dcterms:modified xsi:type="dcterms:W3CDTF">{stamp}</dcterms:modified>'
        "</cp:coreProperties>"
    )


def fit(size: tuple[int, int], max_width: float, max_height: float) -> tuple[float, float]:
    """Scale ``size`` to fit the box, keeping the aspect ratio."""
    width, height = size
    scale = min(max_width / width, max_height / height)
    return width * scale, height * scale
