"""The real format of a file from its leading bytes, never from its name.

PDF, PNG and JPEG signatures come from the `filetype` package; XML (DSN filings) has no magic
number, so an XML file is one whose first non-blank characters, after an optional UTF-8 byte-order
mark, are the XML declaration ``<?xml``.
"""

from __future__ import annotations

HEAD_BYTES = 262  # what `filetype` needs to recognise every type it knows

_FILETYPE_TO_FORMAT = {"pdf": "pdf", "png": "png", "jpg": "jpg"}
_UTF8_BOM = b"\xef\xbb\xbf"


def detect_format(head: bytes) -> str | None:
    """``pdf``, ``png``, ``jpg`` or ``xml`` for what ``head`` (a file's first bytes) really is, else None."""
    import filetype

    kind = filetype.guess(head[:HEAD_BYTES])
    if kind is not None:
        return _FILETYPE_TO_FORMAT.get(kind.extension)
    text = head.removeprefix(_UTF8_BOM).lstrip(b" \t\r\n")
    if text.startswith(b"<?xml") and text[5:6] in (b" ", b"\t", b"\r", b"\n", b"?"):
        return "xml"
    return None
