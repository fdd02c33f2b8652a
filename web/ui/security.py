"""CSRF on every form post and strict security headers on every response.

CSRF: Flask-WTF's ``CSRFProtect`` checks every unsafe request except those under a
prefix in ``CSRF_EXEMPT_PREFIXES`` (default ``/engine-rest``: the Camunda REST API
authenticates each request with HTTP Basic and never reads the session cookie, so a
forged cross-site request carries no credentials).  ``csrf.exempt(...)`` works too.
"""
from __future__ import annotations

from flask import Flask, request
from flask_wtf.csrf import CSRFProtect

csrf = CSRFProtect()

# No inline script or style anywhere; bpmn-js (served from /static) styles its SVG
# through the CSSOM, which style-src does not restrict.  img-src allows data: for the
# bpmn.io watermark the bpmn-js licence requires.
CONTENT_SECURITY_POLICY = "; ".join([
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "font-src 'self'",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
])

SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
}

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})


def init_app(app: Flask) -> None:
    """Install CSRF protection and the security headers."""
    app.config.setdefault("CSRF_EXEMPT_PREFIXES", ("/engine-rest",))
    # We call protect() ourselves so the exempt prefixes work whatever the REST
    # blueprint is called and whenever it is registered.
    app.config["WTF_CSRF_CHECK_DEFAULT"] = False
    app.config.setdefault("WTF_CSRF_TIME_LIMIT", 8 * 3600)  # one working day per page
    csrf.init_app(app)

    @app.before_request
    def _check_csrf():
        if not app.config.get("WTF_CSRF_ENABLED", True) or request.method in SAFE_METHODS:
            return None
        if any(request.path.startswith(p) for p in app.config["CSRF_EXEMPT_PREFIXES"]):
            return None
        csrf.protect(apply_exemptions=True)  # honours csrf.exempt(view or blueprint) too
        return None

    @app.after_request
    def _security_headers(response):
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        if response.mimetype == "text/html" or request.path.startswith("/cases/"):
            # Pages show personal data: keep them out of shared caches and history.
            response.headers.setdefault("Cache-Control", "no-store")
        return response
