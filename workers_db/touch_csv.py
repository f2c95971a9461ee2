"""Touch logs exported by other readers and apps (CSV) into the same intake as the agent.

Columns are found by their header, in English or Japanese, any case (`HEADER_ALIASES`); the
time is one column (`occurred_at`, 日時, …) or a date and a time-of-day column (日付 + 時刻).
A time without a UTC offset is local time in GENBA_TZ.  UTF-8 (with or without BOM) or CP932.

Idempotency is the agent's: each row gets an event id derived from the site and either the
file's own id column (with the device) or, without one, the card and the time — so importing
the same file twice stores nothing twice.  Unlike the pre-registration import, good rows are
kept and bad rows are listed (a touch is a fact; one bad line must not lose the others).
"""

from __future__ import annotations

import csv
import hashlib
import io
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from workers_db.csv_text import decode
from workers_db.errors import FieldProblem
from workers_db.identifiers import InvalidIdentifier, canonical_card_uid
from workers_db.import_csv import RowProblem
from workers_db.limits import MAX_BATCH
from workers_db.models import Site
from workers_db.touch_intake import ingest_touches

HEADER_ALIASES: dict[str, tuple[str, ...]] = {
    "event_id": ("event_id", "eventid", "id", "uuid", "ulid", "イベントid", "記録id", "ログid"),
    "card_uid": ("card_uid", "card", "card_id", "uid", "idm", "カードid", "カード番号", "カード"),
    "occurred_at": (
        "occurred_at",
        "timestamp",
        "datetime",
        "touched_at",
        "time",
        "日時",
        "タッチ日時",
        "打刻日時",
        "記録日時",
    ),
    "date": ("date", "日付", "年月日"),
    "time_of_day": ("time_of_day", "時刻", "時間"),
    "seq": ("seq", "sequence", "連番"),
    "device": ("device", "reader", "端末", "リーダー", "カードリーダー"),
    "clock_synced": ("clock_synced", "時刻同期"),
}
_TRUE = {"1", "true", "yes", "y", "はい", "済"}
_FALSE = {"0", "false", "no", "n", "いいえ", "未"}


@dataclass
class ImportReport:
    accepted: int = 0
    duplicates: int = 0
    problems: list[RowProblem] = field(default_factory=list)  # row N: column: problem


def _key(header: str) -> str:
    return unicodedata.normalize("NFKC", header).strip().lower().replace(" ", "_")


def map_headers(headers: list[str]) -> dict[str, str]:
    """Our field → the file's header, for every field found."""
    found: dict[str, str] = {}
    keyed = {_key(h): h for h in headers if h}
    for name, aliases in HEADER_ALIASES.items():
        for alias in aliases:
            if _key(alias) in keyed:
                found[name] = keyed[_key(alias)]
                break
    if "date" in found and "occurred_at" in found and "time_of_day" not in found:
        # "date" + "time": the time column is a time of day, not a full timestamp.
        found["time_of_day"] = found.pop("occurred_at")
    return found


def _timestamp(text: str, tz: ZoneInfo) -> str:
    value = unicodedata.normalize("NFKC", text).strip().replace("/", "-")
    if value.count(":") == 1 and " " in value:  # 2025-04-01 08:01 → seconds are optional
        value += ":00"
    moment = datetime.fromisoformat(value)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=tz)
    return moment.isoformat()


def _event_id(site: Site, columns: Mapping[str, str], row: Mapping[str, str], when: str) -> str:
    own_id = row.get(columns.get("event_id", ""), "").strip()
    if own_id:
        basis = f"{site.site_code}|{row.get(columns.get('device', ''), '')}|{own_id}"
    else:
        raw = row.get(columns["card_uid"], "").strip()
        try:
            uid = canonical_card_uid(raw)
        except InvalidIdentifier:
            uid = raw
        basis = f"{site.site_code}|{uid}|{datetime.fromisoformat(when).timestamp()}"
    return "csv-" + hashlib.sha256(basis.encode()).hexdigest()[:32]


# The intake's rejection codes (docs/nfc.md) begin with the field they are about.
_REJECTED_COLUMNS = ("event_id", "card_uid", "occurred_at", "seq", "clock_synced")


def _row_event(
    site: Site, columns: Mapping[str, str], row: Mapping[str, str], tz: ZoneInfo
) -> dict[str, Any] | FieldProblem:
    """The API's event for one row, or the problem of one of its columns."""
    if "occurred_at" in columns:
        when_text = row.get(columns["occurred_at"], "")
    else:
        when_text = f"{row.get(columns['date'], '')} {row.get(columns['time_of_day'], '')}"
    try:
        when = _timestamp(when_text, tz)
    except ValueError:
        column = "occurred_at" if "occurred_at" in columns else "date"
        return FieldProblem(column, "touch.bad_time", {"value": when_text.strip()})
    try:
        canonical_card_uid(row.get(columns["card_uid"], ""))
    except InvalidIdentifier as exc:
        return exc.problem("card_uid")
    event: dict[str, Any] = {
        "event_id": _event_id(site, columns, row, when),
        "card_uid": row.get(columns["card_uid"], "").strip(),
        "occurred_at": when,
    }
    if "seq" in columns and row.get(columns["seq"], "").strip():
        seq = row[columns["seq"]].strip()
        if not seq.isdigit():
            return FieldProblem("seq", "touch.bad_seq", {"value": seq})
        event["seq"] = int(seq)
    if "clock_synced" in columns and row.get(columns["clock_synced"], "").strip():
        flag = row[columns["clock_synced"]].strip().lower()
        if flag not in _TRUE | _FALSE:
            return FieldProblem("clock_synced", "touch.bad_flag", {"value": flag})
        event["clock_synced"] = flag in _TRUE
    return event


def import_touch_csv(
    session: Session, data: bytes, site: Site, default_device: str, tz: ZoneInfo
) -> ImportReport:
    """Store the good rows (the caller commits, or rolls back for a dry run)."""
    report = ImportReport()
    reader = csv.DictReader(io.StringIO(decode(data)[0]))
    columns = map_headers(list(reader.fieldnames or []))
    missing = [f for f in ("card_uid",) if f not in columns]
    if "occurred_at" not in columns and not {"date", "time_of_day"} <= columns.keys():
        missing.append("occurred_at (date + time_of_day)")
    if missing:
        params = {"columns": ", ".join(missing)}
        report.problems.append(RowProblem(1, "header", "touch.missing_columns", params))
        return report
    by_device: dict[str, list[tuple[int, dict[str, Any]]]] = {}
    for number, row in enumerate(reader, start=2):
        event = _row_event(site, columns, row, tz)
        if isinstance(event, FieldProblem):
            report.problems.append(RowProblem(number, event.field, event.code, event.params))
            continue
        device = (row.get(columns.get("device", ""), "") or "").strip() or default_device
        by_device.setdefault(device, []).append((number, event))
    for device, numbered in by_device.items():
        for start in range(0, len(numbered), MAX_BATCH):
            chunk = numbered[start : start + MAX_BATCH]
            result = ingest_touches(
                session,
                site_id=site.id,
                device=device,
                items=[e for _, e in chunk],
                tz=tz,
            )
            report.accepted += result.accepted
            report.duplicates += result.duplicates
            for rejection in result.rejected:
                line = chunk[rejection["index"]][0]
                column = next(
                    (c for c in _REJECTED_COLUMNS if rejection["error"].startswith(c)), None
                )
                detail = str(rejection["message"]).removeprefix(f"{column}: ")
                report.problems.append(
                    RowProblem(line, column, "touch.rejected", {"detail": detail})
                )
    report.problems.sort(key=RowProblem.sort_key)
    return report
