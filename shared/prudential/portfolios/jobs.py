"""Large imports as jobs: the file stored, a job queued (after the caller's rights were checked as the
caller), then imported by the `prudential-import-worker` as its requester, all or nothing, exactly as
an inline import. Claims, leases and fencing as in the export queue."""

from __future__ import annotations

import logging
import time
import uuid
from typing import Any

from shared.adapters.storage import Storage
from shared.platform import db
from shared.platform.db import Connection
from shared.platform.errors import AppError, Forbidden, NotFound
from shared.prudential.portfolios import repository, service

logger = logging.getLogger(__name__)
Row = dict[str, Any]

INLINE_MAX_BYTES = 2 * 1024 * 1024  # a larger file is imported by the worker
LEASE_SECONDS = 600
MAX_ATTEMPTS = 3
TIME_BUDGET_SECONDS = 50.0
MAX_ERRORS_KEPT = 1000


def enqueue(conn: Connection, *, user_id: uuid.UUID, portfolio_id: uuid.UUID, upload: service.Upload,
            storage: Storage) -> Row:  # fmt: skip
    """Check as the caller that they may import into the portfolio, store the file, queue the job."""
    owner = service.portfolio(conn, portfolio_id=portfolio_id)
    org = owner["organization_id"]
    if org not in repository.prudential_organizations(conn, right="write"):
        raise Forbidden("Your role does not allow imports", code="forbidden")
    job_id = uuid.uuid4()
    key = f"{org}/imports/{job_id}"
    storage.put(key, upload.data, "application/octet-stream")
    db.elevate(conn)  # the checks ran as the caller; the job row is the service's to write
    return repository.insert_import_job(
        conn,
        job={
            "id": job_id,
            "organization_id": org,
            "portfolio_id": portfolio_id,
            "requested_by": user_id,
            "file_name": upload.file_name,
            "storage_key": key,
            "template": upload.template,
            "mapping": upload.mapping,
            "reference_date": upload.reference_date,
            "save_mapping": upload.save_mapping,
        },
    )


def job(conn: Connection, *, job_id: uuid.UUID) -> Row:
    found = repository.import_job(conn, job_id=job_id)
    if found is None:
        raise NotFound("Unknown import job", code="import_job_not_found")
    return found


def run_worker(storage: Storage, *, budget_seconds: float = TIME_BUDGET_SECONDS, max_jobs: int = 20) -> dict[str, int]:
    """One scheduled run: claim and import jobs until none is left or the budget is spent."""
    deadline = time.monotonic() + budget_seconds
    counts = {"done": 0, "failed": 0, "lost": 0}
    for _ in range(max_jobs):
        if time.monotonic() > deadline:
            break
        with db.service_transaction() as conn:
            claimed = repository.claim_import_job(conn, lease_seconds=LEASE_SECONDS, max_attempts=MAX_ATTEMPTS)
        if claimed is None:
            break
        counts[process(claimed, storage)] += 1
    return counts


def process(claimed: Row, storage: Storage) -> str:
    """Import one claimed job as its requester: ``done``, ``failed`` or ``lost`` (another worker owns it)."""
    attempt = claimed["attempts"]
    upload = service.Upload(
        data=storage.get(claimed["storage_key"]),
        file_name=claimed["file_name"],
        template=claimed["template"],
        mapping=claimed["mapping"],
        reference_date=claimed["reference_date"],
        save_mapping=claimed["save_mapping"],
    )
    claims = {"sub": str(claimed["requested_by"]), "role": "authenticated", "aud": "authenticated"}
    try:
        with db.user_transaction(claims) as conn:
            version = service.import_commit(conn, portfolio_id=claimed["portfolio_id"], upload=upload)
            db.elevate(conn)  # the job is marked done in the same transaction as the import: both or neither
            if not repository.finish_import_job(
                conn, job_id=claimed["id"], attempt=attempt, version_id=version["id"],
                warnings=version["warnings"][:MAX_ERRORS_KEPT],
            ):  # fmt: skip
                raise _Lost
        return "done"
    except _Lost:
        return "lost"
    except Exception as exc:
        if isinstance(exc, AppError) and exc.code != "internal_error":
            code, detail, errors = exc.code, exc.detail, exc.errors[:MAX_ERRORS_KEPT] or None
        else:
            logger.exception("import job %s failed", claimed["id"])
            code, detail, errors = "import_failed", "The import could not be done; send the file again", None
        with db.service_transaction() as conn:
            failed = repository.fail_import_job(
                conn, job_id=claimed["id"], attempt=attempt, code=code, error=detail, errors=errors
            )
        return "failed" if failed else "lost"


class _Lost(Exception):
    """Another worker claimed the job after this one's lease expired: this import is rolled back."""
