"""The user's workspace: the folders of the product card, relative to one root.

Commands take ``--workspace DIR`` (default: the current folder) and find everything from it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Workspace:
    root: Path

    @classmethod
    def at(cls, root: Path | str | None = None) -> Workspace:
        return cls(Path(root) if root is not None else Path.cwd())

    @property
    def universe_dir(self) -> Path:
        return self.root / "universe"

    @property
    def strategies_dir(self) -> Path:
        return self.root / "strategies"

    @property
    def screens_dir(self) -> Path:
        return self.root / "strategies" / "screens"

    @property
    def cache_dir(self) -> Path:
        return self.root / "data_cache"

    @property
    def reports_dir(self) -> Path:
        return self.root / "reports"

    @property
    def default_universe(self) -> Path:
        return self.universe_dir / "pingan_computer_2024_midyear.yaml"
