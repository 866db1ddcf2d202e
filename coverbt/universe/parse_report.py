"""Read the structured parts of a report's text: metadata, rating scales, the rating table.

Every parser works on :func:`~coverbt.universe.text.fold`-ed lines, so full-width digits,
tabs or runs of spaces and a table row broken over two lines read the same as clean text.
A part that cannot be found is an :class:`~coverbt.errors.InputError` naming the line.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path

from coverbt.errors import InputError
from coverbt.universe.boards import Exchange
from coverbt.universe.model import NO_RATING, Analyst, RatingBand, RatingScale
from coverbt.universe.text import compact, fold, fold_alnum, squeeze

_FIX_TEXT = "convert the PDF to text again (pdftotext -layout) or repair the text at that line"
_ROLES = {"分析师": "analyst", "研究助理": "research_assistant"}
_PCT = 100.0


@dataclass(frozen=True)
class ReportText:
    """The lines of a report, as printed and folded (same offsets)."""

    source: Path
    raw: list[str]
    folded: list[str]

    @classmethod
    def read(cls, path: Path) -> ReportText:
        try:
            text = path.read_text(encoding="utf-8-sig")
        except FileNotFoundError:
            raise InputError("report text not found", source=path, fix="check the path") from None
        except UnicodeDecodeError:
            raise InputError(
                "not UTF-8 text",
                source=path,
                expected="the report converted to UTF-8 text",
                fix="convert the PDF with `pdftotext -enc UTF-8`",
            ) from None
        return cls.from_text(text, path)

    @classmethod
    def from_text(cls, text: str, source: Path) -> ReportText:
        raw = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
        return cls(source, raw, [fold(line) for line in raw])

    def error(self, problem: str, index: int | None, expected: str, field: str) -> InputError:
        """An :class:`InputError` at 0-based line ``index`` of the text."""
        line = None if index is None else index + 1
        return InputError(
            problem, source=self.source, line=line, field=field, expected=expected, fix=_FIX_TEXT
        )


@dataclass(frozen=True)
class Metadata:
    broker: str
    title: str
    published: dt.date
    analysts: list[Analyst]
    industry: str
    industry_rating: str
    industry_rating_action: str | None


@dataclass(frozen=True)
class TableRow:
    line: int  # 1-based line of the row's code
    name: str
    code: str
    exchange: Exchange
    close: float
    eps: dict[int, float]
    pe: dict[int, float]
    rating: str | None  # None for the table's "-"


@dataclass(frozen=True)
class RatingTable:
    price_date: dt.date
    years: list[int]
    actual_years: list[int]
    rows: list[TableRow]
    notes: list[tuple[int, str]] = field(default_factory=list)  # (1-based line, text)


_DATE = re.compile(r"^\s*(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日\s*$")
_BROKER = re.compile(r"^\s*(\S+?证券)\s*研究所")
_ANALYST = re.compile(r"^\s*(分析师|研究助理)\s*:\s*(\S+?)\s*(S\d{10,})")
_INDUSTRY = re.compile(r"^\s*(\S+?)行业\s*(\S+?)\s*\(\s*(\S+?)\s*\)\s*$")


def parse_metadata(text: ReportText, industry_labels: list[str]) -> Metadata:
    """Broker, title, publication date, analysts and the industry rating of the cover."""
    folded = text.folded
    published = _first(text, _DATE, "the publication date", "a line such as 2024年6月23日")
    broker = _first(text, _BROKER, "the broker", "a line such as 平安证券研究所")
    analysts = [
        Analyst(name=m.group(2), license=m.group(3), role=_ROLES[m.group(1)])
        for m in (_ANALYST.match(line) for line in folded)
        if m
    ]
    if not analysts:
        raise text.error("no analyst found", None, "lines such as 分析师： 闫磊 S1060519100002", "")
    for line in folded:
        m = _INDUSTRY.match(line)
        if m and m.group(2) in industry_labels:
            industry, rating, action = m.groups()
            break
    else:
        raise text.error(
            "no industry rating found",
            None,
            f"a line such as 计算机行业 强于大市（维持） with a label of {industry_labels}",
            "industry_rating",
        )
    return Metadata(
        broker=broker.group(1),
        title=_title(text),
        published=dt.date(*(int(g) for g in published.groups())),
        analysts=analysts,
        industry=squeeze(industry),
        industry_rating=rating,
        industry_rating_action=action,
    )


def _first(text: ReportText, pattern: re.Pattern[str], what: str, expected: str) -> re.Match[str]:
    for line in text.folded:
        m = pattern.match(line)
        if m:
            return m
    raise text.error(f"{what} was not found", None, expected, what)


def _title(text: ReportText) -> str:
    """The first line that reads like a title: contains a dash run and ends with 报告."""
    for raw, line in zip(text.raw, text.folded, strict=True):
        if "——" in line and line.rstrip().endswith("报告"):
            return squeeze(fold_alnum(raw))
    raise text.error("the title was not found", None, "a line '... ——...报告'", "title")


# ---------------------------------------------------------------- rating definitions

_DEFINITION = re.compile(r"^\s*(\S(?:\s*\S)*?)\s*\(\s*(预计\s*(\d+)\s*个月内.*?)\s*\)\s*$")
_BOUNDS: list[tuple[re.Pattern[str], tuple[str, str]]] = [
    (re.compile(r"强于市场表现在?(\d+(?:\.\d+)?)%至(\d+(?:\.\d+)?)%之间"), ("+a", "+b")),
    (re.compile(r"强于市场表现在?(\d+(?:\.\d+)?)%以上"), ("+a", "")),
    (re.compile(r"相对市场表现在?±(\d+(?:\.\d+)?)%之间"), ("-a", "+a")),
    (re.compile(r"弱于市场表现在?(\d+(?:\.\d+)?)%至(\d+(?:\.\d+)?)%之间"), ("-b", "-a")),
    (re.compile(r"弱于市场表现在?(\d+(?:\.\d+)?)%以上"), ("", "-a")),
]


def parse_scale(text: ReportText, benchmark: str) -> RatingScale:
    """The stock and industry rating definitions (股票投资评级 / 行业投资评级)."""
    return RatingScale(
        stock=_bands(text, "股票投资评级", benchmark),
        industry=_bands(text, "行业投资评级", benchmark),
    )


def _bands(text: ReportText, heading: str, benchmark: str) -> list[RatingBand]:
    start = next((i for i, line in enumerate(text.folded) if heading in compact(line)), None)
    if start is None:
        raise text.error(f"{heading} not found", None, f"a heading {heading}:", "rating_scale")
    bands: list[RatingBand] = []
    for i in range(start + 1, len(text.folded)):
        line = text.folded[i]
        if not line.strip():
            continue
        m = _DEFINITION.match(line)
        if not m:
            break
        definition = squeeze(fold_alnum(text.raw[i])[m.start(2) : m.end(2)])
        lower, upper = _bounds(text, i, fold(definition))
        bands.append(
            RatingBand(
                label=compact(m.group(1)),
                horizon_months=int(m.group(3)),
                benchmark=benchmark,
                lower=lower,
                upper=upper,
                definition=definition,
            )
        )
    if not bands:
        raise text.error(
            f"no rating definition under {heading}",
            start,
            "lines such as 强烈推荐 (预计6个月内, 股价表现强于市场表现20%以上)",
            "rating_scale",
        )
    return bands


def _bounds(text: ReportText, index: int, definition: str) -> tuple[float | None, float | None]:
    for pattern, (low, high) in _BOUNDS:
        m = pattern.search(compact(definition))
        if m:
            values = {"a": float(m.group(1)), "b": float(m.group(m.lastindex or 1))}
            return _bound(low, values), _bound(high, values)
    raise text.error(
        f"cannot read the promised return of {definition!r}",
        index,
        "强于/弱于市场表现X%以上, X%至Y%之间 or 相对市场表现±X%之间",
        "rating_scale",
    )


def _bound(spec: str, values: dict[str, float]) -> float | None:
    if not spec:
        return None
    sign = -1.0 if spec[0] == "-" else 1.0
    return round(sign * values[spec[1]] / _PCT, 10)


# ---------------------------------------------------------------- the rating table

_CODE = re.compile(r"^(\d{6})\.(SH|SZ|BJ)$", re.IGNORECASE)
_YEAR = re.compile(r"^(\d{4})([AE])$")
_MONTH_DAY = re.compile(r"(\d{1,2})\s*月\s*(\d{1,2})\s*日")
_NOTE = re.compile(r"^\s*注\s*:\s*(.+?)\s*[。.]?\s*$")
_NO_RATING_TOKENS = {"-", "--", "—", "——", "N/A", "NA"}


def parse_table(text: ReportText, published: dt.date) -> RatingTable:
    """The table 重点公司预测与评级: one row per name, then its notes (注：...)."""
    header = next((i for i, line in enumerate(text.folded) if "股票简称" in compact(line)), None)
    if header is None:
        raise text.error(
            "the rating table was not found", None, "a header line starting with 股票简称", "table"
        )
    md = _MONTH_DAY.search(text.folded[header])
    if not md:
        raise text.error(
            "the table header has no price date", header, "a column such as 6月7日", "price_date"
        )
    price_date = dt.date(published.year, int(md.group(1)), int(md.group(2)))
    if price_date > published:  # a January report quoting December closes
        price_date = price_date.replace(year=published.year - 1)
    tokens, notes = _table_tokens(text, header)
    codes = [k for k, (tok, _) in enumerate(tokens) if _CODE.match(tok)]
    if not codes:
        raise text.error(
            "the rating table has no rows", header, "rows such as 中科创达 300496.SZ ...", "table"
        )
    years = list(
        dict.fromkeys(int(m.group(1)) for tok, _ in tokens[: codes[0]] if (m := _YEAR.match(tok)))
    )
    actual = sorted(
        {
            int(m.group(1))
            for tok, _ in tokens[: codes[0]]
            if (m := _YEAR.match(tok)) and m.group(2) == "A"
        }
    )
    if not years:
        raise text.error(
            "the table header has no years", header, "columns such as 2023A 2024E", "table"
        )
    rows = []
    for n, k in enumerate(codes):
        stop = codes[n + 1] - 1 if n + 1 < len(codes) else len(tokens)
        rows.append(_row(text, tokens[k - 1 : stop], years))
    return RatingTable(price_date, years, actual, rows, notes)


def _table_tokens(
    text: ReportText, header: int
) -> tuple[list[tuple[str, int]], list[tuple[int, str]]]:
    """Whitespace-separated tokens of the table body (with 0-based lines) and its notes."""
    tokens: list[tuple[str, int]] = []
    notes: list[tuple[int, str]] = []
    i = header + 1
    while i < len(text.folded):
        line = text.folded[i]
        note = _NOTE.match(line)
        if note:
            body = fold_alnum(text.raw[i])[note.start(1) : note.end(1)]
            notes.append((i + 1, squeeze(body)))
        elif "投资评级" in compact(line) or "。" in line or (notes and line.strip()):
            break
        elif not notes:
            tokens += [(tok, i) for tok in line.replace("|", " ").split()]
        i += 1
    return tokens, notes


def _row(text: ReportText, tokens: list[tuple[str, int]], years: list[int]) -> TableRow:
    """One row: ``name code close eps.. pe.. rating`` (the rating may be split: 推 荐)."""
    name, (code_tok, line) = tokens[0][0], tokens[1]
    code, exchange = code_tok.upper().split(".")
    width = 1 + 2 * len(years)
    numbers = [tok for tok, _ in tokens[2 : 2 + width]]
    rating = compact("".join(tok for tok, _ in tokens[2 + width :]))
    try:
        values = [float(v) for v in numbers]
    except ValueError:
        values = []
    if len(values) != width or not rating:
        raise text.error(
            f"table row {name} {code_tok} has {len(tokens) - 2} cells after the code",
            line,
            f"close, {len(years)} EPS, {len(years)} PE (numbers) and a rating",
            name,
        )
    n = len(years)
    return TableRow(
        line=line + 1,
        name=name,
        code=code,
        exchange=Exchange(exchange),
        close=values[0],
        eps=dict(zip(years, values[1 : 1 + n], strict=True)),
        pe=dict(zip(years, values[1 + n :], strict=True)),
        rating=None if rating in _NO_RATING_TOKENS or rating == NO_RATING else rating,
    )
