"""The ``coverbt`` command line: parse arguments, call the library, print. No logic here.

Each command (or command group) lives in its own module with a ``register(app)`` function,
listed in :data:`COMMANDS` with the one-line help ``coverbt --help`` shows. A command's
module is imported only when that command runs, so ``coverbt --help`` and a light command
never pay for pandas, matplotlib, quantstats or backtrader.
"""

from __future__ import annotations

import importlib
import os
import sys
from typing import Any, NoReturn

import typer
import typer.main
from rich.markup import escape
from typer.core import TyperCommand, TyperGroup

from coverbt.cli.console import err_console, install_notices
from coverbt.errors import EXIT_RUNTIME_ERROR, CoverbtError
from coverbt.oserrors import environment_problem

#: Every top-level command, in the order ``coverbt --help`` lists them:
#: (name, the module whose ``register(app)`` adds it, the first paragraph of its help).
#: To add a command, add one row; ``tests/test_cli_lazy.py`` checks each row against its module.
COMMANDS: tuple[tuple[str, str, str], ...] = (
    (
        "backtest",
        "coverbt.cli.backtest_cmd",
        "Backtest STRATEGY on the coverage list; write trades, equity and a manifest.",
    ),
    (
        "hitrate",
        "coverbt.cli.hitrate_cmd",
        "Score every rating of a universe: return, excess and verdicts per name, hit rates,\n"
        "each verdict under every other convention (fragile ones flagged), and paper vs\n"
        "executable returns.",
    ),
    (
        "report",
        "coverbt.cli.report_cmd",
        "Build the report of one backtest run (quantstats vs both benchmarks, PNG charts).",
    ),
    (
        "run",
        "coverbt.cli.run_cmd",
        "Check the data, run the default strategies, score the ratings, write the reports.",
    ),
    (
        "sweep",
        "coverbt.cli.sweep_cmd",
        "Run a parameter sweep (a grid or a random sample of strategy settings x universes x\n"
        "periods) on the compiled engine, in process or on Dask; resumable. Results and a page\n"
        "with heatmaps go to reports/sweeps/<name>/.",
    ),
    (
        "screen",
        "coverbt.cli.screen_cmd",
        "Rank the stocks that pass a screen's conditions; show who entered or left since the\n"
        "previous stored run, and why. Results go to reports/screens/<screen>/<as_of>/.",
    ),
    (
        "daily",
        "coverbt.cli.daily_cmd",
        "Update data, snapshot forecasts, run the screens, refresh the scorecard, the revision\n"
        "summary and the rating-event leaderboard; write reports/daily/<date>/. Exits non-zero\n"
        "when any step failed.",
    ),
    (
        "universe",
        "coverbt.cli.universe_cmd",
        "Show, check and extract coverage lists (universe files).",
    ),
    ("data", "coverbt.cli.data_cmd", "Import, update and inspect market data."),
    (
        "revisions",
        "coverbt.cli.revisions_cmd",
        "EPS and valuation revisions after publication, point in time.",
    ),
    (
        "reports",
        "coverbt.cli.reports_cmd",
        "Reports and rating events: list, ingest, import, fetch, study.",
    ),
)


def load_command(name: str, module: str) -> Any:
    """Import ``module``, let its ``register`` add ``name`` and return that click command."""
    staging = typer.Typer()
    importlib.import_module(module).register(staging)
    commands = typer.main.get_group(staging).commands
    if name not in commands:
        raise LookupError(f"{module}.register() adds {sorted(commands)}, not {name!r}")
    return commands[name]


class _LazyCommand(TyperCommand):
    """A row of :data:`COMMANDS`: listed by ``--help`` with its static help text; its
    module is imported when the command is parsed (``make_context``), which hands over to
    the real command, so its options, ``--help`` and errors are exactly the real ones."""

    def __init__(self, name: str, module: str, help: str) -> None:
        super().__init__(name=name, help=help, add_help_option=False)
        self._module = module
        self._real: Any = None

    def real(self) -> Any:
        if self._real is None:
            self._real = load_command(str(self.name), self._module)
        return self._real

    def make_context(
        self, info_name: str | None, args: list[str], parent: Any = None, **extra: Any
    ) -> Any:
        return self.real().make_context(info_name, args, parent=parent, **extra)


class _LazyGroup(TyperGroup):
    """The top-level group: one :class:`_LazyCommand` per row of :data:`COMMANDS`."""

    def __init__(self, **attrs: Any) -> None:
        super().__init__(**attrs)
        for name, module, help_text in COMMANDS:
            self.add_command(_LazyCommand(name, module, help_text))


app = typer.Typer(
    name="coverbt",
    help="Backtest and score a broker report's coverage list on the A-share market.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    cls=_LazyGroup,
)


@app.callback()
def _setup() -> None:
    """Backtest and score a broker report's coverage list on the A-share market."""
    install_notices()


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
