"""A small streaming SpreadsheetML writer: the XLSX package written directly, rows streamed.

openpyxl needs over a second for a 10 000-row list (cell objects, then a full serialisation;
write-only mode is not much faster) and the target is 0.5 s, so the sheet XML is generated here
(~0.2 s) and compressed into the zip as it is produced: memory stays flat whatever the row count.

Each sheet is one titled table: ``head`` rows (the last one is the table header, frozen, filtered
and repeated on printed pages), ``body`` rows (streamed, counted) and ``tail`` rows (totals, notes;
may be a callable evaluated after the body, e.g. for totals accumulated while streaming). Cells are
inline strings (never formulas), numbers (``int``/``Decimal``) or dates, styled from :class:`S`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import IO

from shared.exports._ooxml import ReproducibleZip, core_properties, esc, fit
from shared.exports.formatting import label
from shared.exports.models import Branding, image_kind, image_size

_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
_XML = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
_EPOCH = date(1899, 12, 30).toordinal()
_FLUSH_EVERY = 500
LOGO_ROW_HEIGHT = 45.0  # points


class S:
    """Cell styles (indexes into ``cellXfs`` of the generated styles.xml)."""

    DEFAULT, TITLE, HEADER, TEXT, WRAP, MONEY, DATE, BOLD, TOTAL, TOTAL_MONEY = range(10)
    INTEGER, DATETIME, NOTE, DELTA, TOTAL_DELTA = range(10, 15)


@dataclass(frozen=True, slots=True)
class Row:
    values: Sequence[object] = ()
    styles: Sequence[int] | int = S.DEFAULT
    height: float | None = None
    merge: bool = False  # one long text spanning the table's width


@dataclass(slots=True)
class Sheet:
    name: str
    widths: Sequence[float]
    head: Sequence[Row]
    body: Iterable[Row]
    tail: Sequence[Row] | Callable[[], Sequence[Row]] = ()
    landscape: bool = False
    count: int = field(default=0, init=False)


def column_letter(index: int) -> str:
    """0 → A, 25 → Z, 26 → AA."""
    letters = ""
    index += 1
    while index:
        index, remainder = divmod(index - 1, 26)
        letters = chr(65 + remainder) + letters
    return letters


def _number(value: object) -> str | None:
    """A cell's ``<v>`` text: numbers as such, dates as Excel serial days; None for anything else."""
    if isinstance(value, Decimal):
        return format(value, "f") if value.is_finite() else None
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return repr(value) if math.isfinite(value) else None
    if isinstance(value, datetime):
        seconds = value.hour * 3600 + value.minute * 60 + value.second
        return repr(value.toordinal() - _EPOCH + seconds / 86400)
    if isinstance(value, date):
        return str(value.toordinal() - _EPOCH)
    return None


def row_xml(number: int, row: Row, letters: Sequence[str]) -> str:
    styles = row.styles if not isinstance(row.styles, int) else [row.styles] * len(row.values)
    cells = []
    for index, value in enumerate(row.values):
        if value is None:
            continue
        style = f' s="{styles[index]}"' if styles[index] else ""
        ref = f"{letters[index]}{number}"
        if value == "":
            cells.append(f'<c r="{ref}"{style}/>' if style else "")
        elif isinstance(value, str):
            text = esc(value)
            cells.append(f'<c r="{ref}"{style} t="inlineStr"><is><t xml:space="preserve">{text}</t></is></c>')
        elif isinstance(value, bool):
            cells.append(f'<c r="{ref}"{style} t="b"><v>{int(value)}</v></c>')
        else:
            number_text = _number(value)
            cells.append(f'<c r="{ref}"{style}><v>{number_text}</v></c>' if number_text else "")
    height = f' ht="{row.height}" customHeight="1"' if row.height else ""
    return f'<row r="{number}"{height}>{"".join(cells)}</row>'


def note_height(text: str, widths: Sequence[float], points: float = 12.0) -> float:
    """An estimated height for a merged, wrapped note (Excel does not auto-fit merged cells)."""
    per_line = max(sum(widths) * 1.15, 1)
    lines = sum(max(1, math.ceil(len(part) / per_line)) for part in text.split("\n"))
    return lines * points + 4


def _quote(name: str) -> str:
    return "'" + name.replace("'", "''") + "'"


def _hf(text: str, limit: int) -> str:
    """Header/footer text: ``&`` doubled (it starts a code), cut short (Excel caps a section at 255)."""
    text = " ".join(text.split()).replace("&", "&&")
    if len(text) > limit:
        text = text[: limit - 1]
        text = (text[:-1] if (len(text) - len(text.rstrip("&"))) % 2 else text) + "…"
    return text


@dataclass(slots=True)
class Book:
    """One workbook: branding, language formats, a title and its sheets."""

    branding: Branding
    title: str
    day: date
    lang: str
    sheets: list[Sheet]
    _filters: list[tuple[int, str, int]] = field(default_factory=list, init=False)

    def render(self) -> bytes:
        self._filters = []
        out = ReproducibleZip(self.day)
        out.write("[Content_Types].xml", self._content_types())
        out.write("_rels/.rels", self._root_rels())
        language = "fr-FR" if self.lang == "fr" else "en-GB"
        org = self.branding.organization_name
        out.write("docProps/core.xml", core_properties(title=self.title, creator=org, day=self.day, language=language))
        out.write("docProps/app.xml", _APP)
        out.write("xl/styles.xml", self._styles())
        for index, sheet in enumerate(self.sheets):
            with out.stream(f"xl/worksheets/sheet{index + 1}.xml") as handle:
                self._write_sheet(handle, index, sheet)
        out.write("xl/workbook.xml", self._workbook())
        out.write("xl/_rels/workbook.xml.rels", self._workbook_rels())
        if self.branding.logo is not None:
            self._write_logo(out, self.branding.logo)
        return out.close()

    def _write_sheet(self, handle: IO[bytes], index: int, sheet: Sheet) -> None:
        letters = [column_letter(i) for i in range(len(sheet.widths))]
        last = letters[-1]
        head = list(sheet.head)
        if self.branding.logo is not None:
            head.insert(0, Row(height=LOGO_ROW_HEIGHT))
        header_row = len(head)
        handle.write(self._sheet_start(index, sheet, header_row).encode())
        merges: list[int] = []
        number = 0
        for number, row in enumerate(head, start=1):
            merges += [number] if row.merge else []
            handle.write(row_xml(number, row, letters).encode())
        chunk: list[str] = []
        for row in sheet.body:
            number += 1
            chunk.append(row_xml(number, row, letters))
            if len(chunk) >= _FLUSH_EVERY:
                handle.write("".join(chunk).encode())
                chunk.clear()
        handle.write("".join(chunk).encode())
        sheet.count = number - header_row
        tail = sheet.tail() if callable(sheet.tail) else sheet.tail
        for row in tail:
            number += 1
            merges += [number] if row.merge else []
            handle.write(row_xml(number, row, letters).encode())
        self._filters.append((index, f"$A${header_row}:${last}${header_row + sheet.count}", header_row))
        handle.write(self._sheet_end(sheet, header_row, last, merges).encode())

    def _sheet_start(self, index: int, sheet: Sheet, header_row: int) -> str:
        top = f"A{header_row + 1}"
        selected = ' tabSelected="1"' if index == 0 else ""
        cols = "".join(
            f'<col min="{i}" max="{i}" width="{width}" customWidth="1"/>' for i, width in enumerate(sheet.widths, 1)
        )
        return (
            f'{_XML}<worksheet xmlns="{_MAIN}" xmlns:r="{_REL}"><sheetPr><pageSetUpPr fitToPage="1"/></sheetPr>'
            f'<sheetViews><sheetView workbookViewId="0"{selected}>'
            f'<pane ySplit="{header_row}" topLeftCell="{top}" activePane="bottomLeft" state="frozen"/>'
            f'<selection pane="bottomLeft" activeCell="{top}" sqref="{top}"/></sheetView></sheetViews>'
            f'<sheetFormatPr defaultRowHeight="15"/><cols>{cols}</cols><sheetData>'
        )

    def _sheet_end(self, sheet: Sheet, header_row: int, last: str, merges: list[int]) -> str:
        merge_xml = "".join(f'<mergeCell ref="A{r}:{last}{r}"/>' for r in merges)
        orientation = "landscape" if sheet.landscape else "portrait"
        org = _hf(self.branding.organization_name, 100)
        header = esc(f'&L&"-,Bold"{org}&R{_hf(self.title, 100)}')
        page = f"{label('page', self.lang)} &P / &N"
        footer = esc(f"&L&8{_hf(self.branding.legal_footer, 200)}&R&8{page}")
        return (
            f'</sheetData><autoFilter ref="A{header_row}:{last}{header_row + sheet.count}"/>'
            + (f'<mergeCells count="{len(merges)}">{merge_xml}</mergeCells>' if merges else "")
            + '<pageMargins left="0.5" right="0.5" top="0.75" bottom="0.75" header="0.3" footer="0.3"/>'
            f'<pageSetup paperSize="9" orientation="{orientation}" fitToWidth="1" fitToHeight="0"/>'
            f"<headerFooter><oddHeader>{header}</oddHeader><oddFooter>{footer}</oddFooter></headerFooter>"
            + ('<drawing r:id="rId1"/>' if self.branding.logo is not None else "")
            + "</worksheet>"
        )

    def _workbook(self) -> str:
        sheets = "".join(
            f'<sheet name="{esc(s.name)}" sheetId="{i + 1}" r:id="rId{i + 1}"/>' for i, s in enumerate(self.sheets)
        )
        names = []
        for index, ref, header_row in self._filters:
            quoted = esc(_quote(self.sheets[index].name))
            names.append(
                f'<definedName name="_xlnm._FilterDatabase" localSheetId="{index}" hidden="1">{quoted}!{ref}'
                f'</definedName><definedName name="_xlnm.Print_Titles" localSheetId="{index}">'
                f"{quoted}!${header_row}:${header_row}</definedName>"
            )
        return (
            f'{_XML}<workbook xmlns="{_MAIN}" xmlns:r="{_REL}"><bookViews><workbookView activeTab="0"/>'
            f"</bookViews><sheets>{sheets}</sheets><definedNames>{''.join(names)}</definedNames></workbook>"
        )

    def _workbook_rels(self) -> str:
        base = f"{_REL}/"
        rels = [
            f'<Relationship Id="rId{i + 1}" Type="{base}worksheet" Target="worksheets/sheet{i + 1}.xml"/>'
            for i in range(len(self.sheets))
        ]
        rels.append(f'<Relationship Id="rId{len(self.sheets) + 1}" Type="{base}styles" Target="styles.xml"/>')
        return f'{_XML}<Relationships xmlns="{_PKG_REL}">{"".join(rels)}</Relationships>'

    def _root_rels(self) -> str:
        return (
            f'{_XML}<Relationships xmlns="{_PKG_REL}">'
            f'<Relationship Id="rId1" Type="{_REL}/officeDocument" Target="xl/workbook.xml"/>'
            '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/package/2006/relationships/metadata/'
            'core-properties" Target="docProps/core.xml"/>'
            f'<Relationship Id="rId3" Type="{_REL}/extended-properties" Target="docProps/app.xml"/>'
            "</Relationships>"
        )

    def _content_types(self) -> str:
        ct = "application/vnd.openxmlformats-officedocument"
        parts = [
            f'<Override PartName="/xl/workbook.xml" ContentType="{ct}.spreadsheetml.sheet.main+xml"/>',
            f'<Override PartName="/xl/styles.xml" ContentType="{ct}.spreadsheetml.styles+xml"/>',
            '<Override PartName="/docProps/core.xml" ContentType="application/vnd.openxmlformats-package.'
            'core-properties+xml"/>',
            f'<Override PartName="/docProps/app.xml" ContentType="{ct}.extended-properties+xml"/>',
        ]
        for i in range(len(self.sheets)):
            parts.append(
                f'<Override PartName="/xl/worksheets/sheet{i + 1}.xml" ContentType="{ct}.spreadsheetml.worksheet+xml"/>'
            )
            if self.branding.logo is not None:
                parts.append(f'<Override PartName="/xl/drawings/drawing{i + 1}.xml" ContentType="{ct}.drawing+xml"/>')
        return (
            f'{_XML}<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            '<Default Extension="png" ContentType="image/png"/><Default Extension="jpeg" ContentType="image/jpeg"/>'
            f"{''.join(parts)}</Types>"
        )

    def _write_logo(self, out: ReproducibleZip, logo: bytes) -> None:
        kind = image_kind(logo)
        out.write(f"xl/media/logo.{kind}", logo)
        width, height = fit(image_size(logo), 240, LOGO_ROW_HEIGHT * 96 / 72 - 6)
        drawing = _DRAWING.format(cx=round(width * 9525), cy=round(height * 9525))
        image_rel = f"{_REL}/image"
        for i in range(len(self.sheets)):
            out.write(f"xl/drawings/drawing{i + 1}.xml", drawing)
            out.write(
                f"xl/drawings/_rels/drawing{i + 1}.xml.rels",
                f'{_XML}<Relationships xmlns="{_PKG_REL}"><Relationship Id="rId1" Type="{image_rel}"'
                f' Target="../media/logo.{kind}"/></Relationships>',
            )
            out.write(
                f"xl/worksheets/_rels/sheet{i + 1}.xml.rels",
                f'{_XML}<Relationships xmlns="{_PKG_REL}"><Relationship Id="rId1" Type="{_REL}/drawing"'
                f' Target="../drawings/drawing{i + 1}.xml"/></Relationships>',
            )

    def _styles(self) -> str:
        return _styles_xml(self.branding, self.lang)


def _styles_xml(branding: Branding, lang: str) -> str:
    on_primary = "FFFFFF" if branding.on_primary == (255, 255, 255) else "000000"
    if lang == "fr":
        money, delta = '#,##0.00\\ "€"', '+#,##0.00\\ "€";-#,##0.00\\ "€";0.00\\ "€"'
        day, moment = "dd/mm/yyyy", "dd/mm/yyyy hh:mm"
    else:
        money, delta = '"€"#,##0.00', '+"€"#,##0.00;-"€"#,##0.00;"€"0.00'
        day, moment = "yyyy-mm-dd", "yyyy-mm-dd hh:mm"
    formats = [(164, money), (165, day), (166, moment), (167, delta)]
    num_fmts = "".join(f'<numFmt numFmtId="{i}" formatCode="{esc(code)}"/>' for i, code in formats)
    fonts = (
        '<font><sz val="11"/><name val="Calibri"/><family val="2"/></font>'
        f'<font><b/><sz val="14"/><color rgb="FF{branding.hex}"/><name val="Calibri"/><family val="2"/></font>'
        f'<font><b/><sz val="11"/><color rgb="FF{on_primary}"/><name val="Calibri"/><family val="2"/></font>'
        '<font><b/><sz val="11"/><name val="Calibri"/><family val="2"/></font>'
        '<font><i/><sz val="9"/><color rgb="FF595959"/><name val="Calibri"/><family val="2"/></font>'
    )
    fills = (
        '<fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill>'
        f'<fill><patternFill patternType="solid"><fgColor rgb="FF{branding.hex}"/><bgColor indexed="64"/>'
        '</patternFill></fill><fill><patternFill patternType="solid"><fgColor rgb="FFF2F2F2"/>'
        '<bgColor indexed="64"/></patternFill></fill>'
    )
    return (
        f'{_XML}<styleSheet xmlns="{_MAIN}"><numFmts count="{len(formats)}">{num_fmts}</numFmts>'
        f'<fonts count="5">{fonts}</fonts><fills count="4">{fills}</fills><borders count="3">{_BORDERS}</borders>'
        '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
        f'<cellXfs count="{len(_CELL_XFS)}">{_CELL_XFS_XML}</cellXfs>'
        '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles></styleSheet>'
    )


_THIN = '<{0} style="thin"><color rgb="FFBFBFBF"/></{0}>'
_BORDERS = (
    "<border><left/><right/><top/><bottom/><diagonal/></border>"
    f"<border>{_THIN.format('left')}{_THIN.format('right')}{_THIN.format('top')}{_THIN.format('bottom')}"
    f"<diagonal/></border><border><left/><right/>{_THIN.format('top')}<bottom/><diagonal/></border>"
)
_TOP, _WRAP = '<alignment vertical="top"/>', '<alignment vertical="top" wrapText="1"/>'
_LEFT_TOP = '<alignment horizontal="left" vertical="top"/>'
_CELL_XFS = (  # numFmt, font, fill, border, alignment — in the order of S
    (0, 0, 0, 0, ""),  # DEFAULT
    (0, 1, 0, 0, '<alignment vertical="center"/>'),  # TITLE
    (0, 2, 2, 1, '<alignment vertical="center" wrapText="1"/>'),  # HEADER
    (0, 0, 0, 0, _TOP),  # TEXT
    (0, 0, 0, 0, _WRAP),  # WRAP
    (164, 0, 0, 0, _TOP),  # MONEY
    (165, 0, 0, 0, _LEFT_TOP),  # DATE
    (0, 3, 0, 0, _TOP),  # BOLD
    (0, 3, 3, 2, _TOP),  # TOTAL
    (164, 3, 3, 2, _TOP),  # TOTAL_MONEY
    (1, 0, 0, 0, _TOP),  # INTEGER
    (166, 0, 0, 0, _LEFT_TOP),  # DATETIME
    (0, 4, 0, 0, _WRAP),  # NOTE
    (167, 0, 0, 0, _TOP),  # DELTA
    (167, 3, 3, 2, _TOP),  # TOTAL_DELTA
)
_CELL_XFS_XML = "".join(
    f'<xf numFmtId="{n}" fontId="{f}" fillId="{fl}" borderId="{b}" xfId="0"'
    + (' applyNumberFormat="1"' if n else "")
    + (' applyFont="1"' if f else "")
    + (' applyFill="1"' if fl else "")
    + (' applyBorder="1"' if b else "")
    + (f' applyAlignment="1">{a}</xf>' if a else "/>")
    for n, f, fl, b, a in _CELL_XFS
)

_APP = (
    f'{_XML}<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties">'
    "<Application>FinancialTracker</Application></Properties>"
)

_DRAWING = (
    _XML + '<xdr:wsDr xmlns:xdr="http://schemas.openxmlformats.org/drawingml/2006/spreadsheetDrawing"'
    ' xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main"'
    f' xmlns:r="{_REL}"><xdr:oneCellAnchor><xdr:from><xdr:col>0</xdr:col><xdr:colOff>38100</xdr:colOff>'
    "<xdr:row>0</xdr:row><xdr:rowOff>38100</xdr:rowOff></xdr:from>"
    '<xdr:ext cx="{cx}" cy="{cy}"/><xdr:pic><xdr:nvPicPr><xdr:cNvPr id="2" name="Logo"/>'
    '<xdr:cNvPicPr><a:picLocks noChangeAspect="1"/></xdr:cNvPicPr></xdr:nvPicPr>'
    '<xdr:blipFill><a:blip r:embed="rId1"/><a:stretch><a:fillRect/></a:stretch></xdr:blipFill>'
    '<xdr:spPr><a:xfrm><a:off x="0" y="0"/><a:ext cx="{cx}" cy="{cy}"/></a:xfrm>'
    '<a:prstGeom prst="rect"><a:avLst/></a:prstGeom></xdr:spPr></xdr:pic><xdr:clientData/>'
    "</xdr:oneCellAnchor></xdr:wsDr>"
)
