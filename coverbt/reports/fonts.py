"""Whether matplotlib can draw Chinese text here (else charts use ASCII labels only)."""

from __future__ import annotations

from functools import lru_cache

from matplotlib import font_manager

CJK_FAMILIES: tuple[str, ...] = (
    "Noto Sans CJK SC",
    "Noto Sans SC",
    "Source Han Sans SC",
    "WenQuanYi Micro Hei",
    "WenQuanYi Zen Hei",
    "SimHei",
    "Microsoft YaHei",
    "PingFang SC",
    "Heiti SC",
)


@lru_cache(maxsize=1)
def cjk_family() -> str | None:
    """The first installed font family of :data:`CJK_FAMILIES`, or ``None``.

    Without one, matplotlib would draw Chinese labels as empty boxes (and warn), so the
    charts then label names by code and ratings by their promised band.
    """
    installed = {font.name for font in font_manager.fontManager.ttflist}
    return next((family for family in CJK_FAMILIES if family in installed), None)
