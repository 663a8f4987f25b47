from central_sync.network.api import bp as api

__all__ = ["api"]
