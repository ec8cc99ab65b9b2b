"""Command line: ``pii-scan``. One library call per command; errors become clean messages."""

from __future__ import annotations

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
    out = click.get_text_stream("stdout")
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


if __name__ == "__main__":  # pragma: no cover
    main()
