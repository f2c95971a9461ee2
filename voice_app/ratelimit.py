"""Rate limits on the voice webhooks, keyed on the validated caller, never on an IP address.

Every webhook arrives from the provider's own addresses, so an IP limit would throttle every
site at once during the morning rush and stop no one.  What identifies an abuser is the caller:
the `From` of a request whose signature has been checked (this gate runs after
`voice_app.twilio.security` or `voice_app.vonage.security`).  Only new calls count
(`/twilio/voice` and `/vonage/answer`, one per call id: a retry of the same call adds
nothing); the later steps of an admitted call are never limited, and neither are status
callbacks.  Twilio and Vonage calls of one caller count against the same limit.

- A shown number: at most `CALLS_PER_CALLER` calls per `WINDOW_S` (a worker calls two or
  three times a day; a foreman checks in a whole crew in one call).
- A withheld number has no identity: withheld calls are counted per dialed number, with a
  larger allowance (`WITHHELD_CALLS_PER_NUMBER`); identifying by CCUS id and PIN is locked
  out separately (`ivr_flows.policy`).

A refused Twilio call gets `<Reject reason="busy"/>`: never answered, never billed, nothing
recorded.  Vonage has no way to leave a call unanswered: a refused Vonage call gets an empty
NCCO, which ends it at once, and nothing is recorded either.
Keys are HMACs of the number with the app's secret, so Redis never holds a phone number.
A caller's first call in the window at a process does not wait for Redis (`CallCounts`).
If Redis does not answer, calls are let through: a worker's check-in matters more.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import threading
import time
from collections.abc import Callable

from flask import Request, Response, current_app
from redis import Redis
from redis.exceptions import RedisError
from twilio.twiml.voice_response import VoiceResponse

from jobs.connection import LuaScript
from jobs.deferred import Deferred
from voice_app.twilio.params import TwilioParams
from voice_app.twilio.twiml import as_text
from workers_db.identifiers import mask_phone, try_normalize_phone
from workers_db.settings import Settings

log = logging.getLogger(__name__)

WINDOW_S = 15 * 60
CALLS_PER_CALLER = 10
WITHHELD_CALLS_PER_NUMBER = 300
KEY_PREFIX = "genba:rl:call:"
LIMITED_PATHS = ("/twilio/voice", "/vonage/answer")


_COUNT = LuaScript("""
redis.call('ZREMRANGEBYSCORE', KEYS[1], 0, ARGV[1])
redis.call('ZADD', KEYS[1], 'NX', unpack(ARGV, 3))
local count = redis.call('ZCARD', KEYS[1])
redis.call('EXPIRE', KEYS[1], ARGV[2])
return count
""")  # KEYS[1]: the key; ARGV: the window's start, its length, then score, member, score, …


class CallCounts:
    """Distinct calls (members: call ids) per key within the last `window_s` seconds, kept in
    Redis for every web process: a sorted set per key scored by time, trimmed, added to and
    counted by one Lua script (`_COUNT`, atomic; adding a member again changes nothing).

    A key's first call at this process within the window is admitted without waiting for
    Redis: its member is sent, with the others of the moment, by a thread of the process
    (`jobs.deferred`, within `COUNT_DELAY_S`).  Every later call of the key here asks Redis
    and waits for the count, taking along the members of the key still held, so that within
    one process the count is exact.  Across processes it may be short, for a moment, of the
    first calls other processes admitted and have not sent yet: a caller who floods every
    process gets at most one call more per process than the limit.  Why: almost every call
    at the morning peak is its caller's first of the day, and on a loaded server the round
    trip the webhook waited for cost far more than its instructions: the zero-key check-in
    went from 0.50 to 0.56 of the durable minimum's throughput without it (bench/ivr_bench.py,
    docs/ivr.md, *Seventh pass*)."""

    def __init__(self, redis: Callable[[], Redis]) -> None:
        self._redis = redis
        self._lock = threading.Lock()
        self._last_call: dict[str, float] = {}  # key → time of its last call counted here
        self._prune_at = _PRUNE_AT
        self._held: dict[str, tuple[int, dict[str, float]]] = {}  # key → (window, members)
        self._later = Deferred[tuple[str]](self._send, name="rate-limit-counts",
                                           delay=lambda: COUNT_DELAY_S)  # fmt: skip

    def admit(
        self, key: str, member: str, now: float, limit: int, window_s: int
    ) -> tuple[bool, int | None]:
        """Whether the call `member` of `key` at `now` is within `limit`, and the count when
        Redis was asked (None: a first call here, admitted at once).  Raises RedisError."""
        with self._lock:
            last = self._last_call.get(key)
            self._last_call[key] = now
            if len(self._last_call) > self._prune_at:
                self._prune(now, window_s)
            first = last is None or last <= now - window_s
            if first:  # held until the thread sends it
                self._held.setdefault(key, (window_s, {}))[1].setdefault(member, now)
            else:  # sent now, with whatever of the key is still held
                _, held = self._held.pop(key, (window_s, {}))
                held.setdefault(member, now)
        if first:
            self._later.add([(key,)])
            return True, None
        count = int(_COUNT(self._redis(), [key], [now - window_s, window_s, *_pairs(held)]))
        return count <= limit, count

    def _prune(self, now: float, window_s: int) -> None:
        """Forget the keys whose window has ended; next time when twice as many are left
        (at a morning peak most keys are callers of the last minutes: pruning at a fixed
        size would go through all of them on every call)."""
        cutoff = now - window_s
        self._last_call = {k: t for k, t in self._last_call.items() if t > cutoff}
        self._prune_at = max(_PRUNE_AT, 2 * len(self._last_call))

    def _send(self, keys: list[tuple[str]]) -> None:
        """The thread's turn: the held members of `keys`, one script call each, in one round
        trip (the counts are not needed: the next call of each key asks Redis itself)."""
        with self._lock:  # copied, not taken: a call meanwhile sends them too (ZADD NX)
            batch = [(key, self._held[key][0], dict(self._held[key][1]))
                     for (key,) in keys if key in self._held]  # fmt: skip
        if not batch:
            return
        now = time.time()
        try:
            pipe = self._redis().pipeline(transaction=False)
            for key, window_s, held in batch:
                pipe.eval(_COUNT.source, 1, key, now - window_s, window_s, *_pairs(held))
            pipe.execute()
        except (RedisError, OSError) as exc:
            log.warning("rate limit: %s first calls not counted in Redis (%s)", len(batch), exc)
        with self._lock:  # sent or lost with Redis: held no longer
            for key, _window_s, sent in batch:
                _, held = self._held.get(key, (0, {}))
                for member in sent:
                    held.pop(member, None)
                if not held:
                    self._held.pop(key, None)


def _pairs(held: dict[str, float]) -> list[str | float]:
    return [value for member, score in held.items() for value in (score, member)]


COUNT_DELAY_S = 0.2
_PRUNE_AT = 4096


def caller_key(secret: str, identity: str) -> str:
    digest = hmac.new(secret.encode(), identity.encode(), hashlib.sha256).hexdigest()[:32]
    return KEY_PREFIX + digest


def busy_answer() -> str:
    response = VoiceResponse()
    response.reject(reason="busy")
    return as_text(response)


def gate_webhook(
    request: Request, params: TwilioParams, settings: Settings, counts: CallCounts
) -> Response | None:
    """Twilio's gate: None to go on, or the `<Reject>` answer for a caller over the limit
    (`params`: the request's form, parsed once for the gate and the step)."""
    if over_limit(request, params, settings, counts):
        return Response(busy_answer(), 200, mimetype="text/xml")
    return None


def over_limit(
    request: Request, params: TwilioParams, settings: Settings, counts: CallCounts
) -> bool:
    """Whether this request starts a call of a caller over the limit (logged, masked); any
    provider's, its fields read as Twilio's."""
    if request.path not in LIMITED_PATHS:
        return False
    if params.call_sid is None:
        return False
    caller = params.caller()
    config = current_app.config
    if caller is not None:
        identity, limit = f"from:{caller}", config.get("GENBA_CALLS_PER_CALLER", CALLS_PER_CALLER)
    else:
        identity = f"withheld:{_dialed(params)}"
        limit = config.get("GENBA_WITHHELD_CALLS_PER_NUMBER", WITHHELD_CALLS_PER_NUMBER)
    limit, window_s = int(limit), int(config.get("GENBA_RATE_WINDOW_S", WINDOW_S))
    try:
        allowed, count = counts.admit(
            caller_key(settings.secret_key, identity), params.call_sid, time.time(), limit, window_s
        )
    except (RedisError, OSError) as exc:
        log.warning("rate limit not checked (Redis: %s); call %s let through", exc, params.call_sid)
        return False
    if allowed:
        return False
    log.warning(
        "rate limit: %s made %s calls in %s s (limit %s); call %s rejected, nothing recorded",
        _who(caller, params),
        count,
        window_s,
        limit,
        params.call_sid,
    )
    return True


def _dialed(params: TwilioParams) -> str:
    return try_normalize_phone(params.to_raw) or params.to_raw


def _who(caller: str | None, params: TwilioParams) -> str:
    """Whom a refusal is logged for (masked), worked out only for a refusal."""
    if caller is not None:
        return mask_phone(caller)
    return f"withheld callers to {mask_phone(_dialed(params))}"
