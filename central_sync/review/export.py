"""Tables as files for Excel: CSV (UTF-8 with a BOM, comma-separated, quoted by the csv module) and XLSX
(XlsxWriter, about twice as fast as openpyxl for writing; the tests read the files back with openpyxl). Any review page can offer its table with one call::

    from central_sync.review.export import send_table
    return send_table("csv", "ban-hang-2026-03", [_("Day"), _("Revenue")], rows)
"""
from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence
from datetime import date, datetime

import xlsxwriter
from flask import Response

FORMATS = ("csv", "xlsx")
MIMETYPES = {"csv": "text/csv; charset=utf-8",
             "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")  # a text starting so would be run as a formula by Excel
_UNSAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")


def send_table(fmt: str, filename: str, header: Sequence[str], rows: Iterable[Sequence], *,
               sheet: str | None = None) -> Response:
    """A table as a download.

    ``fmt``: ``"csv"`` or ``"xlsx"`` (anything else: ValueError; check the route's argument against FORMATS).
    ``filename``: without its extension; characters other than ASCII letters, digits, ``.``, ``_``, ``-`` become
    ``-``. ``header``: the column titles (translated texts are fine: they are turned into ``str``).
    ``rows``: sequences of cells, as many as the header: ``int``, ``float``, ``str``, ``None`` (an empty
    cell), ``date``/``datetime`` (ISO 8601 in CSV, a date cell in XLSX; give local times, not UTC). Text that
    Excel would run as a formula (starting with ``=``, ``+``, ``-``, ``@``) is prefixed with ``'``.
    ``sheet``: the XLSX sheet's title (at most 31 characters); default: the filename.
    Returns a Flask response with ``Content-Disposition: attachment``."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown table format {fmt!r}")
    name = _UNSAFE_NAME.sub("-", filename).strip("-") or "table"
    header = [str(title) for title in header]
    body = _csv(header, rows) if fmt == "csv" else _xlsx(header, rows, (sheet or name)[:31])
    return Response(body, mimetype=MIMETYPES[fmt],
                    headers={"Content-Disposition": f'attachment; filename="{name}.{fmt}"',
                             "Cache-Control": "no-store"})


def _safe_text(value):
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def _csv(header: list[str], rows: Iterable[Sequence]) -> bytes:
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow(["" if v is None else v.isoformat() if isinstance(v, (date, datetime)) else _safe_text(v)
                         for v in row])
    return ("\ufeff" + out.getvalue()).encode("utf-8")  # the BOM tells Excel it is UTF-8


def _xlsx(header: list[str], rows: Iterable[Sequence], sheet_title: str) -> bytes:
    out = io.BytesIO()
    workbook = xlsxwriter.Workbook(out, {"in_memory": True, "strings_to_formulas": False,
                                        "strings_to_urls": False, "default_date_format": "dd/mm/yyyy"})
    sheet = workbook.add_worksheet(sheet_title)
    sheet.write_row(0, 0, header, workbook.add_format({"bold": True}))
    sheet.freeze_panes(1, 0)
    moment = workbook.add_format({"num_format": "dd/mm/yyyy hh:mm"})
    for number, row in enumerate(rows, start=1):
        for column, value in enumerate(row):
            if isinstance(value, datetime):
                sheet.write_datetime(number, column, value.replace(tzinfo=None), moment)  # Excel has no zones
            elif value is not None:
                sheet.write(number, column, _safe_text(value))
    workbook.close()
    return out.getvalue()
