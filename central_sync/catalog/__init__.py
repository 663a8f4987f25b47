"""The catalogue (its API and pages come with the admin UI)."""
from central_sync.catalog.services import product_by_sku, products_by_sku

__all__ = ["product_by_sku", "products_by_sku"]
