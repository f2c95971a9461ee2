"""ivr_flows: the telephone call as pure Python.

Call state + caller input → the next step (prompts as message ids with parameters, what to
gather, what to record, whether to end or reject).  No Flask, SQLAlchemy or twilio import:
voice_app turns steps into TwiML and implements the look-ups over the database.  The message
catalogue for each language lives here.
"""

from ivr_flows.flow import Flow
from ivr_flows.lookup import Lookup
from ivr_flows.messages import render
from ivr_flows.model import CallContext, CallState, Step
from ivr_flows.policy import Policy

__all__ = ["CallContext", "CallState", "Flow", "Lookup", "Policy", "Step", "render"]
