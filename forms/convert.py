"""Conversion of one submitted value to a form field's type, with Chinese messages.

Each converter takes an already-cleaned value (a string from an HTML form, or a typed
value from the REST layer) and returns the value stored in case data, or raises
``ConversionError`` whose text is shown beside the field.  Values stored in case data
stay JSON-serialisable: longs are ``int``, booleans ``bool``, dates ISO ``YYYY-MM-DD``
strings.
"""
from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime, timedelta, timezone
from typing import Any

# Camunda's ``long`` is a Java long.
LONG_MIN = -(2**63)
LONG_MAX = 2**63 - 1

# Calendar dates typed by caseworkers are dates in China; China has kept UTC+8 without
# daylight saving since 1991, so a fixed offset needs no tz database.
CHINA = timezone(timedelta(hours=8), "Asia/Shanghai")

_INTEGER = re.compile(r"[+-]?[0-9]{1,19}", re.ASCII)
_DATE_FORMS = (
    re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})", re.ASCII),  # ISO, <input type="date">
    re.compile(r"(\d{4})/(\d{1,2})/(\d{1,2})", re.ASCII),
    re.compile(r"(\d{4})\.(\d{1,2})\.(\d{1,2})", re.ASCII),
    re.compile(r"(\d{4})年(\d{1,2})月(\d{1,2})日"),
)
# Camunda's default date form pattern is dd/MM/yyyy.
_CAMUNDA_FORM_DATE = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})", re.ASCII)
_DATETIME = re.compile(
    r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})?", re.ASCII
)

_TRUE = {"true", "on", "1", "yes", "y", "是"}
_FALSE = {"false", "off", "0", "no", "n", "否", ""}

DATE_HINT = "请输入有效日期（格式：2024-03-05）"


class ConversionError(ValueError):
    """The value does not fit the field's type; ``str(error)`` is the Chinese message."""


def to_long(value: Any) -> int:
    """An integer from an int or a decimal string (full-width digits allowed)."""
    if isinstance(value, bool):
        raise ConversionError("请输入整数")
    if isinstance(value, float):
        if not value.is_integer():
            raise ConversionError("请输入整数")
        value = int(value)
    if isinstance(value, str):
        # NFKC turns full-width digits and signs typed with a Chinese IME into ASCII;
        # the ASCII-only pattern then refuses "1_000", "1e3", "1,000" and other scripts'
        # digits that int() would quietly accept.
        text = unicodedata.normalize("NFKC", value).strip()
        if not _INTEGER.fullmatch(text):
            raise ConversionError("请输入整数")
        value = int(text)
    if not isinstance(value, int):
        raise ConversionError("请输入整数")
    if not LONG_MIN <= value <= LONG_MAX:
        raise ConversionError("数值超出范围")
    return value


def to_boolean(value: Any) -> bool:
    """A bool from a bool, 0/1, or a checkbox / select string ("on", "true", "是", …)."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str):
        text = value.strip().lower()
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
    raise ConversionError("请选择是或否")


def to_date(value: Any) -> str:
    """An ISO ``YYYY-MM-DD`` string from a date, a datetime or a date string.

    Accepted strings: ``2024-03-05``, ``2024/3/5``, ``2024.3.5``, ``2024年3月5日``,
    Camunda's form pattern ``05/03/2024`` (dd/MM/yyyy), and ISO date-times such as a
    Camunda ``Date`` variable ``2024-03-04T16:00:00.000+0000``; a date-time with an
    offset is read as the calendar day in China.
    """
    if isinstance(value, datetime):
        return _china_day(value).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if not isinstance(value, str):
        raise ConversionError(DATE_HINT)
    text = unicodedata.normalize("NFKC", value).strip()
    for pattern in _DATE_FORMS:
        match = pattern.fullmatch(text)
        if match:
            return _make_date(int(match[1]), int(match[2]), int(match[3]))
    match = _CAMUNDA_FORM_DATE.fullmatch(text)
    if match:
        return _make_date(int(match[3]), int(match[2]), int(match[1]))
    if _DATETIME.fullmatch(text):
        try:
            moment = datetime.fromisoformat(text.replace(" ", "T"))
        except ValueError:
            raise ConversionError(DATE_HINT) from None
        return _china_day(moment).isoformat()
    raise ConversionError(DATE_HINT)


def to_enum(value: Any, option_ids: list[str]) -> str:
    """The option id itself, if it is one of the field's options."""
    if isinstance(value, str) and value in option_ids:
        return value
    raise ConversionError("请选择有效选项")


def to_string(value: Any) -> str:
    """A string; numbers and booleans from REST clients are written out."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    raise ConversionError("格式无效，请输入文本")


def _make_date(year: int, month: int, day: int) -> str:
    try:
        return date(year, month, day).isoformat()
    except ValueError:
        raise ConversionError(DATE_HINT) from None


def _china_day(moment: datetime) -> date:
    if moment.tzinfo is None:
        return moment.date()
    return moment.astimezone(CHINA).date()
