"""Normalising report text damaged by PDF-to-text conversion.

Two folds map characters one to one (so a match found in one string can be sliced out of
the other at the same offsets):

* :func:`fold` turns full-width ASCII forms (``０-９``, ``（）``, ``：``, ``，``...) and the
  ideographic space into their half-width forms, and unicode dashes/minus into ``-``. Parsing
  runs on this form.
* :func:`fold_alnum` only folds full-width digits, letters, ``%`` and ``.``: free text taken
  from the report (a title, a note) keeps its Chinese punctuation as printed.
"""

from __future__ import annotations

import re
import unicodedata

_FULLWIDTH = {chr(0xFF01 + i): chr(0x21 + i) for i in range(0x5E)}
_DASHES = {"\u2212": "-", "\u2013": "-", "\u2010": "-", "\u2011": "-", "\uff0d": "-"}
_FOLD = str.maketrans({**_FULLWIDTH, **_DASHES, "\u3000": " ", "\u00a0": " "})
_ALNUM = {k: v for k, v in _FULLWIDTH.items() if v.isalnum() or v in "%.+-"}
_FOLD_ALNUM = str.maketrans({**_ALNUM, "\u3000": " ", "\u00a0": " ", "\u2212": "-"})
_SPACES = re.compile(r"\s+")


def fold(text: str) -> str:
    """Half-width form used for parsing (same length as ``text``).

    Examples
    --------
    >>> fold("６月７日（元）：推　荐")
    '6月7日(元):推 荐'
    """
    return text.translate(_FOLD)


def fold_alnum(text: str) -> str:
    """Fold only full-width digits and letters, keeping Chinese punctuation.

    Examples
    --------
    >>> fold_alnum("２０２４年，Ｗｉｎｄ")
    '2024年，Wind'
    """
    return text.translate(_FOLD_ALNUM)


def squeeze(text: str) -> str:
    """Collapse runs of whitespace (tabs, several spaces) into one space and strip."""
    return _SPACES.sub(" ", text).strip()


def compact(text: str) -> str:
    """Remove every whitespace character: ``推 荐`` -> ``推荐``."""
    return _SPACES.sub("", text)


def name_key(name: str) -> str:
    """Key to compare security names from different lists (NFKC, no whitespace).

    Examples
    --------
    >>> name_key("万  科Ａ") == name_key("万科A")
    True
    """
    return compact(unicodedata.normalize("NFKC", name))
