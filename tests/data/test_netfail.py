"""Network failure is fast and honest: classified, never retried when retrying cannot help,
and bounded by one budget per run (a fake clock, never the wall clock)."""

from __future__ import annotations

import datetime as dt
import errno
import threading
from pathlib import Path

import pytest
import requests
import responses

from coverbt.data.akshare_live import AkshareLive
from coverbt.data.cache import Cache
from coverbt.data.netfail import EmptyAnswer, FetchGuard, classify, host_of, summary_lines
from coverbt.data.schema import SeriesKind
from coverbt.data.update import FAILED, Target, failure_summary, unreachable, update_cache
from coverbt.errors import FetchError, FetchFailure
from tests.data import akshare_payloads as pay
from tests.data.network_errors import KLINE_HOST, connect_timeout, dns_failure, refused
from tests.fake_clock import FakeClock

TODAY = dt.date(2024, 12, 31)
START = dt.date(2024, 6, 7)


class FailingApi:
    """akshare stand-in: every function raises ``error`` after ``seconds`` on ``clock``."""

    def __init__(self, error: Exception, clock: FakeClock, seconds: float = 0.0) -> None:
        self.error, self.clock, self.seconds = error, clock, seconds
        self.calls: list[str] = []

    def __getattr__(self, name: str):
        def fail(**_kwargs: object) -> None:
            self.calls.append(name)
            self.clock.now += self.seconds
            raise self.error

        return fail


def _raised_inside(outer: type[Exception], inner: Exception) -> Exception:
    """``outer`` raised while handling ``inner``, as akshare's retry helpers do."""
    try:
        try:
            raise inner
        except Exception:
            raise outer("Failed to connect after 3 attempts") from None
    except Exception as exc:
        exc.__context__ = inner  # `from None` hid it; akshare's plain raise keeps it
        return exc


def _akshare_network_error() -> type[Exception]:
    from akshare.exceptions import NetworkError

    return NetworkError


def _http_error(status: int) -> requests.HTTPError:
    response = requests.Response()
    response.status_code = status
    return requests.HTTPError(f"{status} Server Error", response=response)


def _html_page(status: int) -> requests.JSONDecodeError:
    page = f"<html><body>{status} Bad Gateway</body></html>"
    return requests.JSONDecodeError("Expecting value", page, 0)


SCENARIOS = {
    "dns": (dns_failure(), FetchFailure.DNS),
    "dns inside akshare's NetworkError": (
        _raised_inside(_akshare_network_error(), dns_failure()),
        FetchFailure.DNS,
    ),
    "refused": (refused(), FetchFailure.REFUSED),
    "refused, bare socket error": (
        ConnectionRefusedError(errno.ECONNREFUSED, "Connection refused"),
        FetchFailure.REFUSED,
    ),
    "connect timeout (not a refused connection)": (connect_timeout(), FetchFailure.TIMEOUT),
    "read timeout": (requests.ReadTimeout("read timed out"), FetchFailure.TIMEOUT),
    "HTTP 502": (_http_error(502), FetchFailure.HTTP_5XX),
    "HTML 502 page instead of JSON": (_html_page(502), FetchFailure.HTTP_5XX),
    "HTTP 403 (a ban)": (_http_error(403), FetchFailure.EMPTY),
    "no rows": (EmptyAnswer("the site returned no rows"), FetchFailure.EMPTY),
    "connection reset": (
        requests.ConnectionError("Connection reset by peer"),
        FetchFailure.NETWORK,
    ),
    "renamed field": (KeyError("klines"), FetchFailure.SCHEMA),
    "a bug": (RuntimeError("not a fetch failure"), None),
}


@pytest.mark.parametrize("name", list(SCENARIOS))
def test_failures_are_classified(name: str) -> None:
    error, expected = SCENARIOS[name]
    assert classify(error) is expected


def test_the_failing_host_is_named() -> None:
    assert host_of(dns_failure("datacenter-web.eastmoney.com")) == "datacenter-web.eastmoney.com"
    assert host_of(refused("www.swsresearch.com")) == "www.swsresearch.com"
    assert host_of(KeyError("klines")) is None


@pytest.mark.parametrize(
    ("error", "failure", "words"),
    [(dns_failure(), FetchFailure.DNS, "DNS lookup failed"),
     (refused(), FetchFailure.REFUSED, "connection refused")],
    ids=["dns", "refused"],
)  # fmt: skip
@responses.activate
def test_dns_and_refused_fail_at_once_and_open_the_circuit(
    no_akshare_sleep: None, error: Exception, failure: FetchFailure, words: str
) -> None:
    clock = FakeClock()
    live = AkshareLive(sleep=clock.sleep, guard=FetchGuard(clock=clock))
    responses.get(pay.KLINE_URL, body=error)
    with pytest.raises(FetchError, match=f"{words} for {KLINE_HOST} \\(not retried\\)") as first:
        live.bars("600570", start=START, end=TODAY)
    assert (first.value.failure, first.value.host) == (failure, KLINE_HOST)
    assert clock.waits == [] and len(responses.calls) == 1  # no retry, no backoff
    with pytest.raises(FetchError, match="not tried") as second:
        live.bars("603019", start=START, end=TODAY)
    assert second.value.failure is failure and len(responses.calls) == 1  # circuit open
    assert len(str(first.value)) < 350 and "MaxRetryError" not in str(first.value)  # no dump


@responses.activate
def test_akshare_wrapping_a_dns_failure_is_still_a_dns_failure(no_akshare_sleep: None) -> None:
    """stock_value_em retries inside akshare, then raises akshare's NetworkError."""
    clock = FakeClock()
    live = AkshareLive(sleep=clock.sleep, guard=FetchGuard(clock=clock))
    responses.get(pay.VALUE_URL, body=dns_failure("datacenter-web.eastmoney.com"))
    with pytest.raises(FetchError) as err:
        live.valuation("300496")
    assert err.value.failure is FetchFailure.DNS
    assert err.value.host == "datacenter-web.eastmoney.com"
    assert clock.waits == []


def test_two_functions_failing_dns_stop_every_function() -> None:
    clock = FakeClock()
    api = FailingApi(dns_failure(), clock)
    live = AkshareLive(api, sleep=clock.sleep, guard=FetchGuard(clock=clock))
    for function in ("stock_zh_a_hist", "index_zh_a_hist", "stock_value_em", "index_hist_sw"):
        with pytest.raises(FetchError) as err:
            live.call(function, symbol="600570")
        assert err.value.failure is FetchFailure.DNS
    assert api.calls == ["stock_zh_a_hist", "index_zh_a_hist"] and clock.waits == []


def test_timeouts_spend_one_budget_and_the_run_gives_up(tmp_path: Path) -> None:
    """Every request times out after 15 s: the first series is retried once (2 s backoff),
    then the 20 s budget is spent and the other 29 series are not tried."""
    clock = FakeClock()
    api = FailingApi(requests.ReadTimeout("read timed out"), clock, seconds=15.0)
    guard = FetchGuard(20.0, clock=clock)
    live = AkshareLive(api, retries=3, backoff=2.0, sleep=clock.sleep, guard=guard)
    targets = [Target(f"60{i:04d}", "x", SeriesKind.STOCK) for i in range(30)]
    results = update_cache(Cache(tmp_path / "data_cache"), live, targets, today=TODAY)
    assert len(api.calls) == 2 and clock.waits == [2.0]
    assert clock.now == 15.0 + 2.0 + 15.0  # the whole run, on the fake clock
    assert all(r.status == FAILED for r in results)
    assert results[0].failure == FetchFailure.TIMEOUT and "failed 2 times" in results[0].message
    assert {r.failure for r in results[1:]} == {FetchFailure.GAVE_UP}
    assert [r.tried for r in results] == [True] + [False] * 29
    assert unreachable(results)
    assert failure_summary(results) == [
        "network: timed out for 1 series: the sites did not answer in time. "
        "Fix: try again later, or run with --offline",
        "network: not tried (the run gave up on the network) for 29 series: 20 s went into "
        "failed requests already. Fix: check the connection and run again, or run with "
        "--offline",
    ]


def test_a_call_that_never_returns_is_abandoned_as_a_timeout() -> None:
    release = threading.Event()

    class HangingApi:
        def stock_value_em(self, **_kwargs: object) -> None:
            release.wait(60)

    live = AkshareLive(HangingApi(), retries=3, sleep=FakeClock().sleep, guard=FetchGuard(0.2))
    try:
        with pytest.raises(FetchError) as err:
            live.valuation("300496")
    finally:
        release.set()
    assert err.value.failure is FetchFailure.TIMEOUT
    assert "CallTimedOut: no answer within 0.2 s" in str(err.value)


def test_summary_has_one_line_per_class_in_a_fixed_order() -> None:
    failures = [(FetchFailure.EMPTY, "push2his.eastmoney.com", True)] * 2 + [
        (FetchFailure.DNS, "push2his.eastmoney.com", True),
        (FetchFailure.DNS, "datacenter-web.eastmoney.com", True),
        (FetchFailure.DNS, "datacenter-web.eastmoney.com", False),
        (FetchFailure.SCHEMA, None, True),
        (None, None, True),
    ]
    lines = summary_lines(failures)
    assert [line.split(":")[0] for line in lines] == ["network", "site", "schema", "other"]
    assert lines[0].startswith(
        "network: DNS lookup failed for 3 series (datacenter-web.eastmoney.com, "
        "push2his.eastmoney.com; 1 not tried after that): no route to the vendors."
    )
    assert "empty answer or blocked for 2 series" in lines[1]
    assert "rate-limiting this IP" in lines[1]
