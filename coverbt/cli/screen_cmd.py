"""`coverbt screen` (being built)."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Not registered yet: this command is being built."""
