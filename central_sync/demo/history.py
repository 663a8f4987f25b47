"""Years of made-up but plausible trade at the demo network's sale points, for the review pages and their bench
(`flask --app central_sync generate-history`).

Deterministic (one ``random.Random(seed)`` and an ``until`` day decide every row) and fast: the rows are made
in memory, day by day, and written with COPY on PostgreSQL (executemany on SQLite, for small tests). What it
makes, as the sync and the stock services would have written it:

- sales with their lines and one payment each, at the 22 sale points, numbered ``HIST-<code>-<n>`` (what marks
  a generated sale); a ``sale`` movement per product and sale; a few refunds (``refund`` movements) days later;
- seasons (the weeks before Tết, the summer, the rainy autumn, growth year on year), weekends busier than
  Mondays, a few products selling far more than the rest, busy and quiet points; one point opened late and
  two silent for days (their devices' ``last_sync_at`` says so, with a ``kiosk_silent`` alert);
- weekly transfers from the warehouse to each point (``transfer_out`` when shipped, ``transfer_in`` when the
  kiosk received them two days later; the last ones still in transit; a few received short with their
  ``transfer_discrepancy`` alert), monthly deliveries to the warehouse, ``oversell`` alerts where a point sold
  beyond its stock;
- the balances moved by exactly the ledger's sums, so that balances == ledger holds.
"""
from __future__ import annotations

import hashlib
import json
import math
import random
import uuid
from bisect import bisect
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from itertools import accumulate

from sqlalchemy import func, select, text

from central_sync import demo
from central_sync.extensions import db
from central_sync.models import SELLING_KINDS, Device, Location, Price, Product, Sale, StockBalance
from central_sync.network.services import create_device
from central_sync.demo.bulk import Sink, drop_indexes
from central_sync.protocol import Conflict

NUMBER_PREFIX = "HIST-"  # the numbers of generated sales; any other sale is a real one
LOCAL = timezone(timedelta(hours=7))  # Asia/Ho_Chi_Minh: no daylight saving
LUNAR_NEW_YEAR = {2019: date(2019, 2, 5), 2020: date(2020, 1, 25), 2021: date(2021, 2, 12), 2022: date(2022, 2, 1),
                  2023: date(2023, 1, 22), 2024: date(2024, 2, 10), 2025: date(2025, 1, 29), 2026: date(2026, 2, 17),
                  2027: date(2027, 2, 6), 2028: date(2028, 1, 26), 2029: date(2029, 2, 13), 2030: date(2030, 2, 3)}
WEEKDAY = (0.8, 0.9, 0.95, 1.0, 1.1, 1.35, 1.5)  # Monday .. Sunday
LINES_PER_SALE = (1, 2, 3, 4, 5)
LINES_PER_SALE_WEIGHTS = (42, 30, 15, 9, 4)
PAYMENT_METHODS = ("cash", "transfer", "card")  # the contract's
PAYMENT_WEIGHTS = (62, 28, 10)
REFUND_RATE = 0.003
SHORT_RECEIPT_RATE = 0.01
REJECTED_RATE = 0.0005  # sales a kiosk sent that central could not apply (an SKU it no longer knows)


@dataclass(frozen=True)
class Summary:
    sales: int
    lines: int
    refunds: int
    transfers: int
    movements: int
    alerts: int
    first_day: date
    last_day: date

    def __str__(self) -> str:
        return (f"{self.sales:,} sales ({self.lines:,} lines), {self.refunds:,} refunds, {self.transfers:,} "
                f"transfers, {self.movements:,} stock movements, {self.alerts:,} alerts, "
                f"from {self.first_day.isoformat()} to {self.last_day.isoformat()}")


def _sales(generated: bool) -> int:
    """How many sales central holds that the generator made (``generated``), or that it did not (real ones)."""
    made = Sale.number.startswith(NUMBER_PREFIX)
    return db.session.scalar(select(func.count()).select_from(Sale).where(made if generated else ~made))


def generate(years: float = 3, lines: int = 5_000_000, seed: int = 2024, *, until: date | None = None,
             force: bool = False) -> Summary:
    """Add ``lines`` sale lines over the ``years`` up to ``until`` (today, local), and all that goes with them.
    Loads the demo network first when it is missing. Refuses a database with real sales, or with history made
    already, unless ``force``. Does not commit."""
    existing = _sales(generated=True)
    if not force:
        if _sales(generated=False):
            raise Conflict("This database holds real sales: history is generated only on a demo database "
                           "(--force to add it anyway).", code="real_sales")
        if existing:
            raise Conflict("History was generated here already (--force to add more).", code="history_exists")
    if db.session.scalar(select(func.count()).select_from(Product)) == 0:
        demo.load()
        db.session.flush()
    # More history on top of some: other ids and numbers (the same seed would make the same ones again).
    return _Generator(years, lines, f"{seed}+{existing}" if existing else seed,
                      until or datetime.now(LOCAL).date()).run()


@dataclass(frozen=True)
class _Point:
    id: int
    code: str
    device_id: int


class _Generator:
    def __init__(self, years: float, lines: int, seed: int | str, until: date):
        self.rng = random.Random(seed)
        self.lines = lines
        self.until = until
        self.first = until - timedelta(days=max(1, round(years * 365)) - 1)
        self.now = datetime.combine(until, time(20, 30), LOCAL)
        self.sink = Sink()
        self.null = self.sink.null
        self.balances = Counter()  # (location id, product id) -> the delta generated
        self.moving = defaultdict(Counter)  # location id -> product id -> shipped, not received yet

    # --- the network ------------------------------------------------------------------------------
    def _network(self) -> None:
        rng = self.rng
        locations = db.session.scalars(select(Location).order_by(Location.code)).all()
        selling = [location for location in locations if location.kind in SELLING_KINDS and location.active]
        if not selling:
            raise Conflict("No sale point to generate sales at.", code="no_sale_point")
        warehouse = next((location for location in locations if location.kind == "warehouse"), None)
        self.warehouse = warehouse.id if warehouse is not None else None
        self.devices = {}
        for location in selling:
            device = db.session.scalar(select(Device).where(Device.location_id == location.id,
                                                            Device.revoked_at.is_(None)))
            self.devices[location.id] = device or create_device(location.code)[0]
        db.session.flush()
        self.points = [_Point(location.id, location.code, self.devices[location.id].id) for location in selling]
        products = db.session.scalars(select(Product).where(Product.active.is_(True)).order_by(Product.id)).all()
        prices = dict(db.session.execute(select(Price.product_id, Price.price_vnd).where(Price.location_id.is_(None))
                                         .order_by(Price.valid_from, Price.id)).all())
        self.products = [(product.id, product.sku, prices.get(product.id, 50_000)) for product in products]
        self.sku = {product_id: sku for product_id, sku, _ in self.products}
        # Popularity: a few products sell far more than the rest (Zipf over a seeded order; coffee and honey first).
        order = sorted(range(len(self.products)), key=lambda i: (
            0 if self.products[i][1].startswith(("CF-", "MO-")) else 1, rng.random()))
        self.popularity = [0.0] * len(self.products)
        for rank, index in enumerate(order):
            self.popularity[index] = 1 / (rank + 2) ** 1.1
        self.product_cumulative = list(accumulate(self.popularity))
        # Busy and quiet points; one opened late, two silent for days before ``until``.
        self.point_weight = {point.id: rng.lognormvariate(0, 0.5) for point in self.points}
        self.opened = {point.id: self.first for point in self.points}
        self.closed = {point.id: self.until for point in self.points}
        shuffled = self.points[:]
        rng.shuffle(shuffled)
        if len(shuffled) >= 4:
            self.opened[shuffled[0].id] = self.until - timedelta(days=min(240, (self.until - self.first).days // 2))
            self.closed[shuffled[1].id] = self.until - timedelta(days=3)
            self.closed[shuffled[2].id] = self.until - timedelta(days=9)

    # --- the calendar ------------------------------------------------------------------------------
    def _day_weight(self, day: date) -> float:
        weight = WEEKDAY[day.weekday()] * (1 + 0.15 * (day - self.first).days / 365)  # growth
        for new_year in (LUNAR_NEW_YEAR.get(day.year), LUNAR_NEW_YEAR.get(day.year + 1)):
            if new_year is not None:
                before = (new_year - day).days
                if 0 < before <= 21:
                    weight *= 1 + 1.6 * (1 - before / 21)  # gifts before Tết
                elif -4 < before <= 0:
                    weight *= 0.25  # the days of Tết: most points closed
        if day.month in (6, 7, 8):
            weight *= 1.2  # summer visitors
        elif day.month in (9, 10):
            weight *= 0.85  # rains
        if day.month == 3 and day.day <= 15 and day.year % 2 == 1:
            weight *= 1.4  # the Buôn Ma Thuột coffee festival
        return weight

    # --- the run -----------------------------------------------------------------------------------
    def run(self) -> Summary:
        self._network()
        rebuild = drop_indexes() if self.sink.postgresql else []
        days = [self.first + timedelta(days=n) for n in range((self.until - self.first).days + 1)]
        cells = [(day, point.id, self._day_weight(day) * self.point_weight[point.id])
                 for day in days for point in self.points
                 if self.opened[point.id] <= day <= self.closed[point.id]]
        total_weight = sum(weight for _, _, weight in cells)
        quotas, running = {}, 0.0
        for day, point_id, weight in cells:  # whole lines per point and day adding up to exactly ``lines``
            before = round(running)
            running += self.lines * weight / total_weight
            quotas[day, point_id] = round(running) - before
        # The stock each point is topped up to, per product: three weeks and a half of its usual sales.
        self.target = {}
        per_day, units_per_line = self.lines / max(1, len(days)), 1.6
        all_points, all_products = sum(self.point_weight.values()), self.product_cumulative[-1]
        for point in self.points:
            share = per_day * self.point_weight[point.id] / all_points
            for (product_id, _, _), weight in zip(self.products, self.popularity):
                self.target[point.id, product_id] = max(
                    6, math.ceil(share * weight / all_products * units_per_line * 1.5 * 21))
        made_before = db.session.execute(select(Sale.location_id, func.max(Sale.number))  # 7 digits: max is last
                                         .where(Sale.number.startswith(NUMBER_PREFIX)).group_by(Sale.location_id))
        self.numbers = Counter({location_id: int(number.rsplit("-", 1)[1]) for location_id, number in made_before})
        self.pending_refunds = defaultdict(list)  # day -> refunds to make then
        self.in_transit = defaultdict(list)  # day -> transfers received then
        self.shipped_this_month = Counter()
        for day in days:
            if day.day == 1 or day == self.first:
                self._deliver_to_warehouse(day)
            for point in self.points:
                if self.opened[point.id] <= day <= self.closed[point.id]:
                    if (day - self.first).days % 7 == point.id % 7 or day == self.opened[point.id]:
                        self._ship(day, point)
                    self._sell(day, point, quotas.get((day, point.id), 0))
            for transfer in self.in_transit.pop(day, ()):
                self._receive(*transfer)
            for refund in self.pending_refunds.pop(day, ()):
                self._refund(day, *refund)
        self._silent_alerts()
        self.sink.close()
        for statement in rebuild:  # one index build and one check per constraint instead of one per row
            db.session.execute(text(statement))
        self._balances_and_devices()
        counts = self.sink.counts
        return Summary(sales=counts["sales"], lines=counts["sale_lines"], refunds=counts["refunds"],
                       transfers=counts["transfers"], movements=counts["stock_movements"], alerts=counts["alerts"],
                       first_day=self.first, last_day=self.until)

    def _id(self, moment: datetime) -> str:
        """A UUID whose first bits are the time (as UUIDv7): rows go in at the end of the indexes."""
        millis = int(moment.timestamp() * 1000)
        bits = (millis << 80) | (0x7 << 76) | (self.rng.getrandbits(12) << 64) | (0b10 << 62) | \
            self.rng.getrandbits(62)
        return str(uuid.UUID(int=bits))

    def _moment(self, day: date, hour_from: int = 7, hour_to: int = 20) -> datetime:
        seconds = self.rng.randrange(hour_from * 3600, hour_to * 3600)
        return datetime.combine(day, time(), LOCAL) + timedelta(seconds=seconds)

    def _move(self, location_id: int, product_id: int, delta: int, reason: str, ref: str, at: str,
              device_id, detail=None) -> None:
        self.sink.add("stock_movements", (location_id, product_id, delta, reason,
                                          self.null if detail is None else detail, ref, device_id, at))
        self.balances[location_id, product_id] += delta

    def _alert(self, kind: str, location_id: int, sku, ref: str, message: str, at: str) -> None:
        self.sink.add("alerts", (kind, location_id, self.null if sku is None else sku, ref, message[:500], at))

    def _sell(self, day: date, point: _Point, quota: int) -> None:
        rng, products, cumulative, balances, add = self.rng, self.products, self.product_cumulative, \
            self.balances, self.sink.add
        top, last, now, stamp = cumulative[-1], len(products) - 1, self.now, self.sink.stamp
        location_id, device_id = point.id, point.device_id
        sizes = rng.choices(LINES_PER_SALE, LINES_PER_SALE_WEIGHTS, k=quota)
        start, moments = datetime.combine(day, time(7), LOCAL), []
        while quota > 0:
            size = min(quota, sizes[quota - 1])
            quota -= size
            moments.append((rng.randrange(13 * 3600), size))
        moments.sort()
        for seconds, size in moments:
            at = start + timedelta(seconds=seconds)
            chosen = set()
            while len(chosen) < min(size, len(products)):
                chosen.add(min(bisect(cumulative, rng.random() * top), last))
            self.numbers[location_id] += 1
            sale_id = self._id(at)
            total, lines = 0, []
            for index in sorted(chosen):
                product_id, sku, price = products[index]
                qty = 1 if rng.random() < 0.7 else rng.randint(2, 4)
                discount = price * qty // 20 if rng.random() < 0.03 else 0  # 5% off now and then
                amount = qty * price - discount
                total += amount
                lines.append((product_id, sku, qty, amount, price, discount))
            received = stamp(min(at + timedelta(minutes=rng.randint(1, 180)), now))
            add("sales", (sale_id, f"{NUMBER_PREFIX}{point.code}-{self.numbers[location_id]:07d}", location_id,
                          device_id, stamp(at), total, received))
            for product_id, _, qty, amount, price, discount in lines:  # after their sale: a flush keeps the order
                add("sale_lines", (sale_id, product_id, qty, price, discount, amount))
            add("payments", (sale_id, rng.choices(PAYMENT_METHODS, PAYMENT_WEIGHTS)[0], total))
            for product_id, sku, qty, *_ in lines:
                add("stock_movements", (location_id, product_id, -qty, "sale", self.null, sale_id, device_id,
                                        received))
                balances[location_id, product_id] -= qty
                if balances[location_id, product_id] < 0:
                    self._alert("oversell", location_id, sku, sale_id,
                                f"{sku}: sold beyond stock, balance {balances[location_id, product_id]}", received)
            if rng.random() < REJECTED_RATE:
                self._rejected(point, at, received)
            if rng.random() < REFUND_RATE:
                product_id, sku, qty, amount, *_ = rng.choice(lines)
                when = day + timedelta(days=rng.randint(0, 5))
                if when <= min(self.until, self.closed[location_id]):
                    self.pending_refunds[when].append((point, sale_id, at, product_id, 1, amount // qty))

    def _rejected(self, point: _Point, at: datetime, received: str) -> None:
        """A sale event refused by central (kept for review with its alert); only refused events are made:
        applied ones would be a row of sync_events per sale."""
        self.numbers[point.id] += 1
        seq, event_id, sku = self.numbers[point.id], self._id(at), f"OLD-{self.rng.randrange(100):02d}"
        payload = {"id": self._id(at), "number": f"{point.code}-{seq}", "created_at": at.isoformat(),
                   "lines": [{"sku": sku, "qty": 1, "unit_price_vnd": 50_000}], "total_vnd": 50_000}
        payload = json.dumps(payload, ensure_ascii=False)
        if self.sink.postgresql:
            payload = payload.replace("\\", "\\\\")
        self.sink.add("sync_events", (event_id, point.device_id, point.id, seq, "sale", self.sink.stamp(at), payload,
                                      hashlib.sha256(payload.encode()).hexdigest(), "rejected", "unknown_product",
                                      received))
        self._alert("rejected_event", point.id, sku, event_id, f"sale #{seq}: No product has SKU {sku}.", received)

    def _refund(self, day: date, point: _Point, sale_id: str, sold_at: datetime, product_id: int, qty: int,
                amount: int) -> None:
        at = max(self._moment(day), sold_at + timedelta(minutes=10))
        refund_id, stamp = self._id(at), self.sink.stamp(at)
        reason = self.rng.choice(("Khách đổi ý", "Hàng lỗi bao bì", "Hết hạn sử dụng", None))
        self.sink.add("refunds", (refund_id, sale_id, point.id, self.null if reason is None else reason, stamp))
        self.sink.add("refund_lines", (refund_id, product_id, qty, amount))
        self._move(point.id, product_id, qty, "refund", refund_id, stamp, point.device_id)

    def _deliver_to_warehouse(self, day: date) -> None:
        """Producers deliver to the warehouse at the start of each month: what was shipped last month, and more."""
        if self.warehouse is None:
            return
        at = self.sink.stamp(datetime.combine(day, time(8), LOCAL))
        ref = f"hist-delivery-{day:%Y-%m}"
        for product_id, _, _ in self.products:
            need = max(40, self.shipped_this_month[product_id] * 13 // 10
                       - self.balances[self.warehouse, product_id] // 2)
            self._move(self.warehouse, product_id, need, "opening", ref, at, self.null, "Giao từ nhà sản xuất")
        self.shipped_this_month.clear()

    def _ship(self, day: date, point: _Point) -> None:
        """The weekly transfer topping a point's stock up to its targets."""
        if self.warehouse is None:
            return
        lines = []
        for product_id, _, _ in self.products:
            missing = self.target[point.id, product_id] - self.balances[point.id, product_id] \
                - self.moving[point.id][product_id]
            if missing > 0:
                lines.append((product_id, missing))
        if not lines:
            return
        shipped = datetime.combine(day, time(6), LOCAL) + timedelta(minutes=self.rng.randrange(60))
        transfer_id, at = self._id(shipped), self.sink.stamp(shipped)
        arrives = day + timedelta(days=2)
        still_moving = arrives > self.until or arrives > self.closed[point.id]
        received_at = None if still_moving else self.sink.stamp(datetime.combine(arrives, time(9), LOCAL))
        self.sink.add("transfers", (transfer_id, self.warehouse, point.id,
                                    "in_transit" if still_moving else "received", at,
                                    self.null if still_moving else received_at, received_at or at))
        short = not still_moving and self.rng.random() < SHORT_RECEIPT_RATE
        received_lines = []
        for n, (product_id, qty) in enumerate(lines):
            got = None if still_moving else (qty - 1 if short and n == 0 else qty)
            self.sink.add("transfer_lines", (transfer_id, product_id, qty, self.null if got is None else got))
            self._move(self.warehouse, product_id, -qty, "transfer_out", transfer_id, at, self.null)
            self.shipped_this_month[product_id] += qty
            received_lines.append((product_id, qty, got))
        self.moving[point.id].update(dict(lines))
        if not still_moving:
            self.in_transit[arrives].append((point, transfer_id, received_at, received_lines))

    def _receive(self, point: _Point, transfer_id: str, at: str, lines: list) -> None:
        for product_id, qty, got in lines:
            self.moving[point.id][product_id] -= qty
            if got:
                self._move(point.id, product_id, got, "transfer_in", transfer_id, at, point.device_id)
            if got != qty:
                sku = self.sku[product_id]
                self._alert("transfer_discrepancy", point.id, sku, transfer_id,
                            f"{sku}: shipped {qty}, received {got}", at)

    def _silent_alerts(self) -> None:
        for point in self.points:
            if self.closed[point.id] < self.until:
                at = datetime.combine(self.closed[point.id] + timedelta(days=1), time(21), LOCAL)
                self._alert("kiosk_silent", point.id, None, str(point.device_id),
                            f"{point.code}: no sync since {self.closed[point.id].isoformat()}", self.sink.stamp(at))

    def _balances_and_devices(self) -> None:
        moved = [{"location_id": location_id, "product_id": product_id, "qty": qty}
                 for (location_id, product_id), qty in sorted(self.balances.items()) if qty]
        table = StockBalance.__table__
        if self.sink.postgresql:
            from sqlalchemy.dialects.postgresql import insert as upsert
        else:
            from sqlalchemy.dialects.sqlite import insert as upsert
        add = upsert(table)
        add = add.on_conflict_do_update(index_elements=[table.c.location_id, table.c.product_id],
                                        set_={"qty": table.c.qty + add.excluded.qty})
        for start in range(0, len(moved), 5_000):
            db.session.execute(add, moved[start:start + 5_000])
        for point in self.points:
            device = self.devices[point.id]
            silent = self.closed[point.id] < self.until
            last = datetime.combine(self.closed[point.id], time(20, 45), LOCAL) if silent else self.now
            device.last_sync_at = max(device.last_sync_at, last) if device.last_sync_at else last
            device.last_seq = max(device.last_seq or 0, self.numbers[point.id])
        db.session.flush()
        if self.sink.postgresql:
            db.session.execute(text("ANALYZE"))
