"""Network failures as requests raises them, built from the real urllib3 and socket errors,
for ``responses`` to raise (``body=<exception>``) and for fakes of akshare."""

from __future__ import annotations

import errno
import socket

import requests
from urllib3.connection import HTTPSConnection
from urllib3.exceptions import (
    ConnectTimeoutError,
    MaxRetryError,
    NameResolutionError,
    NewConnectionError,
)

KLINE_HOST = "push2his.eastmoney.com"


def dns_failure(host: str = KLINE_HOST) -> requests.ConnectionError:
    """What requests raises when ``host`` does not resolve (no network, no DNS)."""
    conn = HTTPSConnection(host, 443)
    gai = socket.gaierror(socket.EAI_NONAME, "Name or service not known")
    reason = NameResolutionError(host, conn, gai)
    return requests.ConnectionError(MaxRetryError(None, "/api", reason))  # type: ignore[arg-type]


def refused(host: str = KLINE_HOST) -> requests.ConnectionError:
    """What requests raises when ``host`` refuses the connection."""
    conn = HTTPSConnection(host, 443)
    cause = ConnectionRefusedError(errno.ECONNREFUSED, "Connection refused")
    reason = NewConnectionError(conn, f"Failed to establish a new connection: {cause}")
    reason.__cause__ = cause
    return requests.ConnectionError(MaxRetryError(None, "/api", reason))  # type: ignore[arg-type]


def connect_timeout(host: str = KLINE_HOST) -> requests.ConnectTimeout:
    """What requests raises when ``host`` does not answer the connection in time."""
    conn = HTTPSConnection(host, 443)
    reason = ConnectTimeoutError(conn, f"Connection to {host} timed out. (connect timeout=15)")
    return requests.ConnectTimeout(MaxRetryError(None, "/api", reason))  # type: ignore[arg-type]
