"""The error catalogue: complete in every language, and every code the repository raises in it."""

from __future__ import annotations

import ast
import string
from pathlib import Path

import pytest

from workers_db.errors import FieldProblem, ValidationFailed
from workers_db.messages import LANGS, column_label, en, field_label, ja, locale_lang, message
from workers_db.messages.codes import CODES

ROOT = Path(__file__).resolve().parents[1]
CATALOGUES = {"ja": ja, "en": en}
SAMPLE = {"value": "090-12", "worker_id": 10, "row": 2, "min": 4, "max": 8, "rows": 1234}


def template_fields(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


@pytest.mark.parametrize("lang", LANGS)
def test_every_code_has_a_message_in_every_language(lang: str) -> None:
    catalogue = CATALOGUES[lang]
    assert set(catalogue.MESSAGES) == set(CODES)
    assert set(catalogue.FIELDS) == set(en.FIELDS)
    assert set(catalogue.COLUMNS) == set(en.COLUMNS)


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("code", sorted(CODES))
def test_each_code_renders_with_only_its_declared_parameters(code: str, lang: str) -> None:
    template = CATALOGUES[lang].MESSAGES[code]
    assert template_fields(template) <= set(CODES[code]), f"{lang} {code}: undeclared parameter"
    params = {name: SAMPLE.get(name, 1000 + i) for i, name in enumerate(CODES[code])}
    text = message(code, lang, params)
    assert text and "{" not in text.replace("{...}", "").replace('{"events"', "")
    for name in template_fields(template):
        value = params[name]
        assert str(value) in text or (isinstance(value, int) and f"{value:,}" in text)


def test_japanese_is_japanese() -> None:
    """No Japanese message is a copy of the English one (a forgotten translation)."""
    copied = [c for c in CODES if ja.MESSAGES[c] == en.MESSAGES[c] and c != "line.file"]
    assert copied == []


def test_a_problem_renders_in_the_readers_language() -> None:
    problem = FieldProblem("pin", "pin.leading_zeros", {"min": 4, "max": 8})
    assert problem.text("en") == (
        "must be 4 to 8 digits (Excel drops leading zeros: format as text)"
    )
    assert problem.text("ja").startswith("4〜8桁の数字にしてください")
    assert problem.as_json("ja") == {"field": "pin", "message": problem.text("ja")}
    assert str(ValidationFailed([problem])) == f"pin: {problem.text('en')}"
    assert field_label("ccus_worker_id", "ja") == "技能者ID"
    assert column_label("worker_ccus_id", "ja") == "技能者ID"
    assert column_label("worker_ccus_id", "en") == "worker_ccus_id"
    assert message("no.such.code", "ja") == "no.such.code"  # shown, never a crash


@pytest.mark.parametrize(
    ("environ", "lang"),
    [
        ({"LANG": "ja_JP.UTF-8"}, "ja"),
        ({"LANG": "en_US.UTF-8"}, "en"),
        ({"LC_ALL": "ja_JP.UTF-8", "LANG": "C"}, "ja"),
        ({"LC_ALL": "C.UTF-8", "LANG": "ja_JP.UTF-8"}, "en"),
        ({"LC_MESSAGES": "ja_JP", "LANG": "en_US"}, "ja"),
        ({}, "en"),
    ],
)
def test_the_cli_language_follows_the_posix_locale(environ: dict[str, str], lang: str) -> None:
    assert locale_lang(environ) == lang


# ---------------------------------------------------------------- every raising site

# callable name → index of the code among its positional arguments (-1: the last string).
_CODE_ARGUMENT = {
    "FieldProblem": 1,
    "NotFound": 0,
    "Forbidden": 0,
    "one": 1,
    "RowProblem": 2,
    "CodedError": 0,
    "InvalidIdentifier": 0,
    "ImportFileError": 0,
    "ImportConflict": 0,
    "message": 0,
    "problem": 1,
    "bad": -1,
}


def _callee(node: ast.Call) -> str:
    func = node.func
    if isinstance(func, ast.Attribute):
        return func.attr
    return func.id if isinstance(func, ast.Name) else ""


def raised_codes() -> list[tuple[str, str, set[str] | None]]:
    """(where, code, parameter names of a literal dict or None) of every literal code."""
    found: list[tuple[str, str, set[str] | None]] = []
    for folder in ("workers_db", "voice_app", "jobs", "nfc_fallback"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            if "migrations" in path.parts:
                continue
            tree = ast.parse(path.read_text(encoding="utf-8"))
            for node in ast.walk(tree):
                if not isinstance(node, ast.Call) or _callee(node) not in _CODE_ARGUMENT:
                    continue
                strings = [
                    (i, a.value if isinstance(a, ast.Constant) else "<f-string>")
                    for i, a in enumerate(node.args)
                    if (isinstance(a, ast.Constant) and isinstance(a.value, str))
                    or isinstance(a, ast.JoinedStr)
                ]
                index = _CODE_ARGUMENT[_callee(node)]
                if index == -1:
                    chosen = [(i, s) for i, s in strings if i >= 1][-1:]
                else:
                    chosen = [(i, s) for i, s in strings if i == index]
                for position, code in chosen:
                    params = node.args[position + 1] if len(node.args) > position + 1 else None
                    names = None
                    if isinstance(params, ast.Dict) and all(
                        isinstance(k, ast.Constant) for k in params.keys
                    ):
                        names = {k.value for k in params.keys if isinstance(k, ast.Constant)}
                    elif params is None:
                        names = set()
                    where = f"{path.relative_to(ROOT)}:{node.lineno}"
                    found.append((where, code, names))
    return found


def test_every_code_raised_is_in_the_catalogue_with_its_parameters() -> None:
    found = raised_codes()
    assert len(found) > 100  # the scan sees the raising sites
    unknown = [(where, code) for where, code, _ in found if code not in CODES]
    assert unknown == []
    wrong = [
        (where, code, sorted(names), CODES[code])
        for where, code, names in found
        if names is not None and names != set(CODES[code])
    ]
    assert wrong == []


def test_no_error_text_is_matched_by_a_regular_expression() -> None:
    i18n = (ROOT / "voice_app" / "admin" / "i18n.py").read_text(encoding="utf-8")
    assert "import re" not in i18n and "re.compile" not in i18n
