"""The ``coverbt`` command line: parse arguments, call the library, print. No logic here.

Each command group lives in its own module with a ``register(app)`` function.
"""

from __future__ import annotations

import os
import sys
from typing import NoReturn

import typer
from rich.markup import escape

from coverbt.cli import (
    backtest_cmd,
    daily_cmd,
    data_cmd,
    hitrate_cmd,
    report_cmd,
    revisions_cmd,
    run_cmd,
    screen_cmd,
    universe_cmd,
)
from coverbt.cli.console import err_console, install_notices
from coverbt.errors import EXIT_RUNTIME_ERROR, CoverbtError
from coverbt.oserrors import environment_problem

app = typer.Typer(
    name="coverbt",
    help="Backtest and score a broker report's coverage list on the A-share market.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)



@app.callback()
def _setup() -> None:
    """Backtest and score a broker report's coverage list on the A-share market."""
    install_notices()


for module in (
    universe_cmd,
    data_cmd,
    backtest_cmd,
    hitrate_cmd,
    report_cmd,
    run_cmd,
    revisions_cmd,
    screen_cmd,
    daily_cmd,
):
    module.register(app)


def main() -> None:
    """Console entry point: known errors print one message and exit non-zero.

    Usage errors are click's: it prints the usage and exits with code 2 (standalone mode).
    """
    try:
        app()
    except CoverbtError as exc:
        # the message quotes user input: print it literally, never as rich markup
        message = escape(str(exc))
        err_console.print(f"[bold red]error:[/] {message}", highlight=False, soft_wrap=True)
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        err_console.print("interrupted")
        sys.exit(130)
    except BrokenPipeError:
        # the reader went away (`coverbt ... | head`): stop quietly, as the Python docs advise
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        sys.exit(EXIT_RUNTIME_ERROR)
    except OSError as exc:
        problem = environment_problem(exc)
        if problem is None or os.environ.get("COVERBT_DEBUG"):
            _internal_error(exc)
        message = escape(str(problem))
        err_console.print(f"[bold red]error:[/] {message}", highlight=False, soft_wrap=True)
        sys.exit(problem.exit_code)
    except Exception as exc:
        _internal_error(exc)


def _internal_error(exc: Exception) -> NoReturn:
    """Print an unexpected exception as a bug (with its traceback under COVERBT_DEBUG=1)."""
    if os.environ.get("COVERBT_DEBUG"):
        raise exc
    err_console.print(
        f"[bold red]internal error:[/] {type(exc).__name__}: {exc}\n"
        "This is a bug in coverbt. Re-run with COVERBT_DEBUG=1 for the "
        "traceback and report it.",
        highlight=False,
        soft_wrap=True,
    )
    sys.exit(EXIT_RUNTIME_ERROR)
