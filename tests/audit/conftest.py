"""What the audit tests share: the records of one object, read straight from the table."""

from collections.abc import Callable

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from app.models import AuditRecord


@pytest.fixture
def records(engine: Engine, session: Session) -> Callable[..., list[AuditRecord]]:
    """The stored records of an object type (and key), oldest first."""

    def read(object_type: str, object_key: str | None = None) -> list[AuditRecord]:
        # What the test's session holds is committed first: on SQLite a transaction holds the
        # one write lock, and the reads below and the command line need it.
        session.commit()
        query = select(AuditRecord).where(AuditRecord.object_type == object_type)
        if object_key is not None:
            query = query.where(AuditRecord.object_key == object_key)
        with Session(engine) as reader:
            return list(reader.exec(query.order_by(col(AuditRecord.id))).all())

    return read
