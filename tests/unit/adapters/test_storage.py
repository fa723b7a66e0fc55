"""Storage adapters: S3 against a real S3-protocol server (moto) on localhost, local disk, the fake."""

from __future__ import annotations

import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from shared.adapters.storage import (
    InvalidKey,
    LocalStorage,
    MemoryStorage,
    ObjectNotFound,
    S3Storage,
    Storage,
    StorageError,
    content_disposition,
)

REGION = "eu-west-3"
BUCKET = "exports"
SECRET = b"test-signing-secret"


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()


@pytest.fixture(scope="module")
def s3(s3_endpoint: str) -> S3Storage:
    storage = S3Storage(BUCKET, s3_endpoint, REGION, "test-key-id", "test-secret")
    storage._s3().create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": REGION})
    return storage


def fetch(url: str) -> tuple[int, bytes, dict[str, str]]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 - http://127.0.0.1 only
            return response.status, response.read(), {k.lower(): v for k, v in response.headers.items()}
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read(), {k.lower(): v for k, v in exc.headers.items()}


# -- S3 ------------------------------------------------------------------------------------------


def test_s3_round_trip(s3: S3Storage) -> None:
    key = "org-1/exports/job-1.xlsx"
    s3.put(key, b"PK\x03\x04 data", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    assert s3.exists(key)
    assert s3.get(key) == b"PK\x03\x04 data"
    s3.put(key, b"replaced", "text/plain")
    assert s3.get(key) == b"replaced"
    s3.delete(key)
    assert not s3.exists(key)
    s3.delete(key)  # deleting twice is fine


def test_s3_signed_url_is_fetched_over_http(s3: S3Storage) -> None:
    key = "org-1/exports/job-2.pdf"
    s3.put(key, b"%PDF-1.7 body", "application/pdf")
    url = s3.signed_url(key, expires_in=120, filename="Rapport de simulation é.pdf")
    query = parse_qs(urlsplit(url).query)
    assert query["X-Amz-Expires"] == ["120"] and query["X-Amz-Algorithm"] == ["AWS4-HMAC-SHA256"]
    assert urlsplit(url).path == f"/{BUCKET}/{key}"  # path-style addressing
    status, body, headers = fetch(url)
    assert (status, body) == (200, b"%PDF-1.7 body")
    assert headers["content-type"] == "application/pdf"
    assert "filename*=UTF-8''Rapport%20de%20simulation%20%C3%A9.pdf" in headers["content-disposition"]


def test_s3_unknown_key(s3: S3Storage) -> None:
    with pytest.raises(ObjectNotFound):
        s3.get("org-1/exports/missing.xlsx")
    assert not s3.exists("org-1/exports/missing.xlsx")
    status, _, _ = fetch(s3.signed_url("org-1/exports/missing.xlsx"))
    assert status == 404


def test_s3_expiry_bounds_are_checked(s3: S3Storage) -> None:
    # moto does not enforce presigned-URL expiry, so the lifetime is asserted on the URL itself.
    url = s3.signed_url("org-1/exports/job-3.csv", expires_in=900)
    assert parse_qs(urlsplit(url).query)["X-Amz-Expires"] == ["900"]
    for bad in (0, -5, 7 * 24 * 3600 + 1):
        with pytest.raises(ValueError):
            s3.signed_url("org-1/exports/job-3.csv", expires_in=bad)


def test_s3_missing_bucket_is_a_storage_error_without_vendor_detail(s3_endpoint: str) -> None:
    storage = S3Storage("no-such-bucket", s3_endpoint, REGION, "test-key-id", "test-secret", max_attempts=1)
    with pytest.raises(StorageError) as caught:
        storage.put("org-1/a.txt", b"x", "text/plain")
    assert type(caught.value) is StorageError
    assert str(caught.value) == "File storage is unavailable"
    assert caught.value.__cause__ is not None  # raised from the vendor error


def test_s3_unreachable_endpoint_is_a_storage_error() -> None:
    storage = S3Storage(BUCKET, "http://127.0.0.1:9", REGION, "k", "s", max_attempts=1, connect_timeout=0.5)
    with pytest.raises(StorageError) as caught:
        storage.get("org-1/a.txt")
    assert "127.0.0.1" not in str(caught.value) and caught.value.status == 502


@pytest.mark.race
def test_s3_client_is_created_lazily_once(s3_endpoint: str) -> None:
    storage = S3Storage(BUCKET, s3_endpoint, REGION, "AKIDEXAMPLE", "wJalrXUtnFEMIEXAMPLEKEY")
    assert storage._client is None
    clients = set()
    threads = [threading.Thread(target=lambda: clients.add(id(storage._s3()))) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(clients) == 1
    assert "AKIDEXAMPLE" not in repr(storage) and "wJalr" not in repr(storage)


# -- keys ----------------------------------------------------------------------------------------

BAD_KEYS = ["", "/abs/path", "a/../b", "../escape", "a//b", "a/./b", ".hidden", "a\\b", "a\x00b", "a/b/"]
BAD_KEYS += ["x" * 1025, "a\ud800"]


@pytest.mark.parametrize("key", BAD_KEYS)
def test_bad_keys_are_refused_everywhere(key: str, tmp_path: Path) -> None:
    for storage in (LocalStorage(tmp_path, "http://dev", SECRET), MemoryStorage()):
        with pytest.raises(InvalidKey):
            storage.put(key, b"x", "text/plain")
        with pytest.raises(InvalidKey):
            storage.signed_url(key)
    assert list(tmp_path.iterdir()) == []


def test_content_disposition_keeps_an_ascii_fallback() -> None:
    header = content_disposition('Liste "dossiers" été.xlsx')
    assert header.startswith('attachment; filename="Liste _dossiers_ _t_.xlsx"')
    assert header.endswith("filename*=UTF-8''Liste%20%22dossiers%22%20%C3%A9t%C3%A9.xlsx")


# -- local ---------------------------------------------------------------------------------------


@pytest.fixture
def local(tmp_path: Path) -> LocalStorage:
    return LocalStorage(tmp_path / "storage", "http://127.0.0.1:8080/", SECRET, clock=lambda: 1_800_000_000)


def test_local_round_trip(local: LocalStorage) -> None:
    key = "org-1/exports/job-1.xlsx"
    assert not local.exists(key)
    local.put(key, b"first", "application/octet-stream")
    local.put(key, b"second", "application/octet-stream")
    assert local.get(key) == b"second" and local.exists(key)
    assert local.content_type(key) == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    local.delete(key)
    local.delete(key)
    assert not local.exists(key)
    with pytest.raises(ObjectNotFound):
        local.get(key)


def test_local_write_is_atomic(local: LocalStorage, monkeypatch: pytest.MonkeyPatch) -> None:
    key = "org-1/exports/job-1.pdf"
    local.put(key, b"old complete file", "application/pdf")

    def crash(src: str, dst: str) -> None:
        raise OSError("disk full")

    monkeypatch.setattr("shared.adapters.storage.os.replace", crash)
    with pytest.raises(StorageError):
        local.put(key, b"new file that never lands", "application/pdf")
    monkeypatch.undo()
    assert local.get(key) == b"old complete file"
    assert [p.name for p in local.path(key).parent.iterdir()] == ["job-1.pdf"]  # no temporary left


@pytest.mark.race
def test_local_readers_never_see_a_partial_file(local: LocalStorage) -> None:
    key = "org-1/exports/big.bin"
    versions = [bytes([n]) * 2_000_000 for n in range(1, 6)]
    local.put(key, versions[0], "application/octet-stream")
    seen: list[bool] = []
    stop = threading.Event()

    def reader() -> None:
        while not stop.is_set():
            data = local.get(key)
            seen.append(data in versions)

    thread = threading.Thread(target=reader)
    thread.start()
    for data in versions[1:]:
        local.put(key, data, "application/octet-stream")
    stop.set()
    thread.join()
    assert seen and all(seen)


def test_local_refuses_symlink_escape(local: LocalStorage, tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (local.root / "org-1").mkdir(parents=True)
    (local.root / "org-1" / "link").symlink_to(outside)
    with pytest.raises(InvalidKey):
        local.put("org-1/link/secret.txt", b"x", "text/plain")
    assert list(outside.iterdir()) == []


def test_local_signed_url_verifies(local: LocalStorage) -> None:
    url = local.signed_url("org-1/exports/job 1.xlsx", expires_in=900, filename="Liste des dossiers.xlsx")
    parts = urlsplit(url)
    assert url.startswith("http://127.0.0.1:8080/storage/org-1/exports/job%201.xlsx?expires=1800000900&filename=")
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    key = "org-1/exports/job 1.xlsx"
    assert len(query["signature"]) == 64
    args = (key, query["expires"], query["signature"], query["filename"])
    assert local.verify_signed(*args, now=1_800_000_000)
    assert local.verify_signed(*args, now=1_800_000_900)
    assert not local.verify_signed(*args, now=1_800_000_901)  # expired
    assert not local.verify_signed(key, "1800009999", query["signature"], query["filename"], now=1_800_000_000)
    assert not local.verify_signed("org-2/exports/job 1.xlsx", *args[1:], now=1_800_000_000)
    assert not local.verify_signed(key, query["expires"], query["signature"], "other.xlsx", now=1_800_000_000)
    assert not local.verify_signed(key, query["expires"], query["signature"], None, now=1_800_000_000)
    tampered = query["signature"][:-1] + ("0" if query["signature"][-1] != "0" else "1")
    assert not local.verify_signed(key, query["expires"], tampered, query["filename"], now=1_800_000_000)
    assert not local.verify_signed(key, "soon", query["signature"], query["filename"], now=1_800_000_000)
    assert not local.verify_signed("../x", query["expires"], query["signature"], None, now=1_800_000_000)


def test_local_signed_url_without_filename_uses_the_clock(local: LocalStorage) -> None:
    url = local.signed_url("org-1/a.csv", expires_in=60)
    query = {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}
    assert set(query) == {"expires", "signature"} and query["expires"] == "1800000060"
    assert local.verify_signed("org-1/a.csv", query["expires"], query["signature"])  # now = the clock
    other = LocalStorage(local.root, "http://x", b"another-secret", clock=lambda: 1_800_000_000)
    assert not other.verify_signed("org-1/a.csv", query["expires"], query["signature"])


def test_local_needs_a_secret(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        LocalStorage(tmp_path, "http://x", b"")


# -- fake ----------------------------------------------------------------------------------------


def test_memory_storage_records_calls() -> None:
    storage: Storage = MemoryStorage()
    storage.put("org-1/exports/a.pdf", b"%PDF", "application/pdf")
    assert storage.get("org-1/exports/a.pdf") == b"%PDF"
    url = storage.signed_url("org-1/exports/a.pdf", filename="a.pdf")
    assert url == "memory://org-1/exports/a.pdf?expires_in=900&filename=a.pdf"
    storage.delete("org-1/exports/a.pdf")
    assert not storage.exists("org-1/exports/a.pdf")
    with pytest.raises(ObjectNotFound):
        storage.get("org-1/exports/a.pdf")
    assert isinstance(storage, MemoryStorage)
    assert [call[0] for call in storage.calls] == ["put", "get", "signed_url", "delete", "exists", "get"]
    assert storage.objects == {}


def test_importing_the_adapters_does_not_import_boto3() -> None:
    import subprocess
    import sys

    child = "import sys, shared.adapters.storage; print('boto3' in sys.modules, 'botocore' in sys.modules)"
    root = Path(__file__).resolve().parents[3]
    result = subprocess.run([sys.executable, "-c", child], cwd=root, capture_output=True, text=True, check=True)
    assert result.stdout.split() == ["False", "False"]
