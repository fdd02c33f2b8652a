"""The petitioner's side: 查询码 (query codes), the public progress view and ratings.

第二十一条 asks that petitioners can query and evaluate the handling of their matter.
Each registered matter gets a random 查询码 (printed on the 受理告知书); with it, and
nothing else, anyone can read the matter's public progress — never staff names, other
people's data or, for a 检举控告 matter, the accused unit.
"""
from __future__ import annotations

import secrets

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from persistence.documents import QueryCode

# No 0/O, 1/I/L: a code read aloud or typed from paper is not mistaken.  12 symbols of
# 31 give about 2^59 codes, so guessing one is hopeless within any rate limit.
ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_LENGTH = 12


def new_code() -> str:
    """A fresh random 查询码, grouped by four: ABCD-EFGH-JKMN."""
    raw = "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))
    return "-".join(raw[i:i + 4] for i in range(0, CODE_LENGTH, 4))


def normalise_code(text: str) -> str:
    """What the petitioner typed, as stored (upper case, dashes where they belong)."""
    raw = "".join(ch for ch in (text or "").upper() if ch.isalnum())[:CODE_LENGTH]
    return "-".join(raw[i:i + 4] for i in range(0, len(raw), 4))


def query_code_for(session: Session, case_id: str) -> str:
    """The case's 查询码, created on first use (in the caller's transaction)."""
    code = session.scalar(select(QueryCode.code).where(QueryCode.case_id == case_id))
    if code:
        return code
    for _ in range(5):
        candidate = new_code()
        try:
            with session.begin_nested():
                session.add(QueryCode(code=candidate, case_id=case_id))
            return candidate
        except IntegrityError:  # the same code drawn twice, or another worker made this case's code
            code = session.scalar(select(QueryCode.code).where(QueryCode.case_id == case_id))
            if code:
                return code
    raise RuntimeError("could not draw a unique query code")


def existing_code(session: Session, case_id: str) -> str | None:
    """The case's 查询码 if it has one."""
    return session.scalar(select(QueryCode.code).where(QueryCode.case_id == case_id))
