"""Errors that reach the user.

Every error caused by input (a file, a flag, a data frame from a vendor) is an
:class:`InputError`: it names *where* (file, line, field), *what was expected*
and *how to fix it*. The CLI prints it without a traceback and exits with code 2.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

EXIT_INPUT_ERROR = 2
EXIT_RUNTIME_ERROR = 1
EXIT_UNREACHABLE = 3  # no live source could be reached: nothing was fetched
EXIT_ENVIRONMENT = 4  # the machine, not the input: unwritable or full disk, a damaged file


class CoverbtError(Exception):
    """Base class of every error coverbt raises on purpose."""

    exit_code: int = EXIT_RUNTIME_ERROR


@dataclass
class InputError(CoverbtError):
    """Bad input, reported with its location and a fix.

    Parameters
    ----------
    problem : what is wrong, in one sentence.
    source : the file (or source name such as ``akshare:stock_zh_a_hist``).
    line : 1-based line number in ``source``, when known.
    field : the field or column, when known (``names[3].eps.2024``).
    expected : what would have been valid.
    fix : how the user can fix it.

    Examples
    --------
    >>> str(InputError("not a number", source="u.yaml", line=4, field="eps.2024",
    ...                expected="a number such as 1.25", fix="remove the quotes"))
    'u.yaml:4: field eps.2024: not a number; expected a number such as 1.25. Fix: remove the quotes'
    """

    problem: str
    source: str | Path | None = None
    line: int | None = None
    field: str | None = None
    expected: str | None = None
    fix: str | None = None

    exit_code = EXIT_INPUT_ERROR

    def __post_init__(self) -> None:
        super().__init__(str(self))

    def __str__(self) -> str:
        where = ""
        if self.source is not None:
            where = str(self.source)
            if self.line is not None:
                where += f":{self.line}"
            where += ": "
        text = where
        if self.field:
            text += f"field {self.field}: "
        text += self.problem
        if self.expected:
            text += f"; expected {self.expected}"
        text += "."
        if self.fix:
            text += f" Fix: {self.fix}"
        return text


class DataUnavailableError(CoverbtError):
    """Market data that a computation needs is not in the cache and cannot be fetched."""

    exit_code = EXIT_INPUT_ERROR


class FetchFailure(StrEnum):
    """Why a live fetch failed; commands print one summary line per class.

    ``dns`` and ``refused`` are never retried; ``timeout``, ``http_5xx``, ``empty`` and
    ``network`` are retried with backoff within the run's budget; ``schema`` (the site changed
    its answer) is an :class:`InputError`; ``gave_up`` means not tried, because the run had
    already spent its network budget on failures.
    """

    DNS = "dns"
    REFUSED = "refused"
    TIMEOUT = "timeout"
    HTTP_5XX = "http_5xx"
    EMPTY = "empty"
    NETWORK = "network"
    SCHEMA = "schema"
    GAVE_UP = "gave_up"


class FetchError(CoverbtError):
    """A live data source failed (after its retries, when its class allows retries).

    Parameters
    ----------
    message : what failed and how to fix it.
    failure : the class of the failure.
    host : the site that failed, when known.
    tried : False when the request was not sent, because an earlier one failed the same
        way (or the run gave up).
    """

    def __init__(
        self,
        message: str,
        *,
        failure: FetchFailure = FetchFailure.NETWORK,
        host: str | None = None,
        tried: bool = True,
    ) -> None:
        super().__init__(message)
        self.failure = failure
        self.host = host
        self.tried = tried


class LockedError(CoverbtError):
    """Another coverbt process holds the lock of a workspace resource."""


@dataclass
class EnvironmentProblem(CoverbtError):
    """The machine stopped a command: a folder that cannot be written, a full disk, a path
    that is a file where a folder belongs, a damaged database. Exit code 4.

    Examples
    --------
    >>> str(EnvironmentProblem("cannot write: no space left on the device",
    ...                        path="reports/index.html", fix="free disk space"))
    'reports/index.html: cannot write: no space left on the device. Fix: free disk space'
    """

    problem: str
    path: str | Path | None = None
    fix: str | None = None

    exit_code = EXIT_ENVIRONMENT

    def __post_init__(self) -> None:
        super().__init__(str(self))

    def __str__(self) -> str:
        where = f"{self.path}: " if self.path is not None else ""
        return where + self.problem + (f". Fix: {self.fix}" if self.fix else "")
