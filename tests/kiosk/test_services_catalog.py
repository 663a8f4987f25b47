"""kiosk.catalog.services.find_products: the first products by name, a search capped at MAX_RESULTS."""
import importlib
import json
import re

import pytest

from kiosk.catalog import services
from tests.kiosk.pagetools import text


@pytest.fixture
def catalogue(app, demo_data):
    with app.app_context():
        yield


def names(rows):
    return [product.name for product, _qty in rows]


def test_a_limit_keeps_the_first_products_by_name(catalogue):
    everything = names(services.find_products())
    assert len(everything) > 5 and everything == sorted(everything)
    assert names(services.find_products(limit=5)) == everything[:5]
    assert names(services.find_products(limit=100)) == everything


def test_a_search_takes_the_limit_up_to_max_results(catalogue, monkeypatch):
    found = names(services.find_products("ca phe"))
    assert len(found) > 2
    assert names(services.find_products("ca phe", limit=2)) == found[:2]
    monkeypatch.setattr(services, "MAX_RESULTS", 3)
    assert names(services.find_products("ca phe", limit=50)) == found[:3]
    assert names(services.find_products("ca phe")) == found[:3]


def test_the_sale_screen_offers_the_first_grid_size_products(vendor_browser, monkeypatch):
    # kiosk.sales.views is the module; the package's attribute `views` is its blueprint
    monkeypatch.setattr(importlib.import_module("kiosk.sales.views"), "GRID_SIZE", 4)
    page = text(vendor_browser.get("/sell"))
    grid = json.loads(re.search(r'<script type="application/json" id="catalogue">(.*?)</script>', page, re.S).group(1))
    assert len(grid) == 4
