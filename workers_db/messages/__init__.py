"""The error catalogue: every problem code and its message in each language (docs/errors.md).

One module per language (`ja.py`, `en.py`) holds `MESSAGES` (code → template), `FIELDS`
(request and form field → label) and `COLUMNS` (CSV column → label); `codes.py` declares the
parameters of each code.  Templates are `str.format` templates over the parameters.  This is
the lowest room, so the CLI, the API, the admin UI and workers_db itself render from it.

Why a typed dict rather than gettext: codes are stable identifiers, not English msgids, so the
English text can change without re-keying every language; the catalogue is plain Python that
mypy and a test check for completeness (every code in every language, every parameter of a
template declared), with no compiled `.mo` files to keep in step with the sources.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Protocol

from workers_db.messages import en, ja

Param = str | int

LANGS = ("ja", "en")
DEFAULT_LANG = "en"  # the API's and the CLI's language when nothing says otherwise

_MESSAGES = {"ja": ja.MESSAGES, "en": en.MESSAGES}
_FIELDS = {"ja": ja.FIELDS, "en": en.FIELDS}
_COLUMNS = {"ja": ja.COLUMNS, "en": en.COLUMNS}


class Coded(Protocol):
    @property
    def code(self) -> str: ...

    @property
    def params(self) -> Mapping[str, Param]: ...


class _Kept(dict[str, object]):
    """Format values; a parameter a template names but the caller did not give shows as
    `{name}` rather than failing the whole answer (a test checks none is missing)."""

    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def _pick(tables: Mapping[str, Mapping[str, str]], lang: str) -> Mapping[str, str]:
    return tables.get(lang, tables[DEFAULT_LANG])


def message(code: str, lang: str, params: Mapping[str, Param] | None = None) -> str:
    """The text of `code` in `lang`.  An unknown code shows itself (a test checks that every
    code raised in the repository is in the catalogue)."""
    template = _pick(_MESSAGES, lang).get(code)
    if template is None:
        return code
    return template.format_map(_Kept(params or {}))


def render(problem: Coded, lang: str) -> str:
    return message(problem.code, lang, problem.params)


def field_label(field: str | None, lang: str) -> str:
    """A request or form field as its reader calls it (an unknown one shows its name)."""
    if field is None:
        return ""
    return _pick(_FIELDS, lang).get(field, field)


def column_label(column: str, lang: str) -> str:
    """A CSV column as its reader calls it: the Japanese header name or the English one."""
    return _pick(_COLUMNS, lang).get(column, column)


def locale_lang(environ: Mapping[str, str] | None = None) -> str:
    """The CLI's language: Japanese when the POSIX locale is Japanese, English otherwise.

    The first of LC_ALL, LC_MESSAGES and LANG that is set decides, as for any POSIX program."""
    env = os.environ if environ is None else environ
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = env.get(name, "")
        if value:
            return "ja" if value.lower().startswith("ja") else "en"
    return "en"
