"""Property tests of the identifier parsers the import and the API rely on: whatever a cell
holds, they answer a canonical value or `InvalidIdentifier`, never another exception; every
way a Japanese mobile number or a card id is written comes back to one canonical form."""

from __future__ import annotations

import re

from hypothesis import example, given
from hypothesis import strategies as st

from workers_db.identifiers import (
    InvalidIdentifier,
    canonical_card_uid,
    normalize_ccus_id,
    normalize_phone,
    normalize_phone_list,
)

FULL_WIDTH = str.maketrans("0123456789-+()", "０１２３４５６７８９－＋（）")
# What people paste into a phone or card cell: digits of both widths, dashes of every kind,
# separators, hex letters, prefixes, and anything else.
cell_text = st.one_of(
    st.text(),
    st.text(alphabet="0123456789０１２３４５６７８９-－ー‐+＋() :;；.xXabcdefABCDEF"),
    st.text(alphabet="0123456789", min_size=8, max_size=40),
)


@given(cell_text)
@example("+")
@example("0" * 300)
@example("+81 (0)90-1234-5678")
@example("٠٩٠١٢٣٤٥٦٧٨")  # Arabic-Indic digits
def test_phone_parser_raises_only_invalid_identifier(value: str) -> None:
    try:
        e164 = normalize_phone(value)
    except InvalidIdentifier as exc:
        assert str(exc)
    else:
        assert re.fullmatch(r"\+[1-9]\d{6,14}", e164)
        assert normalize_phone(e164) == e164


@given(cell_text)
def test_phone_list_parser_raises_only_invalid_identifier(value: str) -> None:
    try:
        numbers = normalize_phone_list(value)
    except InvalidIdentifier:
        return
    assert all(n.startswith("+") for n in numbers)


@given(cell_text)
@example("F:")
@example("0x")
@example("felica:0x0123456789abcdef")
def test_card_parser_raises_only_invalid_identifier(value: str) -> None:
    try:
        uid = canonical_card_uid(value)
    except InvalidIdentifier as exc:
        assert str(exc)
    else:
        assert re.fullmatch(r"[FAB]:[0-9A-F]+", uid)
        assert canonical_card_uid(uid) == uid


@given(cell_text)
def test_ccus_parser_raises_only_invalid_identifier(value: str) -> None:
    try:
        ccus = normalize_ccus_id(value)
    except InvalidIdentifier:
        return
    assert ccus is None or re.fullmatch(r"\d{14}", ccus)


@st.composite
def jp_mobiles(draw: st.DrawFn) -> str:
    """A valid Japanese mobile number, national form: 070/080/090, then 1-9, then 7 digits."""
    prefix = draw(st.sampled_from(["070", "080", "090"]))
    rest = draw(st.from_regex(r"[1-9][0-9]{7}", fullmatch=True))
    return prefix + rest


@given(jp_mobiles(), st.sampled_from(["plain", "hyphens", "full", "intl", "parens", "spaces"]))
def test_japanese_mobiles_round_trip(national: str, spelling: str) -> None:
    a, b, c = national[:3], national[3:7], national[7:]
    written = {
        "plain": national,
        "hyphens": f"{a}-{b}-{c}",
        "full": f"{a}-{b}-{c}".translate(FULL_WIDTH),
        "intl": f"+81 {a[1:]} {b} {c}",
        "parens": f"({a}){b}-{c}",
        "spaces": f" {a} {b} {c} ",
    }[spelling]
    e164 = normalize_phone(written)
    assert e164 == "+81" + national[1:]
    assert normalize_phone(e164) == e164


@given(
    st.binary(min_size=8, max_size=8),
    st.sampled_from(["", ":", "-", " "]),
    st.booleans(),
)
def test_felica_ids_round_trip(idm: bytes, separator: str, lower: bool) -> None:
    written = separator.join(f"{byte:02X}" for byte in idm)
    written = written.lower() if lower else written
    assert canonical_card_uid(written) == "F:" + idm.hex().upper()
