"""Texts of the site-office documents pages: targets (新目標), 出面表, 作業員名簿,
施工体系図 and the entrance poster (Japanese, English)."""

from __future__ import annotations

DOCUMENTS: dict[str, tuple[str, str]] = {
    # statistics against targets
    "stats.target_met": ("目標達成", "target met"),
    "stats.commitment_only": ("コミットメントのみ達成", "commitment met, target not"),
    "stats.commitment_missed": ("未達", "below commitment"),
    "stats.site_target_title": ("元請から通知された現場の目標", "Figures notified by the prime"),
    # the board's progress strip
    "board.progress_title": (
        "{fy}年度の進捗 ({day} まで)",
        "Fiscal year {fy} so far (to {day})",
    ),
    "board.progress_touches": ("元請のタッチ数", "Prime's touches"),
    # targets page
    "nav.targets": ("目標", "Targets"),
    "targets.title": ("新目標の登録", "Targets (新目標)"),
    "targets.enter": ("目標を登録する", "Enter targets"),
    "targets.lead": (
        "日建連から通知された年度 (4月〜3月) の目標とコミットメントを登録します。"
        "同じ年度をもう一度登録すると置き換えます。率は % で入力します。",
        "Enter the fiscal year's (April–March) target and commitment as notified. Entering the"
        " same year again replaces it. Rates are entered in percent.",
    ),
    "targets.prime": ("元請 (会員企業)", "Prime contractor (member company)"),
    "targets.fiscal_year": ("年度", "Fiscal year"),
    "targets.touches_target": ("タッチ数 目標", "Touches: target"),
    "targets.touches_commitment": ("タッチ数 コミットメント", "Touches: commitment"),
    "targets.company_rate_target": ("事業者登録率 目標 (%)", "Company registration: target (%)"),
    "targets.company_rate_commitment": (
        "事業者登録率 コミットメント (%)",
        "Company registration: commitment (%)",
    ),
    "targets.worker_rate_target": ("技能者登録率 目標 (%)", "Card holders: target (%)"),
    "targets.worker_rate_commitment": (
        "技能者登録率 コミットメント (%)",
        "Card holders: commitment (%)",
    ),
    "targets.save": ("登録", "Save"),
    "targets.saved": ("{fy}年度の目標を登録しました。", "Targets for FY{fy} saved."),
    "targets.replaced": ("{fy}年度の目標を置き換えました。", "Targets for FY{fy} replaced."),
    "targets.list": ("登録済みの目標", "Targets entered"),
    "targets.none": ("まだ登録されていません。", "None yet."),
    "targets.sites_title": ("現場に通知する目標", "Figures notified to each site"),
    "targets.sites_lead": (
        "現場ルートで各現場に通知した事業者登録率・技能者登録率・タッチ率 (%)。空欄は通知なし。",
        "The rates notified to each site (%); leave blank for none.",
    ),
    "targets.company_rate": ("事業者登録率 (%)", "Company registration (%)"),
    "targets.worker_rate": ("技能者登録率 (%)", "Card holders (%)"),
    "targets.accumulation_rate": ("タッチ率 (%)", "Touch rate (%)"),
    "targets.site_saved": ("{site} の目標を登録しました。", "Figures for {site} saved."),
    "targets.not_a_number": ("数字で入力してください", "enter a number"),
    # 出面表
    "nav.attendance": ("出面表", "Attendance"),
    "attendance.title": ("出面表 {month}", "Attendance sheet {month}"),
    "attendance.month": ("月", "Month"),
    "attendance.show": ("表示", "Show"),
    "attendance.worker": ("氏名", "Worker"),
    "attendance.total": ("計", "Total"),
    "attendance.heads": ("人数", "Head count"),
    "attendance.empty": ("この月の出面はありません。", "Nobody came this month."),
    "attendance.download_xlsx": ("⬇ Excel (A3横)", "⬇ Excel (A3 landscape)"),
    "attendance.download_csv": ("⬇ CSV", "⬇ CSV"),
    "attendance.print": ("印刷", "Print"),
    "attendance.not_counted": ("CCUSに計上されない日", "day not counted in CCUS"),
    "attendance.legend": (
        "○ = 出面 (時刻はマウスを合わせると表示)、△ = CCUSに計上されない日",
        "○ = came (hover for the times), △ = a day not counted in CCUS",
    ),
    # documents per site
    "documents.title": ("書類", "Documents"),
    "documents.roster": ("作業員名簿", "Worker roster"),
    "documents.roster_lead": (
        "その月に入場した技能者の名簿 (全建統一様式第5号の列順、会社ごとのシート、A3横)。",
        "The workers who came that month (columns of 全建統一様式第5号, a sheet per company).",
    ),
    "documents.roster_company": ("会社", "Company"),
    "documents.roster_all": ("全社", "All companies"),
    "documents.structure": ("施工体系図", "Contract tree chart"),
    "documents.poster": ("入口ポスター (A4 PDF)", "Entrance poster (A4 PDF)"),
    "documents.need_number": (
        "この現場には専用の番号がありません。共通番号を入れてください。",
        "This site has no number of its own: enter the shared number.",
    ),
    "documents.shared_number": ("共通番号", "Shared number"),
    "attendance.bad_month": ("月は YYYY-MM で指定してください", "give the month as YYYY-MM"),
    "attendance.previous": ("← 前月", "← previous month"),
    "attendance.next": ("翌月 →", "next month →"),
    "documents.pdf": ("⬇ PDF", "⬇ PDF"),
    "documents.svg": ("⬇ SVG", "⬇ SVG"),
    "documents.xlsx": ("⬇ Excel", "⬇ Excel"),
    "structure_chart.title": ("施工体系図", "Contract tree chart"),
    "structure_chart.unconfirmed": ("未確認", "unconfirmed"),
    "structure_chart.trade": ("工種", "Trade"),
    "structure_chart.chief": ("主任技術者", "Chief engineer"),
    "structure_chart.period": ("工期", "Period"),
    "structure_chart.works": ("工種・主任技術者・工期", "Trade, chief engineer, period"),
    "profile.title": ("作業員名簿の項目", "Roster fields"),
    "profile.lead": (
        "作業員名簿に載る個人情報です。空欄のままでかまいません。保険は種類か「適用除外」。",
        "Personal data printed on the roster; all optional. Insurance: the kind, or 適用除外.",
    ),
    "profile.qualifications_hint": ("「;」か「、」で区切る", "separate with ; or 、"),
    "profile.date_hint": ("例: 1980-05-01", "e.g. 1980-05-01"),
    "documents.inductions": ("受入教育実施日", "Site induction dates"),
    "documents.inductions_lead": (
        "この月に入場した技能者の受入教育実施日 (作業員名簿に載ります)。",
        "The induction date of each worker who came this month (printed on the roster).",
    ),
}
