"""The files of the demo documents (sql/seed/demo_documents.sql): a tiny PDF derived from each key,
the same bytes as the seed's ``pg_temp.demo_pdf``, so their sizes and SHA-256 match."""

from __future__ import annotations

import psycopg

from shared.adapters.storage import Storage

_DEMO_KEYS = """
select v.storage_key from public.document_versions v
join public.organizations o on o.id = v.organization_id
where o.slug in ('profitum', 'horizon') and v.state <> 'uploading'
"""


def demo_pdf(key: str) -> bytes:
    return f"%PDF-1.4\n% FinancialTracker demo document {key}\n%%EOF\n".encode()


def store_demo_files(url: str, storage: Storage) -> int:
    """Writes the demo documents' files that storage lacks; returns how many it wrote."""
    with psycopg.connect(url) as conn:
        keys = [str(row[0]) for row in conn.execute(_DEMO_KEYS.encode()).fetchall()]
    written = 0
    for key in keys:
        if not storage.exists(key):
            storage.put(key, demo_pdf(key), "application/pdf")
            written += 1
    return written
