"""The real format of a file from its first bytes, whatever its name says."""

from __future__ import annotations

import pytest

from shared.documents.signatures import detect_format

PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 20
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 20


@pytest.mark.parametrize(
    ("head", "expected"),
    [
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n", "pdf"),
        (PNG, "png"),
        (JPEG, "jpg"),
        (b'<?xml version="1.0" encoding="UTF-8"?><DSN/>', "xml"),
        (b'\xef\xbb\xbf\r\n  <?xml version="1.0"?>', "xml"),
        (b"<html><body>not xml</body></html>", None),
        (b"<?xmlfoo", None),
        (b"PK\x03\x04" + b"\x00" * 40, None),  # a zip (docx) named .pdf
        (b"MZ\x90\x00" + b"\x00" * 40, None),  # an executable
        (b"", None),
        (b"plain text", None),
    ],
)
def test_detect_format(head: bytes, expected: str | None) -> None:
    assert detect_format(head) == expected
