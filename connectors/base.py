"""The connector contract: units of work, records, locations.

A connector knows one kind of store. It has two halves:

* ``units()`` runs on the driver and only *lists* work: a table or a key
  range of a table, a file, an S3 object, a mailbox byte range. Each
  :class:`Unit` is small, picklable and carries a ``fingerprint`` so that an
  unchanged unit can be skipped on the next scan.
* ``read(unit)`` runs on a worker and streams :class:`Record` objects: one row,
  one CSV/JSONL line, one JSON object, one page, one mail part. Each record has
  a frozen :class:`Location` precise enough for a person or an erasure job to
  go back to, and the (field, text) pairs to scan.

A connector pickles as its configuration (class + config mapping); live
clients (SQLAlchemy engines, boto3 clients, IMAP sockets) are opened lazily on
the worker that reads. Connectors never import :mod:`detectors`.
"""

from __future__ import annotations

import hashlib
import json
from abc import ABC, abstractmethod
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, ClassVar, Protocol, runtime_checkable
from urllib.parse import quote


class ConnectorError(Exception):
    """A unit could not be read. The message names the cause, never a value or a credential."""


class ConfigError(ConnectorError):
    """A source's configuration is wrong or incomplete."""


class TransientError(ConnectorError):
    """A unit could not be read because a connection failed (lost, refused, reset, timed out).

    Reading the unit again may well succeed: the engine reads it again from the
    start, after a backoff, a few times before it records the unit as failed.
    Raise it only for the connection, never for the content (a damaged file is
    damaged on every attempt) or for a refusal (permission denied, bad login).
    """


@dataclass(frozen=True, slots=True, order=True)
class Location:
    """Where a piece of data is, as a person or an erasure job needs it.

    * ``store``: ``sql``, ``files``, ``s3``, ``mail``
    * ``source``: the source's name in the config
    * ``container``: table (``schema.table``), file path relative to the source
      root (``exports/2024.csv``; inside an archive ``a.zip!inner/b.csv``),
      ``bucket/key``, mailbox
    * ``item``: primary key (``id=7``; ``a=1,b=2`` for composite keys), 1-based
      line or row number, page ``p3``, Message-ID
    * ``field``: column, CSV header, JSON path (``$.customer.email``),
      ``Sheet1!B2``, ``header:From``, ``body``, ``attachment:<name>``; ``""``
      when the finding is in the container's name itself.

    Never holds credentials. Its string form is a readable URI.
    """

    store: str
    source: str
    container: str
    item: str = ""
    field: str = ""

    def uri(self) -> str:
        out = f"{self.store}://{quote(self.source, safe='')}/{quote(self.container, safe='/!.:@')}"
        if self.item:
            out += "?" + quote(self.item, safe="=,:")
        if self.field:
            out += "#" + quote(self.field, safe="$.[]!:")
        return out

    def __str__(self) -> str:
        return self.uri()


@dataclass(frozen=True, slots=True)
class Unit:
    """One unit of work: small, picklable, never data.

    ``key`` identifies the unit within its source across scans (a table and a
    key range, a path, an object key); ``fingerprint`` changes when its content
    may have changed (row count + max key + checksum, size + mtime, ETag).
    ``params`` carries what ``read()`` needs (JSON-able values only).
    """

    source: str
    key: str
    fingerprint: str
    params: tuple[tuple[str, Any], ...] = ()
    size: int = 0  # bytes or rows, for progress and scheduling

    def param(self, name: str, default: Any = None) -> Any:
        for k, v in self.params:
            if k == name:
                return v
        return default


@dataclass(frozen=True, slots=True)
class Reference:
    """A foreign-key reference from a record to another record (``customer_id`` -> customers)."""

    container: str  # referenced table
    item: str  # referenced row key, as in Location.item (``id=7``)
    via: str = ""  # referencing column(s)


@dataclass(slots=True)
class Record:
    """One unit of scanning: the fields of a row, a line, a JSON object, a mail part.

    ``fields`` are ``(field name, text)`` pairs; the field name is also the
    detectors' hint (a column ``personnummer``). ``structured`` is true for a
    record about one party (a table row, a CSV line, a JSON object): the
    identifiers in it are linked to one subject. Free text (a paragraph, a
    mail body, a log line) is not structured: several people may be mentioned.
    ``ref_date`` is when the record was written, where known (a row's
    timestamp, a file's mtime, a mail's Date): it gives 10-digit personnummer
    their century. ``parties`` are identifiers (e.g. a mail's From/To
    addresses) that link the whole record to subjects even when it is free text.
    ``follows`` says that the record's text goes on, after one line break, from
    the text of the record read just before it (the next line of a plain-text
    file): the engine reads such records together, so that a number wrapped
    over the break or a keyword at the end of the line before is found, and
    reports each finding on the record where it starts. Only unstructured
    records with one field follow one another.
    """

    location: Location  # store/source/container/item; field is set per finding
    fields: list[tuple[str, str]]
    structured: bool = True
    ref_date: date | None = None
    references: tuple[Reference, ...] = ()
    record_date: datetime | None = None  # for retention reports
    follows: bool = False  # the text goes on from the previous record's, after a line break


@runtime_checkable
class Connector(Protocol):
    """What the engine needs of a connector."""

    store: ClassVar[str]
    name: str

    def units(self) -> Iterator[Unit]:
        """List the units of work (driver side). Must not read whole data."""
        ...

    def read(self, unit: Unit) -> Iterator[Record]:
        """Stream the records of one unit (worker side), in bounded memory."""
        ...

    def close(self) -> None:
        """Release live clients opened by this process."""
        ...


class BaseConnector(ABC):
    """Common plumbing: pickles as class + config, lazy clients, closing.

    Subclasses set ``store`` and implement ``units`` and ``read``; they keep
    live clients in attributes listed in ``_live`` so pickling drops them.
    """

    store: ClassVar[str] = ""
    _live: ClassVar[tuple[str, ...]] = ()

    def __init__(self, name: str, config: Mapping[str, Any]) -> None:
        self.name = name
        self.config = dict(config)
        for attr in self._live:
            setattr(self, attr, None)

    def __reduce__(self):  # travels to Dask workers as its configuration
        return (self.__class__, (self.name, self.config))

    @abstractmethod
    def units(self) -> Iterator[Unit]:
        """List the units of work (driver side); see :class:`Connector`."""

    @abstractmethod
    def read(self, unit: Unit) -> Iterator[Record]:
        """Stream one unit's records (worker side); see :class:`Connector`."""

    def close(self) -> None:
        for attr in self._live:
            obj = getattr(self, attr, None)
            if obj is not None:
                for meth in ("dispose", "close", "logout"):
                    fn = getattr(obj, meth, None)
                    if callable(fn):
                        try:
                            fn()
                        except Exception:  # noqa: BLE001 - closing is best effort
                            pass
                        break
                setattr(self, attr, None)

    def location(self, container: str, item: str = "", field: str = "") -> Location:
        return Location(self.store, self.name, container, item, field)

    def fingerprint(self, *parts: object) -> str:
        return fingerprint(*parts)

    def dependencies(self) -> list[dict[str, Any]]:
        """Schema-level facts the engine records (e.g. SQL foreign keys). Default: none."""
        return []


def fingerprint(*parts: object) -> str:
    """A short stable digest of JSON-able parts (never of data values)."""
    raw = json.dumps(parts, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(raw.encode("utf-8", "surrogateescape")).hexdigest()[:32]


def safe_name(text: str, limit: int = 200) -> str:
    """A table, column or file name made safe for messages: control characters escaped, length bounded."""
    out = "".join(ch if ch.isprintable() else f"\\x{ord(ch):02x}" for ch in str(text))
    return out if len(out) <= limit else out[:limit] + "…"


@dataclass(frozen=True)
class Limits:
    """Bounds on what one unit may expand to (archives, decompression, documents, OCR), and whether pictures
    are read by OCR at all (``ocr_images``)."""

    max_expanded_bytes: int = 2 << 30  # 2 GiB per archive
    max_entries: int = 10_000
    max_ratio: int = 200  # compression ratio that marks a bomb
    max_depth: int = 3  # nested archives
    max_field_chars: int = 1 << 20  # longer text fields are scanned in slices by the engine
    max_ocr_pages: int = 100  # scanned pages (PDF pages without text, TIFF pages) read by OCR per document
    ocr_images: bool = False  # also read JPEG and PNG pictures by OCR (photos are many and slow to read)

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> Limits:
        known = {f for f in cls.__dataclass_fields__}  # type: ignore[attr-defined]
        return cls(**{k: v for k, v in config.get("limits", {}).items() if k in known})


# keep dataclass import used for type checkers
_ = field
