"""File storage port (exports, documents) and its adapters: S3 protocol, local disk, in-memory fake.

Keys look like ``<organization_id>/exports/<job_id>.xlsx``: relative, ``/``-separated, no empty,
``.``/``..`` or hidden segments, no backslash or control characters. Every adapter checks them, so a
bad key fails the same way in unit tests as in production. Vendor errors become :class:`StorageError`
(or :class:`ObjectNotFound`) raised ``from`` the original, with a message that says nothing about the
vendor, the bucket or the credentials.
"""

from __future__ import annotations

import hashlib
import hmac
import mimetypes
import os
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import quote, urlencode

from shared.platform.errors import AppError
from shared.platform.settings import Settings

MAX_KEY_BYTES = 1024
MAX_EXPIRES_IN = 7 * 24 * 3600  # SigV4 presigned URLs cannot live longer than 7 days


class StorageError(AppError):
    status, code, title = 502, "storage_unavailable", "File storage is unavailable"


class ObjectNotFound(StorageError):
    status, code, title = 404, "not_found", "File not found"


class InvalidKey(StorageError):
    status, code, title = 400, "invalid_storage_key", "Invalid file key"


@dataclass(frozen=True)
class UploadForm:
    """A browser-style upload: POST ``multipart/form-data`` to ``url`` with ``fields`` first, then the
    file in a part named ``file`` (the S3 presigned POST shape, served locally by the dev server)."""

    url: str
    fields: dict[str, str]


class Storage(Protocol):
    """``put`` creates or replaces; ``get`` raises :class:`ObjectNotFound` for an unknown key;
    ``delete`` is idempotent; ``signed_url`` is a GET link valid ``expires_in`` seconds that downloads
    as ``filename`` when given; ``size`` is an object's length in bytes (:class:`ObjectNotFound` when
    absent); ``presigned_post`` lets a browser upload one object of 1 to ``max_bytes`` bytes to ``key``
    for ``expires_in`` seconds. Every method raises :class:`InvalidKey` for a bad key."""

    def put(self, key: str, data: bytes, content_type: str) -> None: ...

    def get(self, key: str) -> bytes: ...

    def exists(self, key: str) -> bool: ...

    def delete(self, key: str) -> None: ...

    def signed_url(self, key: str, *, expires_in: int = 900, filename: str | None = None) -> str: ...

    def size(self, key: str) -> int: ...

    def presigned_post(self, key: str, *, max_bytes: int, expires_in: int = 900) -> UploadForm: ...


def check_key(key: str) -> str:
    """``key`` if it is a safe relative key, else :class:`InvalidKey`."""
    segments = key.split("/")
    if (
        not key
        or len(key.encode("utf-8", "surrogatepass")) > MAX_KEY_BYTES
        or any(0xD800 <= ord(c) <= 0xDFFF for c in key)
        or "\\" in key
        or any(ord(c) < 32 or ord(c) == 127 for c in key)
        or any(not s or s.startswith(".") for s in segments)
    ):
        raise InvalidKey()
    return key


def check_expires_in(expires_in: int) -> int:
    if not 1 <= expires_in <= MAX_EXPIRES_IN:
        raise ValueError(f"expires_in must be between 1 and {MAX_EXPIRES_IN} seconds")
    return expires_in


def content_disposition(filename: str) -> str:
    """``attachment`` with an ASCII fallback name and the exact UTF-8 name (RFC 6266 / RFC 5987)."""
    fallback = "".join(c if 32 <= ord(c) < 127 and c not in '"\\' else "_" for c in filename) or "download"
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"


class S3Storage:
    """Any S3-protocol store (Supabase Storage's S3 endpoint, AWS S3, MinIO, moto).

    Without an access key (``None`` or empty), boto3's default credential chain applies (the Lambda
    execution role, say) instead of an empty key that every request would fail with."""

    def __init__(
        self,
        bucket: str,
        endpoint_url: str,
        region: str,
        access_key_id: str | None = None,
        secret_access_key: str | None = None,
        session_token: str | None = None,
        *,
        max_attempts: int = 3,
        connect_timeout: float = 5,
        read_timeout: float = 30,
    ) -> None:
        self.bucket = bucket
        self._options: dict[str, Any] = {
            "endpoint_url": endpoint_url,
            "region_name": region,
            "aws_access_key_id": access_key_id or None,
            "aws_secret_access_key": secret_access_key or None,
            "aws_session_token": session_token or None,
        }
        self._retry = {"max_attempts": max_attempts, "connect_timeout": connect_timeout, "read_timeout": read_timeout}
        self._client: Any = None
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"S3Storage(bucket={self.bucket!r}, endpoint_url={self._options['endpoint_url']!r})"

    def _s3(self) -> Any:
        """The boto3 client, created on first use (boto3 costs ~0.3 s to import)."""
        if self._client is None:
            with self._lock:
                if self._client is None:
                    import boto3
                    from botocore.config import Config

                    config = Config(
                        s3={"addressing_style": "path"},
                        signature_version="s3v4",
                        # boto3 >= 1.36 adds CRC checksums many S3-compatible servers reject.
                        request_checksum_calculation="when_required",
                        response_checksum_validation="when_required",
                        retries={"max_attempts": self._retry["max_attempts"], "mode": "standard"},
                        connect_timeout=self._retry["connect_timeout"],
                        read_timeout=self._retry["read_timeout"],
                    )
                    session = boto3.session.Session()
                    self._client = session.client("s3", config=config, **self._options)
        return self._client

    def _call(self, operation: str, key: str, **params: Any) -> Any:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            return getattr(self._s3(), operation)(Bucket=self.bucket, Key=check_key(key), **params)
        except ClientError as exc:
            error = exc.response.get("Error", {}).get("Code", "")
            if error in {"NoSuchKey", "404", "NotFound"}:
                raise ObjectNotFound() from exc
            raise StorageError() from exc
        except BotoCoreError as exc:
            raise StorageError() from exc

    def put(self, key: str, data: bytes, content_type: str) -> None:
        self._call("put_object", key, Body=data, ContentType=content_type)

    def get(self, key: str) -> bytes:
        from botocore.exceptions import BotoCoreError

        response = self._call("get_object", key)
        try:
            return bytes(response["Body"].read())
        except BotoCoreError as exc:
            raise StorageError() from exc

    def exists(self, key: str) -> bool:
        try:
            self._call("head_object", key)
        except ObjectNotFound:
            return False
        return True

    def delete(self, key: str) -> None:
        self._call("delete_object", key)

    def signed_url(self, key: str, *, expires_in: int = 900, filename: str | None = None) -> str:
        from botocore.exceptions import BotoCoreError, ClientError

        params = {"Bucket": self.bucket, "Key": check_key(key)}
        if filename:
            params["ResponseContentDisposition"] = content_disposition(filename)
        try:
            url = self._s3().generate_presigned_url("get_object", Params=params, ExpiresIn=check_expires_in(expires_in))
        except (BotoCoreError, ClientError) as exc:
            raise StorageError() from exc
        return str(url)

    def size(self, key: str) -> int:
        return int(self._call("head_object", key)["ContentLength"])

    def presigned_post(self, key: str, *, max_bytes: int, expires_in: int = 900) -> UploadForm:
        """A SigV4 POST policy for exactly ``key`` with a ``content-length-range`` of 1..``max_bytes``:
        the store itself refuses a larger body."""
        from botocore.exceptions import BotoCoreError, ClientError

        if max_bytes < 1:
            raise ValueError("max_bytes must be positive")
        try:
            post = self._s3().generate_presigned_post(
                Bucket=self.bucket,
                Key=check_key(key),
                Conditions=[["content-length-range", 1, max_bytes]],
                ExpiresIn=check_expires_in(expires_in),
            )
        except (BotoCoreError, ClientError) as exc:
            raise StorageError() from exc
        return UploadForm(url=str(post["url"]), fields={str(k): str(v) for k, v in post["fields"].items()})


class LocalStorage:
    """Files under ``root`` for development and tests, served by the dev server through signed URLs.

    Writes are atomic (a temporary file in the same directory, then ``os.replace``): a reader sees
    the old file or the new one, never half of one. The content type is not persisted; the dev
    server derives it from the key's extension (:meth:`content_type`).

    A signed URL is ``{base_url}/storage/{key}?expires=<unix>[&filename=…]&signature=<hex>``, the
    signature an HMAC-SHA256 of ``key``, ``expires`` and ``filename``. The dev server serving
    ``/storage/<key>`` calls ``verify_signed(key, query["expires"], query["signature"],
    query.get("filename"))`` and answers 403 when it is false.
    """

    def __init__(self, root: Path, base_url: str, secret: bytes, *, clock: Callable[[], float] = time.time) -> None:
        if not secret:
            raise ValueError("LocalStorage needs a signing secret")
        self.root = Path(root)
        self.base_url = base_url.rstrip("/")
        self._secret = secret
        self._clock = clock

    def __repr__(self) -> str:
        return f"LocalStorage(root={str(self.root)!r}, base_url={self.base_url!r})"

    def path(self, key: str) -> Path:
        """Where ``key`` lives on disk (always inside ``root``, symlinks included)."""
        root = self.root.resolve()
        path = (root / check_key(key)).resolve()
        if not path.is_relative_to(root):
            raise InvalidKey()
        return path

    def put(self, key: str, data: bytes, content_type: str) -> None:
        path = self.path(key)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, temporary = tempfile.mkstemp(prefix=".upload-", dir=path.parent)
            try:
                with os.fdopen(fd, "wb") as handle:
                    handle.write(data)
                    handle.flush()
                    os.fsync(handle.fileno())
                os.replace(temporary, path)
            except BaseException:
                Path(temporary).unlink(missing_ok=True)
                raise
        except OSError as exc:
            raise StorageError() from exc

    def get(self, key: str) -> bytes:
        try:
            return self.path(key).read_bytes()
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError) as exc:
            raise ObjectNotFound() from exc
        except OSError as exc:
            raise StorageError() from exc

    def exists(self, key: str) -> bool:
        return self.path(key).is_file()

    def delete(self, key: str) -> None:
        try:
            self.path(key).unlink(missing_ok=True)
        except OSError as exc:
            raise StorageError() from exc

    def content_type(self, key: str) -> str:
        return mimetypes.guess_type(key)[0] or "application/octet-stream"

    def _signature(self, key: str, expires: int, filename: str | None) -> str:
        message = f"{key}\n{expires}\n{filename or ''}".encode()
        return hmac.new(self._secret, message, hashlib.sha256).hexdigest()

    def signed_url(self, key: str, *, expires_in: int = 900, filename: str | None = None) -> str:
        expires = int(self._clock()) + check_expires_in(expires_in)
        query: dict[str, str | int] = {"expires": expires}
        if filename:
            query["filename"] = filename
        query["signature"] = self._signature(check_key(key), expires, filename)
        return f"{self.base_url}/storage/{quote(key)}?{urlencode(query, quote_via=quote)}"

    def verify_signed(
        self, key: str, expires: int | str, signature: str, filename: str | None = None, now: float | None = None
    ) -> bool:
        """True when ``signature`` was made by :meth:`signed_url` for these values and has not expired."""
        try:
            check_key(key)
            deadline = int(expires)
        except (InvalidKey, ValueError):
            return False
        if (self._clock() if now is None else now) > deadline:
            return False
        expected = self._signature(key, deadline, filename or None)
        return hmac.compare_digest(expected.encode(), signature.encode("utf-8", "replace"))

    def size(self, key: str) -> int:
        try:
            return self.path(key).stat().st_size
        except (FileNotFoundError, NotADirectoryError) as exc:
            raise ObjectNotFound() from exc
        except OSError as exc:
            raise StorageError() from exc

    def _upload_signature(self, key: str, expires: int, max_bytes: int) -> str:
        message = f"upload\n{key}\n{expires}\n{max_bytes}".encode()
        return hmac.new(self._secret, message, hashlib.sha256).hexdigest()

    def presigned_post(self, key: str, *, max_bytes: int, expires_in: int = 900) -> UploadForm:
        """A form for the dev server's ``POST /storage/<key>``: ``expires``, ``max_bytes`` and an HMAC
        ``signature`` of both and the key, checked by :meth:`verify_upload`."""
        if max_bytes < 1:
            raise ValueError("max_bytes must be positive")
        expires = int(self._clock()) + check_expires_in(expires_in)
        fields = {
            "expires": str(expires),
            "max_bytes": str(max_bytes),
            "signature": self._upload_signature(check_key(key), expires, max_bytes),
        }
        return UploadForm(url=f"{self.base_url}/storage/{quote(key)}", fields=fields)

    def verify_upload(
        self, key: str, expires: str, max_bytes: str, signature: str, now: float | None = None
    ) -> int | None:
        """The size limit a valid, unexpired upload form grants for ``key``; ``None`` otherwise."""
        try:
            check_key(key)
            deadline, limit = int(expires), int(max_bytes)
        except (InvalidKey, ValueError):
            return None
        if (self._clock() if now is None else now) > deadline or limit < 1:
            return None
        expected = self._upload_signature(key, deadline, limit)
        if not hmac.compare_digest(expected.encode(), signature.encode("utf-8", "replace")):
            return None
        return limit


class MemoryStorage:
    """In-memory fake for unit tests of services; records every call as ``(method, key)``."""

    def __init__(self) -> None:
        self.objects: dict[str, tuple[bytes, str]] = {}
        self.calls: list[tuple[str, str]] = []

    def put(self, key: str, data: bytes, content_type: str) -> None:
        self.calls.append(("put", check_key(key)))
        self.objects[key] = (bytes(data), content_type)

    def get(self, key: str) -> bytes:
        self.calls.append(("get", check_key(key)))
        if key not in self.objects:
            raise ObjectNotFound()
        return self.objects[key][0]

    def exists(self, key: str) -> bool:
        self.calls.append(("exists", check_key(key)))
        return key in self.objects

    def delete(self, key: str) -> None:
        self.calls.append(("delete", check_key(key)))
        self.objects.pop(key, None)

    def signed_url(self, key: str, *, expires_in: int = 900, filename: str | None = None) -> str:
        self.calls.append(("signed_url", check_key(key)))
        query: dict[str, str | int] = {"expires_in": check_expires_in(expires_in)}
        if filename:
            query["filename"] = filename
        return f"memory://{quote(key)}?{urlencode(query, quote_via=quote)}"

    def size(self, key: str) -> int:
        self.calls.append(("size", check_key(key)))
        if key not in self.objects:
            raise ObjectNotFound()
        return len(self.objects[key][0])

    def presigned_post(self, key: str, *, max_bytes: int, expires_in: int = 900) -> UploadForm:
        self.calls.append(("presigned_post", check_key(key)))
        check_expires_in(expires_in)
        return UploadForm(url=f"memory://{quote(key)}", fields={"max_bytes": str(max_bytes)})


@lru_cache(maxsize=4)
def storage_from_settings(settings: Settings) -> S3Storage | LocalStorage:
    """The adapter the settings choose (``STORAGE_BACKEND``): ``s3`` or ``local``; one per settings value,
    so a warm function instance reuses its boto3 client. ``ValueError`` names what is missing."""
    if settings.storage_backend == "s3":
        if not (settings.s3_bucket and settings.s3_endpoint_url and settings.s3_region):
            raise ValueError("STORAGE_BACKEND=s3 needs S3_BUCKET, S3_ENDPOINT_URL and S3_REGION")
        return S3Storage(
            settings.s3_bucket,
            settings.s3_endpoint_url,
            settings.s3_region,
            settings.s3_access_key_id.value or None,
            settings.s3_secret_access_key.value or None,
        )
    if settings.storage_backend == "local":
        if not settings.signing_secret:
            raise ValueError("STORAGE_BACKEND=local needs SIGNING_SECRET to sign download URLs")
        return LocalStorage(
            Path(settings.storage_dir), settings.public_base_url, settings.signing_secret.value.encode()
        )
    raise ValueError(f"unknown STORAGE_BACKEND {settings.storage_backend!r} (local or s3)")
