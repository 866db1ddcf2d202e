"""Start-up stays light: ``coverbt --help`` imports no command module and no heavy library.

These tests look at ``sys.modules`` in a fresh interpreter, never at the clock, so a loaded
machine cannot fail them. ``benchmarks/bench_startup.py`` measures the wall time.
"""

from __future__ import annotations

import datetime as dt
import inspect
import json
import subprocess
import sys
from pathlib import Path

import pytest

from coverbt.cli import COMMANDS, load_command

HEAVY = (
    "pandas",
    "numpy",
    "matplotlib",
    "quantstats",
    "backtrader",
    "pyarrow",
    "exchange_calendars",
    "duckdb",
    "akshare",
    "pydantic",
)
PLOTTING = ("matplotlib", "quantstats", "backtrader", "duckdb", "akshare")

_PROBE = """
import json, sys
from coverbt.cli import main
sys.argv = ["coverbt", *json.loads(sys.argv[1])]
try:
    main()
except SystemExit:
    pass
loaded = sorted({name.split(".")[0] for name in sys.modules})
print("\\n@@" + json.dumps(loaded))
"""


def _top_level_modules(args: list[str], cwd: Path) -> set[str]:
    """Run ``coverbt ARGS`` in a fresh interpreter; the top-level modules it imported."""
    result = subprocess.run(
        [sys.executable, "-c", _PROBE, json.dumps(args)],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return set(json.loads(result.stdout.rsplit("\n@@", 1)[1]))


def test_import_and_help_load_no_heavy_library(tmp_path: Path) -> None:
    for args in ([], ["--help"]):
        loaded = _top_level_modules(args, tmp_path)
        assert not loaded & set(HEAVY), (args, sorted(loaded & set(HEAVY)))
    loaded_cli = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys, coverbt.cli; print(sorted(m for m in sys.modules if m.endswith('_cmd')))",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    ).stdout
    assert loaded_cli.strip() == "[]"  # no command module is imported before it runs


def test_universe_show_loads_no_plotting_or_engine(tmp_path: Path) -> None:
    root = Path(__file__).resolve().parents[1]
    universe = root / "universe" / "pingan_computer_2024_midyear.yaml"
    loaded = _top_level_modules(["universe", "show", str(universe), "--json"], tmp_path)
    assert not loaded & set(PLOTTING), sorted(loaded & set(PLOTTING))
    # the date check needs the calendar's span only: no calendar, no pandas for this file
    assert not loaded & {"exchange_calendars", "pandas"}, sorted(loaded)


def test_the_span_without_the_calendar_is_inside_the_calendar() -> None:
    from coverbt.data.calendar_span import FIRST_SESSION_DAY, SURELY_KNOWN_UNTIL, known_span
    from coverbt.data.trading_calendar import FIRST_SESSION, last_known_day

    assert FIRST_SESSION.date() == FIRST_SESSION_DAY
    assert last_known_day().date() >= SURELY_KNOWN_UNTIL  # the shortcut never widens the span
    later = SURELY_KNOWN_UNTIL + dt.timedelta(days=1)
    assert known_span([later]) == (FIRST_SESSION_DAY, last_known_day().date())


@pytest.mark.parametrize(("name", "module", "help_text"), COMMANDS, ids=[c[0] for c in COMMANDS])
def test_each_listed_help_is_the_commands_own(name: str, module: str, help_text: str) -> None:
    command = load_command(name, module)
    assert command.name == name
    first_paragraph = inspect.cleandoc(command.help or "").split("\n\n")[0]
    assert help_text == first_paragraph, f"update the row of {name!r} in coverbt.cli.COMMANDS"


def test_names_are_unique() -> None:
    names = [name for name, _, _ in COMMANDS]
    assert len(names) == len(set(names))
