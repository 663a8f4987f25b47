"""Putting the kiosk's outbox back in step with central's seq for its device, by an explicit step of a person
(README "Backups and restore"):

- after this database was restored from an old backup (`flask --app kiosk sync --after-restore`): central
  holds events of the lost hours under seqs this kiosk has given again to new events, and answers 409
  seq_conflict with the seq it expects next. The events it holds from before the backup are sent as they
  are (duplicates); the waiting events from the conflict on get the seqs from `expected_seq` on. Their sales
  get new receipt numbers past those the lost hours may have used (central keeps numbers unique). Last, the
  stock here is set to central's figures, which count the lost hours' sales.
- after the kiosk was enrolled with a new device while it holds events of the old one
  (`flask --app kiosk enroll URL TOKEN --new-device`): the events central acknowledged under the old device
  leave the outbox, and the waiting ones are numbered from 1, as a new device starts.

Only waiting events are renumbered, never one central acknowledged. Like the runner, `after_restore`,
`new_device` and `resync_stock` commit (each renumbering or correction in one transaction, then the sync as
usual); the rest never commits."""
from __future__ import annotations

from dataclasses import dataclass, field

from flask import current_app
from sqlalchemy import delete, func, select, update

from kiosk import counters
from kiosk.audit import services as audit
from kiosk.extensions import db
from kiosk.models import OutboxEvent, Product, Sale, StockBalance
from kiosk.sales.services import SALE_COUNTER, receipt_number
from kiosk.stock.services import move_stock
from kiosk.sync import runner
from kiosk.sync.client import Refused
from kiosk.sync.outbox import SEQ_COUNTER


class RecoveryRefused(Exception):
    """The situation is not the one this step is for; the message says what central answered."""


@dataclass
class Recovery:
    needed: bool = False
    lost_events: int = 0  # events central holds from this device that this database does not have
    renumbered: int = 0  # waiting events given new seqs
    dropped: int = 0  # acknowledged events of an old device taken out of the outbox
    receipts: list[tuple[str, str]] = field(default_factory=list)  # (old, new) sale numbers
    stock: list[tuple[str, int, int]] = field(default_factory=list)  # (sku, here before, central's) set right
    sync: dict | None = None  # the sync cycle that followed


def after_restore() -> Recovery:
    """Push; on a seq_conflict, renumber the events from the conflicting seq on after central's last, then sync."""
    recovery, pushed = Recovery(), 0
    try:
        pushed = runner.push_all(runner.central())
    except Refused as refusal:
        if refusal.code != "seq_conflict":
            raise
        db.session.rollback()
        conflict, expected = refusal.error.get("seq"), refusal.error.get("expected_seq")
        if not (isinstance(conflict, int) and isinstance(expected, int) and expected > conflict
                and _waiting_from(conflict)):
            raise RecoveryRefused(f"Central's answer does not fit a kiosk restored from a backup: {refusal}") from None
        recovery.needed, recovery.lost_events = True, expected - conflict
        recovery.receipts = renumber_receipts(conflict, recovery.lost_events)
        recovery.renumbered = renumber_events(conflict, expected)
        db.session.commit()
    recovery.sync = runner.sync_once()
    recovery.sync["pushed"] += pushed
    if recovery.lost_events:
        recovery.stock = resync_stock(runner.central())
    return recovery


def new_device() -> Recovery:
    """Before the first push with a new device's token: forget the old device's acknowledged events and number
    the waiting ones from 1; then sync."""
    recovery = Recovery()
    first = db.session.scalar(select(func.min(OutboxEvent.seq)).where(OutboxEvent.acked_at.is_(None)))
    recovery.dropped = db.session.execute(delete(OutboxEvent).where(OutboxEvent.acked_at.is_not(None))).rowcount
    if first is not None:
        recovery.renumbered = renumber_events(first, 1)
    else:
        counters.move_to(SEQ_COUNTER, 0)
    recovery.needed = bool(recovery.dropped or recovery.renumbered)
    db.session.commit()
    recovery.sync = runner.sync_once()
    return recovery


def resync_stock(client, attempts: int = 5) -> list[tuple[str, int, int]]:
    """Set the stock here to central's figures for this location, which count the sales of the lost hours that
    this database lacks (a stock count would send them to central as an adjustment, taking the goods off there
    a second time): local movements `resync`, no outbox event. Central's figures count this kiosk's events up to
    its acked seq; the write lock is taken after its answer (no request to central under it), and while a sale
    made meanwhile is not at central yet, the kiosk pushes and asks again. Returns (sku, before, after)."""
    for _ in range(attempts):
        runner.push_all(client)
        answer = client.stock()
        central = {line["sku"]: int(line["qty"]) for line in answer["stock"]}
        if db.session.scalar(select(func.count()).select_from(OutboxEvent)  # takes the write lock (CLI)
                             .where(OutboxEvent.seq > int(answer["acked_seq"]))):
            db.session.rollback()
            continue
        here = db.session.execute(select(Product.id, Product.sku, func.coalesce(StockBalance.qty, 0))
                                  .outerjoin(StockBalance, StockBalance.product_id == Product.id)).all()
        changed = [(product_id, sku, qty, central.get(sku, 0)) for product_id, sku, qty in here
                   if qty != central.get(sku, 0)]
        move_stock([(product_id, after - before) for product_id, _, before, after in changed], "resync")
        if changed:
            audit.record(None, "stock.resync", "stock", "all", products=len(changed))
        db.session.commit()
        return [(sku, before, after) for _, sku, before, after in changed]
    raise RecoveryRefused("Sales kept arriving while the stock was compared with central's; run the command again.")


def renumber_events(first: int, to: int) -> int:
    """Give the waiting events from seq ``first`` on the seqs from ``to`` on, in their order; the outbox's
    counter follows. Returns how many were renumbered."""
    if db.session.scalar(select(func.count()).select_from(OutboxEvent)
                         .where(OutboxEvent.seq >= first, OutboxEvent.acked_at.is_not(None))):
        raise RecoveryRefused(f"Events from seq {first} on were acknowledged by central: they keep their seqs.")
    offset = to - first
    moved = db.session.execute(update(OutboxEvent).where(OutboxEvent.seq >= first)  # through negatives: no clash
                               .values(seq=-(OutboxEvent.seq + offset))).rowcount
    db.session.execute(update(OutboxEvent).where(OutboxEvent.seq < 0).values(seq=-OutboxEvent.seq))
    counters.move_to(SEQ_COUNTER, db.session.scalar(select(func.max(OutboxEvent.seq))) or 0)
    return moved


def renumber_receipts(first: int, lost_events: int) -> list[tuple[str, str]]:
    """New numbers for the sales of the waiting events from seq ``first`` on (those made since the restore).
    They were numbered on from the backup's counter, as were the sales of the lost hours that central holds:
    those are among its ``lost_events`` events, so the numbers up to the backup's counter + ``lost_events``
    may be taken there. The sales go on past them, in their order; each change is in the audit trail."""
    events = db.session.scalars(select(OutboxEvent).where(OutboxEvent.seq >= first, OutboxEvent.type == "sale")
                                .order_by(OutboxEvent.seq)).all()
    if not events:
        return []
    at_backup = counters.current(SALE_COUNTER) - len(events)
    code, renumbered = current_app.config["KIOSK_CODE"], []
    sales = [db.session.get(Sale, event.payload["id"]) for event in events]
    olds = [sale.number for sale in sales]
    for i, sale in enumerate(sales):  # out of the way first: a new number may be another's old one
        sale.number = f"~{i}"
    db.session.flush()
    for value, event, sale, old in zip(range(at_backup + lost_events + 1, 2**62), events, sales, olds):
        new = receipt_number(code, value)
        sale.number = new
        event.payload = {**event.payload, "number": new}
        audit.record(None, "sale.renumber", "sale", sale.id, old_number=old, new_number=new)
        renumbered.append((old, new))
    counters.move_to(SALE_COUNTER, at_backup + lost_events + len(events))
    db.session.flush()
    return renumbered


def _waiting_from(seq: int) -> bool:
    event = db.session.get(OutboxEvent, seq)
    return event is not None and event.acked_at is None
