"""voice_app.calls: what every telephony provider's routes share.

`runner` answers one webhook step (the flow, its look-ups and writes in workers_db,
idempotency per call and step in call_steps), `spooling` keeps a webhook the database could
not take and replays it, `web` runs a step inside a Flask request (the spool when the
database is down, the replay after a good answer), and `providers` names each provider's
parser and renderer.  A provider's own package (`voice_app.twilio`, `voice_app.vonage`) only
parses its request, checks its signature and renders (docs/providers.md).
"""
