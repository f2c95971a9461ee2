"""Downloads with Japanese file names: `Content-Disposition: attachment` carries the name
twice, an ASCII fallback in `filename=` for old clients and the UTF-8 name in `filename*=`
(RFC 5987/6266), which every current browser uses (「出面表_1001_2026-12.xlsx」)."""

from __future__ import annotations

import re
from urllib.parse import quote

from flask import Response

from voice_app.admin.tabular import XLSX_MIME

MIMETYPES = {
    "csv": "text/csv",  # Werkzeug adds `; charset=utf-8` to text/* itself (once)
    "xlsx": XLSX_MIME,
    "pdf": "application/pdf",
    "svg": "image/svg+xml",
}


def disposition(filename: str) -> str:
    ascii_name = re.sub(r"[^A-Za-z0-9._-]+", "_", filename).strip("_") or "download"
    if ascii_name.startswith("."):
        ascii_name = "download" + ascii_name
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename, safe='')}"


def attachment(response: Response, filename: str) -> Response:
    response.headers["Content-Disposition"] = disposition(filename)
    return response


def file_download(data: bytes | str, filename: str) -> Response:
    """A whole file as an attachment, its type from the file name's extension."""
    kind = filename.rsplit(".", 1)[-1].lower()
    return attachment(Response(data, mimetype=MIMETYPES[kind]), filename)
