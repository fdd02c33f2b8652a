"""Deliberate, narrow corrections to SpiffWorkflow 3.2 behaviour (the version is pinned).

Parallel branches, boundary-event branches and the end of a process join their data
with ``DeepMerge.merge``, which merges two lists of dicts *index by index and in
place*.  For the ``notices`` variable — the append-only list of documents issued to
petitioners and units (告知书, 意见书, 督办函 …) — that garbles letters: a warning
branch's 风险提醒函 is merged into the main path's 调解协议书, and because the dicts
are shared with earlier tasks' data, their copies change too.  Notices are therefore
merged as a union by content, in order of their ``at`` time; every other variable keeps Spiff's behaviour.
"""
from __future__ import annotations

import copy

from SpiffWorkflow.util.deep_merge import DeepMerge

APPEND_ONLY_LISTS = ("notices",)

_original_merge = DeepMerge.merge.__func__ if hasattr(DeepMerge.merge, "__func__") else DeepMerge.merge


def _merge(a, b, path=None):
    if isinstance(a, dict) and isinstance(b, dict) and not path:
        special = [k for k in APPEND_ONLY_LISTS if isinstance(a.get(k), list) and isinstance(b.get(k), list)]
        if special:
            for key in special:
                union = list(a[key])
                for item in b[key]:
                    if item not in union:
                        union.append(copy.deepcopy(item))
                if all(isinstance(i, dict) and isinstance(i.get("at"), str) for i in union):
                    union.sort(key=lambda i: i["at"])  # stable: same-instant letters keep their order
                a[key] = union
            b = {k: v for k, v in b.items() if k not in special}
    return _original_merge(a, b, path)


def apply() -> None:
    """Install the corrections (idempotent)."""
    if DeepMerge.merge is not _merge_static:
        DeepMerge.merge = _merge_static


_merge_static = staticmethod(_merge).__func__
apply()
