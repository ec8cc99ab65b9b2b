"""Red team 4: PostgreSQL table inheritance (the partitioning of old schemas).

``SELECT * FROM parent`` returns the rows of every child table too, so each row of a
child was listed twice: in the child, where it is, and in the parent, where it is
not (with the child's ctid or key as item). The parent is read ``FROM ONLY``; its own
rows are still read. Fictional values only.
"""

from __future__ import annotations

import sqlalchemy as sa

from connectors.sql import SqlConnector


def test_an_inheritance_parent_lists_only_its_own_rows(pg_url: str) -> None:
    eng = sa.create_engine(pg_url)
    with eng.begin() as c:
        c.exec_driver_sql("CREATE TABLE logg (id int PRIMARY KEY, pnr text, at date)")
        c.exec_driver_sql("CREATE TABLE logg_2024 () INHERITS (logg)")
        c.exec_driver_sql("CREATE TABLE logg_2025 (extra text) INHERITS (logg)")
        c.exec_driver_sql("INSERT INTO logg VALUES (1, '19550504-8388', '2023-05-01')")
        c.exec_driver_sql("INSERT INTO logg_2024 VALUES (2, '19920209-3192', '2024-05-01')")
        c.exec_driver_sql("INSERT INTO logg_2025 VALUES (3, '19801228-9685', '2025-05-01', 'x')")
    eng.dispose()
    conn = SqlConnector("crm", {"url": pg_url, "chunk_rows": 1})  # split: the bounds and counts too
    seen = {}
    for unit in conn.units():
        assert unit.size <= 1, unit.key
        for rec in conn.read(unit):
            seen.setdefault(rec.location.container, []).append(dict(rec.fields)["pnr"])
    conn.close()
    assert seen == {"public.logg": ["19550504-8388"], "public.logg_2024": ["19920209-3192"],
                    "public.logg_2025": ["19801228-9685"]}, seen
