"""Cleaning of untrusted text before it becomes case data."""
from __future__ import annotations

import re

# One cap for every text value a caller can put into case data, whether or not the
# form declares a maxlength: a petition letter transcribed in full fits comfortably,
# a pasted megabyte does not. Field maxlengths above it are clamped to it.
MAX_TEXT_LENGTH = 20_000

# Anything much longer than the cap is refused before it is even cleaned, so a hostile
# body cannot make us walk megabytes of text.
_HARD_LIMIT = MAX_TEXT_LENGTH * 4

# C0 controls except tab and newline, DEL, C1 controls; the bidirectional overrides and
# isolates (they make a name or an ID number display differently from what it is —
# "Trojan Source"); byte order marks and other non-characters.  Zero-width joiners stay:
# some scripts and emoji need them.
_UNWANTED = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f"
    "\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c"
    "\ufeff\ufff9-\ufffb\ufffe\uffff"
    "\ud800-\udfff]"
)


class TextTooLong(ValueError):
    """A text value is longer than ``MAX_TEXT_LENGTH`` after cleaning."""


def clean_text(value: str, *, trim: bool = True) -> str:
    """Strip control and bidi-override characters (keeping newlines and tabs), normalise
    line ends to ``\\n`` and optionally trim; raise ``TextTooLong`` above the global cap.

    Markup such as ``<script>`` is kept as text: escaping is the template's job.
    """
    if len(value) > _HARD_LIMIT:
        raise TextTooLong(len(value))
    value = value.replace("\r\n", "\n").replace("\r", "\n")
    value = _UNWANTED.sub("", value)
    if trim:
        value = value.strip()
    if len(value) > MAX_TEXT_LENGTH:
        raise TextTooLong(len(value))
    return value


def too_long_message() -> str:
    """The Chinese message for a value above the global cap."""
    return f"内容过长，不能超过 {MAX_TEXT_LENGTH} 个字符"
