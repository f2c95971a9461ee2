"""Sending the journal to the server: `POST /api/v1/touches` with the device token.

A batch is marked sent only after the server's 200 answer names its verdicts; an event the
server rejects (its error code and reason) is marked rejected in the journal, shown on the
console and not sent again, so one bad touch never holds up the ones after it.  Anything else
(no network, a 5xx, a timeout, a proxy's HTML page) leaves the batch in the journal and waits
with exponential backoff and jitter, capped at `RETRY_CAP_S` (3 h, like 建レコ's 3-hourly
retry).  A new touch wakes the uploader at once unless it is waiting out a failure.
"""

from __future__ import annotations

import json
import random
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from nfc_fallback import RESENT_HEADER
from nfc_fallback.clock import ClockProbe, boottime_ns, wall_ns
from nfc_fallback.console import Console
from nfc_fallback.journal import KEEP_ACKED, Ack, Entry, Journal

BATCH_SIZE = 200
RETRY_BASE_S = 5.0
RETRY_CAP_S = 3 * 3600.0
HTTP_TIMEOUT_S = 30.0
STATUS_EVERY_S = 60.0
WARN_BACKLOG_AGE_S = 24 * 3600.0
TOUCHES_PATH = "/api/v1/touches"


class UploadFailed(RuntimeError):
    """The batch was not acknowledged; it stays in the journal."""


@dataclass(frozen=True)
class Rejected:
    """The server's refusal of one event: its error code and the reason in words."""

    error: str
    message: str | None = None


@dataclass(frozen=True)
class ServerAnswer:
    accepted: int
    duplicates: int
    rejected: dict[str, Rejected]
    workers: dict[str, str | None] = field(default_factory=dict)


def touches_url(server: str) -> str:
    base = server.rstrip("/")
    return base if base.endswith(TOUCHES_PATH) else base + TOUCHES_PATH


def _problem(body: bytes) -> str:
    try:
        errors = json.loads(body)["errors"]
        return "; ".join(str(e.get("message")) for e in errors)
    except (ValueError, KeyError, TypeError, AttributeError):
        return body[:200].decode("utf-8", "replace").strip() or "(empty body)"


class TouchClient:
    """One `POST /api/v1/touches` per batch (urllib: no dependency on the reader box)."""

    def __init__(self, server: str, token: str, timeout_s: float = HTTP_TIMEOUT_S) -> None:
        self.url = touches_url(server)
        self._token = token
        self.timeout_s = timeout_s

    def post(self, events: Sequence[dict[str, object]], *, resent: bool = False) -> ServerAnswer:
        """Send one batch; `resent`: it may have reached the server before (`RESENT_HEADER`)."""
        # Imported at the first upload, not before the reader is ready: urllib.request brings
        # http.client, ssl and email (~20 ms of a Raspberry Pi's start-up; docs/nfc.md).
        import urllib.error
        import urllib.request

        request = urllib.request.Request(
            self.url,
            data=json.dumps({"events": list(events)}).encode(),
            headers={
                "Authorization": f"Bearer {self._token}",
                "Content-Type": "application/json",
                "Accept": "application/json",
                **({RESENT_HEADER: "1"} if resent else {}),
            },
            method="POST",
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout_s) as response:
                body = response.read()
        except urllib.error.HTTPError as exc:
            hint = " (check --token: a device token of this site)" if exc.code in (401, 403) else ""
            raise UploadFailed(f"server answered {exc.code}: {_problem(exc.read())}{hint}") from exc
        except (urllib.error.URLError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            raise UploadFailed(f"server unreachable ({reason})") from exc
        return self._parse(body)

    @staticmethod
    def _parse(body: bytes) -> ServerAnswer:
        try:
            data: Any = json.loads(body)
            rejected = {
                str(r["event_id"]): Rejected(
                    str(r["error"]), None if r.get("message") is None else str(r["message"])
                )
                for r in data["rejected"]
            }
            return ServerAnswer(
                accepted=int(data["accepted"]),
                duplicates=int(data["duplicates"]),
                rejected=rejected,
                workers={str(k): v for k, v in (data.get("workers") or {}).items()},
            )
        except (ValueError, KeyError, TypeError) as exc:
            raise UploadFailed(f"unexpected answer from the server: {body[:200]!r}") from exc


class Backoff:
    """Exponential backoff with "equal jitter": after the n-th failure in a row, wait a random
    time between half and all of min(cap, base × 2^(n-1))."""

    def __init__(
        self,
        base_s: float = RETRY_BASE_S,
        cap_s: float = RETRY_CAP_S,
        rng: random.Random | None = None,
    ) -> None:
        self.base_s = base_s
        self.cap_s = cap_s
        self.failures = 0
        self._rng = rng or random.Random()

    def failed(self) -> float:
        self.failures += 1
        ceiling = min(self.cap_s, self.base_s * 2 ** min(self.failures - 1, 30))
        return ceiling / 2 + self._rng.uniform(0, ceiling / 2)

    def succeeded(self) -> None:
        self.failures = 0


@dataclass
class UploaderOptions:
    batch_size: int = BATCH_SIZE
    keep_acked: int = KEEP_ACKED
    warn_backlog_age_s: float = WARN_BACKLOG_AGE_S
    status_every_s: float = STATUS_EVERY_S


class Uploader:
    """The upload loop; owns its own `Journal` connection (one per thread)."""

    def __init__(
        self,
        journal: Journal,
        client: TouchClient,
        console: Console,
        clock: ClockProbe,
        boot_id: str | None,
        backoff: Backoff | None = None,
        options: UploaderOptions | None = None,
    ) -> None:
        self.journal = journal
        self.client = client
        self.console = console
        self.clock = clock
        self.boot_id = boot_id
        self.backoff = backoff or Backoff()
        self.options = options or UploaderOptions()
        self.retry_at: float | None = None  # monotonic time of the next try after a failure
        # The next batch may have reached the server unacknowledged: a failed try, or a run of
        # the agent before this one (the journal keeps what it sent until the answer came).
        self.may_resend = True
        self.last_upload_ns = journal.last_upload_ns()

    def run(self, stop: threading.Event, wake: threading.Event) -> None:
        next_status = 0.0
        while not stop.is_set():
            wake.clear()
            if self.clock.state().synced:
                self.journal.correct_unsynced(self.boot_id, wall_ns(), boottime_ns())
            now = time.monotonic()
            if self.retry_at is None or now >= self.retry_at:
                changed = self.drain(stop)
                if changed or self.retry_at is not None:
                    next_status = 0.0
            if time.monotonic() >= next_status:
                self.report()
                next_status = time.monotonic() + self.options.status_every_s
            wait = next_status - time.monotonic()
            if self.retry_at is not None:
                wait = min(wait, self.retry_at - time.monotonic())
            wake.wait(max(0.0, wait))

    def drain(self, stop: threading.Event | None = None) -> bool:
        """Send batches until the backlog is empty or a batch fails; True if any was sent."""
        sent = False
        while stop is None or not stop.is_set():
            batch = self.journal.pending(self.options.batch_size)
            if not batch:
                break
            try:
                answer = self.client.post(
                    [entry.as_upload() for entry in batch], resent=self.may_resend
                )
            except UploadFailed as exc:
                self.may_resend = True
                delay = self.backoff.failed()
                self.retry_at = time.monotonic() + delay
                self.console.upload_failed(str(exc), delay)
                return sent
            self.may_resend = False
            self._acknowledge(batch, answer)
            sent = True
        if sent:
            self.journal.prune(wall_ns(), keep_acked=self.options.keep_acked)
        self.backoff.succeeded()
        self.retry_at = None
        return sent

    def _acknowledge(self, batch: list[Entry], answer: ServerAnswer) -> None:
        acks: dict[str, Ack] = {}
        for entry in batch:
            refused = answer.rejected.get(entry.event_id)
            if refused is not None:
                acks[entry.event_id] = Ack(
                    "rejected", error=refused.error, error_message=refused.message
                )
            else:
                acks[entry.event_id] = Ack("acked", worker_name=answer.workers.get(entry.event_id))
        now = wall_ns()
        self.journal.mark_acked(acks, now)
        self.last_upload_ns = now
        self.console.acknowledged(batch, acks, answer.workers)

    def report(self) -> None:
        backlog = self.journal.backlog()
        retry_in = None if self.retry_at is None else max(0.0, self.retry_at - time.monotonic())
        self.console.status(backlog, self.last_upload_ns, retry_in)
        if backlog.oldest_wall_ns is not None:
            age_s = (wall_ns() - backlog.oldest_wall_ns) / 1e9
            if age_s > self.options.warn_backlog_age_s:
                self.console.backlog_warning(backlog, age_s)
