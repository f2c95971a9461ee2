"""Settings read from the environment, with every default number in one place.

`Settings.from_env()` is the only reader of `os.environ` for the service; everything else is
handed a `Settings` (the call flow's `Policy` is built from it, jobs read it through
`jobs.runtime`).  It lives in the lowest room so that jobs and migrations read it without
importing the web package; it imports nothing but the standard library.  Production
(`GENBA_ENV=production`) refuses to start without the secrets that the embedded default may
generate or leave unset.  The variables and their defaults: README.md, 'Configuration'.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

DEFAULT_INSTANCE = "./instance"
DEFAULT_REPEAT_WINDOW_S = 600
DEFAULT_EXIT_CONFIRM_S = 3600
DEFAULT_MAX_SHIFT_H = 16
DEFAULT_SITE_HOP_S = 900
# The longest shift a site may configure.  Below 12 h a work date could hold two expired
# touch entries (reconciliation's set-based SQL handles one); above 48 h an exit could
# belong to an entry more than two dates back (a call and reconciliation look two dates back:
# `ivr_flows.days.DayRules` refuses more).
MAX_SHIFT_H_MIN = 12
MAX_SHIFT_H_MAX = 48
DEFAULT_TZ = "Asia/Tokyo"
SECRET_KEY_FILE = "secret_key"
EMBEDDED_REDIS_FILE = "redis.db"


TWIML_SIGNATURES = ("twilio", "signalwire")  # whose signature header /twilio/* reads


class ConfigError(RuntimeError):
    """A setting is missing or malformed; the message says which and how to fix it."""


@dataclass(frozen=True)
class Settings:
    instance_path: Path
    database_url: str
    redis_url: str | None
    twilio_auth_token: str | None
    public_base_url: str | None
    secret_key: str
    repeat_window_s: int = DEFAULT_REPEAT_WINDOW_S
    exit_confirm_s: int = DEFAULT_EXIT_CONFIRM_S
    max_shift_h: int = DEFAULT_MAX_SHIFT_H
    site_hop_s: int = DEFAULT_SITE_HOP_S
    tz_name: str = DEFAULT_TZ
    environment: str = "development"
    vonage_signature_secret: str | None = None  # VONAGE_SIGNATURE_SECRET
    twiml_signature: str = "twilio"  # GENBA_TWIML_SIGNATURE: twilio or signalwire
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.tz_name)

    @property
    def is_production(self) -> bool:
        return self.environment == "production"

    @property
    def uses_embedded_redis(self) -> bool:
        return self.redis_url is None

    @property
    def embedded_redis_path(self) -> Path:
        return self.instance_path / EMBEDDED_REDIS_FILE

    @property
    def spool_path(self) -> Path:
        return self.instance_path / "spool"

    def with_overrides(self, **changes: Any) -> Settings:
        return replace(self, **changes)

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> Settings:
        env = dict(os.environ if environ is None else environ)
        environment = env.get("GENBA_ENV", "development").strip().lower() or "development"
        instance = Path(env.get("GENBA_INSTANCE") or DEFAULT_INSTANCE).resolve()
        database_url = env.get("DATABASE_URL") or f"sqlite:///{instance / 'genba.db'}"
        database_url = _normalise_database_url(database_url)
        redis_url = env.get("REDIS_URL") or None
        repeat = _int_setting(env, "GENBA_REPEAT_WINDOW_S", DEFAULT_REPEAT_WINDOW_S, minimum=0)
        exit_confirm = _int_setting(env, "GENBA_EXIT_CONFIRM_S", DEFAULT_EXIT_CONFIRM_S, minimum=0)
        max_shift = _int_setting(
            env,
            "GENBA_MAX_SHIFT_H",
            DEFAULT_MAX_SHIFT_H,
            minimum=MAX_SHIFT_H_MIN,
            maximum=MAX_SHIFT_H_MAX,
            unit="hours",
        )
        site_hop = _int_setting(env, "GENBA_SITE_HOP_S", DEFAULT_SITE_HOP_S, minimum=0)
        tz_name = env.get("GENBA_TZ") or DEFAULT_TZ
        try:
            ZoneInfo(tz_name)
        except Exception as exc:  # ZoneInfoNotFoundError or ValueError for odd names
            raise ConfigError(f"GENBA_TZ: unknown time zone {tz_name!r} (e.g. Asia/Tokyo)") from exc
        public_base_url = (env.get("PUBLIC_BASE_URL") or "").rstrip("/") or None
        if public_base_url and not public_base_url.startswith(("http://", "https://")):
            raise ConfigError(
                "PUBLIC_BASE_URL: must be scheme://host[:port], e.g. https://call.example.jp"
            )
        token = env.get("TWILIO_AUTH_TOKEN") or None
        twiml_signature = (env.get("GENBA_TWIML_SIGNATURE") or "twilio").strip().lower()
        if twiml_signature not in TWIML_SIGNATURES:
            raise ConfigError(
                f"GENBA_TWIML_SIGNATURE: {twiml_signature!r} is not one of "
                + ", ".join(TWIML_SIGNATURES)
            )
        secret = env.get("GENBA_SECRET_KEY") or None

        if environment == "production":
            missing = [
                name
                for name, value in (
                    ("TWILIO_AUTH_TOKEN", token),
                    ("GENBA_SECRET_KEY", secret),
                    ("PUBLIC_BASE_URL", public_base_url),
                    ("DATABASE_URL", env.get("DATABASE_URL")),
                    ("REDIS_URL", redis_url),
                )
                if not value
            ]
            if missing:
                raise ConfigError(
                    "GENBA_ENV=production needs these settings, which are unset: "
                    + ", ".join(missing)
                    + ". Set them in the environment (see README.md, 'Production')."
                )
        if secret is None:
            secret = _instance_secret(instance)
        return cls(
            instance_path=instance,
            database_url=database_url,
            redis_url=redis_url,
            twilio_auth_token=token,
            public_base_url=public_base_url,
            secret_key=secret,
            repeat_window_s=repeat,
            exit_confirm_s=exit_confirm,
            max_shift_h=max_shift,
            site_hop_s=site_hop,
            tz_name=tz_name,
            environment=environment,
            vonage_signature_secret=env.get("VONAGE_SIGNATURE_SECRET") or None,
            twiml_signature=twiml_signature,
        )


def _normalise_database_url(url: str) -> str:
    """Accept the `postgres://` and `postgresql://` spellings that hosting platforms hand out."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def _int_setting(
    env: dict[str, str],
    name: str,
    default: int,
    minimum: int,
    maximum: int | None = None,
    unit: str = "seconds",
) -> int:
    raw = env.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw)
    except ValueError as exc:
        raise ConfigError(f"{name}: {raw!r} is not a whole number of {unit}") from exc
    if value < minimum:
        raise ConfigError(f"{name}: must be at least {minimum}, got {value}")
    if maximum is not None and value > maximum:
        raise ConfigError(f"{name}: must be at most {maximum}, got {value}")
    return value


def _instance_secret(instance: Path) -> str:
    """The secret generated once into the instance folder (embedded default only)."""
    instance.mkdir(parents=True, exist_ok=True)
    path = instance / SECRET_KEY_FILE
    if path.exists():
        return path.read_text().strip()
    value = secrets.token_urlsafe(48)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process (web or worker) wrote it first
        return path.read_text().strip()
    with os.fdopen(fd, "w") as handle:
        handle.write(value)
        handle.flush()
        os.fsync(handle.fileno())
    return value
