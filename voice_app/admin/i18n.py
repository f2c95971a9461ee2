"""A small message catalogue: Japanese by default, English selectable.

Templates call `_("key")`; the language is the session's choice (saved on the user too), else
the user's saved language, else Japanese.  Messages of the lower layers (workers_db's
`FieldProblem`) are English; the common ones are rendered in Japanese by `problem_text`.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from flask import g

from voice_app.admin.messages import FIELDS, MESSAGES

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


def field_label(field: str) -> str:
    pair = FIELDS.get(field)
    if pair is None:
        return field
    return pair[0] if current_lang() == "ja" else pair[1]


# English problem texts of workers_db → Japanese (pattern, replacement).
_PROBLEMS_JA: list[tuple[re.Pattern[str], str | Callable[[re.Match[str]], str]]] = [
    (re.compile(r"^required$"), "入力してください"),
    (
        re.compile(r"^(\+?\d+) already belongs to worker (\d+)$"),
        r"\1 は別の技能者 (ID \2) の番号です",
    ),
    (re.compile(r"^(\S+) already belongs to worker (\d+)$"), r"\1 は別の技能者 (ID \2) のものです"),
    (re.compile(r"^(.+) belongs to another worker$"), r"\1 は別の技能者に登録済みです"),
    (
        re.compile(r"^(.+) is already registered to another worker$"),
        r"\1 は別の技能者に登録済みです",
    ),
    (re.compile(r"^(.+) is already registered$"), r"\1 は登録済みです"),
    (re.compile(r"^(.+) is listed twice$"), r"\1 が二度書かれています"),
    (
        re.compile(r"^(.+) has the wrong number of digits \((\d+)\) for a phone number$"),
        r"\1 は電話番号として桁数 (\2 桁) が合いません",
    ),
    (re.compile(r"^(.+) is not a phone number.*$"), r"\1 は電話番号ではありません"),
    (re.compile(r"^(.+) is not a valid number.*$"), r"\1 は使われていない番号体系です"),
    (
        re.compile(r"^(.+) contains characters that are not part of a number$"),
        r"\1 に数字以外の文字があります",
    ),
    (re.compile(r"^empty phone number$"), "電話番号が空です"),
    (re.compile(r"^(.+) is not hexadecimal.*$"), r"\1 は16進数 (0-9, A-F) ではありません"),
    (
        re.compile(r"^(.+) has (\d+) hex digits.*$"),
        r"\1 は \2 桁です (FeliCa は16桁、Type A は8/14/20桁)",
    ),
    (re.compile(r"^(.+) (\S+) has (\d+) digits, not 14$"), r"\1 \2 は \3 桁です (14桁が必要)"),
    (re.compile(r"^(.+) must be digits only$"), r"\1 は数字だけで入力してください"),
    (re.compile(r"^must be 4 to 8 digits$"), "4〜8桁の数字にしてください"),
    (re.compile(r"^site code (.+) must be 4 to 8 digits$"), r"現場コード \1 は4〜8桁の数字です"),
    (re.compile(r"^(.+) is already used by another site$"), r"\1 は別の現場で使われています"),
    (re.compile(r"^(.+) belongs to another site$"), r"\1 は別の現場の番号です"),
    (re.compile(r"^a company cannot be its own parent$"), "自社を上位会社にはできません"),
    (re.compile(r"^must be 1 \(white\) to 4 \(gold\)$"), "1 (白) 〜 4 (金) で選んでください"),
    (
        re.compile(r"^say what happened when the reason is 'other'$"),
        "「その他」の場合は内容を書いてください",
    ),
]


def problem_text(message: str) -> str:
    """A workers_db problem message in the current language (English stays as it is)."""
    if current_lang() != "ja":
        return message
    for pattern, replacement in _PROBLEMS_JA:
        if pattern.match(message):
            return pattern.sub(replacement, message)
    return message
