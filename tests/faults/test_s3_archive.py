"""S3: the endpoint stops while an entry *inside* a zip object is being read, and starts again.

A connection error on a plain object fails its unit with a
:class:`~connectors.base.TransientError`, which the engine retries
(``[scan] retries``). Inside an archive the format readers catch a failed
entry, report it as a skipped part and go on with the next entry; the unit
must still end as a connection failure (retried, and with the same reason as
a plain object when it is not), not as an archive with a damaged entry.

The stop lands in the last entry read: a failure in an earlier entry was
noticed anyway when the next entry was opened (by luck of the reader's order,
not by design), while one in the last entry ended the unit as "1 part(s) not
read", failed for good. The zip is larger than ``ranged_bytes``, so it is
read in place by ranged GETs, and its last entry (about 1.3 MB, stored) still
has bytes to fetch when the endpoint stops; the endpoint comes back
:data:`DOWN` seconds later, after that fetch failed.

The endpoint is the private moto server of ``test_s3`` (stopped with SIGTERM
and started again on the same port, its objects reloaded from a folder).
"""

from __future__ import annotations

import io
import threading
import time
import zipfile
from collections.abc import Iterator

import pytest

from connectors.s3 import S3Connector
from tests.conftest import MOTO_REGION
from tests.faults.conftest import Estate, Fault, assert_accounted, assert_same_map, fault_after, map_dump, people, run
from tests.faults.test_s3 import BUCKET, OBJECTS, OwnMoto, own_moto  # noqa: F401 - the fixture

ENTRIES = 4
CUSTOMERS = 25  # per entry
FILLER_ROWS = 500  # per entry, about 2.6 kB each: no identifiers, just bytes to fetch
_FILLER = ("lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod tempor incididunt ut labore " * 27)[:2600]


def entry_csv(i: int) -> bytes:
    ps = people(ENTRIES * CUSTOMERS, seed=41)[i * CUSTOMERS:(i + 1) * CUSTOMERS]
    lines = ["Namn;Personnummer;E-post;Telefon;Anteckning"]
    lines += [f"{p.name};{p.pnr};{p.email};{p.phone};kund" for p in ps]
    lines += [f";;;;{_FILLER}" for _ in range(FILLER_ROWS)]
    return ("\n".join(lines) + "\n").encode("utf-8")


def archive() -> bytes:
    """A zip of stored CSV entries whose central directory lists them last first.

    Readers take entries in directory order, so each entry is reached by a
    seek (a new ranged GET of 1 MiB): the one read last, at the start of the
    object, needs a second GET for its last 0.3 MB, after the endpoint stopped.
    """
    zbuf = io.BytesIO()
    with zipfile.ZipFile(zbuf, "w", compression=zipfile.ZIP_STORED) as zf:
        for i in range(ENTRIES):
            info = zipfile.ZipInfo(f"kunder/del-{i}.csv", date_time=(2024, 5, 1, 8, 30, 0))
            zf.writestr(info, entry_csv(i))
        zf.filelist.reverse()  # written into the central directory at close
    return zbuf.getvalue()


@pytest.fixture
def archive_moto(own_moto: OwnMoto) -> Iterator[OwnMoto]:  # noqa: F811 - the imported fixture
    """``test_s3``'s endpoint with the zip added to its durable folder (restarted to load it)."""
    (own_moto.store / KEY).parent.mkdir(parents=True, exist_ok=True)
    (own_moto.store / KEY).write_bytes(archive())
    own_moto.stop()
    own_moto.start()
    yield own_moto


KEY = "archives/kunder.zip"  # the first unit: it sorts before test_s3's exports/
# records of the zip read before the stop: the object's name, then per entry its name and its rows
AFTER = 1 + (ENTRIES - 1) * (1 + CUSTOMERS + FILLER_ROWS) + 1 + 10  # ten rows into the last entry read
DOWN = 3.0  # seconds the endpoint stays down


def test_endpoint_stopped_inside_a_zip_entry(estate: Estate, archive_moto: OwnMoto, monkeypatch: pytest.MonkeyPatch) -> None:
    server = archive_moto
    starts = server.starts
    # max_attempts = 1: no botocore retries, so the outage reaches the connector and the engine;
    # ranged_bytes small: the zip is read in place by ranged GETs (a GET per entry), not spooled first
    estate.sources = [{"name": "lake", "type": "s3", "endpoint_url": server.url, "region": MOTO_REGION,
                       "buckets": [BUCKET], "addressing_style": "path", "max_attempts": 1, "connect_timeout": 2,
                       "ranged_bytes": 1 << 16}]
    listed = OBJECTS + 1
    reference = run(estate.config("reference"))
    assert reference.exit_code == 0 and reference.units_total == listed
    want = map_dump(estate.map_url("reference"), estate.key_file)
    container = f"{BUCKET}/{KEY}!kunder/del-{ENTRIES - 1}.csv"
    assert any(r[1] == container for r in want["records"]), "the last entry of the archive was not read"

    restarts: list[threading.Thread] = []

    def stop_and_restart() -> None:
        server.stop()

        def later() -> None:
            time.sleep(DOWN)
            server.start()

        restarts.append(threading.Thread(target=later))
        restarts[-1].start()

    key = f"{BUCKET}/{KEY}"

    # 1. no retries: the archive fails as a connection failure, like a plain object (not as skipped entries)
    cfg = estate.config("faulted", retries=0)
    fault = fault_after(monkeypatch, S3Connector, Fault(stop_and_restart, after=AFTER, unit=0))
    summary = run(cfg)
    restarts[-1].join(90)
    assert fault.fired and server.starts == starts + 1
    failed = assert_accounted(cfg, summary, listed=listed)
    reasons = {f["key"]: f["reason"] for f in failed}
    assert key in reasons, failed
    assert reasons[key] == f"{key}: cannot connect to the endpoint", reasons[key]  # as a plain object says
    again = run(cfg)
    assert again.exit_code == 0 and again.units_scanned == len(failed)
    assert_same_map(map_dump(cfg.datamap_url, estate.key_file), want)

    # 2. with retries: the archive is read again from its start once the endpoint is back; the map is whole
    cfg = estate.config("retried", retries=6, retry_backoff=0.3)
    fault = fault_after(monkeypatch, S3Connector, Fault(stop_and_restart, after=AFTER, unit=0))
    summary = run(cfg)
    restarts[-1].join(90)
    assert fault.fired and server.starts == starts + 2
    assert_accounted(cfg, summary, listed=listed)
    assert summary.exit_code == 0 and summary.units_retried >= 1, summary.failures
    assert_same_map(map_dump(cfg.datamap_url, estate.key_file), want)
