"""Command line: ``pii-scan``. One library call per command; errors become clean messages."""

from __future__ import annotations

import codecs
import json
import sys
from collections.abc import Iterator
from datetime import date
from importlib import resources
from typing import IO

import click

from pii_scan import __version__
from pii_scan.detect import DetectedLine, detect_lines

FORMATS = ("table", "jsonl")


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="pii-scan")
def main() -> None:
    """pii-scan finds personal data (Swedish identifiers first) in text and data stores.

    Values are masked in all output unless you ask for them with --reveal.
    """


def _open_input(path: str | None, sample: bool) -> tuple[str, IO[bytes]]:
    if sample:
        ref = resources.files("pii_scan").joinpath("samples", "sample.txt")
        return "sample.txt", ref.open("rb")
    if path is None or path == "-":
        return "<stdin>", sys.stdin.buffer
    try:
        return path, open(path, "rb")  # noqa: SIM115 - closed by the caller
    except OSError as exc:
        raise click.ClickException(f"cannot open {path}: {exc.strerror}") from None


@main.command()
@click.argument("file", required=False, metavar="[FILE|-]")
@click.option("--hint", metavar="FIELD", help="Field or column name the text came from (e.g. 'personnummer', 'tel').")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="table", show_default=True, help="Output format.")
@click.option("--reveal", is_flag=True, help="Print canonical values instead of masked ones. Handle the output as personal data.")
@click.option(
    "--min-confidence",
    type=click.FloatRange(0.0, 1.0),
    default=0.5,
    show_default=True,
    help="Report findings at or above this confidence.",
)
@click.option(
    "--kind",
    "kinds",
    multiple=True,
    type=click.Choice(["personnummer", "email", "phone", "bank_account", "payment_card"]),
    help="Only these kinds (repeatable). Default: all.",
)
@click.option(
    "--ref-date",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    help="Date the text was written (YYYY-MM-DD): gives 10-digit personnummer their century. Default: today.",
)
@click.option("--sample", is_flag=True, help="Scan the bundled fictional sample instead of FILE.")
@click.option("--why", "show_why", is_flag=True, help="Table format: show the rules and context behind each finding.")
def detect(
    file: str | None,
    hint: str | None,
    fmt: str,
    reveal: bool,
    min_confidence: float,
    kinds: tuple[str, ...],
    ref_date: object,
    sample: bool,
    show_why: bool,
) -> None:
    """Find personal data in FILE (or standard input) and print one finding per line.

    Text is read line by line, so input of any size runs in bounded memory;
    'start' and 'end' are character offsets in the whole input, 'line' is
    1-based. Bytes that are not UTF-8 are read as Windows-1252.

    \b
    Examples:
      pii-scan detect --sample
      echo 'pnr 811228-9874, tel 070-123 45 67' | pii-scan detect -
      pii-scan detect export.csv --format jsonl --min-confidence 0.3
      echo 8112289874 | pii-scan detect - --hint personnummer --reveal
    """
    ref = ref_date.date() if ref_date is not None else date.today()  # type: ignore[attr-defined]
    name, stream = _open_input(file, sample)
    out = sys.stdout
    try:
        lines = detect_lines(
            stream,
            hint=hint,
            ref_date=ref,
            kinds=kinds or None,
            min_confidence=min_confidence,
        )
        if fmt == "jsonl":
            for row in lines:
                for f in row.findings:
                    out.write(json.dumps(_record(row, f, reveal), ensure_ascii=False) + "\n")
        else:
            _write_table(out, lines, reveal, show_why)
    finally:
        if stream is not sys.stdin.buffer:
            stream.close()


def _record(row: DetectedLine, f, reveal: bool) -> dict[str, object]:  # noqa: ANN001
    d = f.as_dict(reveal=reveal)
    d["start"] = row.offset + f.start
    d["end"] = row.offset + f.end
    d["line"] = row.number
    return d


def _write_table(out: IO[str], lines: Iterator[DetectedLine], reveal: bool, show_why: bool) -> None:
    header = f"{'line':>5}  {'span':<13} {'kind':<13} {'subkind':<18} {'value':<30} {'conf':>4}  flags"
    out.write(header + ("  why" if show_why else "") + "\n")
    n = 0
    for row in lines:
        for f in row.findings:
            n += 1
            span = f"{row.offset + f.start}-{row.offset + f.end}"
            value = f.value if reveal else f.masked
            flags = ",".join(x for x in ("test" if f.test_data else "", f"in:{f.inside}" if f.inside else "") if x)
            line = f"{row.number:>5}  {span:<13} {f.kind:<13} {f.subkind:<18} {value:<30} {f.confidence:>4.2f}  {flags or '-'}"
            if show_why:
                line += "  " + "; ".join(f.why)
            out.write(line + "\n")
    click.echo(f"{n} finding(s)", err=True)


# -- scan, lookup, export ----------------------------------------------------------

config_option = click.option(
    "--config", "config_path", required=True, type=click.Path(dir_okay=False),
    help="The scan configuration (TOML): [datamap] and [[sources]].",
)


def _load_config(path: str):  # noqa: ANN202
    from pii_scan.config import ConfigError, load

    try:
        return load(path)
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from None


def _open_map(cfg):  # noqa: ANN001, ANN202
    """The configured data map, or a clean error (a driver not installed, not a database URL)."""
    from pii_scan.config import ConfigError
    from pii_scan.datamap import DataMap

    try:
        return DataMap(cfg.datamap_url)
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from None


def _keys(cfg):  # noqa: ANN001, ANN202
    from pii_scan.keys import KeyError_, load_keys

    try:
        return load_keys(cfg.key_file)
    except KeyError_ as exc:
        raise click.ClickException(str(exc)) from None


def _reading_keys(cfg, dm):  # noqa: ANN001, ANN202
    """The data map's own key (never a new one); a clean error otherwise (and the map closed)."""
    from pii_scan.keys import KeyError_
    from pii_scan.lookup import LookupError_, reading_keys

    try:
        return reading_keys(cfg.key_file, dm)
    except (KeyError_, LookupError_) as exc:
        dm.close()
        raise click.ClickException(str(exc)) from None


@main.command()
@config_option
@click.option("--scheduler", metavar="ADDR", help="Dask scheduler address (tcp://host:port), or 'sync' to run in this process. Default: a local cluster, one worker process per core.")
@click.option("--workers", type=click.IntRange(1), help="Worker processes for the local cluster.")
@click.option("--source", "sources", multiple=True, metavar="NAME", help="Scan only this source (repeatable).")
@click.option("--full", is_flag=True, help="Rescan every unit, even unchanged ones.")
@click.option("--no-progress", is_flag=True, help="No progress bar on stderr.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True, help="Summary format on stdout.")
@click.option("-v", "--verbose", is_flag=True, help="Log the scan's steps on stderr (pii_scan at DEBUG, with Dask's errors) and the traceback of an error.")
def scan(config_path: str, scheduler: str | None, workers: int | None, sources: tuple[str, ...], full: bool, no_progress: bool, fmt: str,
         verbose: bool) -> None:
    """Scan the configured sources into the data map.

    Unchanged units (same fingerprint, scanned without error) are skipped, so
    running the same command again resumes an interrupted scan and makes a
    nightly scan incremental. Exit code: 0 complete, 3 partial (some units
    failed; listed with reasons), 1 failed (also when the scan cannot run at
    all, e.g. the local Dask cluster does not start: one line says why).
    """
    import logging

    from connectors.base import safe_name
    from pii_scan.engine import scan as run_scan

    cfg = _load_config(config_path)
    logger = logging.getLogger("pii_scan")
    handler: logging.Handler | None = None
    old_level = logger.level
    if verbose:  # the engine logs tracebacks at DEBUG; names and values in its messages are masked
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(asctime)s %(name)s %(levelname)s: %(message)s"))
        logger.addHandler(handler)
        logger.setLevel(logging.DEBUG)
    from pii_scan.config import ConfigError

    try:
        summary = run_scan(cfg, scheduler=scheduler, workers=workers, only_sources=set(sources) or None, full=full, progress=not no_progress)
    except (RuntimeError, OSError, ConfigError) as exc:
        raise click.ClickException(str(exc)) from None
    finally:
        if handler is not None:
            logger.removeHandler(handler)
            logger.setLevel(old_level)
    if fmt == "json":
        click.echo(json.dumps(summary.as_dict(), ensure_ascii=False))
    else:
        click.echo(
            f"scan {summary.scan_id}: {summary.status} - {summary.units_total} units "
            f"({summary.units_scanned} scanned, {summary.units_skipped} unchanged, {summary.units_failed} failed"
            f"{f', {summary.units_partial} of them partly read' if summary.units_partial else ''}), "
            f"{summary.records} records read, {summary.findings} findings, {summary.subjects} subjects, {summary.seconds:.1f}s"
        )
        for i in summary.interrupted_scans:
            click.echo(f"  earlier scan {i} was interrupted (its process is gone): marked 'interrupted'")
        for f in summary.failures:  # names may hold control characters
            if f.get("records"):  # what it read before the failure is in the data map; the unit is read again next scan
                click.echo(f"  partly read: {f['source']} {safe_name(f['unit'])}: {f['reason']} "
                           f"({f['records']} records read and mapped before it)")
            else:
                click.echo(f"  failed: {f['source']} {safe_name(f['unit'])}: {f['reason']}")
    sys.exit(summary.exit_code)


def _query_options(fn):  # noqa: ANN001, ANN202
    for kind in reversed(("personnummer", "email", "phone", "bank-account")):
        fn = click.option(f"--{kind}", f"q_{kind.replace('-', '_')}", metavar="VALUE", help=f"Look up by {kind.replace('-', ' ')}.")(fn)
    return fn


def _one_query(**kw: str | None) -> tuple[str, str] | None:
    given = [(k[2:], v) for k, v in kw.items() if k.startswith("q_") and v]
    if len(given) > 1:
        raise click.UsageError("give one of --personnummer, --email, --phone, --bank-account")
    return given[0] if given else None


@main.command()
@config_option
@_query_options
@click.option("--batch", type=click.File("rb"), help='Many lookups: a JSON Lines file of {"kind": ..., "value": ...} '
              "(UTF-8; UTF-16 or UTF-8 with a byte-order mark as Windows tools write them).")
@click.option("--format", "fmt", type=click.Choice(["table", "jsonl", "json"]), default="table", show_default=True)
@click.option("--reveal", is_flag=True, help="Show the true container and item where a name held an identifier "
              "(a file named by a personnummer, a row keyed by one); stored masked, decrypted with the map's key.")
def lookup(config_path: str, batch: IO[bytes] | None, fmt: str, reveal: bool = False, **query: str | None) -> None:
    """Every location of one data subject: direct, linked and related.

    \b
    direct   the value itself
    linked   other values of the same subject (seen together in a structured
             record, e.g. the email in the customer row) and their records
    related  rows that only reference the subject's rows (foreign keys)
    """
    from pii_scan.datamap import DataMap
    from pii_scan.lookup import LookupError_
    from pii_scan.keys import Keys
    from pii_scan.lookup import Location
    from pii_scan.lookup import lookup as find_locations
    from pii_scan.lookup import reveal_names

    def do_lookup(dm: DataMap, keys: Keys, kind: str, value: str) -> list[Location]:
        locs = find_locations(dm, keys, kind, value)
        return reveal_names(dm, keys, locs) if reveal else locs

    q = _one_query(**query)
    if (q is None) == (batch is None):
        raise click.UsageError("give one query (--personnummer/--email/--phone/--bank-account VALUE) or --batch FILE")
    cfg = _load_config(config_path)
    dm = _open_map(cfg)
    keys = _reading_keys(cfg, dm)
    out = sys.stdout
    try:
        if q is not None:
            kind = q[0].replace("_", "_")
            try:
                locs = do_lookup(dm, keys, kind, q[1])
            except LookupError_ as exc:
                raise click.ClickException(str(exc)) from None
            if fmt == "table":
                _lookup_table(out, locs)
            else:
                obj = {"query": {"kind": kind}, "locations": [l.as_dict() for l in locs]}
                out.write(json.dumps(obj, ensure_ascii=False) + "\n")
            return
        assert batch is not None
        for n, line in enumerate(_batch_lines(batch), start=1):
            asked: dict[str, object] = {"line": n}
            locs = []
            try:
                kind, value = _batch_query(line, asked)
                locs = do_lookup(dm, keys, kind, value)
                answer: dict[str, object] = {"query": asked, "locations": [l.as_dict() for l in locs]}
            except (LookupError_, _BadQuery) as exc:  # this line only; the others are answered
                answer = {"query": asked, "error": str(exc), "locations": []}
            if fmt == "table":
                out.write(f"# query {n}: {asked.get('kind', '?')}\n")
                if "error" in answer:
                    out.write(f"  error: {answer['error']}\n")
                else:
                    _lookup_table(out, locs)
            else:
                out.write(json.dumps(answer, ensure_ascii=False) + "\n")
    finally:
        dm.close()


def _batch_lines(fh: IO[bytes]) -> Iterator[str]:
    """The lines of a ``--batch`` file: UTF-8, or as its byte-order mark says (UTF-8, UTF-16 LE/BE).

    Notepad writes UTF-8 with a mark and PowerShell 5 UTF-16: read as plain UTF-8 the
    first query (or every one) was "not JSON". Undecodable bytes are replaced, so a
    damaged line is answered with its error and the others still are.
    """
    head = fh.read(3)
    if head.startswith(codecs.BOM_UTF8):
        enc, head = "utf-8", head[3:]
    elif head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        enc = "utf-16"  # the decoder reads the mark
    else:
        enc = "utf-8"
    decoder = codecs.getincrementaldecoder(enc)(errors="replace")
    pending = ""
    chunk = head
    while True:
        more = fh.read(1 << 16)
        pending += decoder.decode(chunk, final=not more)
        *lines, pending = pending.split("\n")
        for line in lines:
            yield line[:-1] if line.endswith("\r") else line
        if not more:
            break
        chunk = more
    if pending:
        yield pending


class _BadQuery(ValueError):
    """A batch line that is no query (the message never repeats the line's value)."""


_KIND_ALIASES = {"bank-account": "bank_account", "bankkonto": "bank_account", "iban": "bank_account", "account": "bank_account",
                 "pnr": "personnummer", "samordningsnummer": "personnummer", "e-mail": "email", "epost": "email",
                 "mail": "email", "telefon": "phone", "tel": "phone", "mobile": "phone"}
_GIRO_KINDS = {"bankgiro": "bankgiro ", "plusgiro": "plusgiro "}


def _batch_query(line: str, query: dict[str, object]) -> tuple[str, str]:
    """(kind, value) of one ``--batch`` line; fills ``query`` with what the answer echoes (line, kind, id)."""
    from pii_scan.lookup import QUERY_KINDS

    if not line.strip():
        raise _BadQuery('empty line: a query line is {"kind": ..., "value": ...}')
    try:
        item = json.loads(line)
    except ValueError as exc:
        raise _BadQuery(f"not JSON ({exc.msg}, column {exc.colno})" if isinstance(exc, json.JSONDecodeError)
                        else "not JSON") from None
    if not isinstance(item, dict):
        raise _BadQuery('not a JSON object: a query line is {"kind": ..., "value": ...}')
    if isinstance(item.get("id"), (str, int, float)) and not isinstance(item.get("id"), bool):
        query["id"] = item["id"]  # the caller's own reference, echoed back
    kind = item.get("kind")
    if not isinstance(kind, str) or not kind.strip():
        raise _BadQuery("missing \"kind\": one of personnummer, email, phone, bank_account")
    kind = kind.strip().lower()
    prefix = _GIRO_KINDS.get(kind, "")
    kind = "bank_account" if prefix else _KIND_ALIASES.get(kind, kind)
    if kind not in QUERY_KINDS:  # not echoed: a wrong column may hold a value
        raise _BadQuery(f"unknown \"kind\": use one of {', '.join(QUERY_KINDS)}")
    query["kind"] = kind
    value = item.get("value")
    if isinstance(value, bool) or not isinstance(value, (str, int)) or not str(value).strip():
        raise _BadQuery("missing \"value\": the identifier to look up, as a string")
    return kind, prefix + str(value)


def _lookup_table(out: IO[str], locs) -> None:  # noqa: ANN001
    if not locs:
        out.write("no locations found\n")
        return
    for l in locs:
        where = f"{l.store}:{l.source}/{l.container}"
        out.write(f"{l.reached:<8} {where:<50} {l.item:<24} {l.field:<28} {l.kind:<13} {l.masked}\n")


@main.command()
@config_option
@click.option("--format", "fmt", type=click.Choice(["jsonl", "csv", "parquet"]), default="jsonl", show_default=True)
@click.option("--reveal", is_flag=True, help="Decrypt canonical values (needs store_values and the key). Treat the output as personal data.")
@click.option("--output", "-o", type=click.Path(dir_okay=False, writable=True), help="Write to this file (default: stdout).")
def export(config_path: str, fmt: str, reveal: bool, output: str | None) -> None:
    """Export the data map, one finding per line (store, source, container, item, field, kind, subkind, value, confidence, subject)."""
    from pii_scan.datamap import DataMap
    from pii_scan.export import ExportError, write

    cfg = _load_config(config_path)
    dm = _open_map(cfg)
    keys = _reading_keys(cfg, dm) if reveal else None
    try:
        n = write(dm, keys, fmt, output or (sys.stdout.buffer if fmt == "parquet" else sys.stdout), reveal)
    except ExportError as exc:
        raise click.ClickException(str(exc)) from None
    finally:
        dm.close()
    click.echo(f"{n} finding(s) exported", err=True)


@main.command()
@click.option("--dir", "directory", default="pii-scan-demo", show_default=True, type=click.Path(file_okay=False),
              help="Folder for the demo estate, its config and data map. Rebuilt on every run; a folder holding "
                   "anything but an earlier demo is refused.")
@click.option("--scheduler", metavar="ADDR", default="sync", show_default=True,
              help="'sync' runs in this process (fastest for the demo's few units); 'local' starts a local Dask "
                   "cluster, one worker process per core; or a scheduler address tcp://host:port.")
@click.option("--workers", type=click.IntRange(1), help="Worker processes for --scheduler local.")
@click.option("--customers", type=click.IntRange(12), default=200, show_default=True, help="Size of the estate.")
@click.option("--seed", type=int, default=1, show_default=True, help="Seed of the generator (same seed, same estate).")
@click.option("--no-progress", is_flag=True, help="No progress bar on stderr.")
def demo(directory: str, scheduler: str, workers: int | None, customers: int, seed: int, no_progress: bool) -> None:
    """Build a small FICTIONAL company estate, scan it and look up one customer.

    The estate is a CRM in SQLite (customers, invoices, orders, support
    tickets, employees, suppliers) and a file share (CSV, JSON Lines, XLSX,
    DOCX, PDF, HTML, logs, gzip, zip) with personal data in the written forms
    real systems hold, and traps that must not be reported (timestamps, order
    numbers, EAN codes, organisation numbers, masked numbers). Every value is
    made up; the demo customer has Skatteverket's test personnummer
    19640823-3234. The folder also gets ground_truth.json (the planted values,
    in plaintext: fictional) and pii-scan.toml for further commands.
    """
    from pii_scan.demo import DemoError, format_report, run_demo

    sched = None if scheduler == "local" else scheduler
    try:
        report = run_demo(directory, scheduler=sched, workers=workers, customers=customers, seed=seed,
                          progress=not no_progress)
    except (DemoError, RuntimeError, OSError) as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(format_report(report))
    if report.failures:
        sys.exit(3)


# --- reports (issue 6): the DPO's deliverables. Each command delegates to one
# module in reports/; the options here are the contract.

output_option = click.option(
    "--output", "-o", type=click.Path(dir_okay=False, writable=True),
    help="Write to this file (default: standard output).",
)


def _subject_options(fn):  # noqa: ANN001, ANN202
    for kind in reversed(("personnummer", "email", "phone", "bank-account")):
        fn = click.option(f"--{kind}", f"q_{kind.replace('-', '_')}", metavar="VALUE",
                          help=f"The data subject's {kind.replace('-', ' ')}.")(fn)
    return fn


def _need_query(query: dict[str, str | None]) -> tuple[str, str]:
    q = _one_query(**query)
    if q is None:
        raise click.UsageError("name the data subject: --personnummer, --email, --phone or --bank-account VALUE")
    return q


def _report_errors():  # noqa: ANN202
    """Map the report modules' errors to clean messages (never a value)."""
    from contextlib import contextmanager

    from pii_scan.config import ConfigError
    from pii_scan.lookup import LookupError_

    @contextmanager
    def cm():  # noqa: ANN202
        try:
            yield
        except (ConfigError, LookupError_) as exc:
            raise click.ClickException(str(exc)) from None

    return cm()


@main.command("access-report")
@config_option
@_subject_options
@click.option("--format", "fmt", type=click.Choice(["html", "pdf", "json"]), default="html", show_default=True,
              help="html: one self-contained page; pdf: that page as A4 PDF; json: every location with the values read back.")
@click.option("--lang", type=click.Choice(["sv", "en"]), default="sv", show_default=True,
              help="Language of the report: Swedish (default) or English.")
@output_option
def access_report(config_path: str, fmt: str, lang: str, output: str | None, **query: str | None) -> None:
    """The subject access report (registerutdrag): every location of one data subject,
    grouped by system, with the live values read back from the sources, the categories of
    data, and the purpose and legal basis from the config.

    This report holds the subject's personal data in plaintext: it is meant for that
    person. Identifiers in the values that the data map cannot attribute to the
    subject (a colleague's number in a ticket) are masked. Locations that can no
    longer be read are listed with the reason. Exit code 0 when every location was
    read, 3 when some could not be read.

    \b
    Examples:
      pii-scan access-report --config pii-scan.toml --personnummer 19640823-3234 -o utdrag.html
      pii-scan access-report --config pii-scan.toml --email a@example.se --format pdf --lang en -o report.pdf
    """
    from reports import access

    kind, value = _need_query(query)
    with _report_errors():
        sys.exit(access.run(_load_config(config_path), kind, value, fmt=fmt, lang=lang, output=output))


@main.command("erasure-plan")
@config_option
@_subject_options
@click.option("--format", "fmt", type=click.Choice(["json", "text"]), default="json", show_default=True,
              help="json: the plan for 'pii-scan erase'; text: the same plan for people.")
@output_option
def erasure_plan(config_path: str, fmt: str, output: str | None, **query: str | None) -> None:
    """Plan the erasure (or correction) of one data subject: per location the action
    (SQL DELETE/UPDATE by primary key in foreign-key order, S3 object to delete or
    rewrite, mail to delete by Message-ID) and what blocks it (a retention rule from
    the config, shown as "retain: legal obligation"). Nothing is changed.

    The plan shows locations masked as in the data map; the true ones are kept
    encrypted with the data map key, for 'pii-scan erase'.

    \b
    Example:
      pii-scan erasure-plan --config pii-scan.toml --personnummer 19640823-3234 -o plan.json
      pii-scan erase --plan plan.json            # dry run
      pii-scan erase --plan plan.json --confirm
    """
    from reports import erasure

    kind, value = _need_query(query)
    with _report_errors():
        sys.exit(erasure.plan_command(_load_config(config_path), kind, value, fmt=fmt, output=output))


@main.command()
@click.option("--plan", "plan_path", required=True, type=click.Path(exists=True, dir_okay=False),
              help="A plan written by 'pii-scan erasure-plan --format json'.")
@click.option("--config", "config_path", type=click.Path(dir_okay=False),
              help="The scan configuration (default: the one the plan names).")
@click.option("--confirm", is_flag=True, help="Execute the plan. Without it, only show what would be done (dry run).")
@output_option
def erase(plan_path: str, config_path: str | None, confirm: bool, output: str | None) -> None:
    """Execute an erasure plan: a dry run unless --confirm is given.

    The dry run checks each step read-only (the row is there, the object's
    ETag or the file's size and mtime are the planned ones) and changes
    nothing. With --confirm, SQL changes run in one transaction per database
    (any error rolls that database back); objects, files and mailboxes that
    changed since the plan are left alone; retained steps are never executed.
    Afterwards the touched sources are rescanned and the report says whether
    anything of the subject remains. Exit code 0 when nothing remains but
    retained locations (or on a dry run), 3 when something remains or a step
    failed.
    """
    from reports import erasure

    with _report_errors():
        sys.exit(erasure.erase_command(plan_path, config_path=config_path, confirm=confirm, output=output))


@main.group()
def report() -> None:
    """Reports on the whole data map: datamap, register, retention."""


@report.command("datamap")
@config_option
@click.option("--format", "fmt", type=click.Choice(["html", "json", "csv", "parquet"]), default="html", show_default=True,
              help="html: one self-contained page with filters; json: rows, coverage and failed units; "
                   "csv/parquet: the rows.")
@output_option
def report_datamap(config_path: str, fmt: str, output: str | None) -> None:
    """The data map by system -> container -> field, with kinds and subject counts, scan
    coverage and failed units. HTML is one self-contained page (no network requests).
    No plaintext identifiers.

    One row per field of a container: store, source, container, item (always empty:
    the report is at field level), field, kinds, subkinds, fideslang categories,
    findings, records (items holding the field), distinct subjects, test data, last scan.
    """
    from reports import datamap_report

    with _report_errors():
        sys.exit(datamap_report.run(_load_config(config_path), fmt=fmt, output=output))


@report.command("register")
@config_option
@click.option("--format", "fmt", type=click.Choice(["csv", "xlsx", "json"]), default="csv", show_default=True,
              help="csv (lists joined with '; '), xlsx (one sheet) or json.")
@output_option
def report_register(config_path: str, fmt: str, output: str | None) -> None:
    """The Article 30 register feed: per system and container, the categories of personal
    data (fideslang), of data subjects, distinct subjects, purpose, legal basis, retention
    and the last scan date."""
    from reports import register

    with _report_errors():
        sys.exit(register.run(_load_config(config_path), fmt=fmt, output=output))


@report.command("retention")
@config_option
@click.option("--format", "fmt", type=click.Choice(["text", "json", "csv"]), default="text", show_default=True,
              help="text: summary and groups; json: the same with every record; csv: one row per record over retention.")
@click.option("--now", metavar="ISO", help="Reference time (e.g. 2026-01-31 or 2026-01-31T12:00:00+01:00). Default: now.")
@click.option("--limit-per-group", type=click.IntRange(0), default=20, show_default=True,
              help="Records listed per source and container in the text form (json and csv list all).")
@output_option
def report_retention(config_path: str, fmt: str, now: str | None, limit_per_group: int, output: str | None) -> None:
    """Locations holding personal data older than the retention the config sets per source,
    container or category, by row date columns, S3 LastModified and mail Date, grouped so a
    DPO can act on it.

    Per source and container: how many records are over retention, the oldest and newest
    record date, the retention and its basis, the kinds held and the records (masked).
    Records with no retention set or no date known are counted as coverage gaps.
    No plaintext identifiers.
    """
    from reports import retention

    with _report_errors():
        sys.exit(retention.run(_load_config(config_path), fmt=fmt, output=output, now=now,
                               limit_per_group=limit_per_group))


@main.group()
def key() -> None:
    """The secret key of the data map (HMAC of identifiers, encryption of stored values)."""


@key.command("rotate")
@config_option
def key_rotate(config_path: str) -> None:
    """Change the key: re-key the data map in place and replace the key file.

    Every keyed hash in the map is recomputed from the values stored encrypted
    in it, in one transaction (an interruption leaves the map under the old
    key). With a key file, a new random key (or PII_SCAN_NEW_KEY) replaces it
    (mode 0600) after the commit; with PII_SCAN_KEY, give the new key in
    PII_SCAN_NEW_KEY and set PII_SCAN_KEY to it afterwards. A map scanned with
    store_values = false cannot be re-keyed: scan into a new map with the new
    key instead. Erasure plans made before the rotation must be made again.
    See docs/security.md.
    """
    from pii_scan.keys import KeyError_
    from pii_scan.rekey import RekeyError, rotate

    cfg = _load_config(config_path)
    try:
        done = rotate(cfg, progress=lambda msg: click.echo(f"  {msg}", err=True))
    except (RekeyError, KeyError_) as exc:
        raise click.ClickException(str(exc)) from None
    if done.resumed:
        click.echo(f"completed an interrupted rotation: {done.key_file} now holds the new key")
        return
    s = done.summary
    assert s is not None
    click.echo(
        f"key rotated: {s.records} records, {s.findings} findings, {s.refs} references, {s.units} units re-keyed; "
        f"{s.subjects} subjects linked"
    )
    if s.units_to_rescan:
        click.echo(f"  {s.units_to_rescan} unit(s) will be read again by the next scan (keys that held identifiers)")
    if done.key_file is not None:
        click.echo(f"  the new key is in {done.key_file} (mode 0600); the old key is gone: back the new one up")
    else:
        click.echo("  now set PII_SCAN_KEY to the value of PII_SCAN_NEW_KEY (the old key no longer opens this map)")


if __name__ == "__main__":  # pragma: no cover
    main()
