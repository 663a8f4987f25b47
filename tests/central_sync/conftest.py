"""Central fixtures: every test runs on SQLite and, when TEST_DATABASE_URL is set, on PostgreSQL.

SQLite: the schema is migrated once into a file that each test copies. PostgreSQL: the `public` schema of the
test database is emptied and migrated once per session, and every table is truncated after each test. Under
CI without TEST_DATABASE_URL the PostgreSQL half fails instead of skipping."""
import os
import shutil
from functools import partial
from types import SimpleNamespace

import psycopg
import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from werkzeug.security import generate_password_hash

from central_sync import create_app
from central_sync.auth import services as auth_services
from central_sync.catalog.services import set_price, upsert_producer, upsert_product
from central_sync.cli import ensure_database
from central_sync.database import normalise_url
from central_sync.extensions import db
from central_sync.models import Base, Location
from central_sync.network.services import upsert_location
from central_sync.stock.services import move_stock
from tests.kiosk.apitools import Api

PASSWORD = "mat-khau-1"
WAREHOUSE_QTY = 100


def central_app(instance_path, database_url: str, **overrides):
    return create_app({"INSTANCE_PATH": str(instance_path), "SQLALCHEMY_DATABASE_URI": database_url, **overrides})


@pytest.fixture(scope="session", autouse=True)
def _cheap_password_hashes():
    """1,000 pbkdf2 rounds instead of scrypt's deliberate cost; still hashed, still checked by the real code."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(auth_services, "generate_password_hash",
                      partial(generate_password_hash, method="pbkdf2:sha256:1000"))
        yield


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory):
    folder = tmp_path_factory.mktemp("central-template")
    app = central_app(folder, f"sqlite:///{folder}/central.sqlite3")
    with app.app_context():
        ensure_database()
        db.engine.dispose()
    return folder / "central.sqlite3"


@pytest.fixture(scope="session")
def postgresql_url(tmp_path_factory):
    url = os.environ.get("TEST_DATABASE_URL")
    if not url:
        if os.environ.get("CI"):
            pytest.fail("CI must run the central tests on PostgreSQL: set TEST_DATABASE_URL.")
        pytest.skip("TEST_DATABASE_URL is not set")
    url = own_database(url, os.environ.get("PYTEST_XDIST_WORKER"))
    app = central_app(tmp_path_factory.mktemp("central-pg"), url)
    with app.app_context():
        with db.engine.begin() as connection:
            connection.execute(text("DROP SCHEMA public CASCADE"))
            connection.execute(text("CREATE SCHEMA public"))
        ensure_database()
        db.engine.dispose()
    return url


def own_database(url: str, worker: str | None) -> str:
    """``url``, or for a pytest-xdist worker (`make test` runs two) a database of its own beside it, made
    when missing: each session empties its database's schema, which two workers must not share."""
    if not worker:
        return url
    named = make_url(normalise_url(url))
    own = named.set(database=f"{named.database}_{worker}")
    with psycopg.connect(host=named.host, port=named.port, user=named.username, password=named.password,
                         dbname=named.database, autocommit=True) as connection:
        if connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", (own.database,)).fetchone() is None:
            connection.execute(f'CREATE DATABASE "{own.database}"')
    return own.render_as_string(hide_password=False)


TRUNCATE = text("TRUNCATE {} RESTART IDENTITY CASCADE".format(", ".join(Base.metadata.tables)))


@pytest.fixture(params=["sqlite", "postgresql"])
def app(request, tmp_path):
    if request.param == "sqlite":
        shutil.copy(request.getfixturevalue("sqlite_template"), tmp_path / "central.sqlite3")
        url = f"sqlite:///{tmp_path}/central.sqlite3"
    else:
        url = request.getfixturevalue("postgresql_url")
    app = central_app(tmp_path, url)
    yield app
    with app.app_context():
        db.session.remove()
        if request.param == "postgresql":
            with db.engine.begin() as connection:
                connection.execute(TRUNCATE)
        db.engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def world(app):
    """A small network: a warehouse holding 100 of three products, two kiosks, a cluster, two users."""
    with app.app_context():
        for code, kind, district in (("KHO", "warehouse", "Buôn Ma Thuột"), ("K01", "kiosk", "Krông Pắc"),
                                     ("K02", "kiosk", "Lắk"), ("CL1", "cluster", "Buôn Ma Thuột")):
            upsert_location({"code": code, "name": f"Điểm {code}", "kind": kind, "district": district,
                             "market": f"Chợ {district}"})
        upsert_producer({"id": 1, "name": "HTX Cà phê Ea Kiết", "kind": "cooperative", "tax_code": "6001234501"})
        upsert_producer({"id": 2, "name": "Hộ kinh doanh Mật ong Lắk", "kind": "household"})
        products = [upsert_product({"sku": sku, "name": name, "unit": "gói", "ocop_stars": stars,
                                    "ocop_group": "food", "producer_id": producer, "certificate_no": f"{sku}/QĐ",
                                    "certificate_expires_on": "2030-01-01"})
                    for sku, name, stars, producer in (("CF-500", "Cà phê bột 500g", 4, 1),
                                                       ("CF-250", "Cà phê hạt 250g", 3, 1),
                                                       ("MO-250", "Mật ong 250ml", 5, 2))]
        db.session.flush()
        for product, price in zip(products, (145_000, 80_000, 98_000)):
            set_price(product, price)
        warehouse = db.session.scalar(db.select(Location).filter_by(code="KHO"))
        move_stock(warehouse.id, {p.id: WAREHOUSE_QTY for p in products}, "opening")
        for role in ("admin", "reviewer"):
            auth_services.create_user(role, PASSWORD, role)
        db.session.commit()
    return SimpleNamespace(skus=["CF-500", "CF-250", "MO-250"], warehouse="KHO", kiosks=["K01", "K02"])


def log_in(client, username: str) -> str:
    response = client.post("/api/v1/login", json={"username": username, "password": PASSWORD})
    assert response.status_code == 200, response.get_json()
    return response.get_json()["token"]


@pytest.fixture
def admin(client, world):
    return Api(client, log_in(client, "admin"))


@pytest.fixture
def reviewer(client, world):
    return Api(client, log_in(client, "reviewer"))


@pytest.fixture
def anonymous(client):
    return Api(client)
