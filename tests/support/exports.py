"""Helpers for export tests: documents re-opened by their own libraries, and brand checks."""

from __future__ import annotations

import csv
import io
import zipfile
from typing import Any

NNBSP, NBSP = "\u202f", "\u00a0"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
PDF = "application/pdf"
W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


def fr(amount: str) -> str:
    """``"12 000,00 €"`` written with ordinary spaces → the exact French form (U+202F, U+00A0)."""
    units, _, rest = amount.partition(",")
    return units.replace(" ", NNBSP) + "," + rest.replace(" ", NBSP)


def xlsx_cells(data: bytes) -> dict[str, list[list[Any]]]:
    """Every sheet's values, row by row (openpyxl)."""
    import openpyxl

    book = openpyxl.load_workbook(io.BytesIO(data))
    return {sheet.title: [[c.value for c in row] for row in sheet.iter_rows()] for sheet in book.worksheets}


def xlsx_book(data: bytes) -> Any:
    import openpyxl

    return openpyxl.load_workbook(io.BytesIO(data))


def find_cell(sheet: Any, value: object) -> Any:
    for row in sheet.iter_rows():
        for cell in row:
            if cell.value == value:
                return cell
    raise AssertionError(f"{value!r} not in {sheet.title}")


def docx_text(data: bytes) -> str:
    """Paragraphs, table cells, headers and footers of a DOCX (python-docx)."""
    import docx

    document = docx.Document(io.BytesIO(data))
    parts = [p.text for p in document.paragraphs]
    for table in document.tables:
        parts += [cell.text for row in table.rows for cell in row.cells]
    for section in document.sections:
        parts += [p.text for p in section.header.paragraphs] + [p.text for p in section.footer.paragraphs]
    return "\n".join(parts)


def docx_brand(data: bytes) -> tuple[str, set[str], bool]:
    """The header's organization name colour, the table shading colours, and whether an image is embedded."""
    import docx

    document = docx.Document(io.BytesIO(data))
    header = document.sections[0].header
    run = next(r for p in header.paragraphs for r in p.runs if r.text.strip())
    fills = {str(e.get(f"{W}fill")) for e in document.element.body.iter(f"{W}shd")}
    media = any(name.startswith("word/media/") for name in zipfile.ZipFile(io.BytesIO(data)).namelist())
    return str(run.font.color.rgb), fills, media


def pdf_text(data: bytes) -> str:
    import pypdf

    return "\n".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(data)).pages)


def pdf_has_image(data: bytes) -> bool:
    import pypdf

    page: Any = pypdf.PdfReader(io.BytesIO(data)).pages[0]
    return "/XObject" in page["/Resources"] and len(page["/Resources"]["/XObject"]) > 0


def pdf_rgb(hex_colour: str) -> bytes:
    """The fill operator a PDF uses for a brand colour ``#RRGGBB``."""
    r, g, b = (int(hex_colour[i : i + 2], 16) for i in (1, 3, 5))
    return f"{r / 255:.4f} {g / 255:.4f} {b / 255:.4f} rg".encode()


def pdf_contents(data: bytes) -> bytes:
    import pypdf

    page: Any = pypdf.PdfReader(io.BytesIO(data)).pages[0]
    return bytes(page.get_contents().get_data())


def csv_rows(data: bytes, delimiter: str = ";") -> list[list[str]]:
    text = data.decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:]), delimiter=delimiter))


def png(size: tuple[int, int] = (120, 40)) -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", size, (122, 31, 92)).save(buffer, "PNG")
    return buffer.getvalue()


# --- a site with exportable data, for the function tests --------------------------------------------

FOOTER = "Cabinet Simulateur SAS — 1 place Bellecour, 69002 Lyon — RCS Lyon 552 100 554"
BRAND = "#7A1F5C"
CRON = "cron-test-secret"


class World:
    """The `site` of the simulate tests with a completed simulation (8 dossiers), a branded organization
    with a logo, one dossier assigned to the expert with a client-visible marketplace event, and the
    `export`, `export-worker` and dev-server test clients."""

    def __init__(self, site: Any, committed: Any, storage: Any, clients: Any) -> None:
        from tests.support.simulate import TRANSPORT, answer, complete, start

        self.site, self.db, self.storage = site, committed, storage
        self.export, self.worker_client = clients("export"), clients("export_worker")
        committed.execute("delete from public.export_jobs")
        logo = f"{site.org}/branding/logo.png"
        storage.put(logo, png(), "image/png")
        committed.execute(
            "update public.organizations set primary_color = %s, legal_footer = %s, logo_path = %s where id = %s",
            (BRAND, FOOTER, logo, site.org),
        )
        sim = start(site)
        assert answer(site, sim["id"], TRANSPORT).status_code == 200
        assert complete(site, sim["id"]).status_code == 200
        self.simulation = sim["id"]
        self.expert_profile = committed.execute(
            "select id from public.expert_profiles where user_id = %s", (site.users["expert"],)
        ).fetchone()["id"]
        self.dossiers = {
            r["product_code"]: r["id"]
            for r in committed.execute(
                "select id, product_code from public.dossiers where client_company_id = %s", (site.company,)
            ).fetchall()
        }
        self.ticpe = self.dossiers["ticpe"]
        committed.execute(
            "update public.dossiers set expert_id = %s, assigned_at = now(), status = 'expert_assigned' where id = %s",
            (self.expert_profile, self.ticpe),
        )
        committed.execute(
            "insert into public.marketplace_events (organization_id, dossier_id, expert_id, kind, actor_id,"
            " actor_kind, client_visible) values (%s, %s, %s, 'offer_accepted', %s, 'user', true)",
            (site.org, self.ticpe, self.expert_profile, site.users["expert"]),
        )

    def post(self, who: str | None, **body: Any) -> Any:
        return self.export.post("/export", json=body, headers=self.site.headers(who))

    def get(self, who: str | None, path: str) -> Any:
        return self.export.get(path, headers=self.site.headers(who))

    def work(self) -> dict[str, int]:
        response = self.worker_client.post("/export-worker", json={}, headers={"X-Cron-Secret": CRON})
        assert response.status_code == 200, response.get_json()
        return dict(response.get_json())

    def job(self, job_id: str) -> dict[str, Any]:
        row = self.db.execute("select * from public.export_jobs where id = %s", (job_id,)).fetchone()
        assert row is not None
        return dict(row)
