"""The benchmark's second baseline, the durable minimum: a Flask endpoint that checks the
Twilio signature with twilio's RequestValidator, runs one `INSERT … ON CONFLICT DO NOTHING`
keyed by CallSid and a COMMIT through psycopg (one connection per server thread), and answers
the same TwiML as the static baseline.  Everything the check-in does beyond this is ours."""

from __future__ import annotations

import os
import threading

import psycopg
from flask import Flask, Response, request
from static_twiml import ANSWER
from twilio.request_validator import RequestValidator

TABLE = "durable_minimum_calls"  # created by bench/ivr_bench.py
INSERT = f"INSERT INTO {TABLE} VALUES (%s, %s, %s) ON CONFLICT (call_sid) DO NOTHING"

app = Flask(__name__)
validator = RequestValidator(os.environ["TWILIO_AUTH_TOKEN"])
conninfo = os.environ["DATABASE_URL"].replace("postgresql+psycopg://", "postgresql://")
local = threading.local()


def connection() -> psycopg.Connection:
    if getattr(local, "conn", None) is None:
        local.conn = psycopg.connect(conninfo)
    return local.conn


@app.get("/healthz")
def healthz() -> str:
    return "ok"


@app.post("/twilio/voice")
def voice() -> Response:
    form = request.form
    if not validator.validate(request.url, form, request.headers.get("X-Twilio-Signature", "")):
        return Response("forbidden", status=403)
    conn = connection()
    conn.execute(INSERT, (form["CallSid"], form["From"], form["To"]))
    conn.commit()
    return Response(ANSWER, mimetype="text/xml")
