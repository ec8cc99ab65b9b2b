"""Throughput and peak memory of the mail connector on a large mbox with attachments.

Stream-generates a deterministic mbox of fictional Swedish mail, caches it in
``benchmarks/out/`` and scans it three ways. The mail: half plain text, 30 %
text + HTML alternatives, 20 % with one or two attachments (base64, as
mailers send them: pictures 40 %, PDF 25 %, CSV 20 %, Excel and zip); 40 %
quote an earlier mail; about one body line in eight and most signatures hold
an identifier; about 17 KB per mail on average. The scans:

* ``read``: the connector alone (``MailConnector.units()`` + ``read()``), one
  process: MIME parsing, decoding and the attachment readers;
* ``detect``: ``pii_scan.worker.scan_unit`` per unit in this process: the
  connector plus every detector, one core;
* ``engine``: ``pii_scan.engine.scan`` with the local Dask cluster (one worker
  process per core), writing a data map in a temporary folder: the whole scan.

For each it prints messages/s, MB/s and the peak resident memory: of this
process, of its child processes (Dask workers; sampled every 0.1 s with
psutil, summed over all children, and ``getrusage(RUSAGE_CHILDREN)`` for the
largest one that has exited), and of both together. The target is a peak
under 1 GB whatever the size of the mbox (an mbox is read in byte ranges of
``--split-mb``, one message at a time).

Usage::

    .venv/bin/python benchmarks/mbox.py                    # 2 GB mbox, all three modes
    .venv/bin/python benchmarks/mbox.py --mb 300
    .venv/bin/python benchmarks/mbox.py --mb 50 --modes read,detect
    .venv/bin/python benchmarks/mbox.py --mb 58 --attachment-mb 30 --modes read,detect   # + one 30 MB attachment

``--attachment-mb N`` puts one more message in the middle of the mbox, with an
N MB zip attachment (a customer CSV and a stored binary file that fills it):
the peak memory must not grow with it. Besides the sampled RSS, ``read`` and
``detect`` print the CPU time of this process (``time.process_time``).

Every identifier in the mail is fictional: personnummer from random dates
with a Luhn check digit, phone numbers from PTS's fiction ranges, addresses
at example.se. No timing is asserted anywhere.
"""

from __future__ import annotations

import argparse
import base64
import io
import json
import os
import resource
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from random import Random

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))  # run from a checkout without installing

from detectors.checksums import luhn_check_digit  # noqa: E402

FIRST = "Anna Bo Carl Dalia Erik Fatima Göran Hanna Ismail Johanna Karl Lena Mats Nora Olof Petra Rasmus Sara Tove Ulf Viktor Åsa Örjan".split()
LAST = "Andersson Berg Carlsson Dahl Ek Forsberg Gustafsson Holm Isaksson Jansson Karlsson Lind Månsson Nyberg Olsson Persson Öberg".split()
SUBJECTS = [
    "Faktura {n}", "Ang. beställning {n}", "Re: Kundärende {n}", "Mötesanteckningar", "Lönespecifikation",
    "Fwd: Kontaktuppgifter", "Offert {n}", "Påminnelse: obetald faktura", "Ny adress", "Välkommen som kund",
]
PROSE = [
    "Tack för ditt mejl.", "Enligt vårt avtal skickar jag underlagen i eftermiddag.", "Ordernummer {order} gäller leveransen till lagret.",
    "Fakturan på 1 234,50 kr förfaller 2024-06-30.", "From now on we use the new portal for all orders.",
    "Mötet flyttas till torsdag kl 14:00 i stora konferensrummet.", "Referens: OCR 4711 0815 2342.",
    "Vi har noterat ändringen i vårt system och återkommer.", "Leveransen beräknas komma fram inom tre arbetsdagar.",
    "Bifogar protokollet från förra veckans styrgruppsmöte.", "Kan du se över siffrorna innan fredag?",
    "Vi behöver ett beslut om budgeten för kvartal 3.", "Servern startades om 2024-05-17 10:42 efter uppdateringen.",
]
PERSONAL = ["Mitt personnummer är {pnr}.", "Du når mig på {phone} efter lunch.", "Skicka gärna svar till {email}.",
            "Kunden {name} ({pnr}) har bytt nummer till {phone}."]
CSS = ("<style>body{font-family:Calibri,Arial,sans-serif;font-size:11pt;color:#1f1f1f} p{margin:0 0 8px 0} "
       ".sig{color:#555;font-size:9pt} table{border-collapse:collapse}</style>")
def pnr(rng: Random) -> str:
    y, m, d = rng.randint(1940, 2005), rng.randint(1, 12), rng.randint(1, 28)
    serial = f"{rng.randint(0, 999):03d}"
    core = f"{y % 100:02d}{m:02d}{d:02d}{serial}"
    return f"{y}{m:02d}{d:02d}-{serial}{luhn_check_digit(core)}"


def phone(rng: Random) -> str:
    return rng.choice([f"070-174 06 {rng.randint(5, 99):02d}", f"08-465 004 {rng.randint(0, 99):02d}"])


def person(rng: Random) -> tuple[str, str]:
    f, l = rng.choice(FIRST), rng.choice(LAST)
    ascii_ = (f + "." + l).lower().translate(str.maketrans("åäöé", "aaoe"))
    return f"{f} {l}", f"{ascii_}@example.se"


def _b64(data: bytes) -> bytes:
    return base64.encodebytes(data)


def attachment_pool(rng: Random) -> list[tuple[str, str, bytes]]:
    """(file name, content type, base64 body) of attachments, made once; weighted like office mail.

    About 40 % images (binary: sniffed and skipped), 25 % PDF, 20 % CSV,
    10 % Excel, 5 % zip.
    """
    from tests.connectors.fileutil import pdf_bytes, xlsx_bytes, zip_bytes

    def csv_bytes() -> bytes:
        rows = ["Namn;Personnummer;Telefon;E-post"]
        for _ in range(rng.randint(10, 40)):
            name, mail = person(rng)
            rows.append(f"{name};{pnr(rng)};{phone(rng)};{mail}")
        return ("\n".join(rows) + "\n").encode("utf-8")

    pool: list[tuple[str, str, bytes]] = []
    for i in range(8):
        png = b"\x89PNG\r\n\x1a\n" + rng.randbytes(rng.randint(20_000, 150_000))
        pool.append((f"bild{i}.png", "image/png", _b64(png)))
    for i in range(5):
        pages = [f"Avtal for {pnr(rng)}", "Villkor och bestammelser", f"Kontakt {phone(rng)}"]
        pool.append((f"avtal_{i}.pdf", "application/pdf", _b64(pdf_bytes(pages))))
    for i in range(4):
        pool.append((f"kunder_{i}.csv", "text/csv; charset=utf-8", _b64(csv_bytes())))
    for i in range(2):
        sheet = [["Namn", "Personnummer", "Telefon"]] + [[person(rng)[0], pnr(rng), phone(rng)] for _ in range(30)]
        pool.append((f"lista_{i}.xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", _b64(xlsx_bytes({"Blad1": sheet}))))
    pool.append(("export.zip", "application/zip", _b64(zip_bytes({"kunder.csv": csv_bytes()}))))
    return pool


class MailGen:
    """Deterministic fictional messages as raw bytes (LF line ends), fast enough to write GBs."""

    def __init__(self, seed: int = 1) -> None:
        self.rng = Random(seed)
        self.pool = attachment_pool(Random(seed + 1))
        weights = {"image/png": 40, "application/pdf": 25, "text/csv; charset=utf-8": 20, "application/zip": 5}
        per_kind: dict[str, int] = {}
        for _, ctype, _ in self.pool:
            per_kind[ctype] = per_kind.get(ctype, 0) + 1
        self.weighted = [a for a in self.pool for _ in range(max(1, round(10 * weights.get(a[1], 10) / per_kind[a[1]])))]

    def body(self, first: str, n_lines: int) -> str:
        rng = self.rng
        out = [f"Hej {first}!", ""]
        for _ in range(n_lines):
            if rng.random() < 0.12:
                name, mail = person(rng)
                out.append(rng.choice(PERSONAL).format(name=name, pnr=pnr(rng), phone=phone(rng), email=mail))
            else:
                out.append(rng.choice(PROSE).format(order=rng.randint(100000, 999999)))
        return "\n".join(out) + "\n"

    def signature(self, name: str, mail: str) -> str:
        rng = self.rng
        if rng.random() < 0.3:
            return f"\n-- \n{name}\n"
        return f"\nMed vänliga hälsningar\n{name}\nEkonomiavdelningen, Exempelbolaget AB\nTel {phone(rng)}\n{mail}\n"

    def message(self, n: int) -> bytes:
        rng = self.rng
        sender, smail = person(rng)
        rcpt, rmail = person(rng)
        day = 1 + n % 28
        head = (
            f"From: {sender} <{smail}>\nTo: {rcpt} <{rmail}>\n"
            + (f"Cc: {person(rng)[1]}\n" if rng.random() < 0.3 else "")
            + f"Subject: {rng.choice(SUBJECTS).format(n=n)}\nDate: Wed, {day:02d} May 2024 10:{n % 60:02d}:00 +0200\n"
            + f"Message-ID: <{n}.{day}@bench.example.se>\nMIME-Version: 1.0\n"
        )
        text = self.body(rcpt.split()[0], rng.randint(3, 25)) + self.signature(sender, smail)
        if rng.random() < 0.4:  # a quoted earlier mail
            quoted = self.body(sender.split()[0], rng.randint(5, 40)) + self.signature(rcpt, rmail)
            text += f"\nDen {day - 1 if day > 1 else 1} maj 2024 skrev {rcpt} <{rmail}>:\n" + "".join("> " + ln + "\n" for ln in quoted.splitlines())
        shape = rng.random()
        if shape < 0.5:
            return (head + "Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit\n\n" + text).encode("utf-8")
        if shape < 0.8:
            html = "".join(f"<p>{line}</p>" for line in text.splitlines()) + f'<p class="sig"><a href="mailto:{smail}">{sender}</a></p>'
            return (
                head + 'Content-Type: multipart/alternative; boundary="alt"\n\n'
                "--alt\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit\n\n" + text
                + "--alt\nContent-Type: text/html; charset=utf-8\nContent-Transfer-Encoding: 8bit\n\n<html><head>" + CSS
                + "</head><body>" + html + "</body></html>\n--alt--\n"
            ).encode("utf-8")
        out = io.BytesIO()
        out.write((head + 'Content-Type: multipart/mixed; boundary="mix"\n\n--mix\n'
                   "Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit\n\n" + text).encode("utf-8"))
        for _ in range(rng.choice((1, 1, 1, 2))):
            name, ctype, data = rng.choice(self.weighted)
            out.write(f'--mix\nContent-Type: {ctype}\nContent-Disposition: attachment; filename="{name}"\n'
                      "Content-Transfer-Encoding: base64\n\n".encode())
            out.write(data)
        out.write(b"--mix--\n")
        return out.getvalue()


def mbox_entry(raw: bytes, n: int) -> bytes:
    body = raw.replace(b"\nFrom ", b"\n>From ")  # mboxrd quoting (the generator has no ">From " lines)
    return f"From bench{n % 97}@example.se Wed May  1 08:30:00 2024\n".encode() + body + b"\n"


def big_message(n: int, mb: float, rng: Random) -> bytes:
    """A mail with one zip attachment of ``mb`` MB: a customer CSV and a stored binary file that fills the rest."""
    import zipfile

    rows = ["Namn;Personnummer;Telefon;E-post"]
    for _ in range(200):
        name, mail = person(rng)
        rows.append(f"{name};{pnr(rng)};{phone(rng)};{mail}")
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as z:
        z.writestr("kunder.csv", "\n".join(rows) + "\n")
        z.writestr("skannat/arkiv.bin", rng.randbytes(int(mb * 1e6)))
    head = (f"From: Ekonomi <ekonomi@example.se>\nTo: arkiv@example.se\nSubject: Export {n}\n"
            f"Date: Wed, 01 May 2024 10:00:00 +0200\nMessage-ID: <big.{n}@bench.example.se>\nMIME-Version: 1.0\n"
            'Content-Type: multipart/mixed; boundary="mix"\n\n--mix\nContent-Type: text/plain; charset=utf-8\n\nSe bifogad export.\n'
            '--mix\nContent-Type: application/zip\nContent-Disposition: attachment; filename="export.zip"\n'
            "Content-Transfer-Encoding: base64\n\n")
    return head.encode() + _b64(buf.getvalue()) + b"--mix--\n"


def generate(path: Path, size: int, seed: int, attachment_mb: float = 0) -> dict[str, int]:
    meta_path = path.with_suffix(".json")
    if path.exists() and meta_path.exists():
        meta = json.loads(meta_path.read_text())
        if meta.get("size_target") == size and meta.get("seed") == seed and path.stat().st_size == meta["bytes"]:
            return meta
    gen = MailGen(seed)
    t0 = time.perf_counter()
    n = 0
    written = 0
    big_at = size // 2 if attachment_mb else -1  # the large message (not counted in ``size``) half-way
    extra = 0
    with open(path, "wb", buffering=1 << 20) as fh:
        while written - extra < size:
            n += 1
            if 0 <= big_at <= written:
                big_at = -1
                entry = mbox_entry(big_message(n, attachment_mb, Random(seed)), n)
                extra = len(entry)
            else:
                entry = mbox_entry(gen.message(n), n)
            fh.write(entry)
            written += len(entry)
    meta = {"size_target": size, "seed": seed, "bytes": written, "messages": n}
    meta_path.write_text(json.dumps(meta))
    print(f"generated {path} ({written / 1e6:.0f} MB, {n} messages) in {time.perf_counter() - t0:.0f} s", flush=True)
    return meta


class MemorySampler:
    """Peak RSS of this process, of all its children summed, and of both, sampled every 0.1 s."""

    def __init__(self) -> None:
        try:
            import psutil
        except ImportError:  # pragma: no cover - psutil comes with dask.distributed
            psutil = None
        self.psutil = psutil
        self.peak_self = self.peak_children = self.peak_total = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _sample(self) -> None:
        if self.psutil is None:
            return
        me = self.psutil.Process()
        mine = me.memory_info().rss
        kids = 0
        for child in me.children(recursive=True):
            try:
                kids += child.memory_info().rss
            except self.psutil.Error:
                pass
        self.peak_self = max(self.peak_self, mine)
        self.peak_children = max(self.peak_children, kids)
        self.peak_total = max(self.peak_total, mine + kids)

    def _run(self) -> None:
        while not self._stop.wait(0.1):
            self._sample()

    def __enter__(self) -> MemorySampler:
        self._sample()
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self._sample()

    def line(self) -> str:
        ru_self = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
        ru_kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024
        mb = 1 << 20
        return (f"peak RSS: process {self.peak_self / mb:.0f} MiB, children {self.peak_children / mb:.0f} MiB, "
                f"together {self.peak_total / mb:.0f} MiB (getrusage max: self {ru_self / mb:.0f} MiB, "
                f"largest exited child {ru_kids / mb:.0f} MiB)")


def report(mode: str, messages: int, nbytes: int, seconds: float, mem: MemorySampler, extra: str = "") -> None:
    print(f"{mode:>7}: {messages} messages, {nbytes / 1e6:.0f} MB in {seconds:.1f} s = "
          f"{messages / seconds:,.0f} messages/s, {nbytes / 1e6 / seconds:.1f} MB/s{extra}", flush=True)
    print(f"         {mem.line()}", flush=True)


def count_messages(records: Iterator) -> tuple[int, int]:
    n = 0
    recs = 0
    last = None
    for r in records:
        recs += 1
        if r.location.item != last:
            n += 1
            last = r.location.item
    return n, recs


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--mb", type=float, default=2000, help="size of the mbox in MB (10^6 bytes); default 2000")
    ap.add_argument("--modes", default="read,detect,engine", help="read, detect, engine (comma-separated)")
    ap.add_argument("--split-mb", type=float, default=64, help="byte range per unit (split_bytes), MiB")
    ap.add_argument("--workers", type=int, default=None, help="Dask workers for the engine mode (default: cores)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--attachment-mb", type=float, default=0, help="one more message with a zip attachment of this size (MB)")
    ap.add_argument("--out", type=Path, default=HERE / "out")
    args = ap.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    size = int(args.mb * 1e6)
    path = args.out / (f"bench-{args.mb:g}MB-s{args.seed}" + (f"-a{args.attachment_mb:g}MB" if args.attachment_mb else "") + ".mbox")
    meta = generate(path, size, args.seed, args.attachment_mb)
    print(f"mbox: {path} ({meta['bytes'] / 1e6:.0f} MB, {meta['messages']} messages), split {args.split_mb:g} MiB, "
          f"{os.cpu_count()} cores", flush=True)
    split = int(args.split_mb * (1 << 20))
    modes = [m.strip() for m in args.modes.split(",") if m.strip()]

    from connectors.base import ConnectorError
    from connectors.mail import MailConnector

    source = {"type": "mail", "path": str(path), "split_bytes": split}
    if "read" in modes:
        conn = MailConnector("bench", source)
        msgs = recs = errors = 0
        with MemorySampler() as mem:
            t0, c0 = time.perf_counter(), time.process_time()
            units = list(conn.units())
            for unit in units:
                try:
                    m, r = count_messages(conn.read(unit))
                except ConnectorError:
                    errors += 1
                    continue
                msgs += m
                recs += r
            dt, cpu = time.perf_counter() - t0, time.process_time() - c0
        report("read", msgs, meta["bytes"], dt, mem, f", {recs} records, {len(units)} units, {errors} failed, "
               f"CPU {cpu:.1f} s = {msgs / cpu:,.0f} messages per CPU-s")
    if "detect" in modes:
        from pii_scan.worker import ScanSettings, scan_unit

        conn = MailConnector("bench", source)
        settings = ScanSettings(None, 0.5, False, b"\x00" * 32)
        findings = failed = 0
        with MemorySampler() as mem:
            t0, c0 = time.perf_counter(), time.process_time()
            units = list(conn.units())
            for unit in units:
                res = scan_unit(conn, unit, settings)
                findings += sum(len(r.findings) for r in res.records)
                failed += bool(res.error)
            dt, cpu = time.perf_counter() - t0, time.process_time() - c0
        report("detect", meta["messages"], meta["bytes"], dt, mem, f", {findings} findings, {failed} units failed, "
               f"CPU {cpu:.1f} s = {meta['messages'] / cpu:,.0f} messages per CPU-s")
    if "engine" in modes:
        from pii_scan.config import from_dict
        from pii_scan.engine import scan

        with tempfile.TemporaryDirectory(prefix="pii-bench-") as tmp:
            os.environ.pop("PII_SCAN_KEY", None)
            cfg = from_dict(
                {"datamap": {"url": f"sqlite:///{tmp}/datamap.sqlite", "key_file": f"{tmp}/key"},
                 "sources": [{"name": "bench", **source}]},
                base=Path(tmp),
            )
            with MemorySampler() as mem:
                t0 = time.perf_counter()
                summary = scan(cfg, workers=args.workers, progress=False)
                dt = time.perf_counter() - t0
            report("engine", meta["messages"], meta["bytes"], dt, mem,
                   f", {summary.findings} findings, {summary.units_scanned} units, {summary.units_failed} failed, "
                   f"workers {args.workers or min(os.cpu_count() or 1, summary.units_total)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
