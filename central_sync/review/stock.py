"""Stock across the locations: on hand, in transit and days of cover per (product, location), in a handful of
aggregate queries (never one per cell). Never commits."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import func, select

from central_sync.extensions import db
from central_sync.models import (SELLING_KINDS, Location, Producer, Product, Refund, RefundLine, Sale, SaleLine,
                                 SalesDaily, StockBalance, Transfer, TransferLine, utcnow)
from central_sync.reports import summary

COVER_WINDOW_DAYS = 14  # days of cover: on hand / the average daily sales over this many days
LOW_STOCK_QTY = 5  # defaults of the config's LOW_STOCK_THRESHOLD and LOW_STOCK_COVER_DAYS
LOW_COVER_DAYS = 7


@dataclass(frozen=True)
class StockFilters:
    """Which locations (district, kind, market) and products (producer, OCOP group, stars) a matrix covers.
    No kind: the sale points (kiosk clusters and kiosks)."""

    district: str | None = None
    kind: str | None = None
    market: str | None = None
    producer_id: int | None = None
    group: str | None = None
    stars: int | None = None

    def as_args(self) -> dict:
        """The filters as a page's query arguments (for links that keep them)."""
        names = {"producer_id": "producer"}
        return {names.get(k, k): v for k, v in self.__dict__.items() if v is not None}


@dataclass(frozen=True)
class LowStock:
    """A cell is low when its stock on hand is under ``qty``, or would last fewer than ``cover_days``."""

    qty: int = LOW_STOCK_QTY
    cover_days: float = LOW_COVER_DAYS


@dataclass
class Cell:
    on_hand: int | None = None  # None: the location has never held the product
    in_transit: int = 0  # shipped to the location, not received yet (not part of on_hand)
    sold: int = 0  # net of refunds, over the cover window
    cover: float | None = None  # days of cover; None when nothing sold
    state: str = "none"  # negative, low, ok; transit: only awaited; none: neither held nor awaited

    @property
    def empty(self) -> bool:
        return self.on_hand is None and not self.in_transit and not self.sold


@dataclass
class StockMatrix:
    locations: list[Location]
    products: list[Product]
    cells: dict[tuple[int, int], Cell]  # (product id, location id) -> cell
    totals: dict[int, Cell] = field(default_factory=dict)  # product id -> its row's totals
    window_days: int = COVER_WINDOW_DAYS

    def cell(self, product: Product, location: Location) -> Cell:
        return self.cells.get((product.id, location.id)) or Cell()

    def counts(self) -> dict[str, int]:
        """How many cells are negative and low."""
        states = [cell.state for cell in self.cells.values()]
        return {"negative": states.count("negative"), "low": states.count("low")}


def days_of_cover(on_hand: int, sold: int, window_days: int = COVER_WINDOW_DAYS) -> float | None:
    """On hand / average daily sales over the window; None when nothing (net) was sold."""
    if sold <= 0:
        return None
    return max(on_hand, 0) * window_days / sold


def _state(cell: Cell, low: LowStock) -> str:
    if cell.on_hand is None:
        return "transit" if cell.in_transit else "none"
    if cell.on_hand < 0:
        return "negative"
    if cell.on_hand < low.qty or (cell.cover is not None and cell.cover < low.cover_days):
        return "low"
    return "ok"


def filter_choices() -> dict:
    """What the filters offer: the districts and markets of the locations, the producers."""
    rows = db.session.execute(select(Location.district, Location.market).where(Location.active.is_(True))).all()
    return {"districts": sorted({d for d, _m in rows if d}), "markets": sorted({m for _d, m in rows if m}),
            "producers": list(db.session.execute(select(Producer.id, Producer.name)
                                                 .order_by(Producer.name, Producer.id)))}


def matrix_locations(filters: StockFilters) -> list[Location]:
    query = select(Location).where(Location.active.is_(True)).order_by(Location.kind, Location.code)
    query = query.where(Location.kind == filters.kind if filters.kind else Location.kind.in_(SELLING_KINDS))
    if filters.district:
        query = query.where(Location.district == filters.district)
    if filters.market:
        query = query.where(Location.market == filters.market)
    return list(db.session.scalars(query))


def matrix_products(filters: StockFilters) -> list[Product]:
    query = select(Product).where(Product.active.is_(True)).order_by(Product.sku)
    if filters.producer_id is not None:
        query = query.where(Product.producer_id == filters.producer_id)
    if filters.group:
        query = query.where(Product.ocop_group == filters.group)
    if filters.stars is not None:
        query = query.where(Product.ocop_stars == filters.stars)
    return list(db.session.scalars(query))


def stock_matrix(filters: StockFilters, low: LowStock = LowStock(), now: datetime | None = None) -> StockMatrix:
    """On hand, in transit, sales over the last COVER_WINDOW_DAYS (net of refunds) and days of cover of every
    (product, location) the filters keep: five queries whatever the size of the matrix."""
    locations, products = matrix_locations(filters), matrix_products(filters)
    matrix = StockMatrix(locations, products, {})
    if not locations or not products:
        return matrix
    location_ids, product_ids = [l.id for l in locations], [p.id for p in products]
    cells = matrix.cells
    for location_id, product_id, qty in on_hand(location_ids, product_ids):
        cells.setdefault((product_id, location_id), Cell()).on_hand = qty
    for location_id, product_id, qty in in_transit(location_ids, product_ids):
        cells.setdefault((product_id, location_id), Cell()).in_transit = qty
    since = (now or utcnow()) - timedelta(days=COVER_WINDOW_DAYS)
    for location_id, product_id, qty in net_sold(location_ids, product_ids, since):
        cells.setdefault((product_id, location_id), Cell()).sold = qty
    for (product_id, _location_id), cell in cells.items():
        if cell.on_hand is not None:
            cell.cover = days_of_cover(cell.on_hand, cell.sold)
        cell.state = _state(cell, low)
        total = matrix.totals.setdefault(product_id, Cell(on_hand=0))
        total.on_hand += cell.on_hand or 0
        total.in_transit += cell.in_transit
        total.sold += cell.sold
    for total in matrix.totals.values():
        total.cover = days_of_cover(total.on_hand, total.sold)
        total.state = _state(total, low)
    return matrix


def on_hand(location_ids: list[int], product_ids: list[int]) -> list[tuple[int, int, int]]:
    """(location id, product id, qty) of the cached balances."""
    return [(l, p, int(q)) for l, p, q in db.session.execute(
        select(StockBalance.location_id, StockBalance.product_id, StockBalance.qty)
        .where(StockBalance.location_id.in_(location_ids), StockBalance.product_id.in_(product_ids)))]


def in_transit(location_ids: list[int], product_ids: list[int]) -> list[tuple[int, int, int]]:
    """(destination id, product id, qty) shipped and not received yet."""
    return [(l, p, int(q)) for l, p, q in db.session.execute(
        select(Transfer.to_location_id, TransferLine.product_id, func.sum(TransferLine.qty))
        .join(Transfer, Transfer.id == TransferLine.transfer_id)
        .where(Transfer.status == "in_transit", Transfer.to_location_id.in_(location_ids),
               TransferLine.product_id.in_(product_ids))
        .group_by(Transfer.to_location_id, TransferLine.product_id))]


def net_sold(location_ids: list[int], product_ids: list[int], since: datetime) -> list[tuple[int, int, int]]:
    """(location id, product id, qty sold minus qty refunded) since ``since`` (a refund counts when made): the
    whole local days from the daily summary, the rest of ``since``'s day from the lines."""
    sold: dict[tuple[int, int], int] = {}
    window = summary.parts(since, None, months=False)
    for first, _stop in window.days:  # from the first midnight after ``since`` on
        for location_id, product_id, qty in db.session.execute(
                select(SalesDaily.location_id, SalesDaily.product_id,
                       func.sum(SalesDaily.sold_qty - SalesDaily.refunded_qty))
                .where(SalesDaily.location_id.in_(location_ids), SalesDaily.product_id.in_(product_ids),
                       SalesDaily.day >= first)
                .group_by(SalesDaily.location_id, SalesDaily.product_id)):
            sold[location_id, product_id] = sold.get((location_id, product_id), 0) + int(qty)
    for raw_start, raw_stop in window.raw:
        for sign, line, head, head_id in ((1, SaleLine, Sale, SaleLine.sale_id),
                                          (-1, RefundLine, Refund, RefundLine.refund_id)):
            for location_id, product_id, qty in db.session.execute(
                    select(head.location_id, line.product_id, func.sum(line.qty)).join(head, head.id == head_id)
                    .where(head.location_id.in_(location_ids), head.created_at >= raw_start,
                           head.created_at < raw_stop, line.product_id.in_(product_ids))
                    .group_by(head.location_id, line.product_id)):
                sold[location_id, product_id] = sold.get((location_id, product_id), 0) + sign * int(qty)
    return [(l, p, q) for (l, p), q in sold.items()]


def matrix_rows(matrix: StockMatrix) -> list[list]:
    """The matrix as a list, one row per (location, product) held, awaited or sold: for exports."""
    rows = []
    for location in matrix.locations:
        for product in matrix.products:
            cell = matrix.cells.get((product.id, location.id))
            if cell is None or cell.empty:
                continue
            rows.append([location.code, location.name, location.district or "", product.sku, product.name,
                         product.producer.name, product.ocop_stars, cell.on_hand or 0, cell.in_transit, cell.sold,
                         round(cell.cover, 1) if cell.cover is not None else None, cell.state])
    return rows
