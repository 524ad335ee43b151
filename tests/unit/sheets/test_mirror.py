"""The mirror plan: pure functions, no I/O."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from jada.errors import ConfigurationError
from jada.sheets.mirror import StoredRow, parse_sheet, plan_mirror, row_hash

HEADER = ["port", "country"]


def sheet(*rows: list[str]) -> list[list[object]]:
    return [HEADER, *rows]


def test_rows_are_mapped_by_header_and_short_rows_padded() -> None:
    parsed = parse_sheet(sheet(["Lisbon", "PT"], ["Cadiz"]), "port")
    assert [(r.key, r.number, r.data) for r in parsed.rows] == [
        ("Lisbon", 2, {"port": "Lisbon", "country": "PT"}),
        ("Cadiz", 3, {"port": "Cadiz", "country": ""}),
    ]


def test_key_column_can_be_any_header() -> None:
    parsed = parse_sheet([["country", "port"], ["PT", "Lisbon"]], "port")
    assert parsed.rows[0].key == "Lisbon"


def test_blank_lines_are_skipped_and_invalid_rows_quarantined() -> None:
    parsed = parse_sheet(
        sheet(
            ["Lisbon", "PT"], [], ["", "ES"], ["Lisbon", "XX"], ["Genoa", "IT", "stray"], ["x" * 1100, "IT"]
        ),
        "port",
    )
    assert [r.key for r in parsed.rows] == ["Lisbon"]
    assert [(q.number, q.reason) for q in parsed.quarantined] == [
        (4, "empty key"),
        (5, "duplicate key (first at row 2)"),
        (6, "value in a column without a header"),
        (7, "key too long"),
    ]


def test_header_without_key_column_is_a_configuration_error() -> None:
    with pytest.raises(ConfigurationError):
        parse_sheet(sheet(["Lisbon", "PT"]), "vessel")


def test_repeated_header_is_a_configuration_error() -> None:
    with pytest.raises(ConfigurationError):
        parse_sheet([["port", "port"]], "port")


CAPITALIZED = ["Port", "Slip", "Boat", "Arrival", "Departure", "Status"]


def test_columns_match_whatever_their_case_and_surrounding_spaces() -> None:
    # Given an ordinary header row, capitalized, with stray spaces, and the key setting `port`
    header = [" Port ", "Slip", "BOAT", "Arrival  Date", "Departure", "status\t"]
    parsed = parse_sheet([header, ["Lisbon", "A3", "Jada", "2026-05-14", "2026-05-15", "confirmed"]], "port")
    # Then the row is keyed by its port and its data by the normalised column names
    [row] = parsed.rows
    assert row.key == "Lisbon"
    assert row.data == {
        "port": "Lisbon", "slip": "A3", "boat": "Jada", "arrival date": "2026-05-14",
        "departure": "2026-05-15", "status": "confirmed",
    }  # fmt: skip
    assert parsed.header == ["port", "slip", "boat", "arrival date", "departure", "status"]


def test_the_key_setting_is_matched_case_insensitively_too() -> None:
    parsed = parse_sheet([CAPITALIZED, ["Cadiz", "B1", "Jada", "", "", ""]], " PORT ")
    assert parsed.rows[0].key == "Cadiz"


def test_a_recapitalized_header_changes_no_row_hash() -> None:
    lower = parse_sheet([[c.lower() for c in CAPITALIZED], ["Palma", "D4", "Jada", "", "", "ok"]], "port")
    upper = parse_sheet([CAPITALIZED, ["Palma", "D4", "Jada", "", "", "ok"]], "port")
    assert lower.rows[0].hash == upper.rows[0].hash


def test_duplicate_names_after_normalising_are_named_in_the_error() -> None:
    with pytest.raises(ConfigurationError) as err:
        parse_sheet([["Port", "Status", "Boat", " status", "BOAT"], ["Lisbon"]], "port")
    message = str(err.value)
    assert "'Status' (column 2) and 'status' (column 4)" in message
    assert "'Boat' (column 3) and 'BOAT' (column 5)" in message
    assert "'Port'" not in message  # not repeated


def test_missing_key_column_names_the_columns_found() -> None:
    with pytest.raises(ConfigurationError) as err:
        parse_sheet([CAPITALIZED], "harbour")
    assert "'harbour'" in str(err.value)
    assert "Port, Slip, Boat, Arrival, Departure, Status" in str(err.value)


@given(
    st.lists(st.text(alphabet="aAbB ", min_size=1, max_size=4), min_size=1, max_size=5),
    st.data(),
)
def test_any_header_either_parses_with_the_key_or_is_a_configuration_error(
    header: list[str], data: st.DataObject
) -> None:
    key = data.draw(st.sampled_from(header))
    try:
        parsed = parse_sheet([header, ["v"] * len(header)], key)
    except ConfigurationError:
        names = [" ".join(h.split()).casefold() for h in header]
        named = [n for n in names if n]
        assert not " ".join(key.split()) or len(set(named)) < len(named)
    else:
        assert len(parsed.header) == len(header)
        assert all(set(r.data) == {n for n in parsed.header if n} for r in parsed.rows)


def test_plan_writes_only_changed_new_and_revived_rows() -> None:
    parsed = parse_sheet(sheet(["Lisbon", "PT"], ["Cadiz", "ES"], ["Genoa", "IT"], ["Split", "HR"]), "port")
    by_key = {r.key: r for r in parsed.rows}
    stored = {
        "Lisbon": StoredRow(by_key["Lisbon"].hash),  # unchanged
        "Cadiz": StoredRow("old-hash"),  # changed
        "Genoa": StoredRow(by_key["Genoa"].hash, deleted=True),  # back in the sheet
        "Palma": StoredRow("h"),  # left the sheet
        "Naples": StoredRow("h", deleted=True),  # already tombstoned
    }
    plan = plan_mirror(parsed, stored)
    assert sorted(r.key for r in plan.upserts) == ["Cadiz", "Genoa", "Split"]
    assert plan.tombstones == ["Palma"]
    assert (plan.unchanged, plan.suspicious) == (1, None)


def test_quarantined_key_is_not_tombstoned() -> None:
    parsed = parse_sheet(sheet(["Lisbon", "PT", "stray"], ["Cadiz", "ES"]), "port")
    plan = plan_mirror(parsed, {"Lisbon": StoredRow("h"), "Cadiz": StoredRow("h")})
    assert plan.tombstones == []


@pytest.mark.parametrize(
    ("values", "reason"),
    [
        ([], "the sheet returned no rows"),
        ([HEADER], "the sheet returned no rows"),
        (sheet(["", "PT"]), "no valid rows in the sheet"),
    ],
)
def test_empty_read_never_tombstones(values: list[list[object]], reason: str) -> None:
    plan = plan_mirror(parse_sheet(values, "port"), {"Lisbon": StoredRow("h")})
    assert (plan.tombstones, plan.suspicious) == ([], reason)


def test_far_fewer_rows_than_stored_is_suspicious_but_a_few_less_is_not() -> None:
    stored = {f"p{i}": StoredRow("h") for i in range(10)}
    few = parse_sheet(sheet(*[[f"p{i}", ""] for i in range(4)]), "port")
    most = parse_sheet(sheet(*[[f"p{i}", ""] for i in range(8)]), "port")
    assert plan_mirror(few, stored).suspicious
    assert plan_mirror(few, stored).tombstones == []
    assert plan_mirror(most, stored).suspicious is None
    assert plan_mirror(most, stored).tombstones == ["p8", "p9"]


@given(st.dictionaries(st.text(min_size=1, max_size=5), st.text(max_size=5), max_size=5))
def test_row_hash_ignores_column_order(data: dict[str, str]) -> None:
    assert row_hash(data) == row_hash(dict(reversed(list(data.items()))))


def test_row_hash_changes_with_any_value() -> None:
    assert row_hash({"port": "Lisbon", "country": "PT"}) != row_hash({"port": "Lisbon", "country": "ES"})
