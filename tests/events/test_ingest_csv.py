"""A user's own rating list (CSV): a good file becomes events; a bad one names its cell."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from coverbt.errors import InputError
from coverbt.events.feeds import import_csv
from coverbt.events.ingest_csv import read_csv_events
from coverbt.events.model import Source
from coverbt.events.store import EventStore

HEADER = (
    "code,broker,published,label,analysts,published_at,previous_label,target_price,eps_2024,pe_2024"
)
GOOD = f"""\ufeff{HEADER}
600570,中信证券,2024-06-24,买入,张三;李四,2024-06-24 08:30,增持,35.5,0.91,28
300496,华泰证券,2024-06-25,增持,王五,,,,,
"""  # fmt: skip


def _write(tmp_path: Path, text: str, name: str = "mine.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_a_good_file_becomes_events(tmp_path: Path) -> None:
    first, second = read_csv_events(_write(tmp_path, GOOD))
    assert first.source is Source.CSV
    assert first.key == ("csv", "csv:中信证券:2024-06-24:600570", "600570")
    assert (first.broker, first.analysts, first.label) == ("中信证券", ("张三", "李四"), "买入")
    assert (first.published, first.published_at) == (dt.date(2024, 6, 24),
                                                       dt.datetime(2024, 6, 24, 8, 30))  # fmt: skip
    assert (first.previous_label, first.target_low, first.target_high) == ("增持", 35.5, 35.5)
    assert (first.eps, first.pe) == ({2024: 0.91}, {2024: 28.0})
    assert (second.code, second.analysts, second.published_at, second.eps) == (
        "300496", ("王五",), None, {}
    )  # fmt: skip
    assert second.target_low is None and second.previous_label is None


def test_importing_twice_or_resorted_stores_nothing_new(tmp_path: Path, store: EventStore):
    path = _write(tmp_path, GOOD)
    assert import_csv(store, path).new_keys == 2
    assert import_csv(store, path).unchanged == 2
    head, one, two = GOOD.lstrip("\ufeff").splitlines()
    _write(tmp_path, "\n".join([head, two, one]) + "\n")  # the same ratings, other order
    again = import_csv(store, path)
    assert (again.added, again.unchanged) == (0, 2)
    assert len(store.rows()) == 2


BAD = [
    # (file text, line, field, words of the problem, words of what was expected)
    ("code,broker,label\n600570,中信证券,买入\n", 1, "published", "column 'published' is missing",
     "a header with code, broker, published, label"),
    ("code,broker,published,label,colour\n", 1, "colour", "unknown column 'colour'",
     "eps_YYYY, pe_YYYY"),
    ("code,broker,published,label,code\n", 1, "code", "column 'code' appears twice",
     "each column once"),
    ("code,broker,published,label\n600570,中信证券,2024-06-24,买入\n300496,华泰证券,24/06/2024,增持\n",
     3, "published", "'24/06/2024' is not a date", "YYYY-MM-DD"),
    # the bad number is on the 5th line of the file: the blank line is counted
    ("code,broker,published,label,eps_2024\n600570,中信证券,2024-06-24,买入,0.91\n\n"
     "300496,华泰证券,2024-06-24,增持,1.2\n002439,中信证券,2024-06-24,买入,1,05\n",
     5, "cell 6", "the line has 6 cells, the header 5", "5 cells"),
    ("code,broker,published,label,eps_2024\n600570,中信证券,2024-06-24,买入,0.91\n\n"
     "300496,华泰证券,2024-06-24,增持,一块二\n", 4, "eps_2024", "'一块二' is not a number",
     "a number"),
    ("code,broker,published,label,target_price\n600570,中信证券,2024-06-24,买入,-3\n", 2,
     "target_price", "-3 is not positive", "a price above 0"),
    ("code,broker,published,label\n600570,中信证券,2024-06-24,\n", 2, "label",
     "the cell is empty", "a label"),
    ("code,broker,published,label\n60057,中信证券,2024-06-24,买入\n", 2, "code",
     "'60057' is not a code", "6 digits"),
    ("code,broker,published,label,published_at\n600570,中信证券,2024-06-24,买入,2024-06-25 09:00\n",
     2, "published_at", "2024-06-25 09:00 is not on 2024-06-24", "the published day"),
    ("code,broker,published,label\n600570,中信证券,2024-06-24,买入\n600570,中信证券,2024-06-24,增持\n",
     3, "report_id", "is also on line 2", "one line per report and code"),
    ("code,broker,published,label\n", 2, None, "the file has no rows", "one rating per line"),
]  # fmt: skip


@pytest.mark.parametrize(("text", "line", "field", "problem", "expected"), BAD,
                         ids=[b[3][:24] for b in BAD])  # fmt: skip
def test_a_bad_file_names_file_line_field_expected_and_fix(
    tmp_path: Path, store: EventStore, text: str, line: int, field: str | None, problem: str,
    expected: str,
) -> None:  # fmt: skip
    path = _write(tmp_path, text)
    with pytest.raises(InputError) as caught:
        import_csv(store, path)
    error = caught.value
    assert (error.source, error.line, error.field) == (path, line, field)
    assert problem in error.problem and expected in str(error.expected)
    assert error.fix
    assert str(error).startswith(f"{path}:{line}: ")
    assert not store.path.exists()  # nothing of the file was stored


def test_an_unreadable_file_is_an_input_error(tmp_path: Path) -> None:
    path = tmp_path / "gbk.csv"
    path.write_bytes("code,broker,published,label\n600570,中信证券,2024-06-24,买入\n".encode("gbk"))
    with pytest.raises(InputError, match=r"cannot read the file.*expected a UTF-8 CSV file"):
        read_csv_events(path)
    with pytest.raises(InputError, match="cannot read the file"):
        read_csv_events(tmp_path / "missing.csv")
