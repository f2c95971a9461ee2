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
If Redis does not answer, calls are let through: a worker's check-in matters more.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import time

from flask import Request, Response, current_app
from redis import Redis
from redis.exceptions import RedisError
from twilio.twiml.voice_response import VoiceResponse

from jobs.connection import LuaScript
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


class SlidingWindow:
    """Distinct members (call SIDs) per key within the last `window_s` seconds: one round trip
    (a sorted set scored by time, trimmed, added to and counted by one Lua script, atomic like
    the MULTI it replaces and cheaper to send and parse; adding a member again changes
    nothing)."""

    SCRIPT = LuaScript("""
redis.call('ZREMRANGEBYSCORE', KEYS[1], 0, ARGV[1])
redis.call('ZADD', KEYS[1], 'NX', ARGV[2], ARGV[3])
local count = redis.call('ZCARD', KEYS[1])
redis.call('EXPIRE', KEYS[1], ARGV[4])
return count
""")

    def __init__(self, redis: Redis, limit: int, window_s: int) -> None:
        self.redis = redis
        self.limit = limit
        self.window_s = window_s

    def admit(self, key: str, member: str, now: float) -> tuple[bool, int]:
        count = int(
            self.SCRIPT(self.redis, [key], [now - self.window_s, now, member, self.window_s])
        )
        return count <= self.limit, count


def caller_key(secret: str, identity: str) -> str:
    digest = hmac.new(secret.encode(), identity.encode(), hashlib.sha256).hexdigest()[:32]
    return KEY_PREFIX + digest


def busy_answer() -> str:
    response = VoiceResponse()
    response.reject(reason="busy")
    return as_text(response)


def gate_webhook(
    request: Request, params: TwilioParams, settings: Settings, redis: Redis
) -> Response | None:
    """Twilio's gate: None to go on, or the `<Reject>` answer for a caller over the limit
    (`params`: the request's form, parsed once for the gate and the step)."""
    if over_limit(request, params, settings, redis):
        return Response(busy_answer(), 200, mimetype="text/xml")
    return None


def over_limit(request: Request, params: TwilioParams, settings: Settings, redis: Redis) -> bool:
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
    window = SlidingWindow(redis, int(limit), int(config.get("GENBA_RATE_WINDOW_S", WINDOW_S)))
    try:
        allowed, count = window.admit(
            caller_key(settings.secret_key, identity), params.call_sid, time.time()
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
        window.window_s,
        window.limit,
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
