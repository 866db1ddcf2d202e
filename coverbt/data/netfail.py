"""Live-fetch failures: classify them, stop early, sum them up in one line per class.

A run of live fetches (``data update``, the consensus snapshot) shares one
:class:`FetchGuard`:

* **classify** (:func:`classify`) walks the exception chain that requests, urllib3 and
  akshare build: a DNS failure (``socket.gaierror`` inside urllib3's
  ``NameResolutionError``), a refused connection (``ConnectionRefusedError`` inside
  ``NewConnectionError``), a timeout, an HTTP 5xx, an empty answer or a ban, or a schema
  change (the site's answer no longer has akshare's fields);
* **no retry storm**: DNS and refused failures are never retried, and they open the
  guard's circuit for that akshare function, so the other series fail at once with the
  same class. Once two functions failed that way the whole run's circuit opens: the
  network (or its DNS, or a proxy) is down, not one site;
* **budget**: time spent in failed calls and backoff waits is charged to
  :data:`NETWORK_BUDGET`; once spent, the remaining calls fail at once as ``gave_up``. A
  call that does not return is abandoned after :data:`CALL_LIMIT` seconds (or the rest of
  the budget), so a silently dropped connection cannot hang the command either.

Successful calls cost nothing from the budget, so a slow but working network is not cut
short (only a single call longer than :data:`CALL_LIMIT` is). Failed calls, akshare's own
retry waits inside them and our backoff waits together stay within the budget, so a run
with no route to the vendors ends about :data:`NETWORK_BUDGET` seconds after it starts
fetching, at worst.
"""

from __future__ import annotations

import errno
import re
import socket
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from typing import Any, TypeVar
from urllib.parse import urlsplit

import requests
import urllib3.exceptions

from coverbt.errors import FetchError, FetchFailure, InputError

NETWORK_BUDGET = 20.0  # seconds of failed calls and retry waits per run, then give up
CALL_LIMIT = 20.0  # seconds one akshare call may take before it counts as timed out
TRIP_ALL_AFTER = 2  # functions failing with DNS/refused before every function stops
DETAIL_CHARS = 160  # an exception's text is cut to this in messages

NOT_RETRIED = frozenset({FetchFailure.DNS, FetchFailure.REFUSED})
UNREACHABLE = frozenset(
    {
        FetchFailure.DNS,
        FetchFailure.REFUSED,
        FetchFailure.TIMEOUT,
        FetchFailure.NETWORK,
        FetchFailure.GAVE_UP,
    }
)
LABEL = {
    FetchFailure.DNS: "DNS lookup failed",
    FetchFailure.REFUSED: "connection refused",
    FetchFailure.TIMEOUT: "timed out",
    FetchFailure.HTTP_5XX: "server error (HTTP 5xx)",
    FetchFailure.EMPTY: "empty answer or blocked",
    FetchFailure.NETWORK: "network error",
    FetchFailure.SCHEMA: "the answer changed shape",
    FetchFailure.GAVE_UP: "not tried (the run gave up on the network)",
}
MEANING = {
    FetchFailure.DNS: "no route to the vendors",
    FetchFailure.REFUSED: "the site, a firewall or a proxy refused to connect",
    FetchFailure.TIMEOUT: "the sites did not answer in time",
    FetchFailure.HTTP_5XX: "the site is failing",
    FetchFailure.EMPTY: "an empty answer often means the site is rate-limiting this IP",
    FetchFailure.NETWORK: "the connection broke",
    FetchFailure.SCHEMA: "the site changed its answer",
    FetchFailure.GAVE_UP: f"{NETWORK_BUDGET:.0f} s went into failed requests already",
}
FIX = {
    FetchFailure.DNS: "check the connection, or run with --offline",
    FetchFailure.REFUSED: "check the network and proxy settings, or run with --offline",
    FetchFailure.TIMEOUT: "try again later, or run with --offline",
    FetchFailure.HTTP_5XX: "try again later",
    FetchFailure.EMPTY: "wait and run the command again",
    FetchFailure.NETWORK: "check the connection, or run with --offline",
    FetchFailure.SCHEMA: "upgrade akshare (pip install -U akshare) or import vendor files",
    FetchFailure.GAVE_UP: "check the connection and run again, or run with --offline",
}
_REFUSED_ERRNOS = frozenset({errno.ECONNREFUSED, errno.ENETUNREACH, errno.EHOSTUNREACH})
_REFUSED_TEXT = re.compile(r"refused|unreachable|no route to host", re.IGNORECASE)
_RESOLVE_TEXT = re.compile(r"Failed to resolve '([^']+)'")
_STATUS_5XX = re.compile(r"\b5\d\d\b")
_STATUS_TEXT = re.compile(r"status code:?\s*(\d{3})", re.IGNORECASE)

T = TypeVar("T")


class EmptyAnswer(Exception):
    """The site answered with no rows (or null data): often a blocked IP."""


class CallTimedOut(TimeoutError):
    """An akshare call did not return within its limit; it was abandoned."""


def classify(exc: BaseException) -> FetchFailure | None:
    """The failure class of ``exc``, or ``None`` when it is no fetch failure (a bug).

    Examples
    --------
    >>> inner = socket.gaierror(-2, "Name or service not known")
    >>> classify(requests.ConnectionError(urllib3.exceptions.MaxRetryError(None, "/", inner)))
    <FetchFailure.DNS: 'dns'>
    >>> classify(KeyError("klines"))
    <FetchFailure.SCHEMA: 'schema'>
    """
    chain = list(_chain(exc))
    if any(isinstance(e, socket.gaierror | urllib3.exceptions.NameResolutionError) for e in chain):
        return FetchFailure.DNS
    if any(_refused(e) for e in chain):
        return FetchFailure.REFUSED
    if any(_timeout(e) for e in chain):
        return FetchFailure.TIMEOUT
    status = _status(exc)
    if status is not None and status >= 500:
        return FetchFailure.HTTP_5XX
    if status is not None or isinstance(exc, EmptyAnswer | requests.JSONDecodeError):
        return FetchFailure.EMPTY  # an error page, no rows, or not data (a captcha page)
    if _akshare(exc) in _AK_EMPTY:
        return FetchFailure.EMPTY
    if isinstance(exc, requests.RequestException) or _akshare(exc):
        return FetchFailure.NETWORK
    if isinstance(exc, KeyError | ValueError | IndexError):
        return FetchFailure.SCHEMA
    return None


def host_of(exc: BaseException) -> str | None:
    """The host that failed, read from the exception chain, when it names one."""
    for e in _chain(exc):
        conn_host = getattr(getattr(e, "conn", None), "host", None)
        if isinstance(conn_host, str):
            return conn_host
        found = _RESOLVE_TEXT.search(str(e))
        if found:
            return found.group(1)
        request = getattr(e, "request", None)
        url = getattr(request, "url", None)
        if isinstance(url, str):
            return urlsplit(url).hostname
    return None


def detail(exc: BaseException) -> str:
    """``Type: text`` of an exception, cut to :data:`DETAIL_CHARS`."""
    text = " ".join(f"{type(exc).__name__}: {exc}".split())  # one line
    return text if len(text) <= DETAIL_CHARS else text[: DETAIL_CHARS - 3] + "..."


def failure_of(exc: BaseException) -> FetchFailure | None:
    """The class of an error a fetch raised: a :class:`FetchError`'s own, ``schema`` for
    an :class:`InputError` (the site's answer was refused at the edge), else ``None``."""
    if isinstance(exc, FetchError):
        return exc.failure
    return FetchFailure.SCHEMA if isinstance(exc, InputError) else None


class FetchGuard:
    """One run's circuit breaker and failure budget (see the module docstring).

    Parameters
    ----------
    budget : seconds of failed calls and backoff waits before the run gives up.
    clock : monotonic seconds (tests pass a fake clock).
    call_limit : seconds one call may take before it is abandoned as timed out.
    """

    def __init__(
        self,
        budget: float = NETWORK_BUDGET,
        *,
        clock: Callable[[], float] = time.monotonic,
        call_limit: float = CALL_LIMIT,
    ) -> None:
        self.budget = budget
        self.clock = clock
        self.call_limit = call_limit
        self.spent = 0.0
        self._open: dict[str, FetchError] = {}  # function -> its first DNS/refused failure
        self._all_open: FetchError | None = None  # set once TRIP_ALL_AFTER functions failed

    def remaining(self) -> float:
        return max(0.0, self.budget - self.spent)

    def check(self, function: str, what: str) -> None:
        """Raise at once when ``function``'s circuit is open or the budget is spent."""
        opened = self._open.get(function) or self._all_open
        if opened is not None:
            where = f" for {opened.host}" if opened.host else ""
            raise FetchError(
                f"{what}: not tried: {LABEL[opened.failure]}{where} earlier in this run. "
                f"Fix: {FIX[opened.failure]}",
                failure=opened.failure,
                host=opened.host,
                tried=False,
            )
        if self.remaining() <= 0:
            raise FetchError(
                f"{what}: {LABEL[FetchFailure.GAVE_UP]}: {self.budget:.0f} s went into "
                f"failed requests already. Fix: {FIX[FetchFailure.GAVE_UP]}",
                failure=FetchFailure.GAVE_UP,
                tried=False,
            )

    def once(self, function: str, what: str, thunk: Callable[[], T]) -> T:
        """Run ``thunk`` once under the guard. A fetch failure becomes a :class:`FetchError`
        (DNS/refused open the circuit); a schema error or a bug is raised unchanged."""
        self.check(function, what)
        started = self.clock()
        try:
            return _bounded(thunk, min(self.call_limit, self.remaining()))
        except Exception as exc:
            self.spent += max(0.0, self.clock() - started)
            failure = classify(exc)
            if failure is None or failure is FetchFailure.SCHEMA:
                raise
            error = fetch_error(what, exc, failure, attempts=1)
            if failure in NOT_RETRIED:
                self._trip(function, error)
            raise error from exc

    def wait(self, seconds: float, sleep: Callable[[float], None]) -> bool:
        """Sleep ``seconds`` before a retry when the budget allows it; else return False."""
        if seconds >= self.remaining():
            return False
        sleep(seconds)
        self.spent += seconds
        return True

    def _trip(self, function: str, error: FetchError) -> None:
        self._open[function] = error
        if len(self._open) >= TRIP_ALL_AFTER:
            self._all_open = error


def fetch_error(
    what: str, exc: BaseException, failure: FetchFailure, *, attempts: int
) -> FetchError:
    """The :class:`FetchError` of ``what`` failing ``attempts`` times, ``exc`` the last."""
    host = host_of(exc)
    if failure in NOT_RETRIED:
        where = f" for {host}" if host else ""
        text = f"{what}: {LABEL[failure]}{where} (not retried)"
    else:
        times = "once" if attempts == 1 else f"{attempts} times"
        text = f"{what} failed {times}: {LABEL[failure]}, last: {detail(exc)}"
    return FetchError(
        f"{text}; {MEANING[failure]}. Fix: {FIX[failure]}", failure=failure, host=host
    )


Failed = tuple[FetchFailure | None, str | None, bool]
"""One failure for :func:`summary_lines`: its class, the host, whether it was tried."""


def summary_lines(
    failures: Iterable[Failed], *, units: tuple[str, str] = ("series", "series")
) -> list[str]:
    """One line per failure class: the count (``units``: singular, plural), the hosts and
    how many were not tried, what it means, the fix.

    Examples
    --------
    >>> host = "push2his.eastmoney.com"
    >>> summary_lines([(FetchFailure.DNS, host, True), (FetchFailure.DNS, host, False)])[0]
    'network: DNS lookup failed for 2 series (push2his.eastmoney.com; 1 not tried after that): no route to the vendors. Fix: check the connection, or run with --offline'
    """  # noqa: E501
    groups: dict[FetchFailure | None, list[tuple[str | None, bool]]] = {}
    for failure, host, tried in failures:
        groups.setdefault(failure, []).append((host, tried))
    lines = []
    for failure in [*FetchFailure, None]:
        if failure not in groups:
            continue
        hosts = groups[failure]
        unit = units[0] if len(hosts) == 1 else units[1]
        named = sorted({h for h, _tried in hosts if h})
        skipped = sum(not tried for _h, tried in hosts)
        parts = [", ".join(named)] if named else []
        if skipped and failure is not FetchFailure.GAVE_UP:  # gave_up: none was tried
            parts.append(f"{skipped} not tried after that")
        where = f" ({'; '.join(parts)})" if parts else ""
        if failure is None:
            lines.append(f"other: {len(hosts)} {unit} failed (details: --json)")
            continue
        lines.append(
            f"{_GROUP[failure]}: {LABEL[failure]} for {len(hosts)} {unit}{where}: "
            f"{MEANING[failure]}. Fix: {FIX[failure]}"
        )
    return lines


_GROUP = {f: "network" for f in UNREACHABLE} | {
    FetchFailure.HTTP_5XX: "site",
    FetchFailure.EMPTY: "site",
    FetchFailure.SCHEMA: "schema",
}
_AK_EMPTY = frozenset({"RateLimitError", "DataParsingError", "APIError"})


def _bounded(thunk: Callable[[], T], seconds: float) -> T:
    """``thunk()`` in a daemon thread, abandoned after ``seconds`` (requests has no total
    timeout and akshare passes none to most requests)."""
    box: dict[str, Any] = {}

    def run() -> None:
        try:
            box["value"] = thunk()
        except BaseException as exc:  # handed to the caller's thread below
            box["error"] = exc

    worker = threading.Thread(target=run, name="coverbt-fetch", daemon=True)
    worker.start()
    worker.join(max(seconds, 0.0))
    if worker.is_alive():
        raise CallTimedOut(f"no answer within {seconds:.1f} s; the call was abandoned")
    if "error" in box:
        raise box["error"]
    return box["value"]


def _chain(exc: BaseException) -> Iterator[BaseException]:
    """``exc`` and every exception it wraps (cause, context, urllib3 reason, args)."""
    seen: set[int] = set()
    todo = [exc]
    while todo:
        e = todo.pop(0)
        if id(e) in seen:
            continue
        seen.add(id(e))
        yield e
        linked = (e.__cause__, e.__context__, getattr(e, "reason", None), *e.args)
        todo += [x for x in linked if isinstance(x, BaseException)]


def _refused(e: BaseException) -> bool:
    if isinstance(e, ConnectionRefusedError):
        return True
    if isinstance(e, OSError) and e.errno in _REFUSED_ERRNOS:
        return True
    new_connection = isinstance(e, urllib3.exceptions.NewConnectionError)
    return new_connection and bool(_REFUSED_TEXT.search(str(e)))


def _timeout(e: BaseException) -> bool:
    if isinstance(e, urllib3.exceptions.NewConnectionError):  # a ConnectTimeoutError subclass
        return False
    return isinstance(e, requests.Timeout | urllib3.exceptions.TimeoutError | TimeoutError)


def _status(exc: BaseException) -> int | None:
    """The HTTP status behind an error answer, when it can be read."""
    response = getattr(exc, "response", None)
    code = getattr(response, "status_code", None)
    if isinstance(code, int) and code >= 400:
        return code
    if _akshare(exc) == "APIError":
        found = _STATUS_TEXT.search(str(exc))
        return int(found.group(1)) if found else None
    if isinstance(exc, requests.JSONDecodeError):  # an HTML error page instead of JSON
        page = str(exc.doc)[:300]
        found = _STATUS_5XX.search(page) if page.lstrip().startswith("<") else None
        return int(found.group(0)) if found else None
    return None


def _akshare(exc: BaseException) -> str | None:
    """The class name of one of akshare's own exceptions, else None."""
    return type(exc).__name__ if type(exc).__module__.startswith("akshare") else None
