"""Engine errors and HTTP errors as Chinese pages (JSON for the diagram data)."""
from __future__ import annotations

from flask import Flask, jsonify, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from engine.errors import EngineError
from web.ui.blueprint import bp

TITLES = {
    400: "请求有误",
    401: "请先登录",
    403: "无权操作",
    404: "页面不存在或您无权查看",
    405: "不支持的操作",
    409: "数据已变化",
    413: "上传的文件太大",
    422: "无法执行",
    500: "系统出错",
}


def _page(status: int, message: str | None = None):
    if request.path.endswith(".json") or request.accept_mimetypes.best == "application/json":
        return jsonify({"error": TITLES.get(status, "出错了"), "message": message}), status
    return render_template("ui/error.html", status=status, title=TITLES.get(status, "出错了"),
                           message=message), status


@bp.app_errorhandler(CSRFError)
def _csrf_error(error):
    return _page(400, "页面已过期或请求来源不明，请刷新页面后重试。")


@bp.errorhandler(EngineError)
def _engine_error(error: EngineError):
    # NotFound hides whether the id exists at all (another unit's case answers the same).
    if error.status == 404:
        return _page(404)
    return _page(error.status if error.status in TITLES else 500, error.message)


def init_app(app: Flask) -> None:
    """HTML error pages for the UI's paths; other prefixes keep their own handlers."""
    prefixes = tuple(app.config.get("CSRF_EXEMPT_PREFIXES", ("/engine-rest",)))

    @app.errorhandler(HTTPException)
    def _http_error(error: HTTPException):
        if request.path.startswith(prefixes) or error.code is None or error.code < 400:
            return error
        return _page(error.code, None if error.code in (404, 405) else error.description)
