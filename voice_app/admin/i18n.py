"""A small message catalogue: Japanese by default, English selectable.

Templates call `_("key")`; the language is the session's choice (saved on the user too), else
the user's saved language, else Japanese.  Problems (workers_db's `FieldProblem` and the
import's `RowProblem`) are codes rendered from the error catalogue, `workers_db.messages`, with
the field and column labels (docs/errors.md).
"""

from __future__ import annotations

from flask import g

from voice_app.admin.messages import MESSAGES
from workers_db import messages as catalogue
from workers_db.messages import Coded

LANGS = ("ja", "en")
DEFAULT_LANG = "ja"


def current_lang() -> str:
    lang = g.get("lang")
    return lang if lang in LANGS else DEFAULT_LANG


def translate(key: str, **values: object) -> str:
    """The text of `key` in the current language; an unknown key shows itself (and a test
    checks that every key used in a template exists)."""
    pair = MESSAGES.get(key)
    if pair is None:
        return key
    text = pair[0] if current_lang() == "ja" else pair[1]
    return text.format(**values) if values else text


def field_label(field: str | None) -> str:
    """A form field's label in the current language (from the error catalogue)."""
    return catalogue.field_label(field, current_lang())


def column_label(column: str | None) -> str:
    """A CSV column's label in the current language (from the error catalogue)."""
    return catalogue.column_label(column, current_lang()) if column else ""


def problem_text(problem: Coded) -> str:
    """A problem (`FieldProblem`, `RowProblem`, …) in the current language."""
    return catalogue.render(problem, current_lang())
