"""ภาษาไทย (Thai)."""

from __future__ import annotations

from ivr_flows.messages.base import Catalogue
from ivr_flows.model import CalendarDate, ClockTime

MONTHS = (
    "มกราคม", "กุมภาพันธ์", "มีนาคม", "เมษายน", "พฤษภาคม", "มิถุนายน",
    "กรกฎาคม", "สิงหาคม", "กันยายน", "ตุลาคม", "พฤศจิกายน", "ธันวาคม",
)  # fmt: skip


def thai_time(t: ClockTime) -> str:
    """ "7 นาฬิกา 45 นาที", "17 นาฬิกา": the 24-hour clock of announcements and time sheets."""
    return f"{t.hour} นาฬิกา" if t.minute == 0 else f"{t.hour} นาฬิกา {t.minute} นาที"


def thai_date(d: CalendarDate) -> str:
    """ "วันที่ 1 ธันวาคม"."""
    return f"วันที่ {d.day} {MONTHS[d.month - 1]}"


CATALOGUE = Catalogue(
    code="th",
    time=thai_time,
    date=thai_date,
    site="ไซต์งาน {code}",
    words={"entry": "เข้างาน", "exit": "ออกงาน", "touch": "แตะบัตร"},
    item="{word} {time}",
    item_separator=" ",
    option="{name} กด {digit}",
    option_separator=" ",
    messages={
        "recorded_entry": "คุณ {name} บันทึกเวลาเข้างาน {time} แล้ว",
        "recorded_exit": "คุณ {name} บันทึกเวลาออกงาน {time} แล้ว ขอบคุณสำหรับวันนี้",
        "recorded_exit_overnight": (
            "คุณ {name} บันทึกเวลาออกงาน {time} แล้ว สำหรับกะกลางคืนที่เริ่มเมื่อวาน {since} ขอบคุณ"
        ),
        "entry_recorded_at": "คุณ {name} บันทึกเวลาเข้างาน {time} ไว้แล้ว",
        "exit_confirm_ask": "หากต้องการบันทึกเวลาออกงานตอนนี้ กด {key}",
        "exit_not_recorded": "ยังไม่ได้บันทึกเวลาออกงาน สวัสดีค่ะ",
        "recorded_entry_no_exit_yesterday": (
            "คุณ {name} หลังเข้างานเมื่อวาน {since} ไม่มีบันทึกเวลาออกงาน บันทึกเวลาเข้างานวันนี้ {time} แล้ว"
        ),
        "recorded_entry_no_exit": (
            "คุณ {name} หลังเข้างาน {since} ไม่มีบันทึกเวลาออกงาน บันทึกเวลาเข้างานใหม่ {time} แล้ว"
        ),
        "already_recorded": "คุณ {name} บันทึกไว้แล้วเมื่อ {time}",
        "menu_hint": "หากต้องการแก้ไข กด {key}",
        "menu": ("บันทึกเข้างาน กด 1 บันทึกออกงาน กด 2 ฟังบันทึกวันนี้ กด 3 ฟังบันทึกเดือนนี้ กด 4"),
        "today_summary": "บันทึกวันนี้ของคุณ {name}: {items}",
        "today_none": "วันนี้ยังไม่มีบันทึกของคุณ {name}",
        "month_summary": (
            "วันทำงานที่บันทึกเดือนนี้ของคุณ {name} ทุกไซต์งาน: {days} วัน วันล่าสุดคือ{last} ที่{site}"
        ),
        "month_none": "เดือนนี้ยังไม่มีวันทำงานที่บันทึกของคุณ {name}",
        "month_unregistered": (
            "คุณ {name} ยังไม่ได้ลงทะเบียนรหัสคนงาน CCUS จึงไม่มีการบันทึกวันทำงาน กรุณาติดต่อสำนักงานไซต์งาน"
        ),
        "month_kentaikyo": "ประมาณการเงินกองทุนเกษียณ เคนไทเคียว: {yen} เยน",
        "correction_offer": "หากต้องการแก้ไข กด 1 แล้วเราจะแจ้งสำนักงานไซต์งาน",
        "correction_sent": "แจ้งสำนักงานไซต์งานแล้ว สวัสดีค่ะ",
        "ask_site_code": "กรุณากดรหัสไซต์งาน แล้วกดเครื่องหมายสี่เหลี่ยม",
        "site_code_again": ("ไม่พบรหัสไซต์งานนี้ กรุณากดรหัสไซต์งานอีกครั้ง แล้วกดเครื่องหมายสี่เหลี่ยม"),
        "site_code_failed": "ไม่สามารถยืนยันรหัสไซต์งานได้ กรุณาติดต่อสำนักงานไซต์งาน สวัสดีค่ะ",
        "crew_choose": "{options} ทุกคน กด 0",
        "unknown_caller": "หมายเลขโทรศัพท์นี้ยังไม่ได้ลงทะเบียน",
        "withheld_caller": "หมายเลขของคุณถูกซ่อนไว้ จึงไม่ทราบว่าใครโทรมา",
        "ask_ccus_id": "หากต้องการบันทึกด้วยรหัสคนงาน CCUS กรุณากดรหัส 14 หลัก แล้วกดเครื่องหมายสี่เหลี่ยม",
        "ccus_id_again": "รหัสคนงานมี 14 หลัก กรุณากดอีกครั้ง แล้วกดเครื่องหมายสี่เหลี่ยม",
        "ask_pin": "ต่อไป กรุณากดรหัส PIN แล้วกดเครื่องหมายสี่เหลี่ยม",
        "pin_wrong": "รหัสคนงานหรือรหัส PIN ไม่ถูกต้อง",
        "locked_out": "เนื่องจากกดผิดหลายครั้ง จึงไม่สามารถบันทึกด้วยรหัส PIN ได้ชั่วคราว",
        "anonymous_goodbye": (
            "เราจะแจ้งสำนักงานไซต์งานเรื่องสายนี้ กรุณาขอให้สำนักงานลงทะเบียนหมายเลขโทรศัพท์ของคุณ สวัสดีค่ะ"
        ),
        "goodbye": "สวัสดีค่ะ",
        "spooled": "ได้รับบันทึกของคุณแล้ว สวัสดีค่ะ",
        "system_down": ("เนื่องจากระบบขัดข้อง จึงยังไม่ได้บันทึก กรุณาโทรใหม่ภายหลัง หรือแจ้งสำนักงานไซต์งาน"),
    },
)
