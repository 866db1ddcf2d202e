"""The CJK font every chart uses, so stock names and rating labels are drawn in Chinese.

coverbt ships a small subset of Noto Sans CJK SC (``fontdata/``, OFL 1.1) and registers it
with matplotlib's font manager the first time a chart asks for it: importing coverbt changes
nothing in matplotlib. A label with a character outside the font is drawn without it (names
by code, ratings by their promised band) rather than as empty boxes.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from matplotlib import font_manager
from matplotlib.figure import Figure
from matplotlib.ft2font import FT2Font
from matplotlib.text import Text

FONT_DIR = Path(__file__).parent / "fontdata"
BUNDLED_FONT = FONT_DIR / "CoverbtSansCJKsc-Regular.otf"
BUNDLED_FAMILY = "Coverbt Sans CJK SC"
LATIN_FALLBACK = "DejaVu Sans"  # matplotlib's own font: glyphs the CJK font lacks


@dataclass(frozen=True)
class ChartFont:
    """A registered font family and the code points it can draw."""

    family: str
    charmap: frozenset[int]

    def covers(self, text: str) -> bool:
        """Whether every character of ``text`` (spaces aside) has a glyph in this font.

        Examples
        --------
        >>> font = ChartFont("x", frozenset(map(ord, "恒生电子")))
        >>> font.covers("恒生 电子"), font.covers("寒武纪")
        (True, False)
        """
        return all(ord(char) in self.charmap for char in text if not char.isspace())


@lru_cache(maxsize=1)
def chart_font() -> ChartFont:
    """The bundled CJK font, registered with matplotlib's font manager on first use.

    Raises
    ------
    FileNotFoundError
        If the package was installed without its font data (reinstall coverbt).
    """
    if not BUNDLED_FONT.is_file():
        raise FileNotFoundError(
            f"coverbt's chart font {BUNDLED_FONT} is missing; reinstall coverbt "
            "(pip install --force-reinstall coverbt) so its package data is present"
        )
    path = str(BUNDLED_FONT)
    if not any(entry.fname == path for entry in font_manager.fontManager.ttflist):
        font_manager.fontManager.addfont(path)
    charmap = frozenset(FT2Font(path).get_charmap())
    return ChartFont(BUNDLED_FAMILY, charmap)


def use_chart_font(fig: Figure) -> Figure:
    """Set the chart font on every text of ``fig``, and on tick labels drawn later.

    Call it once a figure is built, before it is saved. Glyphs the CJK font lacks fall back
    to matplotlib's DejaVu Sans.
    """
    families = [chart_font().family, LATIN_FALLBACK]
    for ax in fig.axes:
        ax.tick_params(which="both", labelfontfamily=families[0])
    for text in fig.findobj(Text):
        if isinstance(text, Text):
            text.set_fontfamily(families)
    return fig


def name_label(code: str, name: str) -> str:
    """``"code name"`` for a chart, or just the code when the font cannot draw the name.

    Examples
    --------
    >>> name_label("600570", "恒生电子")
    '600570 恒生电子'
    """
    return f"{code} {name}" if name and chart_font().covers(name) else code
