"""S3 versus local disk: the same mixed files scanned from a directory and from an S3 endpoint.

Generates ``--mb`` MB (10^6 bytes, as stored) of fictional mixed files on disk
(CSV, JSON Lines, logs, gzip'd logs, Parquet, XLSX, DOCX, PDF, zip, small
notes), starts a ``moto_server`` process on loopback (or uses ``--endpoint``,
credentials from the AWS environment), uploads the files to a bucket, and
measures, single-threaded in this process:

* **endpoint**: list the bucket and GET every object, reading each body in
  1 MiB chunks and discarding it (one boto3 client): the speed of the endpoint
  and the HTTP stack, with nothing scanned. The S3 scan cannot beat it.
* **read disk / read s3**: every unit of the files and the S3 connector read
  into records (formats parsed, no detectors), with ``close()`` after each unit
  as the engine's worker does (so the S3 figure pays a boto3 client per unit).
* **scan disk / scan s3**: ``pii_scan.engine.scan(cfg, scheduler="sync")`` of
  each source into its own temporary data map (read + detect + hash + write),
  after a small warm-up scan (imports and first-use costs are not measured).

The endpoint and read-only figures are the best of ``--repeat`` runs (default 2);
the engine scans run once. MB/s is stored bytes per wall-clock second. ``s3/disk`` is the S3 speed as a
fraction of the disk speed; ``overhead`` is the S3 time minus the disk time
minus the endpoint time, i.e. what the S3 connector costs beyond moving the
bytes (negative: the endpoint's transfer overlapped with parsing).

Usage::

    .venv/bin/python benchmarks/s3_vs_disk.py               # 200 MB
    .venv/bin/python benchmarks/s3_vs_disk.py --mb 100 --seed 2
    .venv/bin/python benchmarks/s3_vs_disk.py --endpoint http://127.0.0.1:9000 --bucket bench   # e.g. MinIO

Needs boto3 and (without ``--endpoint``) ``moto[server]``.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import io
import json
import os
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import zipfile
from datetime import date, timedelta
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))  # run from a checkout without installing

from connectors.base import BaseConnector  # noqa: E402
from connectors.files import FilesConnector  # noqa: E402
from connectors.s3 import S3Connector  # noqa: E402
from detectors.checksums import luhn_check_digit  # noqa: E402
from pii_scan.config import from_dict  # noqa: E402
from pii_scan.engine import scan  # noqa: E402
from pii_scan.estate import make_pdf  # noqa: E402

MB = 1_000_000
REGION = "eu-north-1"
FIRST = ["Anna", "Erik", "Maria", "Lars", "Karin", "Johan", "Eva", "Anders", "Sara", "Per", "Lena", "Nils"]
LAST = ["Andersson", "Johansson", "Karlsson", "Nilsson", "Eriksson", "Larsson", "Olsson", "Persson", "Berg", "Lind"]
WORDS = ("order skickad faktura betald kund ringde adress ändrad leverans försenad retur mottagen "
         "konto spärrat lösenord återställt möte bokat ärende stängt").split()


# --- the fictional files ---------------------------------------------------------------------------


class Gen:
    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)

    def pnr(self) -> str:
        r = self.rng
        d = date(1940, 1, 1) + timedelta(days=r.randrange(365 * 65))
        serial = f"{r.randrange(1000):03d}"
        body = d.strftime("%y%m%d") + serial
        full = d.strftime("%Y%m%d") + "-" + serial + luhn_check_digit(body)
        return full if r.random() < 0.6 else full[2:]

    def phone(self) -> str:
        r = self.rng
        return r.choice(["070", "072", "073", "076"]) + f"-{r.randrange(100, 1000)} {r.randrange(10, 100)} {r.randrange(10, 100)}"

    def name(self) -> str:
        return f"{self.rng.choice(FIRST)} {self.rng.choice(LAST)}"

    def email(self, name: str) -> str:
        return name.lower().replace(" ", ".").replace("å", "a").replace("ä", "a").replace("ö", "o") + f"{self.rng.randrange(100)}@example.se"

    def row(self, i: int) -> list[str]:
        """An order line; about one in four names its customer (personnummer, e-mail, phone)."""
        r = self.rng
        cust = ["", "", ""]
        if r.random() < 0.25:
            n = self.name()
            cust = [self.pnr(), self.email(n), self.phone()]
        return [str(i), f"SO-{r.randrange(10**7):07d}", (date(2023, 1, 1) + timedelta(days=r.randrange(700))).isoformat(),
                f"{r.randrange(10**6):06d}", str(r.randrange(1, 20)), f"{r.randrange(10, 99999)},{r.randrange(100):02d}",
                r.choice(["ny", "skickad", "levererad", "retur"]), " ".join(r.choice(WORDS) for _ in range(r.randrange(0, 6))),
                *cust]

    HEADER = ["id", "ordernr", "datum", "sku", "antal", "pris", "status", "kommentar", "personnummer", "epost", "telefon"]

    def csv(self, size: int) -> bytes:
        buf = io.StringIO()
        w = csv.writer(buf, delimiter=";", lineterminator="\n")
        w.writerow(self.HEADER)
        i = 0
        while buf.tell() < size:
            i += 1
            w.writerow(self.row(i))
        return buf.getvalue().encode("utf-8")

    def jsonl(self, size: int) -> bytes:
        out, n, i = [], 0, 0
        while n < size:
            i += 1
            r = self.row(i)
            doc: dict[str, Any] = {"id": i, "order": {"nr": r[1], "datum": r[2], "status": r[6]},
                                   "rader": [{"sku": r[3], "antal": int(r[4]), "pris": r[5]}]}
            if r[8]:
                doc["kund"] = {"pnr": r[8], "kontakt": {"email": r[9], "tel": r[10]}}
            line = json.dumps(doc, ensure_ascii=False) + "\n"
            out.append(line)
            n += len(line.encode())
        return "".join(out).encode()

    def log(self, size: int) -> bytes:
        out, n, t = [], 0, 1_700_000_000
        r = self.rng
        while n < size:
            t += r.randrange(1, 30)
            ts = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(t))
            msg = " ".join(r.choice(WORDS) for _ in range(r.randrange(4, 12)))
            if r.random() < 0.05:
                msg += f" kund {self.pnr()}"
            if r.random() < 0.03:
                msg += f" svar till {self.email(self.name())}"
            line = f"{ts} INFO req={r.getrandbits(48):012x} {msg} ({r.randrange(1, 999)} ms)\n"
            out.append(line)
            n += len(line)
        return "".join(out).encode()

    def parquet(self, size: int) -> bytes:
        import pyarrow as pa
        import pyarrow.parquet as pq

        rows = [self.row(i) for i in range(1, max(2, size // 40))]
        cols = list(zip(*rows))
        table = pa.table({name: (list(map(int, col)) if name in ("id", "antal") else list(col)) for name, col in zip(self.HEADER, cols)})
        buf = io.BytesIO()
        pq.write_table(table, buf, row_group_size=20_000)
        return buf.getvalue()

    def xlsx(self, size: int) -> bytes:
        import openpyxl

        wb = openpyxl.Workbook(write_only=True)
        ws = wb.create_sheet("Kunder")
        ws.append(self.HEADER)
        for i in range(1, max(2, size // 60)):
            ws.append(self.row(i))
        buf = io.BytesIO()
        wb.save(buf)
        return buf.getvalue()

    def docx(self, size: int) -> bytes:
        import docx

        d = docx.Document()
        n = 0
        while n < size * 4:  # docx compresses about 4:1
            p = " ".join(self.rng.choice(WORDS) for _ in range(40)) + (f" {self.name()} ({self.pnr()})" if self.rng.random() < 0.3 else "")
            d.add_paragraph(p)
            n += len(p)
        buf = io.BytesIO()
        d.save(buf)
        return buf.getvalue()

    def pdf(self, size: int) -> bytes:
        pages = []
        n = 0
        while n < size:
            lines = [" ".join(self.rng.choice(WORDS) for _ in range(8)) + (f" {self.name()} {self.pnr()}" if k % 8 == 0 else "")
                     for k in range(40)]
            pages.append([ln.encode("ascii", "replace").decode() for ln in lines])
            n += sum(len(x) for x in lines) + 200
        return make_pdf(pages)

    def zip(self, size: int) -> bytes:
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
            z.writestr("export/kunder.csv", self.csv(size))
            z.writestr("export/app.log", self.log(size // 2))
        return buf.getvalue()

    def note(self, size: int) -> bytes:
        text = f"Hej,\n\n{self.name()} ringde från {self.phone()} angående ärendet.\n"
        while len(text) < size:
            text += " ".join(self.rng.choice(WORDS) for _ in range(12)) + "\n"
        return text.encode()


# (kind, share of the bytes, typical stored size, extension)
MIX = [
    ("csv", 0.33, 4 * MB, "csv"),
    ("jsonl", 0.15, 2 * MB, "jsonl"),
    ("log", 0.22, 4 * MB, "log"),
    ("gzlog", 0.05, 400_000, "log.gz"),
    ("parquet", 0.08, 1 * MB, "parquet"),
    ("xlsx", 0.03, 300_000, "xlsx"),
    ("docx", 0.02, 60_000, "docx"),
    ("pdf", 0.04, 200_000, "pdf"),
    ("zip", 0.03, 500_000, "zip"),
    ("note", 0.05, 8_000, "txt"),
]


def generate(root: Path, total: int, seed: int) -> tuple[int, int]:
    g = Gen(seed)
    files = size = 0
    for kind, share, typical, ext in MIX:
        budget = int(total * share)
        made = 0
        i = 0
        while made < budget:
            i += 1
            want = min(typical, max(1000, budget - made))
            if kind == "gzlog":
                data = gzip.compress(g.log(want * 8), 6)
            elif kind == "zip":
                data = g.zip(want * 3)
            else:
                data = getattr(g, kind)(want)
            path = root / kind / f"{kind}-{i:04d}.{ext}"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
            made += len(data)
            files += 1
        size += made
    return files, size


# --- the endpoint -------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_moto() -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    proc = subprocess.Popen([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    deadline = time.time() + 30
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                break
        except OSError:
            if proc.poll() is not None or time.time() > deadline:
                proc.kill()
                raise SystemExit("moto_server did not start (pip install 'moto[server]')") from None
            time.sleep(0.1)
    return proc, f"http://127.0.0.1:{port}"


def upload(client: Any, bucket: str, root: Path) -> None:
    from boto3.s3.transfer import TransferConfig

    try:
        client.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": REGION})
    except client.exceptions.BucketAlreadyOwnedByYou:
        pass
    cfg = TransferConfig(max_concurrency=4)
    for p in sorted(root.rglob("*")):
        if p.is_file():
            client.upload_file(str(p), bucket, p.relative_to(root).as_posix(), Config=cfg)


def endpoint_read(client: Any, bucket: str) -> tuple[int, int]:
    n = objects = 0
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket):
        for obj in page.get("Contents", []):
            body = client.get_object(Bucket=bucket, Key=obj["Key"])["Body"]
            while chunk := body.read(1 << 20):
                n += len(chunk)
            body.close()
            objects += 1
    return n, objects


def read_only(conn: BaseConnector) -> tuple[int, int, list[str]]:
    records = units = 0
    errors = []
    for unit in list(conn.units()):
        units += 1
        try:
            for _ in conn.read(unit):
                records += 1
        except Exception as exc:  # noqa: BLE001
            errors.append(f"{unit.key}: {exc}")
        finally:
            conn.close()
    return records, units, errors


def engine_scan(work: Path, source: dict[str, Any]) -> Any:
    work.mkdir(parents=True, exist_ok=True)
    cfg = from_dict({"datamap": {"url": "sqlite:///datamap.sqlite"}, "sources": [source]}, base=work)
    return scan(cfg, scheduler="sync", progress=False, full=True)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--mb", type=float, default=200, help="MB of files to generate (default 200)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--endpoint", help="an existing S3 endpoint (credentials from the AWS environment); default: start moto_server")
    ap.add_argument("--bucket", default="pii-scan-bench")
    ap.add_argument("--dir", type=Path, help="generate the files here and keep them (default: a temporary folder)")
    ap.add_argument("--repeat", type=int, default=2, help="endpoint and read-only figures: best of N runs (default 2)")
    ap.add_argument("--no-scan", action="store_true", help="skip the engine scans (endpoint and read-only figures only)")
    args = ap.parse_args(argv)

    import boto3

    tmp = tempfile.TemporaryDirectory(prefix="pii-scan-s3bench-")
    work = Path(tmp.name)
    root = args.dir or work / "share"
    root.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("PII_SCAN_KEY", "s3-benchmark-key-" + "0" * 16)  # a throwaway key for fictional data
    proc = None
    if not args.endpoint:
        os.environ.update(AWS_ACCESS_KEY_ID="bench", AWS_SECRET_ACCESS_KEY="bench-secret", AWS_DEFAULT_REGION=REGION,
                          AWS_CONFIG_FILE=os.devnull, AWS_SHARED_CREDENTIALS_FILE=os.devnull, AWS_EC2_METADATA_DISABLED="true")
        os.environ.pop("AWS_PROFILE", None)
        proc, endpoint = start_moto()
    else:
        endpoint = args.endpoint
    try:
        t0 = time.perf_counter()
        files, size = generate(root, int(args.mb * MB), args.seed)
        t_gen = time.perf_counter() - t0
        client = boto3.client("s3", endpoint_url=endpoint, region_name=REGION)
        t0 = time.perf_counter()
        upload(client, args.bucket, root)
        t_up = time.perf_counter() - t0
        print(f"{files} files, {size / MB:.1f} MB (generated in {t_gen:.1f}s, uploaded in {t_up:.1f}s to {endpoint})")

        rows: list[tuple[str, float, str]] = []

        def row(label: str, seconds: float, note: str = "") -> float:
            rows.append((label, seconds, note))
            print(f"  {label:<14} {seconds:7.2f} s  {size / MB / seconds:8.1f} MB/s  {note}", flush=True)
            return seconds

        s3_source = {"name": "lake", "type": "s3", "endpoint_url": endpoint, "region": REGION, "buckets": [args.bucket]}
        disk_source = {"name": "share", "type": "files", "path": str(root)}

        def best(fn: Any) -> tuple[float, Any]:
            runs = []
            for _ in range(args.repeat):
                t0 = time.perf_counter()
                out = fn()
                runs.append((time.perf_counter() - t0, out))
            return min(runs, key=lambda r: r[0])

        t, (n, objects) = best(lambda: endpoint_read(client, args.bucket))
        t_end = row("endpoint GET", t, f"{objects} objects, {n / MB:.1f} MB, no scanning")

        c = S3Connector("lake", s3_source)
        t0 = time.perf_counter()
        for _ in range(5):
            c._make_client()
        print(f"  (building a boto3 client: {(time.perf_counter() - t0) / 5 * 1000:.0f} ms; kept per process, not per unit)")

        t_rd, (rec_d, units_d, err_d) = best(lambda: read_only(FilesConnector("share", disk_source)))
        row("read disk", t_rd, f"{units_d} units, {rec_d} records, {len(err_d)} errors")
        t_rs, (rec_s, units_s, err_s) = best(lambda: read_only(S3Connector("lake", s3_source)))
        row("read s3", t_rs, f"{units_s} units, {rec_s} records, {len(err_s)} errors")
        for e in (err_d + err_s)[:5]:
            print("    error:", e)
        t_sd = t_ss = None
        if not args.no_scan:
            warm = work / "warm"  # one small file of each kind: imports, detector tables, first-use costs
            for kind, _share, _typical, ext in MIX:
                sub = warm / "share" / f"w.{ext}"
                sub.parent.mkdir(parents=True, exist_ok=True)
                p = next((root / kind).glob("*"))
                sub.write_bytes(p.read_bytes()[:200_000] if kind in ("csv", "jsonl", "log", "note") else p.read_bytes())
            engine_scan(warm, {"name": "warm", "type": "files", "path": str(warm / "share")})
            t0 = time.perf_counter()
            sd = engine_scan(work / "disk", disk_source)
            t_sd = row("scan disk", time.perf_counter() - t0, f"{sd.status}, {sd.records} records, {sd.findings} findings")
            t0 = time.perf_counter()
            ss = engine_scan(work / "s3", s3_source)
            t_ss = row("scan s3", time.perf_counter() - t0, f"{ss.status}, {ss.records} records, {ss.findings} findings")

        print()
        print(f"read only: s3/disk = {t_rd / t_rs:.2f} (S3 at {100 * t_rd / t_rs:.0f}% of the disk speed); "
              f"overhead beyond the endpoint: {t_rs - t_rd - t_end:+.2f} s")
        if t_sd and t_ss:
            print(f"full scan: s3/disk = {t_sd / t_ss:.2f} (S3 at {100 * t_sd / t_ss:.0f}% of the disk speed); "
                  f"overhead beyond the endpoint: {t_ss - t_sd - t_end:+.2f} s")
        return 0
    finally:
        if proc is not None:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
        if args.dir is None:
            shutil.rmtree(root, ignore_errors=True)
        tmp.cleanup()


if __name__ == "__main__":
    sys.exit(main())
