"""`flask --app central_sync seed-demo` and `users create`: they set the database up first, and again is harmless."""
import json

from sqlalchemy import func, select

from central_sync.demo import NETWORK
from central_sync.extensions import db
from central_sync.models import Location, Price, Product, StockBalance, User
from tests.central_sync.tools import assert_balances_match_ledger

DEMO = json.loads(NETWORK.read_text(encoding="utf-8"))


def counts(app) -> dict:
    with app.app_context():
        return {model.__name__: db.session.scalar(select(func.count()).select_from(model))
                for model in (Location, Product, Price, User, StockBalance)}


def test_seed_demo_loads_the_network_once(app):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    assert "admin / quantri-demo (admin)" in result.output
    loaded = counts(app)
    assert loaded == {"Location": len(DEMO["locations"]), "Product": len(DEMO["products"]),
                      "Price": len(DEMO["products"]), "User": len(DEMO["users"]), "StockBalance": len(DEMO["products"])}
    assert runner.invoke(args=["seed-demo"]).exit_code == 0
    assert counts(app) == loaded
    with app.app_context():
        warehouse = db.session.scalar(select(Location).where(Location.kind == "warehouse"))
        assert set(db.session.scalars(select(StockBalance.qty).where(StockBalance.location_id == warehouse.id))) == {
            DEMO["warehouse_stock"]["default_qty"]}
    assert_balances_match_ledger(app)
    client = app.test_client()
    username, password = DEMO["users"][0]["username"], DEMO["users"][0]["password"]
    token = client.post("/api/v1/login", json={"username": username, "password": password}).get_json()["token"]
    shipped = client.post("/api/v1/transfers", headers={"Authorization": f"Bearer {token}"}, json={
        "from_location": warehouse.code, "to_location": DEMO["locations"][-1]["code"],
        "lines": [{"sku": DEMO["products"][0]["sku"], "qty": 5}]})
    assert shipped.status_code == 201, shipped.get_json()


def test_users_create_makes_a_user_who_can_log_in(app):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["users", "create", "Lan", "--role", "reviewer", "--password", "hoa-sen-trang"])
    assert result.exit_code == 0, result.output
    again = runner.invoke(args=["users", "create", "lan", "--role", "admin", "--password", "hoa-sen-trang"])
    assert again.exit_code != 0 and "already exists" in again.output
    for weak in ("short", "12345678", "MatKhau123", "hoa.2024!", "aaaaaaaaaa"):  # short, common, the username, ...
        refused = runner.invoke(args=["users", "create", "hoa", "--role", "admin", "--password", weak])
        assert refused.exit_code != 0 and "8 to 256" in refused.output, weak
    response = app.test_client().post("/api/v1/login", json={"username": "lan", "password": "hoa-sen-trang"})
    assert response.get_json()["user"] == {"username": "lan", "role": "reviewer"}


def test_users_set_password_replaces_a_forgotten_one_and_ends_the_users_tokens(app, admin):
    runner = app.test_cli_runner()
    assert runner.invoke(args=["users", "set-password", "admin", "--password", "12345678"]).exit_code == 1
    assert runner.invoke(args=["users", "set-password", "nobody", "--password", "hoa-sen-trang"]).exit_code == 1
    result = runner.invoke(args=["users", "set-password", "Admin", "--password", "hoa-sen-trang"])
    assert result.exit_code == 0, result.output
    assert admin.get("/locations").status_code == 401  # the old token is gone
    response = app.test_client().post("/api/v1/login", json={"username": "admin", "password": "hoa-sen-trang"})
    assert response.status_code == 200


def test_seed_demo_is_refused_in_production(app):
    """The demo users' passwords are published in the README: the first admin comes from `users create`."""
    app.config["APP_ENV"] = "production"
    result = app.test_cli_runner().invoke(args=["seed-demo"])
    assert result.exit_code == 1 and "production" in result.output
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(User)) == 0
