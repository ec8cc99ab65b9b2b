"""The full subject link (DataMap._link_full): edge cases against the rule, and what it leaves behind.

The rule itself is :func:`tests.test_engine._reference_subjects`; these maps
add the cases the SQL has to get right: a value twice in one record (two
fields of one kind, one hash under two kinds), values that are linkable in one
record and mentioned in another, a record of exactly ``HUB_LIMIT + 1`` values,
a map with no linkable value, an empty map.
"""

from __future__ import annotations

from pathlib import Path
from random import Random

import pytest
import sqlalchemy as sa

from pii_scan.datamap import DataMap, FoundValue, RecordResult, UnitResult, _Scratch, subjects_t
from tests.test_engine import _reference_subjects, _write_case, datamap_url  # noqa: F401 - a fixture

Recs = list[tuple[str, bool, list[tuple[str, str, bool]]]]
KINDS = ("personnummer", "email", "phone")


def h(kind: str, i: int) -> str:
    return f"{KINDS.index(kind)}{i:063x}"  # fake kind-specific value hashes, hex like the real ones


def subjects(dm: DataMap) -> dict[str, str]:
    with dm.engine.connect() as c:
        return dict(c.execute(sa.select(subjects_t.c.value_hash, subjects_t.c.subject)).all())


def subject_indexes(dm: DataMap) -> set[str]:
    return {str(i["name"]) for i in sa.inspect(dm.engine).get_indexes("subjects")}


def edge_case(seed: int) -> Recs:
    p, e, ph = (lambda i: h("personnummer", i)), (lambda i: h("email", i)), (lambda i: h("phone", i))
    recs: Recs = [
        # one value in two fields of one record (two linkable rows of one kind): not a hub, links its mates
        ("r-twice", True, [(p(1), "personnummer", True), (e(1), "email", True), (e(1), "email", True)]),
        # one hash under two kinds in one record
        ("r-twokinds", True, [(p(2), "personnummer", True), (p(2), "phone", True), (e(2), "email", True)]),
        # exactly HUB_LIMIT + 1 values: each has HUB_LIMIT partners at most: links
        ("r-edge", True, [(e(10 + i), "email", True) for i in range(DataMap.HUB_LIMIT + 1)]),
        # linkable here, mentioned in free text and in a non-linkable field elsewhere
        ("r-data", True, [(p(3), "personnummer", True), (ph(3), "phone", True)]),
        ("r-text", False, [(p(3), "personnummer", True), (e(3), "email", True)]),
        ("r-notdata", True, [(ph(3), "phone", False), (e(4), "email", True)]),
        # a hub by partners spread over records, with a duplicate row in one of them
        *[(f"r-hub{i}", True, [(ph(8), "phone", True), (ph(8), "phone", True), (p(20 + i), "personnummer", True)])
          for i in range(DataMap.HUB_LIMIT + 1)],
        # nothing linkable at all in a record
        ("r-none", True, [(e(50), "email", False)]),
    ]
    rng = Random(seed)
    for i in range(300):  # a small pool, so values recur across records and units
        fs = [(h(k, 100 + rng.randrange(120)), k, rng.random() < 0.9) for k in rng.choices(KINDS, k=rng.randint(1, 5))]
        if rng.random() < 0.1 and fs:
            fs.append(fs[0])  # the same value in another field
        recs.append((f"r-rand{i:04d}", rng.random() < 0.85, fs))
    return recs


@pytest.mark.parametrize("seed", [11, 12])
def test_full_link_follows_the_rule_on_edge_cases(datamap_url: str, seed: int) -> None:
    recs = edge_case(seed)
    dm = DataMap(datamap_url)
    try:
        _write_case(dm, recs, per_unit=40)
        expect = _reference_subjects(recs, DataMap.HUB_LIMIT)
        n = dm.link_subjects()
        got = subjects(dm)
        assert got == expect
        assert n == len(set(expect.values()))
        with dm.engine.connect() as c:  # the count returned is the table's
            assert n == c.execute(sa.select(sa.func.count(sa.distinct(subjects_t.c.subject)))).scalar_one()
        assert got[h("email", 1)] == got[h("personnummer", 1)]
        assert got[h("personnummer", 2)] == got[h("email", 2)]
        assert len({got[h("email", 10 + i)] for i in range(DataMap.HUB_LIMIT + 1)}) == 1
        assert got[h("phone", 8)] == h("phone", 8)
        assert got[h("email", 4)] != got[h("phone", 3)] == got[h("personnummer", 3)]
        assert "ix_subjects_subject" in subject_indexes(dm)
        # a forced relink over the linked map gives the same table (the rows are replaced, not added to)
        assert dm.link_subjects(full=True) == n
        assert subjects(dm) == expect
        assert "ix_subjects_subject" in subject_indexes(dm)
    finally:
        dm.close()


def test_full_link_of_a_map_without_linkable_values(datamap_url: str) -> None:
    recs: Recs = [(f"r{i}", i % 2 == 0, [(h("email", i), "email", False), (h("phone", i), "phone", i % 2 == 1)])
                  for i in range(20)]
    dm = DataMap(datamap_url)
    try:
        assert dm.link_subjects() == 0  # an empty map
        assert subjects(dm) == {}
        _write_case(dm, recs, per_unit=40)
        assert dm.link_subjects(full=True) == 40
        assert subjects(dm) == {v: v for _rk, _s, fs in recs for v, _k, _l in fs}
    finally:
        dm.close()


@pytest.mark.parametrize("dialect", ["sqlite", "postgresql"])
def test_a_failed_link_keeps_the_subjects_and_their_index(dialect: str, tmp_path: Path, request: pytest.FixtureRequest,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """The subject index is dropped and rebuilt inside the link's transaction: an error rolls both back."""
    url = f"sqlite:///{tmp_path / 'dm.sqlite'}" if dialect == "sqlite" else request.getfixturevalue("pg_url")
    recs = edge_case(13)
    dm = DataMap(url)
    try:
        _write_case(dm, recs, per_unit=40)
        dm.link_subjects()
        before = subjects(dm)
        orig_delete = subjects_t.delete

        def boom(self: _Scratch) -> None:
            for ix in subjects_t.indexes:
                ix.drop(self.c)
            self.c.execute(orig_delete())
            raise RuntimeError("the disk is full")

        monkeypatch.setattr(_Scratch, "write_subjects", boom)
        with pytest.raises(RuntimeError):
            dm.link_subjects(full=True)
        monkeypatch.undo()
        assert subjects(dm) == before
        assert "ix_subjects_subject" in subject_indexes(dm)
        assert dm.link_subjects(full=True) == len(set(before.values()))
    finally:
        dm.close()


def test_confidence_goes_in_without_a_conversion_and_comes_back(datamap_url: str) -> None:
    """insert_rows hands floats (and an int) to the driver as they are (no float() per row on SQLite/psycopg2)."""
    from pii_scan.datamap import findings_t

    dm = DataMap(datamap_url)
    try:
        scan_id = dm.start_scan({"test": "confidence"})
        rr = RecordResult("r1", "sql", "crm", "t", "id=1", True, None)
        rr.findings += [FoundValue("a", "email", "email", h("email", 1), "****", 0.875, False, None, None, True),
                        FoundValue("b", "phone", "phone", h("phone", 1), "****", 1, False, None, None, True)]
        dm.write_unit(scan_id, UnitResult("crm", "u", "sql", "fp", [rr], 1, unit_id="u" * 32))
        with dm.engine.connect() as c:
            got = dict(c.execute(sa.select(findings_t.c.field, findings_t.c.confidence)).all())
        assert got == {"a": 0.875, "b": 1.0} and all(isinstance(v, float) for v in got.values())
    finally:
        dm.close()
