"""The petitioners' public pages (信访人查询): no login, a 查询码 opens one matter.

``init_app`` registers the blueprint at ``/query``; the login page links to it.  Every
request that names a code is rate-limited per client address (``RateLimiter``), so
guessing codes is hopeless on top of their 2^59 space.
"""
from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Install the public query pages on ``app``."""
    from web.public.limits import RateLimiter
    from web.public.views import bp

    app.extensions["xinfang.query_limiter"] = RateLimiter(
        int(app.config.get("QUERY_RATE_LIMIT", 10)), float(app.config.get("QUERY_RATE_WINDOW", 300)))
    app.register_blueprint(bp)
