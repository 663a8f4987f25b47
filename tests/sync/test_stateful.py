"""Two kiosks and central under any interleaving of sales, refunds, stock adjustments, transfers, price
changes, lost connections, lost answers, replayed pushes and power cuts: once the network heals and each kiosk
has synced, nothing is lost, nothing is doubled, and each kiosk agrees with central (stock, sales, refunds,
transfers, prices); central's balances are its ledger. On SQLite and PostgreSQL (the `app` fixture).

Every example starts from a clean central (its tables emptied, the `world` made again) and two new kiosks."""
from __future__ import annotations

import itertools
import sys
import uuid

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, rule, run_state_machine_as_test
from sqlalchemy import select

from central_sync.catalog.services import product_by_sku, set_price
from central_sync.extensions import db as central_db
from central_sync.network.services import location_by_code
from kiosk.extensions import db as kiosk_db
from kiosk.models import Product as KioskProduct
from kiosk.sync.client import CentralError
from tests.sync.harness import make_kiosk
from tests.sync.statetools import Line, PowerCut, assert_converged, reset_central, restart, shut_down

# About 20 s a database on a small machine. derandomize: the same examples on every run (CI must not flake);
# to explore more, run with a larger max_examples and derandomize=False for a while.
SETTINGS = settings(max_examples=15, stateful_step_count=30, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
LOCATIONS = ["K01", "K02"]
SKUS = ["CF-500", "CF-250", "MO-250"]
BATCH = 3  # events a push carries: several batches in one sync, so a fault can fall between two of them
HEAL_ROUNDS = 3

where = st.sampled_from(LOCATIONS)
sale_lines = st.lists(st.tuples(st.sampled_from(SKUS), st.integers(1, 5)), min_size=1, max_size=3)
call = st.integers(0, 3)  # which request of the next sync fails: a push batch or a pull
phase = st.sampled_from(["request", "response"])
moments = (st.just(("idle",))  # when a power cut falls: between requests, while selling, while syncing
           | st.tuples(st.just("selling"), sale_lines, st.booleans(), st.booleans())
           | st.tuples(st.just("syncing"), call, phase))


def error_code(response) -> str | None:
    body = response.get_json() or {}
    return (body.get("error") or {}).get("code")


class KiosksAndCentral(RuleBasedStateMachine):
    def __init__(self, central, folder, migrated_db):
        super().__init__()
        self.central = central
        self.admin = reset_central(central)
        self.config = {loc: {"SYNC_TRANSPORT": Line(central), "SYNC_BATCH": BATCH} for loc in LOCATIONS}
        self.kiosks = {}
        for location in LOCATIONS:
            config = dict(self.config[location])
            self.kiosks[location] = make_kiosk(folder / location, migrated_db, central, self.admin, location,
                                               config.pop("SYNC_TRANSPORT"), **config)
            assert self.kiosks[location].vendor.post("/shifts", json={"opening_cash_vnd": 0}).status_code == 201
        self.shift_open = dict.fromkeys(LOCATIONS, True)
        self.answered = {loc: [] for loc in LOCATIONS}  # ids of the sales each kiosk answered 201, in order
        self.last_sale = dict.fromkeys(LOCATIONS)  # (body, answer) of the last sale answered, for a resend
        self.sale_ids = itertools.count(1)

    def line(self, location) -> Line:
        return self.config[location]["SYNC_TRANSPORT"]

    def sale_body(self, location, lines) -> dict:
        kiosk = self.kiosks[location]
        with kiosk.app.app_context():
            prices = dict(kiosk_db.session.execute(select(KioskProduct.sku, KioskProduct.price_vnd)).all())
            kiosk_db.session.remove()
        total = sum(prices[sku] * qty for sku, qty in lines)
        sale_id = uuid.UUID(int=(LOCATIONS.index(location) + 1) << 64 | next(self.sale_ids))
        return {"id": str(sale_id), "lines": [{"sku": sku, "qty": qty} for sku, qty in lines],
                "payments": [{"method": "cash", "amount_vnd": total}]}

    def restart(self, location) -> None:
        self.kiosks[location] = restart(self.kiosks[location], **self.config[location])

    # The till.
    @rule(location=where, lines=sale_lines)
    def sell(self, location, lines):
        body = self.sale_body(location, lines)
        response = self.kiosks[location].vendor.post("/sales", json=body)
        if not self.shift_open[location]:
            assert response.status_code == 409 and error_code(response) == "no_open_shift", response.get_json()
            return
        assert response.status_code == 201, response.get_json()
        self.answered[location].append(response.get_json()["id"])
        self.last_sale[location] = (body, response.get_json())

    @rule(location=where)
    def resend_last_sale(self, location):
        """The tablet did not see the answer and sends the same sale again: the same sale, nothing new."""
        if self.last_sale[location] is None:
            return
        body, answer = self.last_sale[location]
        response = self.kiosks[location].vendor.post("/sales", json=body)
        assert response.status_code == 200, response.get_json()
        assert (response.get_json()["id"], response.get_json()["number"]) == (answer["id"], answer["number"])

    @rule(location=where, data=st.data())
    def refund(self, location, data):
        if not self.answered[location]:
            return
        kiosk = self.kiosks[location]
        sale_id = data.draw(st.sampled_from(self.answered[location]), label="sale")
        refundable = [(line["sku"], line["qty"] - line["refunded_qty"])
                      for line in kiosk.vendor.get(f"/sales/{sale_id}").get_json()["lines"]
                      if line["qty"] > line["refunded_qty"]]
        if not refundable:
            return
        sku, left = data.draw(st.sampled_from(refundable), label="line")
        qty = data.draw(st.integers(1, left), label="qty")
        response = kiosk.manager.post(f"/sales/{sale_id}/refunds",
                                      json={"lines": [{"sku": sku, "qty": qty}], "reason": "Khách trả hàng"})
        if self.shift_open[location]:
            assert response.status_code == 201, response.get_json()
        else:
            assert response.status_code == 409 and error_code(response) == "no_open_shift", response.get_json()

    @rule(location=where, sku=st.sampled_from(SKUS), delta=st.integers(-5, 5).filter(bool),
          reason=st.sampled_from(["damaged", "expired", "count", "other"]))
    def adjust_stock(self, location, sku, delta, reason):
        response = self.kiosks[location].manager.post("/stock/adjustments",
                                                      json={"sku": sku, "delta": delta, "reason": reason})
        assert response.status_code == 201, response.get_json()

    @rule(location=where, counted=st.integers(0, 10**7))
    def close_or_open_the_shift(self, location, counted):
        vendor = self.kiosks[location].vendor
        if self.shift_open[location]:
            response = vendor.post("/shifts/current/close", json={"counted_cash_vnd": counted})
            assert response.status_code == 200, response.get_json()
        else:
            response = vendor.post("/shifts", json={"opening_cash_vnd": counted})
            assert response.status_code == 201, response.get_json()
        self.shift_open[location] = not self.shift_open[location]

    # Goods and prices from central.
    @rule(location=where, lines=st.dictionaries(st.sampled_from(SKUS), st.integers(1, 30), min_size=1))
    def ship(self, location, lines):
        response = self.admin.post("/transfers", json={
            "from_location": "KHO", "to_location": location,
            "lines": [{"sku": sku, "qty": qty} for sku, qty in lines.items()]})
        assert response.status_code == 201 or (response.status_code == 409 and error_code(response)
                                                == "insufficient_stock"), response.get_json()

    @rule(location=where, data=st.data())
    def receive(self, location, data):
        """The kiosk receives a transfer it has pulled, sometimes short."""
        vendor = self.kiosks[location].vendor
        coming = [t for t in vendor.get("/transfers").get_json()["transfers"] if t["status"] == "in_transit"]
        if not coming:
            return
        transfer = data.draw(st.sampled_from(sorted(coming, key=lambda t: t["id"])), label="transfer")
        lines = [{"sku": line["sku"], "received_qty": line["qty"] - data.draw(
            st.just(0) | st.integers(0, line["qty"]), label=f"short {line['sku']}")} for line in transfer["lines"]]
        response = vendor.post(f"/transfers/{transfer['id']}/receive", json={"lines": lines})
        assert response.status_code == 200, response.get_json()

    @rule(sku=st.sampled_from(SKUS), price=st.integers(1, 400).map(lambda k: k * 1000),
          override=st.none() | where)
    def change_price(self, sku, price, override):
        """A new price for every location, or for one kiosk only."""
        with self.central.app_context():
            set_price(product_by_sku(sku), price, location=location_by_code(override) if override else None)
            central_db.session.commit()

    # The network and the kiosk's process.
    @rule(location=where, online=st.booleans())
    def connection(self, location, online):
        self.line(location).online = online

    @rule(location=where)
    def sync(self, location):
        response = self.kiosks[location].vendor.post("/sync")
        if self.line(location).online:
            assert response.status_code == 200, response.get_json()
            assert response.get_json()["pending_events"] == 0
        else:
            assert response.status_code == 503 and error_code(response) == "central_unreachable"

    @rule(location=where, call=call, phase=phase)
    def sync_losing_a_request(self, location, call, phase):
        """One request of the sync fails: before central sees it, or after central committed (the answer lost)."""
        line = self.line(location)
        line.arm(call, phase, OSError("connection reset by peer"))
        try:
            response = self.kiosks[location].vendor.post("/sync")
        finally:
            line.disarm()
        assert response.status_code in (200, 503), response.get_json()
        if response.status_code == 200:
            assert response.get_json()["pending_events"] == 0

    @rule(location=where, moment=moments)
    def power_cut(self, location, moment):
        """The kiosk's process dies (one rule for every moment: a restart is the slowest step), and starts
        again on its database."""
        if moment[0] == "selling":
            self.power_cut_while_selling(location, *moment[1:])
        elif moment[0] == "syncing":
            self.power_cut_while_syncing(location, *moment[1:])
        else:
            self.restart(location)

    def power_cut_while_selling(self, location, lines, after_commit, resend):
        """Before the commit the sale never happened; after it, it did (the tablet just never heard). Then,
        perhaps, the tablet sends the sale again."""
        if not self.shift_open[location]:  # nothing to sell: a plain restart
            self.restart(location)
            return
        body = self.sale_body(location, lines)

        def cut(*_args, **_kwargs):
            raise PowerCut

        with pytest.MonkeyPatch.context() as patch:
            patch.setattr("kiosk.printing.worker.notify" if after_commit else "kiosk.printing.services.enqueue", cut)
            with pytest.raises(PowerCut):
                self.kiosks[location].vendor.post("/sales", json=body)
        self.restart(location)
        response = self.kiosks[location].vendor.get(f"/sales/{body['id']}")
        assert response.status_code == (200 if after_commit else 404), response.get_json()
        if resend:
            response = self.kiosks[location].vendor.post("/sales", json=body)
            assert response.status_code == (200 if after_commit else 201), response.get_json()
            self.answered[location].append(response.get_json()["id"])
            self.last_sale[location] = (body, response.get_json())

    def power_cut_while_syncing(self, location, call, phase):
        """Before a request leaves, or after central answered and before the kiosk wrote the answer down."""
        line = self.line(location)
        line.arm(call, phase, PowerCut())
        try:
            self.kiosks[location].sync()
        except (PowerCut, CentralError):
            pass
        finally:
            line.disarm()
        self.restart(location)

    @rule(location=where)
    def replay_the_last_push(self, location):
        """A push central answered arrives again (a retry by a proxy, a duplicated packet): all duplicates."""
        line = self.line(location)
        if line.last_push is None:
            return
        response = line.replay_last_push()
        assert response.status_code == 200, response.get_json()
        assert {r["status"] for r in response.get_json()["results"]} <= {"duplicate"}, response.get_json()

    def teardown(self):
        try:
            if sys.exc_info()[0] is None:  # the steps ran without failing: heal, then everything must agree
                self.heal()
                assert_converged(self.central, list(self.kiosks.values()),
                                 {loc: set(ids) for loc, ids in self.answered.items()})
        finally:
            for kiosk in self.kiosks.values():
                shut_down(kiosk)

    def heal(self):
        """Every kiosk online, synced until nothing is pending, then once more (to pull what the others'
        pushes changed at central)."""
        for location in LOCATIONS:
            self.line(location).online = True
            self.line(location).disarm()
        for _round in range(HEAL_ROUNDS):
            for kiosk in self.kiosks.values():
                kiosk.sync()
            if not any(kiosk.pending() for kiosk in self.kiosks.values()):
                break
        for kiosk in self.kiosks.values():
            kiosk.sync()


def test_kiosks_and_central_converge(app, tmp_path, migrated_kiosk_db):
    examples = itertools.count()
    run_state_machine_as_test(lambda: KiosksAndCentral(app, tmp_path / f"example-{next(examples)}",
                                                       migrated_kiosk_db), settings=SETTINGS)
