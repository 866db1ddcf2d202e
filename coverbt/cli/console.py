"""Shared rich consoles and JSON printing for the CLI."""

from __future__ import annotations

import logging
from typing import Any

from rich.console import Console

from coverbt.jsonio import dumps

console = Console()
err_console = Console(stderr=True)


def print_json(payload: Any) -> None:
    """Print ``payload`` as JSON on stdout (UTF-8, no rich markup, stable key order)."""
    print(dumps(payload, ensure_ascii=False, indent=2, default=str))


class _NoticeHandler(logging.Handler):
    """Prints coverbt's log notices (``logging.getLogger("coverbt...")``) as one line on
    stderr, through :data:`err_console` (so tests capturing stderr see them too)."""

    def emit(self, record: logging.LogRecord) -> None:
        err_console.print(f"note: {record.getMessage()}", highlight=False, soft_wrap=True)


def install_notices() -> None:
    """Show the library's notices (level INFO and up) on stderr; idempotent."""
    logger = logging.getLogger("coverbt")
    if not any(isinstance(h, _NoticeHandler) for h in logger.handlers):
        logger.addHandler(_NoticeHandler(logging.INFO))
        logger.setLevel(logging.INFO)
        logger.propagate = False
