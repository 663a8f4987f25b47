"""kiosk.auth.services: users are listed, created, get new passwords and are (de)activated, each change audited."""
import pytest
from sqlalchemy import select

from kiosk.auth import services
from kiosk.errors import Forbidden
from kiosk.extensions import db
from kiosk.models import AuditEntry


def audited(user_id: int) -> list[tuple]:
    return [tuple(row) for row in db.session.execute(
        select(AuditEntry.action, AuditEntry.user_id).where(AuditEntry.entity == "user",
                                                            AuditEntry.entity_id == str(user_id))
        .order_by(AuditEntry.id))]


@pytest.fixture
def people(app, demo_data):
    with app.app_context():
        yield {user.username: user for user in services.list_users()}


def test_users_are_listed_by_name(people):
    assert list(people) == ["manager", "vendor"]


def test_the_command_line_creates_a_user_audited_as_by_nobody(people):
    user = services.create_user("Kho.Chinh", "mat-khau-dai", "manager")
    assert audited(user.id) == [("user.create", None)]
    assert [u.username for u in services.list_users()] == ["kho.chinh", "manager", "vendor"]


def test_deactivating_and_reactivating_are_audited_once_each(people):
    manager, vendor = people["manager"], people["vendor"]
    assert services.set_active(vendor, False, manager).active is False
    services.set_active(vendor, False, manager)  # already inactive: nothing changes, nothing recorded
    assert services.set_active(vendor, True, manager).active is True
    assert audited(vendor.id) == [("user.create", None),  # by the demo data
                                  ("user.deactivate", manager.id), ("user.activate", manager.id)]


def test_nobody_deactivates_themselves(people):
    manager = people["manager"]
    with pytest.raises(Forbidden) as refused:
        services.set_active(manager, False, manager)
    assert refused.value.code == "cannot_deactivate_self"
    assert manager.active is True and audited(manager.id) == [("user.create", None)]
