from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from kiosk.models.base import Base, new_id, utcnow

# Contract statuses, plus `printing` while the worker holds the job (shown as `queued`).
PRINT_STATUSES = ("queued", "printing", "printed", "failed", "cancelled")


class PrintJob(Base):
    """A receipt or Z report waiting for, or handed to, the printer."""

    __tablename__ = "print_jobs"
    __table_args__ = (Index("ix_print_jobs_status_next_attempt_at", "status", "next_attempt_at"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    kind: Mapped[str] = mapped_column(String(16))  # sale, z_report
    sale_id: Mapped[str | None] = mapped_column(ForeignKey("sales.id"), index=True)
    shift_id: Mapped[str | None] = mapped_column(ForeignKey("shifts.id"))
    reprint: Mapped[bool] = mapped_column(default=False)
    status: Mapped[str] = mapped_column(String(16), default="queued")
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    bytes_sent: Mapped[int | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    printed_at: Mapped[datetime | None]
