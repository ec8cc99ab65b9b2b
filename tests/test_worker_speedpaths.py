"""The worker's hot path: the fast HMAC, the collector held off per batch, results unchanged."""

from __future__ import annotations

import gc
import hashlib
import hmac
from datetime import datetime

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from connectors.base import Location, Record
from detectors import Scanner
from pii_scan.keys import Keys
from pii_scan.worker import ScanSettings, _BatchDetector

SECRET = b"s" * 32


def _reference_hash(secret: bytes, kind: str, value: str) -> str:
    """HMAC-SHA256 of ``kind:value`` written out from the documented layout, not from keys.py's code."""
    key = hmac.new(secret, b"pii-scan/hmac/v1", hashlib.sha256).digest()
    return hmac.new(key, f"{kind}:{value}".encode("utf-8", "surrogateescape"), hashlib.sha256).hexdigest()


@settings(max_examples=300, deadline=None)
@given(kind=st.sampled_from(["personnummer", "email", "phone", "record", "unit"]), value=st.text(max_size=80))
def test_hasher_equals_documented_hmac(kind: str, value: str) -> None:
    keys = Keys(SECRET)
    h = keys.hasher()
    want = _reference_hash(SECRET, kind, value)
    assert h(kind, value) == want
    assert keys.hash(kind, value) == want


def test_hasher_copies_do_not_share_state() -> None:
    h = Keys(SECRET).hasher()
    a1 = h("email", "anna@example.se")
    h("email", "bertil@example.se")
    assert h("email", "anna@example.se") == a1 == _reference_hash(SECRET, "email", "anna@example.se")


def test_hasher_without_the_c_object(monkeypatch: pytest.MonkeyPatch) -> None:
    """Where hmac.HMAC has no ``_hmac`` (another Python), the wrapper's copy gives the same digests."""

    class Plain:
        def __init__(self, inner: hmac.HMAC) -> None:
            self._inner = inner

        def copy(self) -> hmac.HMAC:
            return self._inner.copy()

    real_new = hmac.new
    monkeypatch.setattr(hmac, "new", lambda *a, **k: Plain(real_new(*a, **k)) if "digestmod" in k and len(a) == 1 else real_new(*a, **k))
    h = Keys(SECRET).hasher()
    assert h("phone", "+46701740605") == _reference_hash(SECRET, "phone", "+46701740605")


def _records(n: int) -> list[Record]:
    out = []
    for i in range(n):
        d = datetime(2020, 1, 1 + i % 28, 12, 0, 0)
        fields = [
            ("id", str(i)),
            ("personnummer", "19640823-3234" if i % 2 else "811228-9874"),
            ("email", f"anna.berg{i}@example.se"),
            ("phone", "070-174 06 05"),
            ("created_at", d.isoformat(" ")),
            ("notes", f"Ring 070-174 06 {i % 90 + 10:02d} eller mejla test{i}@example.com"),
        ]
        out.append(Record(Location("sql", "crm", "public.customers", f"id={i}"), fields, True, d.date(), (), d))
    return out


def _detector() -> _BatchDetector:
    settings_ = ScanSettings(None, 0.5, True, SECRET)
    return _BatchDetector(Scanner(None, min_confidence=0.5), Keys(SECRET), settings_, {})


def test_batch_restores_the_collector() -> None:
    det = _detector()
    assert gc.isenabled()
    res = det(_records(10))
    assert gc.isenabled()
    assert sum(len(r.findings) for r in res) == 10 * 5
    gc.disable()
    try:
        det(_records(3))
        assert not gc.isenabled(), "a collector switched off by the caller stays off"
    finally:
        gc.enable()


def test_batch_restores_the_collector_on_error() -> None:
    det = _detector()

    class Boom(Exception):
        pass

    def fail(*_a: object, **_k: object) -> list[list[object]]:
        raise Boom

    det.scanner = type("S", (), {"find_many": staticmethod(fail)})()  # type: ignore[assignment]
    with pytest.raises(Boom):
        det(_records(2))
    assert gc.isenabled()


def test_batch_findings_hash_and_mask() -> None:
    """Each finding carries the documented HMAC of its canonical value and its masked form."""
    det = _detector()
    res = det(_records(4))
    keys = Keys(SECRET)
    seen = set()
    for rr in res:
        for f in rr.findings:
            seen.add((f.field, f.kind))
            assert f.enc_value is not None
            value = keys.decrypt(f.enc_value)
            assert f.value_hash == _reference_hash(SECRET, f.kind, value)
            if f.kind == "personnummer":
                assert f.masked == value[:8] + "-****"
            if f.kind == "email":
                assert f.masked == value[0] + "***@" + value.partition("@")[2]
    assert {("personnummer", "personnummer"), ("email", "email"), ("phone", "phone"), ("notes", "phone"), ("notes", "email")} <= seen
    assert not any(field == "created_at" for field, _ in seen)


def test_long_values_are_sliced_beside_short_ones(monkeypatch: pytest.MonkeyPatch) -> None:
    """A field holding values over MAX_FIELD_CHARS: those are scanned in slices, the rest together."""
    import pii_scan.worker as worker

    monkeypatch.setattr(worker, "MAX_FIELD_CHARS", 400)
    filler = "Lorem ipsum dolor sit amet. " * 20  # 560 characters
    long_text = filler + "Ring 070-174 06 05 eller mejla anna.berg@example.se. " + filler + "pnr 811228-9874"
    d = datetime(2020, 1, 1)
    recs = [
        Record(Location("files", "share", "notes.txt", str(i)), [("body", text), ("email", f"anna{i}@example.se")], False, d.date(), (), d)
        for i, text in enumerate([long_text, "Ring 070-174 06 06", long_text[:300], long_text])
    ]
    res = _detector()(recs)
    got = {(rr.item, f.field, f.kind, f.masked) for rr in res for f in rr.findings}
    sc = Scanner(None, min_confidence=0.5)
    want = set()
    for rec in recs:
        for fname, text in rec.fields:
            for m in worker.scan_text(sc, text, fname, rec.ref_date, max_chars=400):
                want.add((rec.location.item, fname, m.kind, m.masked))
    assert got == want
    assert ("0", "body", "personnummer", "19811228-****") in got and ("3", "body", "email", "a***@example.se") in got


_ESCAPED = st.characters(min_codepoint=0xDC80, max_codepoint=0xDCFF, categories=["Cs"])  # undecodable bytes


@given(st.text(alphabet=st.one_of(st.characters(exclude_categories=["Cs"]), _ESCAPED), max_size=40))
@example("anna\udce5@exempel.se")  # an undecodable byte (0xe5, latin-1 'å') kept as surrogateescape
def test_worker_encryption_reads_back_with_keys_decrypt(value: str) -> None:
    """The worker encrypts stored values as Keys.encrypt does, with its cipher built once: any
    value (lone surrogates from undecodable names included) must decrypt with Keys.decrypt to
    itself, and hash as Keys.hash does."""
    from detectors import Match

    class _Finds:  # a scanner that finds ``value`` in the one field of the record
        min_confidence, kinds = 0.0, ("email",)

        def find_many(self, texts, hint=None, ref_dates=None):  # noqa: ANN001, ANN202
            return [[Match("email", "email", 0, 1, value, 0.9)] if hint is not None else [] for _ in texts]

    keys = Keys(b"k" * 32)
    det = _BatchDetector(_Finds(), keys, ScanSettings(None, 0.0, True, b"k" * 32), {})  # type: ignore[arg-type]
    (rr,) = det([Record(Location("files", "share", "a.txt", "1"), [("f", "x")], True)])
    (f,) = rr.findings
    assert keys.decrypt(f.enc_value) == value  # type: ignore[arg-type]
    assert f.value_hash == keys.hash("email", value)
