"""Small helpers for conversation action nodes: a node is created by the
platform and called as ``execute(log, payload, context)``, and answers
``{'success': 'true', ...}`` or ``{'success': 'error'}`` so the flow can branch.
The examples in ``client/python/examples`` use them.
"""

from __future__ import annotations

from typing import Any, Dict, Mapping, Optional, Sequence


def success(**extra: str) -> Dict[str, str]:
    """``{'success': 'true'}`` plus ``extra`` keys (e.g. ``greeting=...``)."""
    return dict(extra, success="true")


def failure() -> Dict[str, str]:
    """``{'success': 'error'}``."""
    return {"success": "error"}


def log(sink: Any, level: str, message: str) -> None:
    """Logs through a logger-like object (``sink.info`` / ``sink.error``) or,
    failing that, a plain callable (``print``, ``list.append``)."""
    method = getattr(sink, level, None)
    if callable(method):
        method(message)
    elif callable(sink):
        sink(f"{level.upper()}: {message}")


def pick(names: Sequence[str], *sources: Optional[Mapping[str, Any]]) -> Optional[str]:
    """The first non-empty value among ``names`` in the first source that has
    one (e.g. the payload, then the context), stripped; ``None`` if none has.

    ``pick(("user_id", "external_id"), payload, context)``
    """
    for source in sources:
        for name in names:
            value = (source or {}).get(name)
            if value not in (None, ""):
                return str(value).strip()
    return None


def result_detail(result: Any) -> str:
    """Why one item (a Track ``ItemResult`` or an action ``ActionResult``) did
    not go through: Braze's error, else BrazeSync's message, else the field
    violations."""
    return (result.braze_error or result.error_message or
            "; ".join(f"{v.field}: {v.description}" for v in result.violations))
