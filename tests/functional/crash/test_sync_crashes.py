"""A crash at every external AWS call of a sheet sync (the token secret, the stored rows, the
batched writes, the tombstones, the run record), then what follows it: Lambda's async retries of
the scheduled event and the next scheduled run. The mirror ends as the sheet: every row present
with its data, only the removed row tombstoned."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from jada_tools.fakes.google_server import HEADER, SAMPLE_ROWS, GoogleFake

from tests.functional.crash.sessions import Run, Sweep, sweep, violations
from tests.functional.crash.world import World

BEFORE = [list(r) for r in SAMPLE_ROWS]
#: an edited row (Cadiz), a removed one (Palma), an added one (Venice)
AFTER = [
    ["Cadiz", "ES", "2026-05-17", "2026-05-18", "B1", "cancelled"] if r[0] == "Cadiz" else list(r)
    for r in SAMPLE_ROWS
    if r[0] != "Palma"
] + [["Venice", "IT", "2026-06-03", "2026-06-04", "K1", "pending"]]


@pytest.fixture
def sheet(google: GoogleFake) -> Iterator[GoogleFake]:
    yield google
    google.reset()


def synced_then_edited(google: GoogleFake) -> Sweep:
    def prepare(world: World) -> None:
        google.reset(rows=BEFORE)
        world.scheduled("sheet_sync")  # an earlier run mirrored the sheet as it was
        assert len(world.sheet().rows()) == len(BEFORE) - 1, "the earlier run did not mirror the sheet"
        google.reset(rows=AFTER)

    def go(world: World) -> None:
        world.scheduled("sheet_sync")
        world.tick("sheet_sync")

    def mirrors_the_sheet(world: World, _run: Run) -> list[str]:
        expected = {r[0]: dict(zip(HEADER, r, strict=True)) for r in AFTER[1:]}
        stored = {r["key"]: r for r in world.sheet().rows(include_deleted=True)}
        live = {k: r["data"] for k, r in stored.items() if r["deleted_at"] is None}
        problems = [f"row {k} lost" for k in sorted(expected.keys() - stored.keys())]
        stale = [k for k in sorted(expected) if k in live and live[k] != expected[k]]
        problems += [f"row {k} is stale: {live[k]}" for k in stale]
        wrongly = [k for k in expected if k in stored and stored[k]["deleted_at"] is not None]
        problems += [f"row {k} tombstoned wrongly" for k in sorted(wrongly)]
        if "Palma" not in stored or stored["Palma"]["deleted_at"] is None:
            problems.append("the removed row Palma is not tombstoned")
        elif stored["Palma"]["data"].get("berth") != "D4":
            problems.append("the tombstoned row Palma lost its data")
        return problems

    return Sweep("edited", "sheet_sync", prepare, go, mirrors_the_sheet)


def test_a_crash_at_any_call_of_a_sync_is_recovered_by_the_next_run(world: World, sheet: GoogleFake) -> None:
    what = synced_then_edited(sheet)
    clean, runs = sweep(world, what)
    found = violations(what.name, clean, runs, same_end=lambda _run: True)
    assert found == [], "\n".join(found)
