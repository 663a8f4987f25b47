from central_sync.stock.api import bp as api

__all__ = ["api"]
