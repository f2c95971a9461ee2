"""The benchmark's baseline: a Flask endpoint that answers POST /twilio/voice with a fixed
TwiML document (the same shape as a zero-key check-in answer) and does nothing else."""

from __future__ import annotations

from flask import Flask, Response

ANSWER = (
    '<?xml version="1.0" encoding="UTF-8"?><Response><Gather action="/twilio/gather/1" '
    'finishOnKey="" input="dtmf" method="POST" numDigits="1" timeout="1">'
    '<Say language="ja-JP" voice="Google.ja-JP-Standard-B">タナカ イチロウさん、7時45分、'
    "入場を記録しました。</Say>"
    '<Say language="ja-JP" voice="Google.ja-JP-Standard-B">訂正は9を押してください。</Say>'
    "</Gather><Hangup /></Response>"
)

app = Flask(__name__)


@app.post("/twilio/voice")
def voice() -> Response:
    return Response(ANSWER, mimetype="text/xml")
