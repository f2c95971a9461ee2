"""Bahasa Indonesia (Indonesian)."""

from __future__ import annotations

from ivr_flows.messages.base import Catalogue
from ivr_flows.model import CalendarDate, ClockTime

MONTHS = (
    "Januari", "Februari", "Maret", "April", "Mei", "Juni",
    "Juli", "Agustus", "September", "Oktober", "November", "Desember",
)  # fmt: skip


def indonesian_time(t: ClockTime) -> str:
    """ "pukul 7 lewat 45 menit", "pukul 17": the 24-hour clock, said in words."""
    return f"pukul {t.hour}" if t.minute == 0 else f"pukul {t.hour} lewat {t.minute} menit"


def indonesian_date(d: CalendarDate) -> str:
    """ "1 Desember"."""
    return f"{d.day} {MONTHS[d.month - 1]}"


CATALOGUE = Catalogue(
    code="id",
    time=indonesian_time,
    date=indonesian_date,
    site="proyek {code}",
    words={"entry": "masuk", "exit": "pulang", "touch": "tap kartu"},
    item="{word} {time}",
    item_separator=", ",
    option="Untuk {name}, tekan {digit}",
    option_separator=". ",
    messages={
        "recorded_entry": "{name}, jam masuk {time} sudah dicatat.",
        "recorded_exit": "{name}, jam pulang {time} sudah dicatat. Terima kasih untuk hari ini.",
        "recorded_exit_overnight": (
            "{name}, jam pulang {time} sudah dicatat, untuk shift malam yang mulai kemarin "
            "{since}. Terima kasih."
        ),
        "entry_recorded_at": "{name}, jam masuk {time} sudah dicatat.",
        "exit_confirm_ask": "Untuk mencatat jam pulang sekarang, tekan {key}.",
        "exit_not_recorded": "Jam pulang tidak dicatat. Sampai jumpa.",
        "recorded_entry_no_exit_yesterday": (
            "{name}, setelah masuk kemarin {since} tidak ada jam pulang. "
            "Jam masuk hari ini {time} sudah dicatat."
        ),
        "recorded_entry_no_exit": (
            "{name}, setelah masuk {since} tidak ada jam pulang. "
            "Jam masuk baru {time} sudah dicatat."
        ),
        "already_recorded": "{name}, ini sudah dicatat {time}.",
        "menu_hint": "Untuk mengubah, tekan {key}.",
        "menu": (
            "Untuk mencatat masuk, tekan 1. Untuk mencatat pulang, tekan 2. "
            "Untuk mendengar catatan hari ini, tekan 3. "
            "Untuk mendengar catatan bulan ini, tekan 4."
        ),
        "today_summary": "Catatan hari ini untuk {name}: {items}.",
        "today_none": "Belum ada catatan untuk {name} hari ini.",
        "month_summary": (
            "Hari kerja yang tercatat bulan ini untuk {name}, di semua proyek: {days}. "
            "Yang terakhir {last}, di {site}."
        ),
        "month_none": "Belum ada hari kerja yang tercatat untuk {name} bulan ini.",
        "month_unregistered": (
            "{name} belum mendaftarkan ID pekerja CCUS, jadi hari kerja tidak tercatat. "
            "Silakan tanya kantor proyek."
        ),
        "month_kentaikyo": "Perkiraan dana pensiun Kentaikyo: {yen} yen.",
        "correction_offer": "Jika perlu diperbaiki, tekan 1, kantor proyek akan diberi tahu.",
        "correction_sent": "Kantor proyek sudah diberi tahu. Sampai jumpa.",
        "ask_site_code": "Silakan masukkan kode proyek, lalu tekan tanda pagar.",
        "site_code_again": (
            "Kode proyek itu tidak ditemukan. Silakan masukkan kode proyek lagi, "
            "lalu tekan tanda pagar."
        ),
        "site_code_failed": (
            "Kode proyek tidak dapat dipastikan. Silakan tanya kantor proyek. Sampai jumpa."
        ),
        "crew_choose": "{options}. Untuk semua orang, tekan 0.",
        "unknown_caller": "Nomor telepon ini belum terdaftar.",
        "withheld_caller": "Nomor Anda disembunyikan, jadi kami tidak tahu siapa yang menelepon.",
        "ask_ccus_id": (
            "Untuk mencatat dengan ID pekerja CCUS, masukkan 14 angkanya, lalu tekan tanda pagar."
        ),
        "ccus_id_again": (
            "ID pekerja terdiri dari 14 angka. Silakan masukkan lagi, lalu tanda pagar."
        ),
        "ask_pin": "Sekarang masukkan PIN Anda, lalu tekan tanda pagar.",
        "pin_wrong": "ID pekerja atau PIN tidak benar.",
        "locked_out": "Karena salah berkali-kali, pencatatan dengan PIN diblokir untuk sementara.",
        "anonymous_goodbye": (
            "Kantor proyek akan diberi tahu tentang panggilan ini. Silakan minta kantor "
            "mendaftarkan nomor telepon Anda. Sampai jumpa."
        ),
        "goodbye": "Sampai jumpa.",
        "spooled": "Catatan Anda sudah diterima. Sampai jumpa.",
        "system_down": (
            "Karena gangguan sistem, tidak ada yang tercatat. Silakan telepon lagi nanti, "
            "atau beri tahu kantor proyek."
        ),
    },
)
