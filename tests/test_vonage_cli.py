"""`genba-call call --provider vonage` against a real server: NCCO followed as Vonage does
(talk, input with DTMF → eventUrl), every request signed with a JWT."""

from __future__ import annotations

from click.testing import CliRunner, Result
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from voice_app.cli.group import cli
from workers_db.models import CallLog, Event

from . import test_ivr_cli
from .conftest import VONAGE_TEST_SECRET
from .ivr_support import REJECT_NUMBER, SHARED_NUMBER, TANAKA

served = test_ivr_cli.served  # the fixture: the app on a free port


def vonage_call(url: str, *args: str, secret: str = VONAGE_TEST_SECRET) -> Result:
    answer = url.replace("/twilio/voice", "/vonage/answer")
    return CliRunner().invoke(
        cli,
        ["call", "--provider", "vonage", "--url", answer, *args],
        env={"VONAGE_SIGNATURE_SECRET": secret},
    )


def test_vonage_call_follows_inputs_with_digits(served: str, committed_db: Engine) -> None:
    result = vonage_call(served, "--from", TANAKA, "--to", SHARED_NUMBER, "--digits", "9999#1234#")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert "  keys: 9999#" in lines and "  keys: 1234#" in lines
    assert any(
        line.startswith("POST http://127.0.0.1:") and "/vonage/input/" in line for line in lines
    )
    assert "  [ja-JP] タナカ イチロウさん、" in "\n".join(lines)
    with Session(committed_db) as session:
        [event] = session.scalars(select(Event).where(Event.worker_id.is_not(None))).all()
        assert event.caller_e164 == TANAKA and event.direction == "entry"
        [log] = session.scalars(select(CallLog)).all()  # the completed event at the end
        assert (log.status, log.outcome) == ("completed", "entry")


def test_vonage_reject_mode_ends_the_call_at_once(served: str, committed_db: Engine) -> None:
    result = vonage_call(served, "--from", TANAKA, "--to", REJECT_NUMBER)
    assert result.exit_code == 0, result.output
    assert "  (empty NCCO: the call ends at once)" in result.stdout.splitlines()
    assert "ended at once" in result.stdout


def test_vonage_call_with_the_wrong_secret_is_refused(served: str, committed_db: Engine) -> None:
    result = vonage_call(served, "--from", TANAKA, "--to", REJECT_NUMBER, secret="w" * 32)
    assert result.exit_code == 1 and "HTTP 403" in result.stderr
    with Session(committed_db) as session:
        assert session.scalars(select(Event)).all() == []
