from central_sync.reports.api import bp as api

__all__ = ["api"]
