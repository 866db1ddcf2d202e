"""Read the recommendation paragraph (投资建议): who is recommended, how strongly, and where.

The paragraph is a small grammar of clauses separated by ``，；：。``::

    AIGC主题标的方面：1) 算力方面，推荐浪潮信息、中科曙光，建议关注寒武纪；...
    低空经济产业方面，建议关注以下产业链相关标的：1) eVTOL整机厂商：亿航智能；...

* ``[N)] X方面`` opens theme X (suffixes 产业 / 主题标的 dropped) and closes any sub-chain;
* ``VERB name、name`` lists names under that verb (强烈推荐 / 推荐 / 建议关注);
* ``VERB以下...`` sets the verb for the enumerated sub-chains that follow;
* ``N) chain：name、name`` lists names of a sub-chain of the current theme.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from coverbt.universe.parse_report import ReportText
from coverbt.universe.text import compact

VERBS = ("强烈推荐", "推荐", "建议关注")  # longest first: 强烈推荐 contains 推荐
_THEME_SUFFIXES = ("主题标的", "产业")
_ENUM = re.compile(r"^(?:\d+\)|[①-⑩])")
_SPLIT = re.compile(r"([,;:。])")
_TERMINATORS = ("。", ".", ":")
_MAX_NAME_LEN = 12


@dataclass(frozen=True)
class Mention:
    """A name as the recommendation paragraph lists it."""

    name: str
    verb: str
    theme: str | None
    chain: str | None
    line: int  # 1-based line where the paragraph starts


def find_recommendations(text: ReportText) -> tuple[int, str]:
    """The last paragraph that lists names under a theme: (0-based start line, folded text).

    A paragraph broken over several lines (and stray blank lines inside it) is joined back.
    """
    found: tuple[int, str] | None = None
    for start, paragraph in _paragraphs(text.folded):
        flat = compact(paragraph).replace("**", "").removeprefix("-")
        if "方面" in flat and any(re.search(f"{v}[^,;:。]+、", flat) for v in VERBS):
            found = (start, flat)
    if found is None:
        raise text.error(
            "no recommendation paragraph found",
            None,
            "a paragraph such as '1) 算力方面，推荐浪潮信息、中科曙光...'",
            "投资建议",
        )
    return found


def _paragraphs(lines: list[str]) -> list[tuple[int, str]]:
    """Logical paragraphs: a prose line continues on the next non-blank line until 。."""
    out: list[tuple[int, str]] = []
    i = 0
    while i < len(lines):
        if not lines[i].strip():
            i += 1
            continue
        start, text = i, lines[i].strip()
        i += 1
        while _continues(text) and i < len(lines):
            nxt = next((j for j in range(i, len(lines)) if lines[j].strip()), None)
            if nxt is None or lines[nxt].lstrip().startswith("- "):
                break
            text += lines[nxt].strip()
            i = nxt + 1
        out.append((start, text))
    return out


def _continues(text: str) -> bool:
    """Prose (it has commas) that does not end a sentence goes on on the next line."""
    return ("," in text or "、" in text) and not text.rstrip().endswith(_TERMINATORS)


def parse_recommendations(text: ReportText) -> list[Mention]:
    """Every name of the recommendation paragraph, in the order printed."""
    start, flat = find_recommendations(text)
    parts = _SPLIT.split(flat)
    clauses = list(zip(parts[0::2], [*parts[1::2], ""], strict=True))
    theme: str | None = None
    chain: str | None = None
    list_verb: str | None = None  # set by 建议关注以下...: names follow in sub-chains
    mentions: list[Mention] = []
    for clause, delimiter in clauses:
        enumerated = bool(_ENUM.match(clause))
        body = _ENUM.sub("", clause)
        verb = next((v for v in VERBS if body.startswith(v)), None)
        if body.endswith("方面"):
            theme, chain, list_verb = _theme(body[: -len("方面")]), None, None
        elif verb and body[len(verb) :].startswith("以下"):
            list_verb = verb
        elif verb and theme:
            mentions += _names(body[len(verb) :], verb, theme, chain, start)
        elif enumerated and delimiter == ":" and theme:
            chain = body
        elif list_verb and theme and body:
            mentions += _names(body, list_verb, theme, chain, start)
    if not mentions:
        raise text.error(
            "the recommendation paragraph lists no names",
            start,
            "clauses such as 推荐浪潮信息、中科曙光",
            "投资建议",
        )
    return mentions


def _theme(head: str) -> str:
    for suffix in _THEME_SUFFIXES:
        head = head.removesuffix(suffix)
    return head


def _names(listing: str, verb: str, theme: str, chain: str | None, start: int) -> list[Mention]:
    names = [n.removesuffix("等") for n in listing.split("、")]
    return [
        Mention(n, verb, theme, chain, start + 1) for n in names if n and len(n) <= _MAX_NAME_LEN
    ]
