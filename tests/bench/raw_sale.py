"""The baseline of the sale measure: the rows a kiosk sale writes, inserted with nothing but ``sqlite3``.

Same schema (a copy of the kiosk's database), same pragmas (WAL, synchronous=FULL, foreign keys), one
``BEGIN IMMEDIATE`` ... ``COMMIT`` per sale: the sale number counter, 5 stock movements and 5 balance
updates, the sale, its 5 lines, its payment, the outbox seq counter and event, and the audit entry.
Products, the cashier and the shift are read once before timing: only the writes are the baseline.
"""
from __future__ import annotations

import hashlib
import json
import sqlite3
import uuid
from datetime import datetime, timezone
from pathlib import Path

BALANCE = ("INSERT INTO stock_balances (product_id, qty) VALUES (?, ?) "
           "ON CONFLICT (product_id) DO UPDATE SET qty = stock_balances.qty + excluded.qty RETURNING qty")
COUNTER = "UPDATE counters SET value = value + 1 WHERE name = ? RETURNING value"


def copy_database(source: Path, target: Path) -> None:
    """A consistent copy of a live SQLite database (the backup API also copies what is still in the WAL)."""
    src, dst = sqlite3.connect(source), sqlite3.connect(target)
    try:
        src.backup(dst)
    finally:
        src.close()
        dst.close()


class RawKiosk:
    def __init__(self, path: Path, cashier: str, kiosk_code: str):
        self.db = sqlite3.connect(path, isolation_level=None)
        for pragma in ("journal_mode=WAL", "synchronous=FULL", "foreign_keys=ON"):
            self.db.execute(f"PRAGMA {pragma}")
        self.products = {row[1]: row for row in self.db.execute(
            "SELECT id, sku, name, ocop_stars, price_vnd FROM products")}
        self.cashier_id = self.db.execute("SELECT id FROM users WHERE username = ?", (cashier,)).fetchone()[0]
        self.shift_id = self.db.execute("SELECT id FROM shifts WHERE closed_at IS NULL").fetchone()[0]
        self.cashier, self.kiosk_code = cashier, kiosk_code

    def close(self) -> None:
        self.db.close()

    def sell(self, body: dict) -> None:
        db, sale_id, now = self.db, body["id"], datetime.now(timezone.utc)
        stamp = now.replace(tzinfo=None).isoformat(" ")
        lines = []
        for line_no, line in enumerate(body["lines"], 1):
            product_id, sku, name, stars, price = self.products[line["sku"]]
            discount = line.get("discount_vnd") or 0
            lines.append((sale_id, line_no, product_id, sku, name, stars, line["qty"], price, discount,
                          line["qty"] * price - discount, 0))
        total = sum(line[9] for line in lines)
        paid = sum(p["amount_vnd"] for p in body["payments"])

        db.execute("BEGIN IMMEDIATE")
        number = f"{self.kiosk_code}-{db.execute(COUNTER, ('sale_number',)).fetchone()[0]:06d}"
        warnings = []
        for line in lines:
            db.execute("INSERT INTO stock_movements (product_id, delta, reason, ref, user_id, created_at) "
                       "VALUES (?, ?, 'sale', ?, ?, ?)", (line[2], -line[6], sale_id, self.cashier_id, stamp))
            if db.execute(BALANCE, (line[2], -line[6])).fetchone()[0] < 0:
                warnings.append({"code": "insufficient_stock", "sku": line[3]})
        db.execute("INSERT INTO sales (id, number, shift_id, cashier_id, created_at, total_vnd, paid_vnd, "
                   "change_vnd, status, note, warnings, vietqr, fingerprint) "
                   "VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'paid', NULL, ?, NULL, ?)",
                   (sale_id, number, self.shift_id, self.cashier_id, stamp, total, paid, paid - total,
                    json.dumps(warnings), hashlib.sha256(json.dumps(body).encode()).hexdigest()))
        db.executemany("INSERT INTO sale_lines (sale_id, line_no, product_id, sku, name, ocop_stars, qty, "
                       "unit_price_vnd, discount_vnd, total_vnd, refunded_qty) "
                       "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", lines)
        db.executemany("INSERT INTO payments (sale_id, method, amount_vnd) VALUES (?, ?, ?)",
                       [(sale_id, p["method"], p["amount_vnd"]) for p in body["payments"]])
        event = {"id": sale_id, "number": number, "created_at": now.isoformat(), "shift_id": self.shift_id,
                 "cashier": self.cashier, "total_vnd": total,
                 "lines": [{"sku": l[3], "qty": l[6], "unit_price_vnd": l[7], "discount_vnd": l[8]} for l in lines],
                 "payments": body["payments"]}
        seq = db.execute(COUNTER, ("outbox_seq",)).fetchone()[0]
        db.execute("INSERT INTO outbox_events (seq, id, type, payload, occurred_at) VALUES (?, ?, 'sale', ?, ?)",
                   (seq, str(uuid.uuid4()), json.dumps(event), stamp))
        db.execute("INSERT INTO audit_log (at, user_id, action, entity, entity_id, details) "
                   "VALUES (?, ?, 'sale.create', 'sale', ?, ?)",
                   (stamp, self.cashier_id, sale_id, json.dumps({"number": number, "total_vnd": total})))
        db.execute("COMMIT")
