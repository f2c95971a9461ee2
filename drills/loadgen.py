"""The morning rush as Twilio would deliver it: an asyncio client (aiohttp) that signs every
webhook with X-Twilio-Signature, follows the TwiML it gets back, and retries like Twilio.

Arrivals are open-loop: each worker's call starts at its own time (a triangular rush that
peaks two thirds into the window), whether or not the server keeps up.  A call is the Voice
URL, any `<Gather>` answered (callers on the shared number key their site code) and the
status callback.  A webhook that does not answer within `read_timeout_s` is sent again, the
same request (Twilio's retry), up to `retries` times; when every try failed Twilio asks the
Fallback URL, and so does this client.
"""

from __future__ import annotations

import asyncio
import random
import time
import uuid
import xml.etree.ElementTree as ET
from collections import Counter
from dataclasses import dataclass, field
from urllib.parse import urljoin

import aiohttp
from twilio.request_validator import RequestValidator

from drills.seed import Crew

SHARED_NUMBER = "+81362000000"  # no site's number: callers key the site code
MAX_STEPS = 8


@dataclass
class LoadPlan:
    crews: list[Crew]
    duration_s: float
    base_url: str
    token: str
    shared_share: float = 0.1
    read_timeout_s: float = 5.0
    retries: int = 1
    max_inflight: int = 400
    duplicate_share: float = 0.0  # calls whose Voice URL is delivered twice at once
    status_first_share: float = 0.0  # calls whose status callback arrives before the Voice URL
    late_retry_share: float = 0.0  # calls whose Voice URL is delivered again after the call
    seed: int = 7


@dataclass
class CallResult:
    crew: Crew
    call_sid: str
    outcome: str  # recorded, already, spooled, system_down, failed, other
    webhooks: int
    shared: bool = False  # called the shared number (the site code was asked)
    finished_at: float = 0.0  # perf_counter when the call ended

    @property
    def needs_follow_up(self) -> bool:
        """Spooled before the site code could be asked: the office gets a `spool_replayed`
        exception with the caller and the time instead of a work event."""
        return self.shared and self.outcome == "spooled"


@dataclass
class LoadReport:
    results: list[CallResult] = field(default_factory=list)
    latencies_ms: list[float] = field(default_factory=list)
    retries: int = 0
    fallbacks: int = 0
    non_200: Counter[int] = field(default_factory=Counter)
    started: float = 0.0
    finished: float = 0.0

    @property
    def outcomes(self) -> Counter[str]:
        return Counter(r.outcome for r in self.results)

    def percentile(self, q: float) -> float:
        if not self.latencies_ms:
            return float("nan")
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))]

    def peak_rate(self, window_s: float) -> float:
        """The most calls completed in any `window_s` seconds, per second (the sustained
        rate at the top of the rush)."""
        ends = sorted(r.finished_at for r in self.results)
        best, first = 0, 0
        for last, end in enumerate(ends):
            while end - ends[first] > window_s:
                first += 1
            best = max(best, last - first + 1)
        return round(best / window_s, 1)

    @property
    def elapsed_s(self) -> float:
        return max(self.finished - self.started, 1e-9)

    def figures(self) -> dict[str, object]:
        return {
            "calls": len(self.results),
            "webhooks": len(self.latencies_ms),
            "elapsed_s": round(self.elapsed_s, 1),
            "calls_per_s": round(len(self.results) / self.elapsed_s, 1),
            "peak_calls_per_s_10s": self.peak_rate(10.0),
            "webhooks_per_s": round(len(self.latencies_ms) / self.elapsed_s, 1),
            "p50_ms": round(self.percentile(0.50), 1),
            "p99_ms": round(self.percentile(0.99), 1),
            "max_ms": round(max(self.latencies_ms, default=0.0), 1),
            "twilio_retries": self.retries,
            "fallbacks": self.fallbacks,
            "non_200": dict(self.non_200),
            "outcomes": dict(self.outcomes),
        }


def classify(root: ET.Element | None) -> str:
    if root is None:
        return "failed"
    if root.find("Reject") is not None:
        return "rejected"
    text = " ".join(say.text or "" for say in root.iter("Say"))
    if "受け付けました" in text:
        return "spooled"
    if "記録できませんでした" in text:
        return "system_down"
    if "記録済み" in text:
        return "already"
    if "記録しました" in text:
        return "recorded"
    return "other"


def _canonical(root: ET.Element | None) -> bytes:
    return b"" if root is None else ET.tostring(root)


class TwilioClient:
    def __init__(self, plan: LoadPlan, http: aiohttp.ClientSession, report: LoadReport) -> None:
        self.plan = plan
        self.http = http
        self.report = report
        self.validator = RequestValidator(plan.token)

    async def post(
        self, path: str, params: dict[str, str], fallback: bool = True
    ) -> ET.Element | None:
        """One webhook with Twilio's retries, then (for the Voice URL and its steps, not for
        status callbacks) its Fallback URL; the parsed answer."""
        url = urljoin(self.plan.base_url, path)
        for attempt in range(self.plan.retries + 1):
            if attempt:
                self.report.retries += 1
            root = await self._once(url, params)
            if root is not None:
                return root
        if not fallback:
            return None
        self.report.fallbacks += 1
        failed = {**params, "ErrorCode": "11205", "ErrorUrl": url}
        return await self._once(urljoin(self.plan.base_url, "/twilio/fallback"), failed)

    async def _once(self, url: str, params: dict[str, str]) -> ET.Element | None:
        headers = {"X-Twilio-Signature": self.validator.compute_signature(url, params)}
        started = time.perf_counter()
        try:
            timeout = aiohttp.ClientTimeout(total=self.plan.read_timeout_s)
            async with self.http.post(url, data=params, headers=headers, timeout=timeout) as answer:
                body = await answer.read()
                self.report.latencies_ms.append((time.perf_counter() - started) * 1000)
                if answer.status != 200:
                    self.report.non_200[answer.status] += 1
                    return None
                return ET.fromstring(body)
        except (TimeoutError, aiohttp.ClientError, ET.ParseError):
            return None

    async def call(self, crew: Crew, rng: random.Random) -> CallResult:
        plan = self.plan
        sid = "CA" + uuid.uuid4().hex
        shared = rng.random() < plan.shared_share
        params = {
            "CallSid": sid,
            "AccountSid": "AC" + "d" * 32,
            "From": crew.phone,
            "To": SHARED_NUMBER if shared else crew.site_number,
            "CallStatus": "ringing",
            "Direction": "inbound",
        }
        status = {**params, "CallStatus": "completed", "CallDuration": "12"}
        webhooks = 1
        if rng.random() < plan.status_first_share:
            await self.post("/twilio/status", status, fallback=False)
            webhooks += 1
        if rng.random() < plan.duplicate_share:
            first, second = await asyncio.gather(
                self.post("/twilio/voice", params), self.post("/twilio/voice", params)
            )
            root = first if first is not None else second
            webhooks += 1
        else:
            root = await self.post("/twilio/voice", params)
        path, outcome = "/twilio/voice", classify(root)
        first_answer = _canonical(root)
        for _ in range(MAX_STEPS):
            if root is None or root.find("Gather") is None or root.find("Redirect") is None:
                break  # no question, or only an offer (the menu key): the caller hangs up
            gather = root.find("Gather")
            assert gather is not None
            path = urljoin(path, gather.get("action") or path)
            root = await self.post(
                path, {**params, "CallStatus": "in-progress", "Digits": crew.site_code + "#"}
            )
            webhooks += 1
            outcome = classify(root)
        await self.post("/twilio/status", status, fallback=False)
        webhooks += 1
        if rng.random() < plan.late_retry_share:  # Twilio's retry arriving after everything
            late = await self.post("/twilio/voice", params)
            webhooks += 1
            if outcome == "recorded" and _canonical(late) != first_answer:
                outcome = f"late-retry-answered-differently:{classify(late)}"
        return CallResult(crew, sid, outcome, webhooks, shared, time.perf_counter())


async def run_load(plan: LoadPlan) -> LoadReport:
    rng = random.Random(plan.seed)
    report = LoadReport()
    peak = plan.duration_s * 2 / 3
    starts = sorted(rng.triangular(0, plan.duration_s, peak) for _ in plan.crews)
    order = list(plan.crews)
    rng.shuffle(order)
    gate = asyncio.Semaphore(plan.max_inflight)
    connector = aiohttp.TCPConnector(limit=plan.max_inflight, force_close=False)
    async with aiohttp.ClientSession(connector=connector) as http:
        client = TwilioClient(plan, http, report)
        report.started = time.perf_counter()

        async def one(crew: Crew, at: float, call_rng: random.Random) -> None:
            delay = report.started + at - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            async with gate:
                report.results.append(await client.call(crew, call_rng))

        await asyncio.gather(
            *(
                one(crew, at, random.Random(rng.random()))
                for crew, at in zip(order, starts, strict=True)
            )
        )
        report.finished = time.perf_counter()
    return report
