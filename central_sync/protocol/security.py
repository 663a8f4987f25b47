"""The security headers both apps send with every answer.

Everything the pages load comes from the app itself (vendored CSS and JS, server-drawn SVG charts and QR
codes), so the policy allows only 'self' and nothing inline: a script injected into a product's name
cannot run, and no other site can frame a page to trick a click.
"""
from flask import request

CONTENT_SECURITY_POLICY = "; ".join((
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
))

HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=()",
    "Cross-Origin-Opener-Policy": "same-origin",
}


def register(app) -> None:
    @app.after_request
    def security_headers(response):
        for name, value in HEADERS.items():
            response.headers.setdefault(name, value)
        if request.is_secure:
            response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
        if not request.path.startswith("/static/"):
            # Pages and answers carry a user's data: not kept by a shared tablet's cache or a proxy.
            response.headers.setdefault("Cache-Control", "no-store")
        return response
