"""Generated requests to every operation of the kiosk's /api/v1/openapi.json (tests/fuzztools.py): never a 5xx
(but POST /sync's 503 when central cannot be reached), every error the contract's envelope, a refused request
writes nothing, and the books stay whole: each sale written with all its lines, payments and outbox event or
not at all, the stock balances equal to the ledger."""
from collections import Counter

from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import func, select

from kiosk.extensions import db
from kiosk.models import OutboxEvent, Payment, Refund, RefundLine, Sale, SaleLine, Shift
from tests.fuzztools import (Words, api_routes, assert_contract_answer, fuzz_settings, operations, requests,
                             send)
from tests.kiosk.apitools import DEMO, assert_books_balance, sale_body, sell, snapshot

SALE_ID = "0b8e7c1e-1d0a-4a51-9a39-5d4b3c2a1f00"
CENTRAL_ABSENT = frozenset({"central_unreachable", "central_refused"})  # POST /sync, CONTRACT.md
LIKELY = {  # values a till sends most days, drawn as often as the description's whole range: sales get made
    "qty": {"type": "integer", "minimum": 1, "maximum": 3}, "discount_vnd": {"type": "integer", "minimum": 0,
                                                                            "maximum": 5_000},
    "amount_vnd": {"type": "integer", "minimum": 1_000_000, "maximum": 100_000_000}}
WRITES_WHEN_REFUSED = {("post", "/login"), ("post", "/sync")}  # a login failure is counted; a sync's error kept


def assert_sales_whole(app) -> None:
    """Every sale has its lines, payments and outbox event, and adds up; refunds too; one open shift at most."""
    with app.app_context():
        lines = select(SaleLine.sale_id, func.count().label("n"), func.sum(SaleLine.total_vnd).label("total"),
                       func.max(SaleLine.refunded_qty - SaleLine.qty).label("over")).group_by(SaleLine.sale_id)
        lines = lines.subquery()
        paid = select(Payment.sale_id, func.sum(Payment.amount_vnd).label("paid")).group_by(Payment.sale_id).subquery()
        sales = db.session.execute(
            select(Sale.id, Sale.total_vnd, Sale.paid_vnd, Sale.change_vnd, lines.c.n, lines.c.total, lines.c.over,
                   paid.c.paid)
            .outerjoin(lines, lines.c.sale_id == Sale.id).outerjoin(paid, paid.c.sale_id == Sale.id)).all()
        for sale in sales:
            assert sale.n and sale.total == sale.total_vnd and (sale.paid or 0) == sale.paid_vnd, sale
            assert sale.change_vnd == sale.paid_vnd - sale.total_vnd >= 0 and sale.over <= 0, sale
        refunds = db.session.execute(
            select(Refund.id, Refund.total_vnd, func.sum(RefundLine.amount_vnd), func.count(RefundLine.id))
            .outerjoin(RefundLine, RefundLine.refund_id == Refund.id).group_by(Refund.id, Refund.total_vnd)).all()
        assert all(count and total == amounts for _, total, amounts, count in refunds), refunds
        events = Counter(db.session.scalars(select(OutboxEvent.type)))
        assert (events["sale"], events["refund"]) == (len(sales), len(refunds)), events
        assert db.session.scalar(select(func.count()).where(Shift.closed_at.is_(None))) <= 1
    assert_books_balance(app)


def test_generated_requests_to_every_operation_get_contract_answers(app, client, vendor, manager):
    spec = client.get("/api/v1/openapi.json").get_json()
    assert set(operations(spec)) == api_routes(app)  # every route is described, so fuzzed, and nothing else
    assert vendor.post("/shifts", {"opening_cash_vnd": 0}).status_code == 201
    sell(vendor, sale_body(("MO-CP-250", 3), ("CF-CB-500", 1), id=SALE_ID))  # a sale to refund, reprint, read
    tokens = {"vendor": vendor.token, "manager": manager.token}
    words = Words(shapes=LIKELY, sku=[p["sku"] for p in DEMO["products"]], id=[DEMO["incoming_transfer"]["id"], SALE_ID],
                  username=["vendor", "manager"], password=["banhang-demo", "quanly-demo"])
    for key, operation in sorted(operations(spec).items()):
        roles = [None] if operation["security"] == [] else ["manager", "vendor"]

        @fuzz_settings(40)
        @given(st.lists(requests(spec, key, words, roles), min_size=1, max_size=3))
        def fuzz(batch):
            if vendor.get("/shifts/current").status_code == 404:  # most often a shift is open, so sales are made
                vendor.post("/shifts", {"opening_cash_vnd": 100_000})
            for request in batch:
                before = snapshot(app)
                response = send(client, request, tokens)
                assert_contract_answer(request, response, CENTRAL_ABSENT if key == ("post", "/sync") else frozenset())
                if response.status_code >= 400 and key not in WRITES_WHEN_REFUSED:
                    assert snapshot(app) == before, (request, response.get_json())
                if response.is_json:
                    words.learn(response.get_json())
            assert_sales_whole(app)

        fuzz()
