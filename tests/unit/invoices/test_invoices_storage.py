"""Factur-X PDFs go to the private `invoices` bucket on S3 (migration 0128's policies name it) and to the
dev server's storage locally."""

from __future__ import annotations

from pathlib import Path

from shared.adapters.storage import LocalStorage, S3Storage
from shared.invoices.service import BUCKET, invoices_storage
from shared.platform.settings import Secret, Settings, load_settings


def test_s3_invoices_go_to_the_invoices_bucket_of_the_endpoint() -> None:
    environment = {"STORAGE_BACKEND": "s3", "S3_BUCKET": "files", "S3_ENDPOINT_URL": "https://x.test/s3"}
    settings = load_settings({**environment, "S3_REGION": "eu-west-3", "S3_ACCESS_KEY_ID": "id",
                              "S3_SECRET_ACCESS_KEY": "key"})  # fmt: skip
    storage = invoices_storage(settings)
    assert isinstance(storage, S3Storage) and storage.bucket == BUCKET == "invoices"


def test_locally_invoices_share_the_dev_servers_storage(tmp_path: Path) -> None:
    settings = Settings(storage_dir=str(tmp_path), public_base_url="http://127.0.0.1:9000", signing_secret=Secret("s"))
    storage = invoices_storage(settings)
    assert isinstance(storage, LocalStorage) and storage.root == tmp_path
