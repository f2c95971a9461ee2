"""No phone number in a URL: the admin UI is served by a real HTTP server with its access log
captured, a browser-like client signs in and submits every search form as the page builds it
(method, action, hidden fields) with phone numbers in several spellings, and the access log is
then searched for the digits.  The searches must still find the worker."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from html.parser import HTMLParser
from urllib.parse import unquote, urljoin

import pytest
import requests
from flask import Flask
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from .admin_browser_support import free_port, serve
from .admin_support import PASSWORD, build_world

PORTS = range(19800, 19900)


class _Forms(HTMLParser):
    """The page's forms: method, action, class and fields (name → value)."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[dict[str, object]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self.forms.append(
                {
                    "method": a.get("method", "get"),
                    "action": a.get("action", ""),
                    "class": a.get("class", ""),
                    "fields": {},
                }
            )
        elif tag == "input" and self.forms and a.get("name"):
            if a.get("type") in ("checkbox", "radio") and "checked" not in a:
                return
            fields = self.forms[-1]["fields"]
            assert isinstance(fields, dict)
            fields[a["name"]] = a.get("value", "")


def _forms(html: str) -> list[dict[str, object]]:
    parser = _Forms()
    parser.feed(html)
    return parser.forms


class _AccessLog(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


@pytest.fixture
def access_log() -> Iterator[_AccessLog]:
    handler = _AccessLog()
    logger = logging.getLogger("werkzeug")  # werkzeug's server writes its access log here
    old_level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    yield handler
    logger.removeHandler(handler)
    logger.setLevel(old_level)


def _submit_search(browser: requests.Session, base: str, page: str, text: str) -> str:
    """Fill the page's search box with `text` and submit its form the way a browser would."""
    answer = browser.get(base + page)
    assert answer.status_code == 200, page
    (form,) = [f for f in _forms(answer.text) if "searchbar" in str(f["class"])]
    fields = dict(form["fields"])  # type: ignore[call-overload]
    fields["q"] = text
    action = urljoin(answer.url, str(form["action"]) or answer.url)
    if str(form["method"]).lower() == "post":
        result = browser.post(action, data=fields)
    else:
        result = browser.get(action.split("?")[0], params=fields)
    assert result.status_code == 200, (page, result.status_code)
    return result.text


def test_no_search_puts_a_phone_number_into_the_access_log(
    committed_app: Flask, committed_db: Engine, access_log: _AccessLog
) -> None:
    with Session(committed_db) as session:
        world = build_world(session)
        session.commit()
        worker_name = world.a.worker.name
    searches = [  # (page, what is typed, what the result must show)
        ("/admin/workers", "090-1111-0001", worker_name),
        ("/admin/workers", "+81 90 1111 0001", worker_name),
        ("/admin/phones", "09011110001", worker_name),
        ("/admin/phones", "０９０－１１１１－０００１", worker_name),
        ("/admin/phones", "11110001", worker_name),
        ("/admin/cards", "A:0411110001", ""),
        ("/admin/companies", "協力工業A", "協力工業A"),
    ]
    with serve(committed_app, free_port(PORTS)) as base:
        browser = requests.Session()
        login = browser.get(base + "/admin/login")
        (form,) = [f for f in _forms(login.text) if "password" in dict(f["fields"])]  # type: ignore[call-overload]
        fields = dict(form["fields"])  # type: ignore[call-overload]
        fields.update(email="siteA@example.jp", password=PASSWORD)
        assert browser.post(base + "/admin/login", data=fields).status_code == 200
        for page, text, shown in searches:
            assert shown in _submit_search(browser, base, page, text), (page, text)

    requests_logged = [
        m.group(1) for m in map(re.compile(r'"([A-Z]+ [^"]*)"').search, access_log.lines) if m
    ]
    assert any("/admin/phones" in line for line in requests_logged)  # the log was captured
    for line in requests_logged:
        target = unquote(line.split(" ")[1])
        digits = "".join(ch for ch in target if ch.isdigit())
        assert "11110001" not in digits, line
        assert "協力" not in target, line  # nor any other search text
