"""Shared rich consoles and JSON printing for the CLI."""

from __future__ import annotations

import json
from typing import Any

from rich.console import Console

console = Console()
err_console = Console(stderr=True)


def print_json(payload: Any) -> None:
    """Print ``payload`` as JSON on stdout (UTF-8, no rich markup, stable key order)."""
    print(json.dumps(payload, ensure_ascii=False, indent=2, default=str))
