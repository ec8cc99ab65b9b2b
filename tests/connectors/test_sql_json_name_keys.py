"""A JSON column keyed by people's names: the name is data, not part of the field path.

``{"Anna Berg": {"pnr": ...}}`` in a column ``data`` was read as the field
``data$["Anna Berg"].pnr``: the name went into the data map as a field name
(personal data at rest that the map never masks). Now the key is a value of
its own (``data${0}~``) and the path below it is positional, as for JSON files.
Fictional data (Skatteverket test numbers).
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from connectors.sql import SqlConnector

PNR = "19640823-3234"


def test_a_name_key_is_a_value_not_a_path(tmp_path: Path) -> None:
    db = tmp_path / "crm.sqlite"
    con = sqlite3.connect(db)
    con.execute("CREATE TABLE hushall (id INTEGER PRIMARY KEY, data TEXT)")
    con.execute("INSERT INTO hushall VALUES (1, ?)", (json.dumps({"Anna Berg": {"pnr": PNR}, "Telefon Hem": "08-465 004 00"}),))
    con.commit()
    con.close()
    conn = SqlConnector("crm", {"url": f"sqlite:///{db}"})
    try:
        fields = [f for u in conn.units() for r in conn.read(u) for f in r.fields]
    finally:
        conn.close()
    names = [name for name, _ in fields]
    assert not any("Anna" in n or "Berg" in n for n in names), names
    assert ("data${0}~", "Anna Berg") in fields and ("data${0}.pnr", PNR) in fields
    assert ('data$["Telefon Hem"]', "08-465 004 00") in fields  # a label keeps its name
