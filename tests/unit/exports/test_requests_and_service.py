"""The request model (422s listing accepted values), the format table, and the service's pure helpers."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import pydantic
import pytest

from shared.adapters.storage import MemoryStorage, StorageError
from shared.exports import service
from shared.exports.formats import CONTENT_TYPES, DOCUMENTS, renderer
from shared.exports.requests import ExportIn
from shared.platform.errors import NotFound
from tests.support.exports import png

SIM = str(uuid.uuid4())


def errors(data: dict[str, Any]) -> dict[str, dict[str, Any]]:
    with pytest.raises(pydantic.ValidationError) as caught:
        ExportIn.model_validate(data)
    return {".".join(map(str, e["loc"])): e for e in caught.value.errors()}


def test_every_document_and_format_has_its_renderer() -> None:
    for document, formats in DOCUMENTS.items():
        for fmt in formats:
            function = renderer(document, fmt)
            assert function.__name__ == f"{document.replace('-', '_')}_{fmt}"
            assert fmt in CONTENT_TYPES
    with pytest.raises(ValueError, match="comparison is not available as docx"):
        renderer("comparison", "docx")


def test_unknown_document_and_format_list_the_accepted_ones() -> None:
    found = errors({"document": "invoice", "format": "pdf"})
    assert found["document"]["type"] == "unknown_document"
    assert found["document"]["msg"].endswith("simulation-report, comparison, dossier-list, dossier-summary, kpi-report")
    found = errors({"document": "dossier-summary", "format": "xlsx", "dossier_id": SIM})
    assert found["format"]["msg"] == "unsupported format 'xlsx'; dossier-summary comes as pdf, docx"
    found = errors({"document": "nope", "format": "odt"})
    assert found["format"]["msg"].endswith("accepted formats: xlsx, docx, pdf, csv")


def test_parameters_fit_the_document() -> None:
    found = errors({"document": "comparison", "format": "pdf", "dossier_id": SIM})
    assert found["simulation_id"]["type"] == "missing" and found["dossier_id"]["type"] == "not_used"
    found = errors({"document": "dossier-list", "format": "csv", "filters": {"created_from": "2026-02-01",
                                                                            "created_to": "2026-01-31"}})  # fmt: skip
    assert found["filters.created_to"]["type"] == "date_order"
    assert "filters.colour" in errors({"document": "dossier-list", "format": "csv", "filters": {"colour": "red"}})


def test_a_request_survives_the_round_trip_through_a_job() -> None:
    request = ExportIn.model_validate({"document": " Comparison ", "format": "PDF", "lang": "en", "simulation_id": SIM,
                                       "answers": {"GENERAL_003": 12}, "async": True})  # fmt: skip
    assert (request.document, request.format, request.async_) == ("comparison", "pdf", True)
    job = {"document": request.document, "format": request.format, "lang": request.lang,
           "parameters": request.parameters()}  # fmt: skip
    assert job["parameters"] == {"simulation_id": SIM, "answers": {"GENERAL_003": 12}}
    again = ExportIn.from_job(job)
    assert again.model_dump(exclude={"async_"}) == request.model_dump(exclude={"async_"}) and not again.async_


def test_file_names_are_readable_and_safe() -> None:
    day = datetime(2026, 11, 21).date()
    assert service.file_name("simulation-report", "Transports Durand", day, "pdf", "fr") == (
        "Rapport de simulation - Transports Durand - 2026-11-21.pdf"
    )
    assert service.file_name("dossier-list", 'A/B: "C"\n', day, "csv", "en") == "Case list - A-B- -C- - 2026-11-21.csv"
    assert len(service.file_name("comparison", "x" * 500, day, "xlsx", "fr")) <= 190


def test_failed_jobs_keep_caller_facing_errors_only() -> None:
    assert service.public_error(NotFound("Unknown dossier", code="dossier_not_found")) == (
        "dossier_not_found", "Unknown dossier",
    )  # fmt: skip
    assert service.public_error(StorageError()) == ("storage_unavailable", "File storage is unavailable")
    code, detail = service.public_error(RuntimeError("password=hunter2 at /srv"))
    assert code == "export_failed" and "hunter2" not in detail


def test_job_view_signs_a_url_only_when_done() -> None:
    storage = MemoryStorage()
    org = uuid.uuid4()
    base = {"id": uuid.uuid4(), "organization_id": org, "document": "dossier-list", "format": "csv", "lang": "fr",
            "parameters": {}, "status": "queued", "error": None, "error_code": None, "attempts": 0, "retries": 0,
            "created_at": datetime.now(UTC), "started_at": None, "finished_at": None, "file_name": None,
            "content_type": None, "byte_size": None, "sha256": None, "storage_key": None}  # fmt: skip
    queued = service.job_view(base, storage)
    assert queued.error is None and queued.download_url is None
    failed = service.job_view({**base, "status": "failed", "error": "Oups", "error_code": "export_failed"}, storage)
    assert failed.error is not None and failed.error.model_dump() == {"code": "export_failed", "detail": "Oups"}
    done = service.job_view({**base, "status": "done", "storage_key": "o/exports/j.pdf", "file_name": "R é.pdf"},
                            storage)  # fmt: skip
    assert done.download_url == "memory://o/exports/j.pdf?expires_in=900&filename=R%20%C3%A9.pdf"
    assert done.download_expires_at is not None
    remaining = (done.download_expires_at - datetime.now(UTC)).total_seconds()
    assert 890 < remaining <= 900


def test_branding_uses_a_readable_logo_and_ignores_a_broken_one() -> None:
    storage = MemoryStorage()
    organization = {"id": uuid.uuid4(), "name": "Cabinet", "primary_color": "#7A1F5C", "legal_footer": "RCS",
                    "logo_path": "org/branding/logo.png"}  # fmt: skip
    assert service.branding(organization, storage).logo is None  # missing file
    storage.put("org/branding/logo.png", b"GIF89a not an accepted image", "image/gif")
    assert service.branding(organization, storage).logo is None
    logo = png()
    storage.put("org/branding/logo.png", logo, "image/png")
    branding = service.branding(organization, storage)
    assert branding.logo == logo and branding.primary_color == "#7A1F5C" and branding.legal_footer == "RCS"
    assert service.branding({**organization, "logo_path": None}, storage).logo is None
