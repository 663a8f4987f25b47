"""The security headers both apps send with every answer, and the NUL character refused in any input.

Everything the pages load comes from the app itself (vendored CSS and JS, server-drawn SVG charts and QR
codes), so the policy allows only 'self' and nothing inline: a script injected into a product's name
cannot run, and no other site can frame a page to trick a click.

PostgreSQL cannot store a NUL in text: refused at the door (here for paths, query strings and forms,
in ``parse_body`` for JSON), a NUL is a 400, never a 500 at central, nor a kiosk event central would refuse.
"""
from flask import abort, request

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

FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")

HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=()",
    "Cross-Origin-Opener-Policy": "same-origin",
}


def register(app) -> None:
    @app.before_request
    def refuse_nul_characters():
        fields = request.form if request.mimetype in FORM_TYPES else {}
        for text in (request.path, *request.args.keys(), *request.args.values(), *fields.keys(), *fields.values()):
            if "\x00" in text:
                abort(400, "The request holds a NUL character (%00), which no text may contain.")

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
