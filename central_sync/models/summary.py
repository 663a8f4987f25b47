"""Sales summed per local day (and per local month), location and product, for the review pages and reports.

Kept by the database itself, in the transaction that writes the sales: triggers on `sale_lines` and
`refund_lines` (see the migration "sales summary") add each line to its day's and month's row with
`qty = qty + delta` upserts, whoever inserts it (the push, a test, `generate-history`). A sale counts on the
local day it was made at the kiosk, a refund on the day it was made; both at their own location. Sales and
refunds are facts: never updated nor deleted, so the summary only ever grows. Days are those of
Asia/Ho_Chi_Minh (UTC+7 all year since 1975)."""
from datetime import date

from sqlalchemy import BigInteger, ForeignKey, Index
from sqlalchemy.orm import Mapped, mapped_column

from central_sync.models.base import Base


class _SalesSummary:
    location_id: Mapped[int] = mapped_column(ForeignKey("locations.id"), primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"), primary_key=True)
    sold_qty: Mapped[int] = mapped_column(BigInteger, default=0)
    sold_vnd: Mapped[int] = mapped_column(BigInteger, default=0)
    refunded_qty: Mapped[int] = mapped_column(BigInteger, default=0)
    refunded_vnd: Mapped[int] = mapped_column(BigInteger, default=0)


class SalesDaily(_SalesSummary, Base):
    __tablename__ = "sales_daily"
    __table_args__ = (Index("ix_sales_daily_product_day", "product_id", "day"),
                      Index("ix_sales_daily_location_day", "location_id", "day"))

    day: Mapped[date] = mapped_column(primary_key=True)


class SalesMonthly(_SalesSummary, Base):
    __tablename__ = "sales_monthly"
    __table_args__ = (Index("ix_sales_monthly_product_month", "product_id", "month"),)

    month: Mapped[date] = mapped_column(primary_key=True)  # its first day


class SalesDayCount(Base):
    """How many sales (and their total) each location made on each local day: what a list of sales counts
    its pages with, without counting millions of rows. Kept by a trigger on `sales` (migration "sales day
    counts"), like the tables above."""

    __tablename__ = "sales_day_counts"

    day: Mapped[date] = mapped_column(primary_key=True)
    location_id: Mapped[int] = mapped_column(ForeignKey("locations.id"), primary_key=True)
    sales: Mapped[int] = mapped_column(BigInteger, default=0)
    total_vnd: Mapped[int] = mapped_column(BigInteger, default=0)
