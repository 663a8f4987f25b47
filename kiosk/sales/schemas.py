"""Request bodies of the sales API."""
from __future__ import annotations

import hashlib
import json
from typing import Literal
from uuid import UUID

from pydantic import Field

from kiosk.validation import Body

MAX_QTY = 10_000
MAX_VND = 10**12  # a trillion đồng: far beyond any stall's sale, far below any integer limit


class LineIn(Body):
    sku: str = Field(min_length=1, max_length=32)
    qty: int = Field(ge=1, le=MAX_QTY)
    discount_vnd: int | None = Field(default=None, ge=0, le=MAX_VND)


class PaymentIn(Body):
    method: Literal["cash", "transfer", "card"]
    amount_vnd: int = Field(ge=1, le=MAX_VND)


class SaleIn(Body):
    id: UUID | None = None
    lines: list[LineIn] = Field(min_length=1, max_length=200)
    payments: list[PaymentIn] = Field(max_length=20)
    note: str | None = Field(default=None, max_length=500)

    def fingerprint(self) -> str:
        """What makes two requests with the same id the same sale."""
        canonical = {
            "lines": [[line.sku, line.qty, line.discount_vnd or 0] for line in self.lines],
            "payments": [[p.method, p.amount_vnd] for p in self.payments],
            "note": self.note or "",
        }
        return hashlib.sha256(json.dumps(canonical, ensure_ascii=False).encode()).hexdigest()


class RefundLineIn(Body):
    sku: str = Field(min_length=1, max_length=32)
    qty: int = Field(ge=1, le=MAX_QTY)


class RefundIn(Body):
    lines: list[RefundLineIn] = Field(min_length=1, max_length=200)
    reason: str = Field(min_length=1, max_length=200)
