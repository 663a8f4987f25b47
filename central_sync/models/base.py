"""The declarative base of the central models: its own metadata (the kiosk's schema is another database)."""
import uuid
from datetime import datetime, timezone

from sqlalchemy import BigInteger, DateTime, Integer, MetaData, TypeDecorator
from sqlalchemy.orm import DeclarativeBase, registry

# Stable constraint names, so that migrations on SQLite and PostgreSQL name things alike.
CONSTRAINT_NAMES = {"ix": "ix_%(column_0_label)s", "uq": "uq_%(table_name)s_%(column_0_name)s",
                    "ck": "ck_%(table_name)s_%(constraint_name)s", "pk": "pk_%(table_name)s",
                    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s"}

# A 64-bit key that still auto-increments on SQLite (where only INTEGER PRIMARY KEY does).
BigId = BigInteger().with_variant(Integer(), "sqlite")


class UTCDateTime(TypeDecorator):
    """timestamptz on PostgreSQL; naive UTC on SQLite. Takes and gives aware datetimes only."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.utcoffset() is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(timezone.utc).replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return value.astimezone(timezone.utc) if value.tzinfo else value.replace(tzinfo=timezone.utc)


class Base(DeclarativeBase):
    registry = registry(metadata=MetaData(naming_convention=CONSTRAINT_NAMES),
                        type_annotation_map={datetime: UTCDateTime()})


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def new_id() -> str:
    return str(uuid.uuid4())
