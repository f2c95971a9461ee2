"""Driving the voice webhooks the way Vonage does: JSON posts with a signed JWT, following
the NCCO (talk, input with DTMF → POST to its eventUrl).  Beside the Twilio driver
(`tests/ivr_support.py`): `Vonage(client).call(from_, to)` places a call; `start()`,
`press(ncco, keys)` and `silence(ncco)` return each step's parsed NCCO (a list of actions).
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient

from voice_app.vonage.security import sign

from .conftest import PUBLIC_BASE_URL, VONAGE_TEST_SECRET
from .ivr_support import Clock

Ncco = list[dict[str, Any]]


def digits_only(e164: str) -> str:
    """As Vonage sends numbers: E.164 without the `+`."""
    return e164.removeprefix("+")


class Vonage:
    def __init__(self, client: FlaskClient, clock: Clock, secret: str = VONAGE_TEST_SECRET):
        self.client = client
        self.clock = clock
        self.secret = secret

    def post(self, path: str, body: dict[str, Any], token: str | None = None):  # type: ignore[no-untyped-def]
        raw = json.dumps(body).encode()
        if token is None:
            token = sign(raw, self.secret, int(self.clock.now.timestamp()))
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return self.client.post(path, data=raw, headers=headers, content_type="application/json")

    def call(self, from_: str, to: str, call_uuid: str | None = None) -> VonageCall:
        return VonageCall(self, from_, to, call_uuid or str(uuid.uuid4()))


@dataclass
class VonageCall:
    vonage: Vonage
    from_: str
    to: str
    uuid: str

    def body(self, **extra: Any) -> dict[str, Any]:
        return {
            "from": digits_only(self.from_),
            "to": digits_only(self.to),
            "uuid": self.uuid,
            "conversation_uuid": "CON-" + self.uuid,
            **extra,
        }

    def _go(self, path: str, **extra: Any) -> Ncco:
        response = self.vonage.post(path, self.body(**extra))
        assert response.status_code == 200, response.data
        assert response.mimetype == "application/json"
        ncco = json.loads(response.data)
        assert isinstance(ncco, list)
        return ncco

    def start(self) -> Ncco:
        return self._go("/vonage/answer")

    def _event_path(self, ncco: Ncco) -> str:
        [action] = [a for a in ncco if a["action"] == "input"] or [None]
        assert action is not None, "no input action to answer"
        assert action["type"] == ["dtmf"]
        url = urlsplit(action["eventUrl"][0])
        assert f"{url.scheme}://{url.netloc}" == PUBLIC_BASE_URL
        return url.path

    def press(self, ncco: Ncco, keys: str) -> Ncco:
        return self._go(
            self._event_path(ncco), dtmf={"digits": keys.rstrip("#"), "timed_out": False}
        )

    def silence(self, ncco: Ncco) -> Ncco:
        return self._go(self._event_path(ncco), dtmf={"digits": "", "timed_out": True})


def talked(ncco: Ncco) -> list[str]:
    return [a["text"] for a in ncco if a["action"] == "talk"]


def talk_languages(ncco: Ncco) -> list[str]:
    return [a["language"] for a in ncco if a["action"] == "talk"]


@pytest.fixture(name="vonage")
def vonage_fixture(ivr_app: Flask, clock: Clock) -> Vonage:
    return Vonage(ivr_app.test_client(), clock)
