"""The telephony providers the call flow answers, each as a parser of its webhook fields and
a renderer of the flow's steps.  The flow (`ivr_flows`) knows none of them: the route picks
its provider, the step runner (`voice_app.calls.runner.answer_step`) renders with it, and the
spool remembers which one a kept webhook came from.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from ivr_flows.model import CallContext, Step


class WebhookParams(Protocol):
    """One webhook's fields, cleaned, whatever the provider."""

    @property
    def call_sid(self) -> str | None: ...

    @property
    def digits(self) -> str | None: ...

    @property
    def fields(self) -> dict[str, str]: ...  # what the spool keeps

    def context(self, now: datetime) -> CallContext: ...


@dataclass(frozen=True)
class Provider:
    name: str
    parse: Callable[[Mapping[str, str]], WebhookParams]
    render: Callable[[Step, int, str], str]  # step, number of the next step, base URL
    spooled_answer: Callable[[], str]
    system_down_answer: Callable[[], str]


def twilio() -> Provider:
    from voice_app.twilio.params import TwilioParams
    from voice_app.twilio.twiml import spooled_answer, step_path, system_down_answer, to_twiml

    return Provider(
        "twilio",
        TwilioParams.parse,
        lambda step, n, _base: to_twiml(step, step_path(n)),
        spooled_answer,
        system_down_answer,
    )


def vonage() -> Provider:
    from voice_app.vonage.ncco import spooled_answer, system_down_answer, to_ncco
    from voice_app.vonage.params import parse

    return Provider("vonage", parse, to_ncco, spooled_answer, system_down_answer)


def provider(name: str) -> Provider:
    return vonage() if name == "vonage" else twilio()
