"""Garbage-collector settings for the allocation-heavy steps of a scan.

The driver of a scan unpickles every unit's results (millions of small tuples
and strings) and turns them into rows for the data map, while holding a large
long-lived heap (the modules of SQLAlchemy, Dask and the connectors, the
planned units, Dask's own state). CPython's cyclic collector is triggered by
the count of new container objects, and its older generations walk more and
more of the heap, so on a busy driver the collector costs more than the work
it interrupts: a py-spy profile of the driver during the PostgreSQL part of
``benchmarks/scale.py`` put a third of the driver's samples on rebuilding unit
results, and a microbenchmark unpickling a 50,000-row unit result measured
3.8 µs per finding with the collector on and 1.3 µs with it off.

None of those objects can form reference cycles worth collecting (tuples of
strings, numbers and bytes; dataclasses holding them), so the driver pauses
the collector for the unpickling and the write of one unit
(:func:`paused`), and turns it back on in between: cyclic garbage made
elsewhere (SQLAlchemy, Dask) is still collected, a unit at a time.

Workers pause it the same way while they detect a batch of records
(:class:`pii_scan.worker._BatchDetector`).
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def paused() -> Iterator[None]:
    """No cyclic collection inside the block (reference counting still frees everything it can)."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()
