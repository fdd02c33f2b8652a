"""What crosses the boundary between the engine and its evaluation workers: tagged JSON.

Only data crosses, never code or pickles: the engine must be able to read whatever a
worker sends back without trusting it.  JSON carries text, numbers, booleans, null,
lists and string-keyed maps as they are; the other values case data and expression
results hold are written as one-key maps whose key starts with NUL, a character
variable names and form keys never contain:

* ``datetime`` → ``{"\\u0000datetime": "2026-03-02T09:00:00+08:00"}`` (naive stays naive),
  ``date`` and ``time`` likewise;
* ``timedelta`` → ``{"\\u0000timedelta": [days, seconds, microseconds]}`` (exact);
* ``Decimal`` → ``{"\\u0000decimal": "12.50"}`` (exact, never through float);
* ``tuple``, ``set``, ``frozenset`` → their items under ``\\u0000tuple`` and so on;
* a map with a non-string key, or with a key starting with NUL →
  ``{"\\u0000map": [[key, value], ...]}``.

Anything else (a function, a generator, a module) cannot cross and raises
:class:`CodecError` naming where it was found.
"""
from __future__ import annotations

import json
import math
from datetime import date, datetime, time, timedelta
from decimal import Decimal

TAG = "\x00"
MAX_DEPTH = 100


class CodecError(ValueError):
    """A value that cannot cross to or from an evaluation worker."""


def encode(value, path: str = "value", depth: int = 0):
    """``value`` as plain JSON data (tagged where JSON has no type for it)."""
    if value is None or isinstance(value, (bool, str, int)):
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            return {TAG + "float": repr(value)}
        return value
    if depth > MAX_DEPTH:
        raise CodecError(f"'{path}' is nested more than {MAX_DEPTH} levels deep")
    if isinstance(value, list):
        return [encode(item, f"{path}[{i}]", depth + 1) for i, item in enumerate(value)]
    if isinstance(value, dict):
        if all(isinstance(k, str) and not k.startswith(TAG) for k in value):
            return {k: encode(v, f"{path}[{k!r}]", depth + 1) for k, v in value.items()}
        return {TAG + "map": [[encode(k, f"{path} key", depth + 1), encode(v, f"{path}[{k!r}]", depth + 1)]
                              for k, v in value.items()]}
    if isinstance(value, datetime):
        return {TAG + "datetime": value.isoformat()}
    if isinstance(value, date):
        return {TAG + "date": value.isoformat()}
    if isinstance(value, time):
        return {TAG + "time": value.isoformat()}
    if isinstance(value, timedelta):
        return {TAG + "timedelta": [value.days, value.seconds, value.microseconds]}
    if isinstance(value, Decimal):
        return {TAG + "decimal": str(value)}
    for kind in (tuple, set, frozenset):
        if isinstance(value, kind):
            return {TAG + kind.__name__: [encode(item, f"{path}[{i}]", depth + 1) for i, item in enumerate(value)]}
    raise CodecError(f"'{path}' holds a {type(value).__name__}, which cannot leave the evaluation")


def _tagged(obj: dict):
    if len(obj) != 1:
        return obj
    (key, payload), = obj.items()
    if not key.startswith(TAG):
        return obj
    kind = key[1:]
    try:
        if kind == "datetime":
            return datetime.fromisoformat(payload)
        if kind == "date":
            return date.fromisoformat(payload)
        if kind == "time":
            return time.fromisoformat(payload)
        if kind == "timedelta":
            days, seconds, micro = payload
            return timedelta(days=days, seconds=seconds, microseconds=micro)
        if kind == "decimal":
            return Decimal(payload)
        if kind == "float":
            return float(payload)
        if kind in ("tuple", "set", "frozenset"):
            return {"tuple": tuple, "set": set, "frozenset": frozenset}[kind](payload)
        if kind == "map":
            return {_hashable(k): v for k, v in payload}
    except (TypeError, ValueError, ArithmeticError) as exc:
        raise CodecError(f"a malformed {kind} value: {exc}") from None
    raise CodecError(f"unknown tagged value {kind!r}")


def _hashable(key):
    if isinstance(key, list):
        return tuple(_hashable(k) for k in key)
    if isinstance(key, dict):
        raise CodecError("a map cannot be the key of a map")
    return key


def dumps(message) -> bytes:
    """A message (already encoded values inside) as UTF-8 JSON."""
    return json.dumps(message, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode("utf-8")


def loads(data: bytes):
    """The message in ``data``, tagged values decoded; CodecError when it is malformed."""
    try:
        return json.loads(data, object_hook=_tagged)
    except CodecError:
        raise
    except (ValueError, RecursionError, TypeError) as exc:
        raise CodecError(f"malformed message: {exc}") from None
