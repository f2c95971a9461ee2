"""How names and times are read back.

Text-to-speech misreads kanji names (田中 may become でんちゅう), so Japanese prompts read the
registered kana.  In other languages a Latin-script name is read as registered (Nguyễn Văn An),
and a Chinese voice reads a name in Chinese characters as written (王 伟); otherwise the kana
is romanised (Hepburn) so that a foreign voice can say it.
Times and dates are read the way people on a Japanese site say them: 「7時45分」, 「17時」,
「12月1日」 (the catalogues of other languages have their own, `ivr_flows.messages`).
"""

from __future__ import annotations

import re
import unicodedata

from ivr_flows.model import CalendarDate, ClockTime, Name

_SPACES = re.compile(r"[\s\u3000・･]+")

# Hepburn romanisation of hiragana; digraphs first (longest match wins).
_DIGRAPHS = {
    "きゃ": "kya", "きゅ": "kyu", "きょ": "kyo", "しゃ": "sha", "しゅ": "shu", "しょ": "sho",
    "ちゃ": "cha", "ちゅ": "chu", "ちょ": "cho", "にゃ": "nya", "にゅ": "nyu", "にょ": "nyo",
    "ひゃ": "hya", "ひゅ": "hyu", "ひょ": "hyo", "みゃ": "mya", "みゅ": "myu", "みょ": "myo",
    "りゃ": "rya", "りゅ": "ryu", "りょ": "ryo", "ぎゃ": "gya", "ぎゅ": "gyu", "ぎょ": "gyo",
    "じゃ": "ja", "じゅ": "ju", "じょ": "jo", "びゃ": "bya", "びゅ": "byu", "びょ": "byo",
    "ぴゃ": "pya", "ぴゅ": "pyu", "ぴょ": "pyo", "しぇ": "she", "じぇ": "je", "ちぇ": "che",
    "てぃ": "ti", "でぃ": "di", "とぅ": "tu", "どぅ": "du", "でゅ": "dyu",
    "ふぁ": "fa", "ふぃ": "fi", "ふぇ": "fe", "ふぉ": "fo", "うぃ": "wi", "うぇ": "we",
    "うぉ": "wo", "ゔぁ": "va", "ゔぃ": "vi", "ゔぇ": "ve", "ゔぉ": "vo", "つぁ": "tsa",
}  # fmt: skip
_MONOGRAPHS = {
    "あ": "a", "い": "i", "う": "u", "え": "e", "お": "o",
    "か": "ka", "き": "ki", "く": "ku", "け": "ke", "こ": "ko",
    "さ": "sa", "し": "shi", "す": "su", "せ": "se", "そ": "so",
    "た": "ta", "ち": "chi", "つ": "tsu", "て": "te", "と": "to",
    "な": "na", "に": "ni", "ぬ": "nu", "ね": "ne", "の": "no",
    "は": "ha", "ひ": "hi", "ふ": "fu", "へ": "he", "ほ": "ho",
    "ま": "ma", "み": "mi", "む": "mu", "め": "me", "も": "mo",
    "や": "ya", "ゆ": "yu", "よ": "yo",
    "ら": "ra", "り": "ri", "る": "ru", "れ": "re", "ろ": "ro",
    "わ": "wa", "ゐ": "i", "ゑ": "e", "を": "o", "ん": "n",
    "が": "ga", "ぎ": "gi", "ぐ": "gu", "げ": "ge", "ご": "go",
    "ざ": "za", "じ": "ji", "ず": "zu", "ぜ": "ze", "ぞ": "zo",
    "だ": "da", "ぢ": "ji", "づ": "zu", "で": "de", "ど": "do",
    "ば": "ba", "び": "bi", "ぶ": "bu", "べ": "be", "ぼ": "bo",
    "ぱ": "pa", "ぴ": "pi", "ぷ": "pu", "ぺ": "pe", "ぽ": "po",
    "ゔ": "vu", "ぁ": "a", "ぃ": "i", "ぅ": "u", "ぇ": "e", "ぉ": "o",
    "ゃ": "ya", "ゅ": "yu", "ょ": "yo", "ゎ": "wa",
}  # fmt: skip
# Long vowels are shortened for a foreign voice (Satou → Sato, Yuuki → Yuki, Oono → Ono), but
# not before another vowel, where the letters belong to two syllables (Inoue stays Inoue).
_LONG_VOWEL = re.compile(r"(ou|oo|uu)(?![aeiou])")


def to_hiragana(text: str) -> str:
    """Katakana (full- or half-width) → hiragana; everything else unchanged."""
    text = unicodedata.normalize("NFKC", text)
    return "".join(chr(ord(c) - 0x60) if "ァ" <= c <= "ヶ" else c for c in text)


def romanize(kana: str) -> str:
    """Hepburn romaji of a kana name, words capitalised: 「タナカ イチロウ」 → "Tanaka Ichiro"."""
    words = [w for w in _SPACES.split(to_hiragana(kana).strip()) if w]
    return " ".join(_romanize_word(w).capitalize() for w in words)


def _romanize_word(word: str) -> str:
    out: list[str] = []
    double_next = False
    i = 0
    while i < len(word):
        pair, char = word[i : i + 2], word[i]
        if char == "っ":
            double_next = True
            i += 1
            continue
        if char == "ー":  # long-vowel mark: shortened, as above
            i += 1
            continue
        if pair in _DIGRAPHS:
            roman, i = _DIGRAPHS[pair], i + 2
        elif char in _MONOGRAPHS:
            roman, i = _MONOGRAPHS[char], i + 1
        else:
            roman, i = char, i + 1
        if double_next and roman and roman[0].isalpha():
            roman = ("t" + roman) if roman.startswith("ch") else roman[0] + roman
        double_next = False
        out.append(roman)
    return _LONG_VOWEL.sub(lambda m: m.group(1)[0], "".join(out))


def is_latin(text: str) -> bool:
    """A name written in Latin letters (with diacritics): read as it is written."""
    letters = [c for c in text if c.isalpha()]
    return bool(letters) and all("LATIN" in unicodedata.name(c, "") for c in letters)


def is_han(text: str) -> bool:
    """A name in Chinese characters only (王 伟, 田中 一郎): a Chinese voice reads it."""
    letters = [c for c in text if c.isalpha()]
    return bool(letters) and all("CJK UNIFIED" in unicodedata.name(c, "") for c in letters)


def spoken_name(name: Name, language: str) -> str:
    """What the voice says for a person in `language`."""
    if language == "ja":
        return (name.kana or name.name).strip()
    if is_latin(name.name) or (language == "zh" and is_han(name.name)):
        return name.name.strip()
    if name.kana:
        return romanize(name.kana)
    return name.name.strip()


def japanese_time(t: ClockTime) -> str:
    """「7時45分」, 「17時」 (on the hour), 「0時5分」: the 24-hour clock of site time sheets."""
    return f"{t.hour}時" if t.minute == 0 else f"{t.hour}時{t.minute}分"


def english_time(t: ClockTime) -> str:
    """ "7:45 a.m.", "5:30 p.m.", "12 noon"."""
    if (t.hour, t.minute) == (12, 0):
        return "12 noon"
    hour12 = t.hour % 12 or 12
    suffix = "a.m." if t.hour < 12 else "p.m."
    return f"{hour12} {suffix}" if t.minute == 0 else f"{hour12}:{t.minute:02d} {suffix}"


def vietnamese_time(t: ClockTime) -> str:
    """ "7 giờ 45 phút", "17 giờ" (Vietnamese sites use the 24-hour clock too)."""
    return f"{t.hour} giờ" if t.minute == 0 else f"{t.hour} giờ {t.minute} phút"


ENGLISH_MONTHS = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)  # fmt: skip


def japanese_date(d: CalendarDate) -> str:
    """「12月1日」."""
    return f"{d.month}月{d.day}日"


def english_date(d: CalendarDate) -> str:
    """ "December 1"."""
    return f"{ENGLISH_MONTHS[d.month - 1]} {d.day}"


def vietnamese_date(d: CalendarDate) -> str:
    """ "ngày 1 tháng 12"."""
    return f"ngày {d.day} tháng {d.month}"
