"""Local time of the sale points: UTC in the database, Asia/Ho_Chi_Minh for people."""
from datetime import date, datetime, timezone
from zoneinfo import ZoneInfo

LOCAL_TZ = ZoneInfo("Asia/Ho_Chi_Minh")


def local_today(now: datetime | None = None) -> date:
    return (now or datetime.now(timezone.utc)).astimezone(LOCAL_TZ).date()


def iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None
