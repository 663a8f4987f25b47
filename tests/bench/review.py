"""The central office's review pages and report endpoints over three years of sales at the 22 sale points
(`generate-history`: 5,000,000 sale lines), each read through the test client as the demo reviewer: median
and p95 (target p95 < 500 ms), one row per URL.

The pages are found, not listed: every GET route of a blueprint whose name starts with ``review_``, its URL
arguments filled with real values (the producer that sells most, a busy sale point, a rejected event ...)
and, where a page reads them, typical windows: the last 30 days, the last year, all time.

PostgreSQL: a database of its own, ``bench_review``, on the server of ``BENCH_DATABASE_URL`` (else
``TEST_DATABASE_URL``), created when missing and kept between runs: generating it takes minutes, so it is
generated again only when the parameters recorded in its ``bench_review_params`` table differ (and brought
to the newest migration otherwise). ``--quick``: 20,000 lines in an SQLite file of the run's folder.
"""
from __future__ import annotations

import json
import os
import re
import sys
import time
from datetime import date, timedelta
from statistics import median

import psycopg
from sqlalchemy import func, select, text
from sqlalchemy.engine import make_url

from central_sync import create_app
from central_sync.cli import ensure_database
from central_sync.demo import history
from central_sync.extensions import db
from central_sync.models import Location, Product, Sale, SaleLine, SyncEvent, Transfer
from central_sync.reports import services
from tests.bench.central import DEFAULT_URL, conninfo, empty_schema
from tests.bench.harness import Row, Run, measure, percentile, timed

DATABASE = "bench_review"
TARGET_MS = 500
SEED = 2024
GENERATOR = 1  # bump when generate-history makes other rows: the bench database is then made again
READER = ("reviewer", "xemxet-demo")  # the demo network's reviewer


def server_url():
    return make_url(os.environ.get("BENCH_DATABASE_URL") or os.environ.get("TEST_DATABASE_URL") or DEFAULT_URL)


def unreachable() -> str | None:
    url = server_url()
    try:
        psycopg.connect(conninfo(url), connect_timeout=3).close()
    except psycopg.Error as error:
        return f"PostgreSQL unreachable at {url.host}:{url.port or 5432}: {' '.join(str(error).split())}"
    return None


def postgresql_database():
    """``bench_review`` on the bench's server (never the test database), created when missing."""
    server = server_url()
    if server.database == DATABASE:
        server = server.set(database="postgres")
    with psycopg.connect(conninfo(server), autocommit=True) as connection:
        if connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", (DATABASE,)).fetchone() is None:
            connection.execute(f'CREATE DATABASE "{DATABASE}"')
    return server.set(database=DATABASE)


def recorded(params: dict) -> dict | None:
    """The parameters the database's history was generated with (None: none, or not these)."""
    if not db.inspect(db.engine).has_table("bench_review_params"):
        return None
    found = db.session.execute(text("SELECT value FROM bench_review_params WHERE name = 'history'")).scalar()
    db.session.rollback()
    kept = json.loads(found) if found else None
    return kept if kept and {k: kept.get(k) for k in params} == params else None


def prepare(app, params: dict, postgresql: bool) -> tuple[dict, float | None]:
    """The database with the history of ``params``: kept from an earlier run, or generated now (seconds)."""
    with app.app_context():
        ensure_database()
        kept = recorded(params)
        if kept is not None:
            db.engine.dispose()
            return kept, None
        db.engine.dispose()
    if postgresql:  # start again from an empty schema
        empty_schema(make_url(app.config["SQLALCHEMY_DATABASE_URI"]))
    start = time.perf_counter()
    with app.app_context():
        ensure_database()
        print(f"[bench] review: generating {params['lines']:,} sale lines ...", file=sys.stderr, flush=True)
        summary = history.generate(params["years"], params["lines"], params["seed"])
        db.session.execute(text("CREATE TABLE IF NOT EXISTS bench_review_params (name varchar(32) PRIMARY KEY, "
                                "value text NOT NULL)"))
        kept = dict(params, until=summary.last_day.isoformat(), sales=summary.sales)
        db.session.execute(text("DELETE FROM bench_review_params"))
        db.session.execute(text("INSERT INTO bench_review_params (name, value) VALUES ('history', :value)"),
                           {"value": json.dumps(kept)})
        db.session.commit()
        db.engine.dispose()
    if postgresql:  # what autovacuum does soon after: index-only scans need the visibility map
        with psycopg.connect(conninfo(make_url(app.config["SQLALCHEMY_DATABASE_URI"])), autocommit=True) as c:
            c.execute("VACUUM ANALYZE")
    return kept, time.perf_counter() - start


def real_values(until: date) -> dict:
    """Values for the routes' URL arguments, taken from the data: the producer and sale point selling most,
    a transfer, a rejected event, a popular SKU."""
    since = until - timedelta(days=90)
    recent = Sale.created_at >= services.parse_moment("from", since.isoformat())
    producer = db.session.execute(
        select(Product.producer_id).join(SaleLine, SaleLine.product_id == Product.id)
        .join(Sale, Sale.id == SaleLine.sale_id).where(recent)
        .group_by(Product.producer_id).order_by(func.count().desc()).limit(1)).scalar()
    location = db.session.execute(select(Location.code).join(Sale, Sale.location_id == Location.id).where(recent)
                                  .group_by(Location.code).order_by(func.count().desc()).limit(1)).scalar()
    sku = db.session.execute(select(Product.sku).join(SaleLine, SaleLine.product_id == Product.id)
                             .join(Sale, Sale.id == SaleLine.sale_id).where(recent)
                             .group_by(Product.sku).order_by(func.count().desc()).limit(1)).scalar()
    transfer = db.session.scalar(select(Transfer.id).order_by(Transfer.shipped_at.desc()).limit(1))
    event = db.session.scalar(select(SyncEvent.id).order_by(SyncEvent.received_at.desc()).limit(1))
    return {"producer_id": producer, "producer": producer, "location": location, "location_code": location,
            "code": location, "sku": sku, "transfer_id": transfer, "event_id": event, "fmt": "csv"}


def windows(until: date, first: date) -> dict[str, str]:
    return {"last 30 days": f"from={until - timedelta(days=29)}&to={until}&period=day",
            "last year": f"from={until - timedelta(days=364)}&to={until}&period=week",
            "all time": f"from={first}&to={until}&period=month"}


def page_variants(endpoint: str, values: dict, until: date, first: date) -> list[tuple[str, str]]:
    """(label, query string) of the typical ways a page is opened (its default first)."""
    blueprint = endpoint.split(".")[0]
    if blueprint == "review_sales":
        return [("default", "")] + list(windows(until, first).items())
    if blueprint == "review_producer":
        return [("default", "")] + [(f"{months} months", f"months={months}") for months in (24, 36)]
    if endpoint == "review_stock.matrix":
        return [("default", ""), ("one producer", f"producer={values['producer_id']}"), ("4 stars", "stars=4")]
    if endpoint == "review_health.alerts_page":
        return [("default", ""), ("oversell", "kind=oversell"), ("one point", f"location={values['location']}")]
    return [("default", "")]


def review_urls(app, values: dict, until: date, first: date) -> tuple[list[str], list[str]]:
    """Every GET route of the ``review_*`` blueprints as URLs to read, and the routes that could not be filled."""
    urls, unfilled = [], []
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        blueprint = rule.endpoint.split(".")[0]
        if not blueprint.startswith("review_") or "GET" not in rule.methods or rule.endpoint.endswith(".static"):
            continue
        choices = [{}]
        for argument in sorted(rule.arguments):
            converter = rule._converters[argument]
            options = getattr(converter, "items", None)  # any(a, b, c)
            if options:
                picked = sorted(options)
            elif argument == "group_by":
                picked = list(services.GROUPS)
            elif argument == "table":  # a producer page's tables
                picked = ["products", "stock", "sales"]
            elif values.get(argument) is not None:
                picked = [values[argument]]
            else:
                picked = []
            choices = [dict(choice, **{argument: value}) for choice in choices for value in picked]
        if not choices:
            unfilled.append(rule.rule)
            continue
        export = "fmt" in rule.arguments
        for arguments in choices:
            with app.test_request_context():
                path = app.url_for(rule.endpoint, **arguments)
            variants = page_variants(rule.endpoint, values, until, first)
            for label, query in (variants[:1] if export else variants):
                urls.append(f"{path}?{query}" if query else path)
        if export and blueprint == "review_stock":
            with app.test_request_context():
                urls.append(app.url_for(rule.endpoint, **dict(choices[0], fmt="xlsx")))
    return urls, unfilled


def api_urls(until: date, first: date, pages: int) -> list[str]:
    urls = []
    for group_by in services.GROUPS:
        urls += [f"/api/v1/reports/sales?group_by={group_by}",
                 f"/api/v1/reports/sales?group_by={group_by}&from={until - timedelta(days=29)}&to={until}",
                 f"/api/v1/reports/sales?group_by={group_by}&from={until - timedelta(days=364)}&to={until}"]
    deep = max(1, min(pages, 1000))
    urls += ["/api/v1/sales?page=1", f"/api/v1/sales?page={deep}", "/api/v1/sales?page=1&from="
             f"{until - timedelta(days=29)}&to={until}", "/api/v1/stock", "/api/v1/alerts", "/api/v1/locations"]
    return urls


def log_in(client) -> dict:
    """The reviewer's page session (the login form, its CSRF token read from it) and API token."""
    form = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', form).group(1)
    response = client.post("/login", data={"username": READER[0], "password": READER[1], "csrf_token": token})
    if response.status_code != 302:
        raise RuntimeError(f"the reviewer could not log in: {response.status_code}")
    answer = client.post("/api/v1/login", json={"username": READER[0], "password": READER[1]}).get_json()
    return {"Authorization": f"Bearer {answer['token']}"}


@measure("review")
def review_pages(run: Run) -> list[Row]:
    params = {"years": 3, "lines": run.size(5_000_000, 20_000), "seed": SEED, "generator": GENERATOR}
    if run.quick:
        url, where = f"sqlite:///{run.folder}/central.sqlite3", "SQLite"
    else:
        reason = unreachable()
        if reason is not None:
            return [Row("review pages: did not run", None, note=reason, error=True)]
        url, where = postgresql_database().render_as_string(hide_password=False), f"PostgreSQL, {DATABASE}"
    app = create_app({"INSTANCE_PATH": str(run.folder), "SQLALCHEMY_DATABASE_URI": url})
    kept, generated_s = prepare(app, params, postgresql=not run.quick)
    until = date.fromisoformat(kept["until"])
    first = until - timedelta(days=round(params["years"] * 365) - 1)
    rows = [Row(f"review: history of {params['lines']:,} sale lines "
                f"({'generated' if generated_s is not None else 'kept from an earlier run'})",
                generated_s if generated_s is not None else 0.0, "s",
                note=f"{where}; {kept['sales']:,} sales over {params['years']} years up to {until}, seed {SEED}")]
    try:
        with app.app_context():
            values = real_values(until)
            sales_pages = -(-kept["sales"] // app.config["SALES_PAGE_SIZE"])
            page_urls, unfilled = review_urls(app, values, until, first)
            db.session.remove()
        client = app.test_client()
        headers = log_in(client)
        runs, warm_up = run.size(15, 2), 1
        for url_ in page_urls + api_urls(until, first, sales_pages):
            api = url_.startswith("/api/")
            seen = {}

            def read():
                response = client.get(url_, headers=headers if api else None)
                seen["status"], seen["bytes"] = response.status_code, len(response.get_data())

            first_ms = [timed(read) for _ in range(warm_up)][-1]
            if seen["status"] != 200:
                rows.append(Row(f"GET {url_}", None, note=f"answered {seen['status']}", error=True))
                continue
            n = runs if first_ms < 3_000 or run.quick else 5  # a page of seconds: fewer runs, the same table
            samples = [timed(read) for _ in range(n)]
            rows.append(Row(f"GET {url_}: p95", percentile(samples, 0.95), "ms", TARGET_MS,
                            note=f"median {median(samples):,.1f} ms, n={n} after {warm_up} warm-up, "
                                 f"{seen['bytes']:,} bytes"))
        for rule in unfilled:
            rows.append(Row(f"GET {rule}: not measured", None, note="no value in the data for its URL arguments",
                            error=True))
    finally:
        with app.app_context():
            db.engine.dispose()
    return rows
