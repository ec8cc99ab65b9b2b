"""The S3 connector against a real S3 HTTP endpoint on loopback (moto in server mode).

boto3 talks HTTP to a ``moto_server`` process (fixture ``moto_s3`` in
``tests/conftest.py``) exactly as to AWS. Faults that moto cannot produce
(a denied bucket or object, throttling, a slow or broken response) come from a
small HTTP proxy in front of it (:class:`FaultProxy`), also a real endpoint.
"""

from __future__ import annotations

import gzip
import http.client
import pickle
import re
import textwrap
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import pytest

boto3 = pytest.importorskip("boto3")

from connectors.base import ConfigError, ConnectorError, Record  # noqa: E402
from connectors.registry import build  # noqa: E402
from connectors.s3 import S3Connector  # noqa: E402
from tests.conftest import MOTO_REGION, MOTO_SECRET_KEY  # noqa: E402
from tests.connectors.contract import ConnectorContract  # noqa: E402
from tests.connectors.fileutil import (  # noqa: E402
    EMAIL,
    PHONE,
    PNR,
    PNR2,
    docx_bytes,
    parquet_bytes,
    pdf_bytes,
    xlsx_bytes,
    zip_bytes,
)

SHORT_PNR = "640823-3234"

# --- helpers --------------------------------------------------------------------------------------


def s3_client(endpoint: str) -> Any:
    return boto3.client("s3", endpoint_url=endpoint, region_name=MOTO_REGION)


def make_bucket(client: Any, bucket: str, objects: dict[str, bytes], *, versioned: bool = False) -> None:
    client.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": MOTO_REGION})
    if versioned:
        client.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    for key, data in objects.items():
        client.put_object(Bucket=bucket, Key=key, Body=data)


def conn(endpoint: str, **config: Any) -> S3Connector:
    return S3Connector("lake", {"type": "s3", "endpoint_url": endpoint, "region": MOTO_REGION, **config})


def read_all(c: S3Connector) -> tuple[list[Record], dict[str, str]]:
    out: list[Record] = []
    errors: dict[str, str] = {}
    for unit in c.units():
        try:
            out.extend(c.read(unit))
        except ConnectorError as exc:
            errors[unit.key] = str(exc)
    return out, errors


def triples(records: list[Record]) -> list[tuple[str, str, str, str]]:
    return [(r.location.container, r.location.item, f, t) for r in records for f, t in r.fields]


def estate() -> dict[str, bytes]:
    return {
        "exports/kunder.csv": f"namn;personnummer;telefon\nÅsa Öberg;{PNR};{PHONE}\nBo;{PNR2};\n".encode("cp1252"),
        "exports/data.json": f'[{{"kund": {{"email": "{EMAIL}"}}}}]'.encode(),
        "exports/events.jsonl": f'{{"id": 1, "user": {{"pnr": "{PNR}"}}}}\n{{"id": 2}}\n'.encode(),
        "exports/tabell.parquet": parquet_bytes(),
        f"hr/{SHORT_PNR}_lönespec.pdf": pdf_bytes([f"Lonespecifikation {PNR}"], {"Author": "Karin Chef"}),
        "hr/avtal.docx": docx_bytes(),
        "hr/lista.xlsx": xlsx_bytes({"Blad1": [["Namn", "Epost"], ["Anna", EMAIL]]}),
        "logs/app.log": "".join(f"2024-01-01 10:00:{i:02d} INFO kund {i} loggade in\n" for i in range(40)).encode(),
        "logs/old.log.gz": gzip.compress(f"gammal rad {EMAIL}\n".encode()),
        "arkiv/paket.zip": zip_bytes({"in/h.jsonl": f'{{"pnr": "{PNR}"}}\n'.encode(), "notering.txt": f"ring {PHONE}\n".encode()}),
        "tom.txt": b"",
    }


# --- a fault-injecting HTTP proxy in front of moto -----------------------------------------------------


@dataclass
class Rule:
    method: str
    path: re.Pattern[str]  # matched against the unquoted path with its query
    action: str  # "error", "delay", "truncate"
    status: int = 0
    code: str = ""
    seconds: float = 0.0
    times: int | None = None  # None: always
    hits: int = 0


@dataclass
class FaultProxy:
    """A threaded HTTP proxy to ``upstream`` that answers chosen requests with errors, delays or cut bodies."""

    upstream: str
    rules: list[Rule] = field(default_factory=list)
    log: list[tuple[str, str, str | None]] = field(default_factory=list)  # (method, path, Range header)
    signed: list[bool] = field(default_factory=list)  # whether each request carried an Authorization header
    url: str = ""

    def add(self, method: str, path: str, action: str, *, status: int = 0, code: str = "", seconds: float = 0.0,
            times: int | None = None) -> Rule:
        rule = Rule(method, re.compile(path), action, status, code, seconds, times)
        self.rules.append(rule)
        return rule

    def match(self, method: str, path: str) -> Rule | None:
        for rule in self.rules:
            if rule.method == method and rule.path.search(unquote(path)) and (rule.times is None or rule.hits < rule.times):
                rule.hits += 1
                return rule
        return None

    def gets(self, key_part: str) -> list[str | None]:
        """Range headers of the GETs of objects whose path contains ``key_part``."""
        return [rng for m, p, rng in self.log if m == "GET" and key_part in unquote(p) and "list-type" not in p]

    def start(self) -> None:
        proxy = self
        up = urlsplit(self.upstream)

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def _handle(self) -> None:
                n = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(n) if n else None
                proxy.log.append((self.command, self.path, self.headers.get("Range")))
                proxy.signed.append("Authorization" in self.headers)
                rule = proxy.match(self.command, self.path)
                if rule is not None and rule.action == "error":
                    xml = (f'<?xml version="1.0" encoding="UTF-8"?><Error><Code>{rule.code}</Code>'
                           f"<Message>injected</Message><RequestId>0</RequestId></Error>").encode()
                    self.send_response(rule.status)
                    self.send_header("Content-Type", "application/xml")
                    self.send_header("Content-Length", str(len(xml)))
                    self.end_headers()
                    if self.command != "HEAD":
                        self.wfile.write(xml)
                    return
                if rule is not None and rule.action == "delay":
                    time.sleep(rule.seconds)
                headers = {k: v for k, v in self.headers.items() if k.lower() not in ("connection", "keep-alive")}
                upstream = http.client.HTTPConnection(up.hostname, up.port, timeout=30)
                try:
                    upstream.request(self.command, self.path, body=body, headers=headers)
                    resp = upstream.getresponse()
                    data = resp.read()
                    self.send_response(resp.status)
                    for k, v in resp.getheaders():
                        if k.lower() not in ("transfer-encoding", "connection", "content-length", "server", "date"):
                            self.send_header(k, v)
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    if self.command == "HEAD":
                        return
                    if rule is not None and rule.action == "truncate":
                        self.wfile.write(data[: len(data) // 2])  # then the connection drops
                        self.wfile.flush()
                        self.close_connection = True
                        return
                    self.wfile.write(data)
                finally:
                    upstream.close()

            do_GET = do_PUT = do_POST = do_HEAD = do_DELETE = _handle

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._server.handle_error = lambda *a: None  # type: ignore[method-assign]  # a client gone after a delay
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()


@pytest.fixture
def s3(moto_s3: str) -> Any:
    """A boto3 client on the (emptied) moto endpoint, for setting up buckets."""
    return s3_client(moto_s3)


@pytest.fixture
def proxy(moto_s3: str) -> Iterator[FaultProxy]:
    p = FaultProxy(moto_s3)
    p.start()
    yield p
    p.stop()


# --- the contract -------------------------------------------------------------------------------------


class TestContract(ConnectorContract):
    @pytest.fixture
    def connector(self, s3: Any, moto_s3: str) -> S3Connector:
        objects = {k: v for k, v in estate().items() if k.startswith(("exports/", "logs/"))}
        make_bucket(s3, "kontrakt", objects)
        return conn(moto_s3)

    @pytest.fixture
    def secret(self) -> str:
        return MOTO_SECRET_KEY


# --- configuration ------------------------------------------------------------------------------------


def test_credentials_in_the_config_are_refused() -> None:
    for key in ("aws_secret_access_key", "aws_access_key_id", "aws_session_token", "secret_key", "password"):
        with pytest.raises(ConfigError, match="credentials do not belong in the config file") as exc:
            S3Connector("lake", {"type": "s3", key: "hunter2-value"})
        assert "hunter2-value" not in str(exc.value)
    with pytest.raises(ConfigError, match="must not carry credentials"):
        S3Connector("lake", {"type": "s3", "endpoint_url": "http://AKIA:hunter2@127.0.0.1:9000"})
    with pytest.raises(ConfigError, match="'buckets'"):
        S3Connector("lake", {"type": "s3", "bucket": "one"})
    with pytest.raises(ConfigError, match="'buckets'"):
        S3Connector("lake", {"type": "s3", "buckets": ["a/b"]})
    with pytest.raises(ConfigError, match="http"):
        S3Connector("lake", {"type": "s3", "endpoint_url": "ftp://x"})
    with pytest.raises(ConfigError, match="addressing_style"):
        S3Connector("lake", {"type": "s3", "addressing_style": "sideways"})


def test_registry_builds_it_and_it_pickles_as_config(s3: Any, moto_s3: str) -> None:
    make_bucket(s3, "reg", {"a.txt": b"hej\n"})
    c = build("lake", {"type": "s3", "endpoint_url": moto_s3, "region": MOTO_REGION})
    assert isinstance(c, S3Connector) and c.store == "s3"
    assert [u.key for u in c.units()] == ["reg/a.txt"]
    assert c._client is not None  # opened lazily by the listing ...
    blob = pickle.dumps(c)
    assert b"botocore" not in blob and MOTO_SECRET_KEY.encode() not in blob  # ... and never pickled
    clone = pickle.loads(blob)
    assert clone._client is None and clone.config == c.config
    c.close()
    assert c._client is None


def test_one_client_per_process_and_settings(s3: Any, moto_s3: str, monkeypatch: pytest.MonkeyPatch) -> None:
    make_bucket(s3, "delad", {"a.txt": b"a\n"})
    a, b = conn(moto_s3), conn(moto_s3)
    assert a.client() is b.client()  # the worker closes after every unit: the next unit reuses the client
    a.close()
    assert a._client is None
    assert [u.key for u in b.units()] == ["delad/a.txt"]  # another connector's close() does not break it
    assert conn(moto_s3, read_timeout=5).client() is not b.client()  # other settings, another client
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAOTHERDUMMYKEY000")
    assert conn(moto_s3).client() is not b.client()  # other credentials, another client


def test_missing_credentials_are_a_clear_error(s3: Any, moto_s3: str, monkeypatch: pytest.MonkeyPatch) -> None:
    make_bucket(s3, "lager", {"a.txt": b"a\n"})
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    with pytest.raises(ConnectorError, match=r"cannot list the buckets \(no AWS credentials found"):
        list(conn(moto_s3).units())
    (unit,) = list(conn(moto_s3, buckets=["lager"]).units())
    with pytest.raises(ConnectorError, match=r"lager/: cannot list the bucket \(no AWS credentials found"):
        list(conn(moto_s3).read(unit))


def test_anonymous_requests_are_unsigned(s3: Any, proxy: FaultProxy, monkeypatch: pytest.MonkeyPatch) -> None:
    make_bucket(s3, "publik", {"a.txt": f"ring {PHONE}\n".encode()})
    s3.put_bucket_acl(Bucket="publik", ACL="public-read")
    s3.put_object_acl(Bucket="publik", Key="a.txt", ACL="public-read")
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    c = conn(proxy.url, anonymous=True, buckets=["publik"])
    records, errors = read_all(c)
    assert errors == {} and ("publik/a.txt", "1", "text", f"ring {PHONE}") in triples(records)
    assert proxy.signed and not any(proxy.signed)


# --- listing ------------------------------------------------------------------------------------------


def test_units_one_per_object_with_fingerprints(s3: Any, moto_s3: str) -> None:
    objects = estate()
    make_bucket(s3, "lager", objects)
    units = list(conn(moto_s3).units())
    assert [u.key for u in units] == sorted(f"lager/{k}" for k in objects)
    for u in units:
        key = u.param("key")
        assert u.param("bucket") == "lager" and u.size == len(objects[key]) == u.param("size")
        assert u.param("etag").startswith('"') and u.param("version") is None
    before = {u.key: u.fingerprint for u in units}
    s3.put_object(Bucket="lager", Key="logs/app.log", Body=b"ny rad\n")
    after = {u.key: u.fingerprint for u in conn(moto_s3).units()}
    assert {k for k in before if before[k] != after[k]} == {"lager/logs/app.log"}
    # same content again in an unversioned bucket: same ETag and size, same fingerprint
    s3.put_object(Bucket="lager", Key="tom.txt", Body=b"")
    assert {u.key: u.fingerprint for u in conn(moto_s3).units()}["lager/tom.txt"] == before["lager/tom.txt"]


def test_prefix_filter(s3: Any, moto_s3: str) -> None:
    make_bucket(s3, "lager", estate())
    keys = [u.key for u in conn(moto_s3, prefix="hr/").units()]
    assert keys == ["lager/hr/640823-3234_lönespec.pdf", "lager/hr/avtal.docx", "lager/hr/lista.xlsx"]
    keys = [u.key for u in conn(moto_s3, prefix=["logs/", "logs/app", "tom"]).units()]
    assert keys == ["lager/logs/app.log", "lager/logs/old.log.gz", "lager/tom.txt"]  # overlapping prefixes: once


def test_buckets_default_to_all_listable(s3: Any, moto_s3: str) -> None:
    make_bucket(s3, "alfa", {"a.txt": b"a\n"})
    make_bucket(s3, "beta", {"b.txt": b"b\n"})
    make_bucket(s3, "gamma", {})
    assert [u.key for u in conn(moto_s3).units()] == ["alfa/a.txt", "beta/b.txt"]
    assert [u.key for u in conn(moto_s3, buckets=["beta"]).units()] == ["beta/b.txt"]


def test_versioned_bucket_fingerprint_has_the_version_id(s3: Any, moto_s3: str) -> None:
    make_bucket(s3, "versioner", {"a.txt": f"v1 {PNR}\n".encode(), "borta.txt": b"x\n"}, versioned=True)
    s3.delete_object(Bucket="versioner", Key="borta.txt")  # its latest version is a delete marker
    c = conn(moto_s3)
    (unit,) = list(c.units())
    assert unit.key == "versioner/a.txt"
    v1 = s3.list_object_versions(Bucket="versioner", Prefix="a.txt")["Versions"][0]["VersionId"]
    assert unit.param("version") == v1
    # the same bytes written again: same ETag and size, a new version, a new fingerprint
    s3.put_object(Bucket="versioner", Key="a.txt", Body=f"v1 {PNR}\n".encode())
    (again,) = list(c.units())
    assert again.param("etag") == unit.param("etag") and again.param("version") != v1
    assert again.fingerprint != unit.fingerprint
    assert ("versioner/a.txt", "1", "text", f"v1 {PNR}") in triples(list(c.read(again)))


def test_versions_that_may_not_be_listed_fall_back_to_the_plain_listing(s3: Any, proxy: FaultProxy) -> None:
    make_bucket(s3, "versioner", {"a.txt": b"a\n"}, versioned=True)
    proxy.add("GET", r"^/versioner/?\?.*versions", "error", status=403, code="AccessDenied")
    (unit,) = list(conn(proxy.url).units())
    assert unit.key == "versioner/a.txt" and unit.param("version") is None


def test_a_bucket_that_does_not_exist_is_a_failing_unit(s3: Any, moto_s3: str) -> None:
    make_bucket(s3, "finns", {"a.txt": b"a\n"})
    c = conn(moto_s3, buckets=["saknas", "finns"])
    units = {u.key: u for u in c.units()}
    assert list(units) == ["saknas/", "finns/a.txt"]
    with pytest.raises(ConnectorError, match=r"saknas/: cannot list the bucket \(no such bucket \(NoSuchBucket\)\)"):
        list(c.read(units["saknas/"]))


def test_a_denied_bucket_is_a_failing_unit_and_the_listing_goes_on(s3: Any, proxy: FaultProxy) -> None:
    make_bucket(s3, "hemlig", {"lön.csv": f"pnr\n{PNR}\n".encode()})
    make_bucket(s3, "oppen", {"a.txt": b"a\n"})
    proxy.add("GET", r"^/hemlig/?\?", "error", status=403, code="AccessDenied")
    c = conn(proxy.url)
    units = {u.key: u for u in c.units()}
    assert list(units) == ["hemlig/", "oppen/a.txt"]
    with pytest.raises(ConnectorError, match=r"hemlig/: cannot list the bucket \(access denied \(AccessDenied\)\)"):
        list(c.read(units["hemlig/"]))
    assert [r.fields for r in c.read(units["oppen/a.txt"])][1] == [("text", "a")]


def test_buckets_that_may_not_be_listed_must_be_named(s3: Any, proxy: FaultProxy) -> None:
    make_bucket(s3, "oppen", {"a.txt": b"a\n"})
    proxy.add("GET", r"^/(\?.*)?$", "error", status=403, code="AccessDenied")
    with pytest.raises(ConnectorError, match=r"cannot list the buckets \(access denied \(AccessDenied\)\); name them"):
        list(conn(proxy.url).units())
    assert [u.key for u in conn(proxy.url, buckets=["oppen"]).units()] == ["oppen/a.txt"]


# --- reading ------------------------------------------------------------------------------------------


def test_every_format(s3: Any, moto_s3: str) -> None:
    make_bucket(s3, "lager", estate())
    records, errors = read_all(conn(moto_s3))
    assert errors == {}
    t = triples(records)
    assert ("lager/exports/kunder.csv", "2", "personnummer", PNR) in t  # cp1252 CSV
    assert ("lager/exports/kunder.csv", "2", "namn", "Åsa Öberg") in t
    assert ("lager/exports/data.json", "[0]", "$.kund.email", EMAIL) in t
    assert ("lager/exports/events.jsonl", "1", "$.user.pnr", PNR) in t
    assert ("lager/exports/tabell.parquet", "1", "kontakt.email", EMAIL) in t
    assert ("lager/exports/tabell.parquet", "1", "belopp", "198112289874.0") in t
    assert ("lager/exports/tabell.parquet", "2", "personnummer", PNR2) in t
    assert (f"lager/hr/{SHORT_PNR}_lönespec.pdf", "p1", "text", f"Lonespecifikation {PNR}") in t
    assert (f"lager/hr/{SHORT_PNR}_lönespec.pdf", "meta", "meta:/Author", "Karin Chef") in t
    assert ("lager/hr/avtal.docx", "table 1 row 2", "Personnummer", PNR) in t
    assert ("lager/hr/lista.xlsx", "Blad1:2", "Epost", EMAIL) in t
    assert ("lager/logs/app.log", "7", "text", "2024-01-01 10:00:06 INFO kund 6 loggade in") in t
    assert ("lager/logs/old.log.gz", "1", "text", f"gammal rad {EMAIL}") in t
    assert ("lager/arkiv/paket.zip!in/h.jsonl", "1", "$.pnr", PNR) in t
    assert ("lager/arkiv/paket.zip!notering.txt", "1", "text", f"ring {PHONE}") in t
    for r in records:
        assert (r.location.store, r.location.source) == ("s3", "lake")
        assert r.ref_date is not None and r.ref_date == r.record_date.date()  # LastModified


def test_object_keys_are_scanned(s3: Any, moto_s3: str) -> None:
    make_bucket(s3, "lager", estate())
    c = conn(moto_s3, prefix="hr/")
    unit = next(u for u in c.units() if u.key.endswith("_lönespec.pdf"))
    first = next(iter(c.read(unit)))
    assert (first.location.container, first.location.item, first.fields, first.structured) == (
        f"lager/hr/{SHORT_PNR}_lönespec.pdf", "", [("path", f"lager/hr/{SHORT_PNR}_lönespec.pdf")], False,
    )  # fmt: skip
    assert first.location.uri().startswith("s3://lake/lager/hr/")
    empty = next(u for u in conn(moto_s3, prefix="tom").units())
    assert [r.fields for r in conn(moto_s3).read(empty)] == [[("path", "lager/tom.txt")]]


def test_a_small_object_is_one_plain_streamed_get(s3: Any, proxy: FaultProxy) -> None:
    make_bucket(s3, "lager", estate())
    c = conn(proxy.url, prefix="exports/kunder")
    (unit,) = list(c.units())
    list(c.read(unit))
    assert proxy.gets("kunder.csv") == [None]  # one GET, no Range header


def test_large_text_object_is_split_into_byte_range_units(s3: Any, proxy: FaultProxy) -> None:
    lines = [f"{i};kund {i};{PNR if i % 2 else PNR2}" for i in range(1, 3001)]
    data = ("id;namn;pnr\n" + "\n".join(lines) + "\n").encode()
    packed = gzip.compress(b"".join(b"%032x\n" % (i * 2654435761 % 2**128) for i in range(3000)), 1)
    assert len(packed) > 20_000
    make_bucket(s3, "stor", {"kunder.csv": data, "liten.csv": b"a;b\n1;2\n", "packad.log.gz": packed})
    c = conn(proxy.url, split_bytes=20_000)
    units = list(c.units())
    parts = [u for u in units if u.param("key") == "kunder.csv"]
    assert len(parts) == -(-len(data) // 20_000) and parts[0].key == "stor/kunder.csv#0-20000"
    assert sum(u.size for u in parts) == len(data) and parts[-1].param("end") == len(data)
    assert [u.key for u in units if u.param("key") == "liten.csv"] == ["stor/liten.csv"]
    assert [u.key for u in units if u.param("key") == "packad.log.gz"] == ["stor/packad.log.gz"]  # gzip: not split
    assert len({u.fingerprint for u in parts}) == len(parts)
    proxy.log.clear()

    seen: list[str] = []
    names = 0
    for u in parts:
        for r in c.read(u):
            if r.location.item == "":
                names += 1
                continue
            assert r.location.container == "stor/kunder.csv"
            off = int(r.location.item.lstrip("@"))
            row = dict(r.fields)
            assert data[off:].startswith(row["id"].encode() + b";")  # the item points at the line
            assert set(row) == {"id", "namn", "pnr"}  # the header names every range's fields
            seen.append(row["id"])
    assert names == 1
    assert seen == [str(i) for i in range(1, 3001)]  # every line exactly once
    ranges = proxy.gets("kunder.csv")
    assert ranges and all(r and r.startswith("bytes=") for r in ranges)  # only ranged GETs
    # each range reads the object's first 64 KiB (format, encoding, CSV header), then its own bytes
    heads = [r for r in ranges if r == "bytes=0-65535"]
    assert len(heads) == len(parts)
    spans = [tuple(map(int, re.findall(r"\d+", r))) for r in ranges if r not in heads]
    assert spans == [(65536, len(data) - 1), (79_999, len(data) - 1)]  # from the end of the head; from start - 1


def big_parquet(rows: int) -> bytes:
    import io
    import random

    import pyarrow as pa
    import pyarrow.parquet as pq

    rng = random.Random(7)
    table = pa.table({
        "id": list(range(1, rows + 1)),
        "personnummer": [PNR if i % 2 else PNR2 for i in range(1, rows + 1)],
        "notering": ["%032x" % rng.getrandbits(128) for _ in range(rows)],
    })  # fmt: skip
    buf = io.BytesIO()
    pq.write_table(table, buf, row_group_size=rows // 4)
    return buf.getvalue()


def test_large_parquet_is_read_in_place_by_ranged_gets(s3: Any, proxy: FaultProxy) -> None:
    data = big_parquet(8000)
    assert len(data) > 200_000
    make_bucket(s3, "sjo", {"t.parquet": data})
    c = conn(proxy.url, ranged_bytes=100_000)
    (unit,) = list(c.units())
    recs = list(c.read(unit))
    assert [r.location.item for r in recs[1:]] == [str(i) for i in range(1, 8001)]
    assert ("sjo/t.parquet", "7999", "personnummer", PNR) in triples(recs[-2:])
    ranges = proxy.gets("t.parquet")
    assert ranges[0] == "bytes=0-65535" and all(r and r.startswith("bytes=") for r in ranges)  # never the whole object at once
    assert any(r.endswith(f"-{len(data) - 1}") and not r.startswith("bytes=0-") for r in ranges)  # the footer


def test_a_broken_body_is_resumed_with_a_ranged_get(s3: Any, proxy: FaultProxy) -> None:
    lines = "".join(f"rad {i} {EMAIL}\n" for i in range(2000))
    make_bucket(s3, "lager", {"mail.log": lines.encode()})
    proxy.add("GET", r"^/lager/mail\.log$", "truncate", times=1)
    c = conn(proxy.url)
    (unit,) = list(c.units())
    recs = list(c.read(unit))
    assert [r.location.item for r in recs[1:]] == [str(i) for i in range(1, 2001)]
    assert recs[-1].fields == [("text", f"rad 1999 {EMAIL}")]
    first, second = proxy.gets("mail.log")
    assert first is None and second is not None and re.fullmatch(r"bytes=\d+-%d" % (len(lines) - 1), second)


# --- failures against a unit: the scan goes on ----------------------------------------------------------


def test_a_denied_object_fails_its_unit_only(s3: Any, proxy: FaultProxy) -> None:
    make_bucket(s3, "lager", estate())
    proxy.add("GET", r"^/lager/exports/kunder\.csv$", "error", status=403, code="AccessDenied")
    records, errors = read_all(conn(proxy.url))
    assert list(errors) == ["lager/exports/kunder.csv"]
    assert errors["lager/exports/kunder.csv"] == "lager/exports/kunder.csv: access denied (AccessDenied)"
    # its key was still scanned, and the other objects were read
    assert ("lager/exports/kunder.csv", "", "path", "lager/exports/kunder.csv") in triples(records)
    assert ("lager/hr/lista.xlsx", "Blad1:2", "Epost", EMAIL) in triples(records)


@pytest.mark.parametrize(
    ("status", "code", "reason"),
    [
        (403, "AccessDenied", "access denied (AccessDenied)"),
        (403, "InvalidObjectState", "archived (InvalidObjectState: restore it to scan its content)"),
        (404, "NoSuchKey", "no longer exists (NoSuchKey: deleted after listing)"),
        (500, "InternalError", "S3 error InternalError (HTTP 500)"),
        (400, "InvalidRequest", "S3 error InvalidRequest (HTTP 400)"),
    ],
)
def test_reasons_name_the_cause(s3: Any, proxy: FaultProxy, status: int, code: str, reason: str) -> None:
    make_bucket(s3, "lager", {"a.txt": f"{PNR}\n".encode()})
    proxy.add("GET", r"^/lager/a\.txt$", "error", status=status, code=code)
    c = conn(proxy.url, max_attempts=1)
    (unit,) = list(c.units())
    with pytest.raises(ConnectorError) as exc:
        list(c.read(unit))
    assert str(exc.value) == f"lager/a.txt: {reason}"


def test_an_object_deleted_after_listing(s3: Any, moto_s3: str) -> None:
    make_bucket(s3, "lager", {"a.txt": f"{PNR}\n".encode(), "b.txt": b"b\n"})
    c = conn(moto_s3)
    units = list(c.units())
    s3.delete_object(Bucket="lager", Key="a.txt")
    with pytest.raises(ConnectorError, match=r"lager/a\.txt: no longer exists \(NoSuchKey"):
        list(c.read(units[0]))
    assert [r.fields for r in c.read(units[1])][1:] == [[("text", "b")]]


def test_an_object_changed_after_listing(s3: Any, moto_s3: str) -> None:
    make_bucket(s3, "lager", {"a.txt": b"gammal\n"})
    c = conn(moto_s3)
    (unit,) = list(c.units())
    s3.put_object(Bucket="lager", Key="a.txt", Body=f"ny {PNR}\n".encode())
    with pytest.raises(ConnectorError, match=r"lager/a\.txt: changed since it was listed"):
        list(c.read(unit))


def test_throttling_is_retried_with_backoff(s3: Any, proxy: FaultProxy) -> None:
    make_bucket(s3, "lager", {"a.txt": f"ring {PHONE}\n".encode()})
    listing = proxy.add("GET", r"^/lager/?\?", "error", status=503, code="SlowDown", times=1)
    getting = proxy.add("GET", r"^/lager/a\.txt$", "error", status=503, code="SlowDown", times=2)
    c = conn(proxy.url)
    (unit,) = list(c.units())
    assert ("lager/a.txt", "1", "text", f"ring {PHONE}") in triples(list(c.read(unit)))
    assert listing.hits == 1 and getting.hits == 2
    assert len(proxy.gets("a.txt")) == 3  # two throttled, then the object


def test_throttling_that_outlasts_the_retries_fails_the_unit(s3: Any, proxy: FaultProxy) -> None:
    make_bucket(s3, "lager", {"a.txt": b"a\n"})
    proxy.add("GET", r"^/lager/a\.txt$", "error", status=503, code="SlowDown")
    c = conn(proxy.url, max_attempts=2)
    (unit,) = list(c.units())
    with pytest.raises(ConnectorError, match=r"lager/a\.txt: throttled by the endpoint \(SlowDown, HTTP 503\) after 1 retries"):
        list(c.read(unit))
    assert len(proxy.gets("a.txt")) == 2


def test_a_timeout_fails_the_unit(s3: Any, proxy: FaultProxy) -> None:
    make_bucket(s3, "lager", {"a.txt": b"a\n"})
    proxy.add("GET", r"^/lager/a\.txt$", "delay", seconds=1.5)
    c = conn(proxy.url, read_timeout=0.4, max_attempts=2)
    (unit,) = list(c.units())
    t0 = time.monotonic()
    with pytest.raises(ConnectorError, match=r"lager/a\.txt: timed out reading from the endpoint"):
        list(c.read(unit))
    assert time.monotonic() - t0 < 5
    assert len(proxy.gets("a.txt")) == 2  # retried once


def test_no_endpoint_is_a_clear_error(moto_s3: str) -> None:
    from tests.conftest import free_port

    c = conn(f"http://127.0.0.1:{free_port()}", buckets=["lager"], max_attempts=1, connect_timeout=1)
    (unit,) = list(c.units())
    assert unit.key == "lager/"
    with pytest.raises(ConnectorError, match="cannot connect to the endpoint"):
        list(c.read(unit))


# --- end to end through the engine ------------------------------------------------------------------------


def test_engine_scan_and_lookup(s3: Any, moto_s3: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from pii_scan.config import load
    from pii_scan.datamap import DataMap
    from pii_scan.engine import EXIT_PARTIAL, scan
    from pii_scan.keys import load_keys
    from pii_scan.lookup import lookup

    monkeypatch.delenv("PII_SCAN_KEY", raising=False)
    make_bucket(s3, "crm-exports", {
        "2024/kunder.csv": f"Namn;Personnummer;E-post\nÅsa Test;{PNR};{EMAIL}\n".encode(),
        "2024/tom.txt": b"",
    })  # fmt: skip
    cfg_path = tmp_path / "pii-scan.toml"
    cfg_path.write_text(textwrap.dedent(f"""
        [datamap]
        url = "sqlite:///datamap.sqlite"
        [[sources]]
        name = "lake"
        type = "s3"
        endpoint_url = "{moto_s3}"
        region = "{MOTO_REGION}"
        buckets = ["crm-exports", "saknas"]
        prefix = "2024/"
    """))
    cfg = load(cfg_path)
    summary = scan(cfg, scheduler="sync", progress=False)
    assert summary.exit_code == EXIT_PARTIAL  # the missing bucket is recorded, the rest was scanned
    assert [(f["unit"], "NoSuchBucket" in f["reason"]) for f in summary.failures] == [("saknas/", True)]
    assert summary.units_scanned == 3 and summary.findings >= 2

    dm = DataMap(cfg.datamap_url)
    try:
        locs = lookup(dm, load_keys(cfg.key_file), "personnummer", PNR)
    finally:
        dm.close()
    direct = {(l.store, l.source, l.container, l.item, l.field) for l in locs if l.reached == "direct"}
    assert ("s3", "lake", "crm-exports/2024/kunder.csv", "2", "Personnummer") in direct
    assert any(l.kind == "email" and l.container == "crm-exports/2024/kunder.csv" for l in locs)

    again = scan(cfg, scheduler="sync", progress=False)  # unchanged objects are skipped
    assert again.units_skipped == 2 and again.units_scanned == 1


def test_client_logs_stay_quiet_when_the_root_logger_is_raised_later() -> None:
    """Object keys may hold identifiers: botocore/urllib3 must not log at DEBUG, even when the
    root logger is set to DEBUG after the client was made (a CLI run with --log-level debug)."""
    import logging

    from connectors.s3 import CLIENT_LOGGERS, quiet_client_logs

    root = logging.getLogger()
    saved = root.level, {n: logging.getLogger(n).level for n in CLIENT_LOGGERS}
    try:
        for n in CLIENT_LOGGERS:
            logging.getLogger(n).setLevel(logging.NOTSET)
        root.setLevel(logging.WARNING)
        quiet_client_logs()
        root.setLevel(logging.DEBUG)
        for n in CLIENT_LOGGERS:
            assert not logging.getLogger(n).isEnabledFor(logging.DEBUG), n
        logging.getLogger("botocore").setLevel(logging.WARNING)  # a level set on purpose is kept
        quiet_client_logs()
        assert logging.getLogger("botocore").level == logging.WARNING
    finally:
        root.setLevel(saved[0])
        for n, lvl in saved[1].items():
            logging.getLogger(n).setLevel(lvl)
