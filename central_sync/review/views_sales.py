"""Sales review pages (admin and reviewer): revenue and quantity over time by day, week or month with charts,
top and bottom sellers, and breakdowns by product, producer, location, district and OCOP stars whose rows are
exactly those of `GET /api/v1/reports/sales`. Revenue is net of refunds, days are local (Asia/Ho_Chi_Minh)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from flask import Blueprint, abort, flash, render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from central_sync import ui
from central_sync.reports import services
from central_sync.review import charts
from central_sync.review.export import FORMATS, send_table

bp = Blueprint("review_sales", __name__, url_prefix="/review", template_folder="templates")

PERIOD_LABELS = {"day": _l("Day"), "week": _l("Week"), "month": _l("Month")}
GROUP_LABELS = {"product": _l("Product"), "producer": _l("Producer"), "location": _l("Location"),
                "district": _l("District"), "ocop_stars": _l("OCOP stars")}
DEFAULT_SPAN = {"day": timedelta(days=29), "week": timedelta(weeks=12) - timedelta(days=1),
                "month": timedelta(days=364)}
EARLIEST, LATEST = date(2000, 1, 1), date(2099, 12, 31)
MAX_SPAN = timedelta(days=3660)
RANKED = 10  # top and bottom sellers
CHARTED = 15  # rows of a breakdown drawn as bars


@dataclass
class Window:
    """The dates a page covers (local days, both included) and how its time series is cut."""

    first_day: date
    last_day: date
    period: str

    @property
    def start(self) -> datetime:
        return datetime.combine(self.first_day, time(), services.LOCAL)

    @property
    def stop(self) -> datetime:
        return datetime.combine(self.last_day + timedelta(days=1), time(), services.LOCAL)

    def args(self) -> dict:
        return {"from": self.first_day.isoformat(), "to": self.last_day.isoformat(), "period": self.period}


def _day(name: str) -> date | None:
    value = (request.args.get(name) or "").strip()
    if not value:
        return None
    try:
        day = date.fromisoformat(value)
    except ValueError:
        day = None
    if day is None or not EARLIEST <= day <= LATEST:
        flash(_("“%(value)s” is not a date; pick one in the calendar (for example 31/03/2026).", value=value),
              "error")
        raise ValueError(name)
    return day


def window() -> Window:
    """The page's window from its `from`, `to` and `period` arguments; a bad one is flashed in words and the
    default used instead (the last 30 days by day, 12 weeks by week, 12 months by month, up to today)."""
    period = request.args.get("period") if request.args.get("period") in services.PERIODS else "day"
    today = datetime.now(services.LOCAL).date()
    try:
        first_day, last_day = _day("from"), _day("to")
    except ValueError:
        first_day = last_day = None
    last_day = last_day or max(today, first_day or today)
    first_day = first_day or last_day - DEFAULT_SPAN[period]
    if first_day > last_day:
        flash(_("The start date is after the end date: the last days up to the end date are shown."), "error")
        first_day = last_day - DEFAULT_SPAN[period]
    if last_day - first_day > MAX_SPAN:
        flash(_("At most ten years at a time: the last ten years up to the end date are shown."), "error")
        first_day = last_day - MAX_SPAN
    return Window(first_day, last_day, period)


def _table_name(shown: Window, what: str) -> str:
    return f"ban-hang-{what}-{shown.first_day.isoformat()}-{shown.last_day.isoformat()}"


def period_label(start: date, period: str, short: bool = False) -> str:
    """How a period is named on the page: 31/03/2026; 30/03–05/04/2026 (a week from Monday); 03/2026."""
    if period == "month":
        return start.strftime("%m/%Y")
    if period == "week":
        end = start + timedelta(days=6)
        return start.strftime("%d/%m") if short else f"{start:%d/%m}–{end:%d/%m/%Y}"
    return start.strftime("%d/%m") if short else start.strftime("%d/%m/%Y")


@bp.get("/sales")
@ui.page_login_required("admin", "reviewer")
def sales():
    shown = window()
    series = services.sales_series(shown.period, shown.first_day, shown.last_day)
    products = services.sales_report("product", shown.start, shown.stop)
    top, bottom = services.top_and_bottom_products(shown.start, shown.stop, RANKED, report=products)
    points = [(period_label(row["period"], shown.period, short=True), row) for row in series]
    span = f"{shown.first_day:%d/%m/%Y} – {shown.last_day:%d/%m/%Y}"
    per = PERIOD_LABELS[shown.period]
    revenue_chart = charts.column_chart(
        [(label, row["revenue_vnd"]) for label, row in points], money=True,
        title=_("Revenue by %(period)s, net of refunds", period=str(per).lower()),
        desc=_("%(count)s bars from %(span)s; each bar is one %(period)s's revenue in đồng.",
               count=len(points), span=span, period=str(per).lower()))
    qty_chart = charts.column_chart(
        [(label, row["qty"]) for label, row in points], money=False,
        title=_("Quantity sold by %(period)s, net of refunds", period=str(per).lower()),
        desc=_("%(count)s bars from %(span)s; each bar is the units sold in one %(period)s.",
               count=len(points), span=span, period=str(per).lower()))
    return render_template("review/sales.html", window=shown, series=series, period_label=period_label,
                           revenue_chart=revenue_chart, qty_chart=qty_chart, top=top, bottom=bottom,
                           total_qty=sum(r["qty"] for r in series), total_vnd=sum(r["revenue_vnd"] for r in series),
                           periods=PERIOD_LABELS, groups=GROUP_LABELS, ranked=RANKED)


@bp.get("/sales/by/<group_by>")
@ui.page_login_required("admin", "reviewer")
def sales_breakdown(group_by: str):
    if group_by not in services.GROUPS:
        abort(404)
    shown = window()
    rows = services.sales_report(group_by, shown.start, shown.stop)
    charted = rows[:CHARTED]
    chart = charts.bar_chart(
        [(str(row["label"]), row["revenue_vnd"]) for row in charted],
        title=_("Revenue by %(group)s, net of refunds", group=str(GROUP_LABELS[group_by]).lower()),
        desc=_("%(count)s of %(total)s rows, highest revenue first, %(first)s – %(last)s.",
               count=len(charted), total=len(rows), first=shown.first_day.strftime("%d/%m/%Y"),
               last=shown.last_day.strftime("%d/%m/%Y"))) if rows else None
    return render_template("review/sales_breakdown.html", window=shown, group_by=group_by, rows=rows, chart=chart,
                           groups=GROUP_LABELS, periods=PERIOD_LABELS, charted=len(charted),
                           total_qty=sum(r["qty"] for r in rows), total_vnd=sum(r["revenue_vnd"] for r in rows))


@bp.get("/sales/<any(series, top, bottom):table>.<fmt>")
@ui.page_login_required("admin", "reviewer")
def sales_export(table: str, fmt: str):
    """The overview's tables as CSV or XLSX: the figures by period, the top or the bottom sellers."""
    if fmt not in FORMATS:
        abort(404)
    shown = window()
    money = [_("Quantity"), _("Revenue (VND)")]
    if table == "series":
        rows = [[row["period"], row["qty"], row["revenue_vnd"]]
                for row in services.sales_series(shown.period, shown.first_day, shown.last_day)]
        return send_table(fmt, _table_name(shown, shown.period), [str(PERIOD_LABELS[shown.period])] + money, rows)
    top, bottom = services.top_and_bottom_products(shown.start, shown.stop, RANKED)
    rows = [[row["key"], row["label"], row["qty"], row["revenue_vnd"]] for row in (top if table == "top" else bottom)]
    return send_table(fmt, _table_name(shown, table), [_("SKU"), _("Product")] + money, rows)


@bp.get("/sales/by/<group_by>.<fmt>")
@ui.page_login_required("admin", "reviewer")
def sales_breakdown_export(group_by: str, fmt: str):
    """A breakdown's rows (the API's) as CSV or XLSX."""
    if group_by not in services.GROUPS or fmt not in FORMATS:
        abort(404)
    shown = window()
    rows = [[row["key"], row["label"], row["qty"], row["revenue_vnd"]]
            for row in services.sales_report(group_by, shown.start, shown.stop)]
    return send_table(fmt, _table_name(shown, group_by.replace("_", "-")),
                      [_("Key"), str(GROUP_LABELS[group_by]), _("Quantity"), _("Revenue (VND)")], rows)
