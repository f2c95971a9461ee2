"""What the person at the reader sees: one line per touch the moment it is stored, the
worker's name once the server has answered, and a status line with the backlog and the last
upload.  Bilingual, Japanese first; times in the site's zone (GENBA_TZ, default Asia/Tokyo).
"""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import TextIO
from zoneinfo import ZoneInfo

from nfc_fallback.journal import Ack, Backlog, Entry, Status
from nfc_fallback.touch import TECHNOLOGY_NAMES


def _zone() -> ZoneInfo:
    return ZoneInfo(os.environ.get("GENBA_TZ") or "Asia/Tokyo")


def rejection_text(error: str | None, message: str | None) -> str:
    """The server's code, and its reason in words when it sent one."""
    code = error or "?"
    return f"{code} ({message})" if message and message != code else code


def _duration(seconds: float) -> str:
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 90 * 60:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


class Console:
    def __init__(self, out: TextIO | None = None, tz: ZoneInfo | None = None) -> None:
        self.out = out or sys.stdout
        self.tz = tz or _zone()
        self._lock = threading.Lock()

    def _print(self, text: str) -> None:
        with self._lock:
            print(text, file=self.out, flush=True)

    def _clock(self, when: datetime) -> str:
        return when.astimezone(self.tz).strftime("%H:%M:%S")

    def started(self, reader: str, journal: str, server: str, device_id: str) -> None:
        self._print(
            f"nfc-agent 起動 started: reader {reader} · journal {journal} · server {server} "
            f"· device {device_id}"
        )

    def touch(self, entry: Entry) -> None:
        note = "" if entry.clock_synced else "  (時計未同期 clock not synced)"
        self._print(
            f"{self._clock(entry.occurred_at)}  タッチ記録 touch recorded #{entry.seq}  "
            f"{entry.card_uid} [{TECHNOLOGY_NAMES.get(entry.technology, entry.technology)}]{note}"
        )

    def acknowledged(
        self, batch: Sequence[Entry], acks: Mapping[str, Ack], workers: Mapping[str, str | None]
    ) -> None:
        for entry in batch:
            ack = acks[entry.event_id]
            when = self._clock(entry.occurred_at)
            if ack.outcome == "rejected":
                self._print(
                    f"{when}  送信拒否 rejected #{entry.seq} {entry.card_uid}: "
                    f"{rejection_text(ack.error, ack.error_message)} — "
                    "再送しません / not sent again (genba-call nfc-agent --status)"
                )
            elif ack.worker_name:
                self._print(f"{when}  {ack.worker_name} さん  ✓ 送信済み sent #{entry.seq}")
            elif entry.event_id in workers:
                self._print(
                    f"{when}  未登録カード unknown card {entry.card_uid} #{entry.seq} — "
                    "事務所で登録してください / ask the site office to register it"
                )
            else:
                self._print(f"{when}  ✓ 送信済み sent #{entry.seq}")

    def upload_failed(self, reason: str, retry_in_s: float) -> None:
        self._print(
            f"送信失敗 upload failed: {reason} — タッチは保存済み touches are kept; "
            f"再送 retry in {_duration(retry_in_s)}"
        )

    def status(
        self, backlog: Backlog, last_upload_ns: int | None, retry_in_s: float | None
    ) -> None:
        last = (
            "なし none"
            if last_upload_ns is None
            else self._clock(datetime.fromtimestamp(last_upload_ns / 1e9, UTC))
        )
        retry = "" if retry_in_s is None else f" · 再送まで retry in {_duration(retry_in_s)}"
        self._print(
            f"[状態 status] 未送信 backlog {backlog.count} 件 · 最終送信 last upload {last}{retry}"
        )

    def backlog_warning(self, backlog: Backlog, age_s: float) -> None:
        self._print(
            f"警告 WARNING: 未送信のタッチが {_duration(age_s)} 前から "
            f"{backlog.count} 件たまっています / {backlog.count} touches unsent for "
            f"{_duration(age_s)}: "
            "ネットワークとトークンを確認してください / check the network and the token"
        )

    def error(self, message: str) -> None:
        self._print(f"エラー error: {message}")


def status_report(status: Status, path: str, tz: ZoneInfo | None = None) -> str:
    """`genba-call nfc-agent --status`: the journal's counts and its newest rejections."""
    zone = tz or _zone()

    def at(ns: int) -> str:
        return datetime.fromtimestamp(ns / 1e9, UTC).astimezone(zone).strftime("%Y-%m-%d %H:%M:%S")

    last = "なし none" if status.last_upload_ns is None else at(status.last_upload_ns)
    lines = [
        f"journal {path}",
        f"未送信 pending {status.pending} · 送信済み sent {status.sent} · "
        f"送信拒否 rejected {status.rejected} · 最終送信 last upload {last}",
    ]
    if status.last_rejections:
        lines.append("最近の送信拒否 last rejections:")
        for entry in status.last_rejections:
            lines.append(
                f"  #{entry.seq}  {at(entry.corrected_wall_ns or entry.wall_ns)}  "
                f"{entry.card_uid}  {rejection_text(entry.error, entry.error_message)}"
            )
    return "\n".join(lines)
