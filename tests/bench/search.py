"""Product search (``GET /api/v1/products?q=``) over a catalogue of 5,000 products."""
from __future__ import annotations

from statistics import median

from sqlalchemy import func, select

from kiosk.extensions import db
from kiosk.models import Product
from tests.bench import catalogue
from tests.bench.harness import Row, Run, measure, percentile, timed
from tests.bench.kiosk_site import Site, make_site

MEDIAN_TARGET_MS = 10


def queries(products: int) -> list[str]:
    """What a vendor types: folded and accented words, a SKU, a producer's name, and a miss."""
    return ["ca phe", "mật ong", f"BN-{products // 2:05d}", catalogue.producers()[2]["name"], "khong co gi ca"]


@measure("search")
def product_search(run: Run) -> list[Row]:
    total, rounds = run.size(5_000, 1_000), run.size(60, 5)

    def load() -> None:
        catalogue.load(total - db.session.scalar(select(func.count(Product.id))))

    site = make_site(run.folder, load, open_shift=False)
    try:
        texts = queries(total)
        hits = {q: len(search(site, q=q)["products"]) for q in texts}  # also the warm-up
        by_query: dict[str, list[float]] = {q: [] for q in texts}
        for _ in range(rounds):
            for q in texts:
                by_query[q].append(timed(lambda: search(site, q=q)))
        barcode = catalogue.ean13(f"893{total // 3:09d}")
        if len(search(site, barcode=barcode)["products"]) != 1:
            raise RuntimeError(f"barcode {barcode} did not find its product")
        barcode_ms = [timed(lambda: search(site, barcode=barcode)) for _ in range(rounds * len(texts))]
    finally:
        site.close()

    samples = [ms for series in by_query.values() for ms in series]
    slowest = max(texts, key=lambda q: median(by_query[q]))
    return [
        Row(f"search over {total:,} products: median", median(samples), "ms", MEDIAN_TARGET_MS,
            note=f"n={len(samples)}: " + ", ".join(f"{q!r} {hits[q]} hits" for q in texts)),
        Row(f"search over {total:,} products: p95", percentile(samples, 0.95), "ms"),
        Row("search: slowest query, median", median(by_query[slowest]), "ms", note=repr(slowest)),
        Row("barcode lookup: median", median(barcode_ms), "ms", note=f"n={len(barcode_ms)}"),
    ]


def search(site: Site, **params) -> dict:
    response = site.get("/products", **params)
    if response.status_code != 200:
        raise RuntimeError(f"search {params} answered {response.status_code}: {response.get_data(as_text=True)}")
    return response.get_json()
