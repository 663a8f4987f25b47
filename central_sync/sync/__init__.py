from central_sync.sync.api import bp as api

__all__ = ["api"]
