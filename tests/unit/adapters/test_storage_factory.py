"""The storage adapter chosen from settings, and S3 without explicit keys (the default credential chain)."""

from __future__ import annotations

from pathlib import Path

import pytest

from shared.adapters.storage import LocalStorage, S3Storage, storage_from_settings
from shared.platform.settings import Secret, Settings, load_settings


def test_local_storage_from_settings(tmp_path: Path) -> None:
    settings = Settings(storage_dir=str(tmp_path), public_base_url="http://127.0.0.1:9000/", signing_secret=Secret("s"))
    storage = storage_from_settings(settings)
    assert isinstance(storage, LocalStorage)
    assert storage.root == tmp_path and storage.base_url == "http://127.0.0.1:9000"
    assert storage_from_settings(settings) is storage  # one adapter per settings value
    url = storage.signed_url("org/exports/job.pdf", filename="Rapport.pdf")
    assert url.startswith("http://127.0.0.1:9000/storage/org/exports/job.pdf?expires=")


def test_s3_storage_from_the_environment() -> None:
    environment = {"STORAGE_BACKEND": "s3", "S3_BUCKET": "files", "S3_ENDPOINT_URL": "https://x.test/s3"}
    settings = load_settings({**environment, "S3_REGION": "eu-west-3", "S3_ACCESS_KEY_ID": "id",
                              "S3_SECRET_ACCESS_KEY": "key"})  # fmt: skip
    storage = storage_from_settings(settings)
    assert isinstance(storage, S3Storage) and storage.bucket == "files"
    assert storage._options["aws_access_key_id"] == "id" and "key" not in repr(storage)


def test_s3_without_keys_leaves_credentials_to_boto3() -> None:
    settings = load_settings({"STORAGE_BACKEND": "s3", "S3_BUCKET": "files", "S3_ENDPOINT_URL": "https://x.test/s3",
                              "S3_REGION": "eu-west-3"})  # fmt: skip
    storage = storage_from_settings(settings)
    assert isinstance(storage, S3Storage)
    assert storage._options["aws_access_key_id"] is None and storage._options["aws_secret_access_key"] is None
    assert S3Storage("b", "https://x.test", "eu-west-3", "", "")._options["aws_session_token"] is None


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"storage_backend": "s3"}, "S3_BUCKET"),
        ({"storage_backend": "local"}, "SIGNING_SECRET"),
        ({"storage_backend": "ftp"}, "unknown STORAGE_BACKEND 'ftp'"),
    ],
)
def test_incomplete_settings_say_what_is_missing(changes: dict[str, str], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        storage_from_settings(Settings(**changes))  # type: ignore[arg-type]
