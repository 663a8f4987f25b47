from central_sync.auth.api import bp as api

__all__ = ["api"]
