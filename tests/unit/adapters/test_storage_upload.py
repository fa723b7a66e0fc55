"""Browser uploads through the storage adapters: the S3 presigned POST against a real S3-protocol
server (moto) on localhost, the local adapter's signed form, object sizes."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from shared.adapters.storage import InvalidKey, LocalStorage, MemoryStorage, ObjectNotFound, S3Storage

REGION = "eu-west-3"
BUCKET = "documents"
KEY = "org/companies/company/document/v1"


@pytest.fixture(scope="module")
def s3() -> Iterator[S3Storage]:
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        storage = S3Storage(BUCKET, f"http://{host}:{port}", REGION, "test-key-id", "test-secret")
        storage._s3().create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": REGION})
        yield storage
    finally:
        server.stop()


def _policy(fields: dict[str, str]) -> dict[str, object]:
    decoded: dict[str, object] = json.loads(base64.b64decode(fields["policy"]))
    return decoded


def test_s3_presigned_post_limits_the_key_and_the_length(s3: S3Storage) -> None:
    form = s3.presigned_post(KEY, max_bytes=5000, expires_in=900)
    conditions = _policy(form.fields)["conditions"]
    assert ["content-length-range", 1, 5000] in conditions  # type: ignore[operator]
    assert {"key": KEY} in conditions  # type: ignore[operator]
    assert {"bucket": BUCKET} in conditions  # type: ignore[operator]
    assert form.fields["key"] == KEY and form.fields["x-amz-algorithm"] == "AWS4-HMAC-SHA256"


def test_a_browser_uploads_through_the_s3_form_and_the_size_reads_back(s3: S3Storage) -> None:
    form = s3.presigned_post(f"{KEY}-posted", max_bytes=1000)
    response = httpx.post(form.url, data=form.fields, files={"file": ("kbis.pdf", b"%PDF-1.7 hello")})
    assert response.status_code == 204
    assert s3.size(f"{KEY}-posted") == 14
    assert s3.get(f"{KEY}-posted") == b"%PDF-1.7 hello"


def test_s3_size_of_a_missing_object_is_not_found(s3: S3Storage) -> None:
    with pytest.raises(ObjectNotFound):
        s3.size(f"{KEY}-never")


def test_s3_presigned_post_checks_its_arguments(s3: S3Storage) -> None:
    with pytest.raises(InvalidKey):
        s3.presigned_post("../x", max_bytes=10)
    with pytest.raises(ValueError, match="max_bytes"):
        s3.presigned_post(KEY, max_bytes=0)
    with pytest.raises(ValueError, match="expires_in"):
        s3.presigned_post(KEY, max_bytes=10, expires_in=8 * 24 * 3600)


def test_local_upload_forms_verify_key_limit_and_expiry(tmp_path: Path) -> None:
    now = [1_000_000.0]
    storage = LocalStorage(tmp_path, "http://127.0.0.1:8080", b"secret", clock=lambda: now[0])
    form = storage.presigned_post(KEY, max_bytes=300, expires_in=60)
    assert form.url == f"http://127.0.0.1:8080/storage/{KEY}"
    f = form.fields
    assert storage.verify_upload(KEY, f["expires"], f["max_bytes"], f["signature"]) == 300
    assert storage.verify_upload(KEY, f["expires"], "3000", f["signature"]) is None
    assert storage.verify_upload(f"{KEY}x", f["expires"], f["max_bytes"], f["signature"]) is None
    assert storage.verify_upload(KEY, f["expires"], f["max_bytes"], "0" * 64) is None
    now[0] += 61
    assert storage.verify_upload(KEY, f["expires"], f["max_bytes"], f["signature"]) is None


def test_local_and_memory_sizes(tmp_path: Path) -> None:
    local = LocalStorage(tmp_path, "http://127.0.0.1:8080", b"secret")
    memory = MemoryStorage()
    for storage in (local, memory):
        storage.put(KEY, b"12345", "application/pdf")
        assert storage.size(KEY) == 5
        with pytest.raises(ObjectNotFound):
            storage.size(f"{KEY}-missing")
    assert memory.presigned_post(KEY, max_bytes=10).fields == {"max_bytes": "10"}
    assert ("presigned_post", KEY) in memory.calls
