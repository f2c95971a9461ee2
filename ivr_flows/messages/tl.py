"""Filipino (Tagalog)."""

from __future__ import annotations

from ivr_flows.messages.base import Catalogue
from ivr_flows.model import CalendarDate, ClockTime

MONTHS = (
    "Enero", "Pebrero", "Marso", "Abril", "Mayo", "Hunyo",
    "Hulyo", "Agosto", "Setyembre", "Oktubre", "Nobyembre", "Disyembre",
)  # fmt: skip


def filipino_time(t: ClockTime) -> str:
    """ "alas 7:45 ng umaga", "alas 5 ng hapon": the 12-hour clock with the part of the day,
    as Filipinos say it."""
    if t.hour < 6:
        part = "ng madaling-araw"
    elif t.hour < 12:
        part = "ng umaga"
    elif t.hour == 12:
        part = "ng tanghali"
    elif t.hour < 18:
        part = "ng hapon"
    else:
        part = "ng gabi"
    hour12 = t.hour % 12 or 12
    clock = f"{hour12}" if t.minute == 0 else f"{hour12}:{t.minute:02d}"
    return f"alas {clock} {part}"


def filipino_date(d: CalendarDate) -> str:
    """ "Disyembre 1"."""
    return f"{MONTHS[d.month - 1]} {d.day}"


CATALOGUE = Catalogue(
    code="tl",
    time=filipino_time,
    date=filipino_date,
    site="site {code}",
    words={"entry": "pasok", "exit": "labas", "touch": "tap ng card"},
    item="{word} {time}",
    item_separator=", ",
    option="Para kay {name}, pindutin ang {digit}",
    option_separator=". ",
    messages={
        "recorded_entry": "{name}, naitala na ang pasok mo {time}.",
        "recorded_exit": "{name}, naitala na ang labas mo {time}. Salamat sa araw na ito.",
        "recorded_exit_overnight": (
            "{name}, naitala na ang labas mo {time}, para sa night shift na nagsimula kahapon "
            "{since}. Salamat."
        ),
        "entry_recorded_at": "{name}, naitala na ang pasok mo {time}.",
        "exit_confirm_ask": "Para itala ang labas mo ngayon, pindutin ang {key}.",
        "exit_not_recorded": "Hindi naitala ang labas. Paalam.",
        "recorded_entry_no_exit_yesterday": (
            "{name}, walang naitalang labas pagkatapos ng pasok mo kahapon {since}. "
            "Naitala na ang pasok mo ngayon {time}."
        ),
        "recorded_entry_no_exit": (
            "{name}, walang naitalang labas pagkatapos ng pasok mo {since}. "
            "Naitala na ang bagong pasok {time}."
        ),
        "already_recorded": "{name}, naitala na ito {time}.",
        "menu_hint": "Para baguhin, pindutin ang {key}.",
        "menu": (
            "Para itala ang pasok, pindutin ang 1. Para itala ang labas, pindutin ang 2. "
            "Para marinig ang talaan ngayong araw, pindutin ang 3. "
            "Para marinig ang talaan ngayong buwan, pindutin ang 4."
        ),
        "today_summary": "Talaan ngayong araw ni {name}: {items}.",
        "today_none": "Wala pang talaan si {name} ngayong araw.",
        "month_summary": (
            "Mga araw ng trabaho ni {name} ngayong buwan, sa lahat ng site: {days}. "
            "Ang huli ay {last}, sa {site}."
        ),
        "month_none": "Wala pang naitalang araw ng trabaho si {name} ngayong buwan.",
        "month_unregistered": (
            "Walang nakarehistrong CCUS worker ID si {name}, kaya hindi naitatala ang mga araw "
            "ng trabaho. Magtanong po sa site office."
        ),
        "month_kentaikyo": "Tantiya para sa retirement fund na Kentaikyo: {yen} yen.",
        "correction_offer": ("Kung kailangang itama, pindutin ang 1 at sasabihan ang site office."),
        "correction_sent": "Nasabihan na ang site office. Paalam.",
        "ask_site_code": "Pakilagay ang site code, pagkatapos ay pindutin ang hash key.",
        "site_code_again": (
            "Hindi nakita ang site code na iyon. Pakilagay muli ang site code, pagkatapos ay "
            "pindutin ang hash key."
        ),
        "site_code_failed": (
            "Hindi makumpirma ang site code. Magtanong po sa site office. Paalam."
        ),
        "crew_choose": "{options}. Para sa lahat, pindutin ang 0.",
        "unknown_caller": "Hindi nakarehistro ang numerong ito.",
        "withheld_caller": "Nakatago ang numero mo, kaya hindi namin alam kung sino ang tumatawag.",
        "ask_ccus_id": (
            "Para magtala gamit ang CCUS worker ID, ilagay ang 14 na numero nito, pagkatapos ay "
            "pindutin ang hash key."
        ),
        "ccus_id_again": (
            "May 14 na numero ang worker ID. Pakilagay muli, pagkatapos ay ang hash key."
        ),
        "ask_pin": "Ngayon, ilagay ang PIN mo, pagkatapos ay pindutin ang hash key.",
        "pin_wrong": "Mali ang worker ID o ang PIN.",
        "locked_out": "Dahil sa sunud-sunod na maling pagpasok, hindi muna magagamit ang PIN.",
        "anonymous_goodbye": (
            "Sasabihan ang site office tungkol sa tawag na ito. Pakihiling sa kanila na "
            "irehistro ang numero mo. Paalam."
        ),
        "goodbye": "Paalam.",
        "spooled": "Natanggap na ang talaan mo. Paalam.",
        "system_down": (
            "Dahil sa problema sa sistema, walang naitala. Pakitawag muli mamaya, "
            "o sabihan ang site office."
        ),
    },
)
