"""Progress of long commands on stderr: a live bar on a terminal, nothing otherwise.

A command wraps its library call in :func:`progress_bar` and passes the yielded
``update(description, done, total, current="")`` on as the library's progress callback
(adapted to its signature). When stderr is not a terminal (a pipe, a log file, a test's
captured output) or the command prints JSON, nothing is drawn at all.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import PurePath

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from coverbt.cli.console import err_console

Update = Callable[..., None]
"""``update(description, done, total, current="")``: show ``done`` of ``total`` steps."""

CURRENT_WIDTH = 40  # characters of the item being worked on (a file name) shown at the end


@contextmanager
def progress_bar(
    description: str, *, quiet: bool = False, console: Console | None = None
) -> Iterator[Update]:
    """Show a progress bar on ``console`` (stderr by default) while the block runs.

    The bar starts at once with ``description`` and an unknown total, so a slow first step
    (counting the files of an archive) already shows. It is drawn only on a terminal and
    never when ``quiet``, and it is removed when the block ends (the command's own output
    follows).

    Examples
    --------
    >>> import io
    >>> screen = Console(file=io.StringIO(), force_terminal=True, width=100)
    >>> with progress_bar("run", console=screen) as update:
    ...     update("run: backtest theme_compute", 4, 16)
    >>> "run: backtest theme_compute" in screen.file.getvalue()
    True
    """
    target = console or err_console
    bar = Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(bar_width=30),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        TextColumn("{task.fields[current]}", style="dim"),
        console=target,
        transient=True,
        disable=quiet or not target.is_terminal or target.is_dumb_terminal,
    )
    with bar:
        task = bar.add_task(description, total=None, current="")

        def update(description: str, done: int, total: int, current: str = "") -> None:
            bar.update(
                task,
                description=description,
                completed=done,
                total=total,
                current=current[-CURRENT_WIDTH:],
            )

        yield update


def import_step(update: Update) -> Callable[[str, int, int], None]:
    """Adapt ``update`` to the importer's ``progress(origin, done, total)`` callback.

    An origin is a file path, or ``archive!member`` for a file inside a ``.tar.gz``; the
    description names the archive (or the file's folder), the current item the file.

    Examples
    --------
    >>> shown = []
    >>> step = import_step(lambda *args, **kw: shown.append((*args, kw["current"])))
    >>> step("/data/tushare_3020_stocks.tar.gz!data/601665.csv", 1200, 4504)
    >>> shown
    [('import tushare_3020_stocks.tar.gz', 1200, 4504, '601665.csv')]
    """

    def step(origin: str, done: int, total: int) -> None:
        source, _, member = origin.partition("!")
        path = PurePath(source)
        where = path.name if member else f"{path.parent.name}/"
        name = PurePath(member).name if member else path.name
        update(f"import {where}", done, total, current=name)

    return step
