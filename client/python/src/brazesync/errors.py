"""Error mapping shared by the sync and asyncio clients: a failed call
(``grpc.RpcError``, or ``grpc.aio.AioRpcError``, which is one) becomes one
:class:`BrazeSyncError` that names the bad fields from the
``grpc-status-details-bin`` trailer."""

from __future__ import annotations

from typing import Iterable, List, Optional, Sequence, Tuple, Union

import grpc
from google.rpc import error_details_pb2, status_pb2

STATUS_DETAILS_KEY = "grpc-status-details-bin"
_TYPE_URL_PREFIX = "type.googleapis.com/"


class BrazeSyncError(Exception):
    """A call (Track, LookupUsers, an action) failed with a non-OK gRPC status.

    Attributes:
        code: the :class:`grpc.StatusCode` (e.g. ``INVALID_ARGUMENT``).
        message: the server's error message.
        violations: ``(field, description)`` pairs from the
            ``google.rpc.BadRequest`` in the ``grpc-status-details-bin``
            trailer, e.g. ``("attributes[0].dob", "...")``; empty if none.
        retry_delay: seconds from a ``google.rpc.RetryInfo`` detail, if any.
        attempts: how many attempts were made (more than 1 after retries).
    """

    def __init__(self, code: grpc.StatusCode, message: str,
                 violations: Optional[Sequence[Tuple[str, str]]] = None, *,
                 retry_delay: Optional[float] = None, attempts: int = 1) -> None:
        self.code = code
        self.message = message
        self.violations: List[Tuple[str, str]] = list(violations or [])
        self.retry_delay = retry_delay
        self.attempts = attempts
        text = f"{code.name}: {message}"
        if self.violations:
            text += " [" + "; ".join(f"{f}: {d}" for f, d in self.violations) + "]"
        super().__init__(text)

    @classmethod
    def from_rpc_error(cls, error: grpc.RpcError, attempts: int = 1) -> "BrazeSyncError":
        """Builds the error from a failed call, decoding its status details."""
        code = status_code(error)
        message = error.details() if hasattr(error, "details") else str(error)
        trailers = error.trailing_metadata() if hasattr(error, "trailing_metadata") else None
        violations, retry_delay, status_message = decode_status_details(trailers)
        return cls(code, message or status_message or "",
                   violations, retry_delay=retry_delay, attempts=attempts)


def decode_status_details(
        trailers: Optional[Iterable[Tuple[str, Union[str, bytes]]]]
) -> Tuple[List[Tuple[str, str]], Optional[float], str]:
    """Decodes ``grpc-status-details-bin`` (a ``google.rpc.Status``).

    Returns ``(violations, retry_delay_seconds, status_message)``; unknown
    detail types are ignored, and a missing or undecodable trailer gives
    ``([], None, "")``.
    """
    violations: List[Tuple[str, str]] = []
    retry_delay: Optional[float] = None
    for key, value in trailers or ():
        if key != STATUS_DETAILS_KEY or not isinstance(value, bytes):
            continue
        status = status_pb2.Status()
        try:
            status.ParseFromString(value)
        except Exception:  # a malformed trailer must not hide the real error
            return violations, retry_delay, ""
        for detail in status.details:
            type_name = detail.type_url[len(_TYPE_URL_PREFIX):] \
                if detail.type_url.startswith(_TYPE_URL_PREFIX) else detail.type_url.split("/")[-1]
            if type_name == error_details_pb2.BadRequest.DESCRIPTOR.full_name:
                bad_request = error_details_pb2.BadRequest()
                bad_request.ParseFromString(detail.value)
                violations.extend((v.field, v.description) for v in bad_request.field_violations)
            elif type_name == error_details_pb2.RetryInfo.DESCRIPTOR.full_name:
                info = error_details_pb2.RetryInfo()
                info.ParseFromString(detail.value)
                retry_delay = info.retry_delay.seconds + info.retry_delay.nanos / 1e9
        return violations, retry_delay, status.message
    return violations, retry_delay, ""


# ---------------------------------------------------------------------------
# Builders: Python values -> BrazeSync messages.

def status_code(error: grpc.RpcError) -> grpc.StatusCode:
    """The status code of a failed call (``UNKNOWN`` when it carries none)."""
    code = error.code() if hasattr(error, "code") else None
    return code if isinstance(code, grpc.StatusCode) else grpc.StatusCode.UNKNOWN
