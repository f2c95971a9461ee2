"""The one decoder of the CSV files people upload (pre-registration, touch logs).

Excel writes `CSV UTF-8` (with a BOM) or `CSV` in the Windows code page (CP932, Shift_JIS's
superset); other tools write UTF-8 without a BOM.  UTF-16 (Excel's `Unicode テキスト`) and
anything else is refused with a message that says how to save the file instead.
"""

from __future__ import annotations

from workers_db.errors import CodedError, Params


class ImportFileError(CodedError):
    """The file as a whole cannot be read (encoding, no header); its code says why."""


def decode(data: bytes) -> tuple[str, str]:
    """The file's text and the name of its encoding: UTF-8 (with or without BOM), else CP932."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise ImportFileError("csv.utf16")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    else:
        return text, "UTF-8 (BOM)" if data.startswith(b"\xef\xbb\xbf") else "UTF-8"
    try:
        return data.decode("cp932"), "CP932"
    except UnicodeDecodeError as exc:
        params: Params = {"byte": f"0x{data[exc.start]:02X}", "offset": exc.start}
        raise ImportFileError("csv.undecodable", params) from exc
