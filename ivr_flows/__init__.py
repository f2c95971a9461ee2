"""ivr_flows: the telephone call as pure Python.

Call state + caller input → the next step (prompts as message ids with parameters, what to
gather, what to record, whether to end or reject).  No Flask, SQLAlchemy or twilio import:
voice_app turns steps into TwiML and implements the look-ups over the database.  The message
catalogue for each language lives here.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ivr_flows.flow import Flow
    from ivr_flows.lookup import Lookup
    from ivr_flows.messages import render
    from ivr_flows.model import CallContext, CallState, Step
    from ivr_flows.policy import Policy

__all__ = ["CallContext", "CallState", "Flow", "Lookup", "Policy", "Step", "render"]
# name -> the module that defines it: `import ivr_flows.formats` (the card and site-code rules
# the reader agent needs) then loads no flow, catalogue or policy (docs/nfc.md, start-up).
_HOMES = {
    "CallContext": "ivr_flows.model",
    "CallState": "ivr_flows.model",
    "Flow": "ivr_flows.flow",
    "Lookup": "ivr_flows.lookup",
    "Policy": "ivr_flows.policy",
    "Step": "ivr_flows.model",
    "render": "ivr_flows.messages",
}


def __getattr__(name: str) -> Any:
    if name not in _HOMES:
        raise AttributeError(f"module 'ivr_flows' has no attribute {name!r}")
    return getattr(importlib.import_module(_HOMES[name]), name)
