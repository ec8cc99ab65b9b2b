"""Amazon S3 and S3-compatible object stores: one unit per object, read as a stream.

Config (a ``[[sources]]`` entry of ``type = "s3"``)::

    [[sources]]
    name = "datalake"
    type = "s3"
    region = "eu-north-1"                 # default: the AWS chain (AWS_REGION, profile), else us-east-1
    endpoint_url = "http://minio:9000"    # optional: MinIO, Ceph, a VPC endpoint, a test server
    buckets = ["crm-exports", "hr"]       # optional; default: every bucket the credentials can list
    prefix = "exports/"                   # optional: only keys starting with it (a list: any of them)
    profile = "scanner"                   # optional: a named profile of the AWS config files
    split_bytes = 8388608                 # line-oriented objects larger than this are split (8 MiB)
    ranged_bytes = 67108864               # larger Parquet/zip objects are read by ranged GETs
    max_attempts = 5                      # per request, the first included ("standard" retries: throttling, 5xx, timeouts)
    connect_timeout = 10                  # seconds
    read_timeout = 60                     # seconds
    addressing_style = "auto"             # or "path" (most S3-compatible servers), "virtual"
    anonymous = false                     # true: unsigned requests (public buckets)
    max_message_bytes = 104857600         # mail objects larger than this: only their header is read
    versions = "latest"                   # or "all": the old (noncurrent) versions of a versioned bucket too
    limits = { max_expanded_bytes = 2147483648 }

Credentials never come from the config file: boto3's standard chain supplies
them (``AWS_ACCESS_KEY_ID``/``AWS_SECRET_ACCESS_KEY``/``AWS_SESSION_TOKEN``, a
profile of ``~/.aws/config``, SSO, a web identity, an instance or task role).
A config key that looks like a credential (``aws_secret_access_key``,
``access_key``, ``session_token``, ``password``, ...) or an ``endpoint_url``
with a user name or password is refused with a :class:`ConfigError`.

Units
-----
``units()`` lists each bucket with a paginated ``ListObjectsV2`` (``Prefix``
applied on the server). When a bucket has versioning enabled or suspended
(``GetBucketVersioning``) it is listed with ``ListObjectVersions`` instead,
keeping the latest version of each key (a key whose latest version is a delete
marker is gone), so that the version id enters the fingerprint; when that is
denied, the plain listing is used. One unit per object: ``key`` =
``<bucket>/<object key>``, ``fingerprint`` = ETag + size (+ version id),
``size`` = bytes; params carry bucket, key, ETag, size, LastModified and the
version id. Listing reads no content, except the first 64 KiB of an object
larger than ``split_bytes`` (one ranged GET) to know whether it is
line-oriented: such an object (CSV, JSON Lines, text/log in an ASCII-compatible
encoding) becomes several units ``<bucket>/<key>#<start>-<end>`` of byte ranges,
read exactly as the files connector reads ranges of a large file
(:func:`connectors.formats.read_range`: a range reads the lines that *start* in
it; items are ``@<byte offset>``). A Parquet object with more than
``split_bytes`` of (uncompressed) column data (looked at when it is larger
than ``split_bytes``, or larger than 1 MiB and named ``.parquet``: its
footer by ranged GETs) becomes units ``<bucket>/<key>#rows <first>-<last>``
of consecutive rows, each read in place by ranged GETs, items the row numbers
across the object, so that what a worker holds of one unit stays bounded; a
zip object (named ``.zip`` from 1 MiB) with more than ``split_bytes`` of
declared entries becomes units ``<bucket>/<key>#entries <first>-<last>``, as
the files connector splits a zip.

A bucket that cannot be listed (AccessDenied, NoSuchBucket, throttling or a
timeout that outlasted the retries) becomes one unit ``<bucket>/`` whose read
raises the reason, so the engine records it, the scan goes on and ends partial;
a listing that breaks off midway keeps the units listed so far and adds that
unit. When no ``buckets`` are configured and the credentials may not list
buckets (``ListBuckets`` denied), ``units()`` raises :class:`ConnectorError`
saying to name them.

Old versions
------------
A versioned bucket keeps every version a key had: a person removed from
``customers.csv`` is still in its earlier versions, and a deleted object's
data stays behind its delete marker. With ``versions = "all"`` every
noncurrent version of a versioned bucket (and of a bucket whose versioning
status may not be read) is a unit of its own besides the current objects:
key ``<bucket>/<key>?versionId=<id>`` (split into ``...#<start>-<end>``
ranges like a current object), ``fingerprint`` = ETag + size + version id
(a version never changes: once scanned it is skipped until it is deleted,
and a deleted version is forgotten as a deleted object is), params with
``noncurrent`` set. Its records keep the container ``<bucket>/<key>``
(``!<entry>`` inside archives) and carry the version in the item:
``old version <id>`` for the record of the key's name, ``old version <id>:
<item>`` for the others (``old version 3HL4kq: 2`` is line 2 of that
version; :func:`version_item`, :func:`split_version_item`; characters of
the id other than letters, digits and ``-._~+/=`` are %-encoded), so that
the data map, a lookup and an export say which old version holds what.
A version is read with ``GetObject VersionId=<id>``, which needs
``s3:GetObjectVersion``: denied, the unit fails with that reason and the
scan goes on (partial). Delete markers hold no data and are not units. When
``ListObjectVersions`` is denied the current objects are listed with
``ListObjectsV2`` and one failed unit ``<bucket>/?versions`` says the old
versions were not scanned. The default, ``versions = "latest"``, scans the
current version of each key only.

Reading
-------
``read(unit)`` yields the name record first (container = ``<bucket>/<key>``,
item ``""``, field ``path``, text = ``<bucket>/<key>``: an object *key* holding a
personnummer is found), then the records of
:func:`connectors.formats.read_stream` over the object's body (CSV, JSON/JSONL,
Parquet, XLSX, DOCX, PDF, HTML, XML, text, gzip/bzip2/xz, zip, tar; see
:mod:`connectors.formats` for items and fields), with ``ref_date`` =
LastModified. Locations: ``store`` = ``s3``, ``container`` = ``<bucket>/<key>``
(``<bucket>/<key>!<entry>`` inside archives), item and field as the format
readers give them.

The body is read as a stream, never whole: one GET per object (``Body`` is a
botocore ``StreamingBody`` read in chunks); formats that must seek (zip,
xlsx, docx, pdf, parquet) are spooled to a temporary file by the format
layer, at most ``limits.max_expanded_bytes``. A Parquet or zip object larger
than ``ranged_bytes`` is not spooled: it is read in place through a seekable
file of ranged GETs (``Range: bytes=a-b``; windows of 1 MiB doubling up to
64 MiB while the reader goes on sequentially), so a 10 GB Parquet file costs
its footer and the column chunks, not a local copy. Byte-range units use
ranged GETs the same way (the first 64 KiB, then ``start-1`` to ``end`` plus
64 KiB for the last line, more if it is longer).

**Mail stored as objects** (SES receipt rules write each incoming mail as an
object without a suffix; archives are exported as mbox or .eml/.msg) is read
by the format readers as mail on a file share is
(:mod:`connectors.formats.mailfile`: recognised by content; a suffix-less
message needs a transport header; item = the Message-ID, fields
``header:From``, ``body``, ``attachment:<name>!...``; an mbox message by
message, streamed, never split into byte ranges), so that base64 and
quoted-printable bodies, encoded headers and attachments are decoded. A
message larger than ``max_message_bytes`` has only its header read.

Every GET carries ``If-Match: <listed ETag>``: the content scanned is the
content fingerprinted. An object changed after listing fails its unit
("changed since it was listed"; the next scan reads the new version), and a
versioned bucket needs no ``s3:GetObjectVersion`` permission for its current
objects (an old version is read by its id).

Errors
------
Requests are retried by botocore (``Config(retries={"max_attempts": N, "mode":
"standard"})`` with its exponential backoff and jitter: throttling
(``SlowDown``, 503), 5xx, connection errors and timeouts). A body stream that
breaks off midway (a reset or a read timeout) is resumed by a ranged GET from
the last byte read, up to three times. What is left is raised as
:class:`ConnectorError` against the unit (a :class:`~connectors.base.TransientError`
when the connection failed: refused, reset, timed out, throttled, HTTP 5xx, so
that the engine reads the unit again after a backoff), with a reason and never a value or a
credential: ``access denied (AccessDenied)``, ``no longer exists (NoSuchKey:
deleted after listing)``, ``changed since it was listed``, ``throttled
(SlowDown, HTTP 503) after 4 retries``, ``timed out reading``, ``archived
(InvalidObjectState: restore it to scan its content)``, ``cannot connect to the
endpoint``, ``no AWS credentials found``. Records read before a failure are
kept by the engine.

A connection failure inside an archive object (a zip entry read by ranged
GETs, a tar entry in a gzip stream) is the unit's failure too: the format
readers would report the entry as a skipped part and go on with the next one
(the unit then ending as a :class:`~connectors.formats.core.PartialRead`,
failed for good), so the object's stream remembers the failure, raises it
again on every later read or seek (the rest is not fetched in vain) and
:meth:`S3Connector.read` ends with that :class:`TransientError`, with the
reason a plain object gives: the engine reads the whole object again.

The boto3 client is created lazily on the worker that reads (``_live =
("_client",)``); the connector pickles as its config. Because the engine's
worker calls ``close()`` after every unit and a boto3 client costs about
100 ms to build (plus new connections), clients are kept per process, keyed
by the client settings, the process id and a digest of the ``AWS_*``
environment; ``close()`` drops the connector's reference and
:func:`close_clients` closes them all.
"""

from __future__ import annotations

import hashlib
import io
import os
import re
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from typing import Any
from urllib.parse import quote, unquote, urlsplit

from connectors.base import (BaseConnector, ConfigError, ConnectorError, Limits, Location, Record, TransientError, Unit,
                             safe_name)
from connectors.formats import PATH_FIELD, detect, read_range, read_stream, splittable
from connectors.formats.core import as_dates
from connectors.formats.streams import HEAD_BYTES
from connectors.mime import FieldHints

DEFAULT_SPLIT_BYTES = 8 << 20  # a range of record-dense text is 4-15 s of detection: enough units to keep every worker busy
DEFAULT_RANGED_BYTES = 64 << 20
DEFAULT_MAX_MESSAGE_BYTES = 100 << 20  # a mail object larger than this: only its header is read (as connectors.mime)
RANDOM_ACCESS_FORMATS = ("parquet", "zip")  # read in place by ranged GETs when large (pdf seeks too much)
TAIL_BYTES = 64 << 10  # read past a range's end for its last line
MIN_WINDOW = 1 << 20  # first ranged GET after a seek
MAX_WINDOW = 64 << 20  # longest ranged GET while reading on sequentially
DRAIN_BYTES = 1 << 20  # an abandoned body with at most this much left is read out (keeps the connection)
STREAM_RESUMES = 3  # a body that breaks off midway is resumed this many times
BUFFER = 256 << 10

VERSIONS = ("latest", "all")  # the source key 'versions': current objects only, or their old versions too
VERSION_ITEM = "old version "  # items of an old version's records start with it (version_item)
_VERSION_SAFE = "+/="  # kept as they are in a version id shown in an item (with letters, digits and -._~)

_CREDENTIAL_KEY = re.compile(r"secret|access_?key|token|password|passwd|credential", re.I)
_THROTTLED = {"SlowDown", "Throttling", "ThrottlingException", "RequestLimitExceeded", "TooManyRequests",
              "TooManyRequestsException", "RequestThrottled", "ServiceUnavailable", "503"}
_REASONS = {
    "AccessDenied": "access denied (AccessDenied)",
    "AllAccessDisabled": "access disabled (AllAccessDisabled)",
    "AccountProblem": "access denied (AccountProblem)",
    "InvalidAccessKeyId": "the access key is not known to the endpoint (InvalidAccessKeyId)",
    "SignatureDoesNotMatch": "the request signature was refused (SignatureDoesNotMatch)",
    "ExpiredToken": "the credentials have expired (ExpiredToken)",
    "NoSuchBucket": "no such bucket (NoSuchBucket)",
    "NoSuchKey": "no longer exists (NoSuchKey: deleted after listing)",
    "NoSuchVersion": "the listed version no longer exists (NoSuchVersion)",
    "PreconditionFailed": "changed since it was listed (ETag differs); the next scan reads it",
    "InvalidObjectState": "archived (InvalidObjectState: restore it to scan its content)",
    "InvalidRange": "the object is shorter than listed (InvalidRange)",
    "PermanentRedirect": "the bucket is in another region or needs another endpoint (PermanentRedirect)",
    "AuthorizationHeaderMalformed": "wrong region for the bucket (AuthorizationHeaderMalformed)",
}


def describe_error(exc: BaseException) -> str:
    """A botocore/boto3 error as a reason: codes and HTTP status, never a value, a key or a credential."""
    from botocore import exceptions as bx

    if isinstance(exc, ConnectorError):
        return str(exc)
    if isinstance(exc, bx.ClientError):
        err = exc.response.get("Error", {}) or {}
        meta = exc.response.get("ResponseMetadata", {}) or {}
        code = str(err.get("Code") or "")
        status = meta.get("HTTPStatusCode")
        retries = meta.get("RetryAttempts") or 0
        after = f" after {retries} retries" if retries else ""
        if code in _THROTTLED or status == 503:
            return f"throttled by the endpoint ({code or 'HTTP 503'}, HTTP {status}){after}"
        if code in _REASONS:
            return _REASONS[code]
        if status == 404 and code in ("", "404", "NotFound"):
            return "not found (HTTP 404)"
        if status == 403 and code in ("", "403", "Forbidden"):
            return "access denied (HTTP 403)"
        if status == 412:
            return _REASONS["PreconditionFailed"]
        return f"S3 error {safe_name(code, 60) or 'unknown'} (HTTP {status}){after}"
    if isinstance(exc, bx.NoCredentialsError):
        return "no AWS credentials found (environment, profile or role)"
    if isinstance(exc, bx.PartialCredentialsError):
        return "incomplete AWS credentials in the environment or profile"
    if isinstance(exc, (bx.ConnectTimeoutError,)):
        return "timed out connecting to the endpoint"
    if isinstance(exc, bx.ReadTimeoutError):
        return "timed out reading from the endpoint"
    if isinstance(exc, bx.EndpointConnectionError):
        return "cannot connect to the endpoint"
    if isinstance(exc, (bx.ConnectionClosedError, bx.ResponseStreamingError, bx.IncompleteReadError)):
        return f"the connection broke off ({type(exc).__name__})"
    if isinstance(exc, bx.ProfileNotFound):
        return "the configured AWS profile does not exist"
    if isinstance(exc, bx.NoRegionError):
        return "no region configured ('region' or AWS_REGION)"
    if isinstance(exc, OSError) and exc.strerror:
        return f"{type(exc).__name__}: {exc.strerror}"
    return type(exc).__name__


def versions_option(value: Any, source: str) -> str:
    """The ``versions`` key of an S3 source: ``latest`` (the default) or ``all``; else :class:`ConfigError`."""
    if value is None:
        return "latest"
    if value not in VERSIONS:
        raise ConfigError(f"source {source!r}: 'versions' must be \"latest\" (the default) or \"all\"")
    return str(value)


def version_item(version: str, item: str = "") -> str:
    """The item of a record of an old version: ``old version <id>`` (the key's name), ``old version <id>: <item>``.

    >>> version_item("3HL4kq+x/Y="), version_item("null", "2"), version_item("a b:c", "Blad1:5")
    ('old version 3HL4kq+x/Y=', 'old version null: 2', 'old version a%20b%3Ac: Blad1:5')
    """
    head = VERSION_ITEM + quote(version, safe=_VERSION_SAFE)
    return f"{head}: {item}" if item else head


def split_version_item(item: str) -> tuple[str | None, str]:
    """``(version id, item within the version)`` of an old version's item; ``(None, item)`` for any other item.

    >>> split_version_item("old version null: 2"), split_version_item("old version a%20b%3Ac: Blad1:5")
    (('null', '2'), ('a b:c', 'Blad1:5'))
    >>> split_version_item("old version 3HL4kq+x/Y="), split_version_item("2"), split_version_item("old version x:5")
    (('3HL4kq+x/Y=', ''), (None, '2'), (None, 'old version x:5'))
    """
    if not item.startswith(VERSION_ITEM):
        return None, item
    head, sep, inner = item[len(VERSION_ITEM):].partition(" ")
    if sep:
        if not head.endswith(":"):
            return None, item
        head = head[:-1]
    if not head or ":" in head:  # an id is %-encoded: no ':' or space in it (a sheet named 'old version x' is no version)
        return None, item
    return unquote(head), inner


def version_unit_key(container: str, version: str) -> str:
    """The unit key of an old version of the object ``<bucket>/<key>``: ``<bucket>/<key>?versionId=<id>``."""
    return f"{container}?versionId={quote(version, safe=_VERSION_SAFE)}"


def transient(exc: BaseException) -> bool:
    """Whether a request failed for the connection (refused, reset, timed out, throttled, HTTP 5xx), not the object."""
    from botocore import exceptions as bx

    if isinstance(exc, bx.ClientError):
        err = exc.response.get("Error", {}) or {}
        status = (exc.response.get("ResponseMetadata", {}) or {}).get("HTTPStatusCode") or 0
        return str(err.get("Code") or "") in _THROTTLED or int(status) >= 500
    return isinstance(exc, (bx.EndpointConnectionError, bx.ConnectTimeoutError, bx.ReadTimeoutError,
                            bx.ConnectionClosedError, bx.ResponseStreamingError, bx.IncompleteReadError, OSError))


def _stream_errors() -> tuple[type[BaseException], ...]:
    """What a body read may raise when the connection breaks (resumable)."""
    import http.client

    import urllib3.exceptions
    from botocore import exceptions as bx

    return (bx.BotoCoreError, urllib3.exceptions.HTTPError, http.client.HTTPException, OSError)


class RangedObject(io.RawIOBase):
    """The bytes of one object, read by GETs: a sequential stream, or a seekable file.

    ``fetch(first, last)`` returns a body (anything with ``read(n)`` and
    ``close()``) of the bytes ``first..last`` inclusive, or raises
    :class:`ConnectorError`. ``head`` (the object's first bytes, already
    fetched) is served from memory. Each GET reaches to ``stop`` (plus
    :data:`TAIL_BYTES`) while the position is before it; beyond ``stop``, or
    after a seek, windows grow from :data:`MIN_WINDOW` to :data:`MAX_WINDOW`.
    A body that breaks off midway is reopened from the current position.
    """

    def __init__(
        self,
        fetch: Callable[[int, int], Any],
        size: int,
        what: str,
        *,
        head: bytes = b"",
        seekable: bool = False,
        stop: int | None = None,
        tail: int = TAIL_BYTES,
    ) -> None:
        super().__init__()
        self._fetch = fetch
        self._size = size
        self._what = what
        self._head = head[:size]
        self._seekable = seekable
        self._stop = stop
        self._tail = tail
        self._pos = 0
        self._body: Any = None
        self._body_last = -1  # last byte (inclusive) the open body delivers
        self._window = MIN_WINDOW
        self._failures = 0
        self._errors = _stream_errors()
        # the first connection failure, once raised: every later read or seek raises it again, so that a
        # reader that skips a failed part and goes on (an archive's next entry) cannot read on past it
        self.transient: TransientError | None = None
        self.gets = 0  # GETs issued, for tests and benchmarks

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return self._seekable

    def tell(self) -> int:
        return self._pos

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        if not self._seekable:
            raise io.UnsupportedOperation("seek")
        self._raise_transient()
        if whence == io.SEEK_SET:
            target = offset
        elif whence == io.SEEK_CUR:
            target = self._pos + offset
        elif whence == io.SEEK_END:
            target = self._size + offset
        else:
            raise ValueError(f"invalid whence {whence}")
        if target < 0:
            raise ValueError("negative seek position")
        if target != self._pos:
            self._drop()
            self._window = MIN_WINDOW
            self._pos = target
        return self._pos

    def readinto(self, b: Any) -> int:  # type: ignore[override]
        view = memoryview(b).cast("B")
        self._raise_transient()
        if not len(view) or self._pos >= self._size:
            return 0
        if self._pos < len(self._head):
            n = min(len(view), len(self._head) - self._pos)
            view[:n] = self._head[self._pos : self._pos + n]
            self._pos += n
            return n
        while True:
            if self._body is None:
                self._open(len(view))
            try:
                data = self._body.read(min(len(view), self._body_last + 1 - self._pos))
            except ConnectorError:
                raise
            except self._errors as exc:
                self._broken(exc)
                continue
            if not data:
                if self._pos <= self._body_last:  # ended before its Content-Length
                    self._broken(None)
                    continue
                self._drop()
                if self._pos >= self._size:
                    return 0
                continue
            n = len(data)
            view[:n] = data
            self._pos += n
            if self._pos > self._body_last:
                self._drop()
            return n

    def _open(self, want: int) -> None:
        pos = self._pos
        if self._stop is not None and pos < self._stop:
            end = self._stop + self._tail
        else:
            end = pos + max(self._window, want)
            self._window = min(self._window * 2, MAX_WINDOW)
        last = min(end, self._size) - 1
        try:
            self._body = self._fetch(pos, last)
        except TransientError as exc:
            self.transient = exc
            raise
        self._body_last = last
        self.gets += 1

    def _broken(self, exc: BaseException | None) -> None:
        self._failures += 1
        body, self._body = self._body, None
        _close_quietly(body)
        if self._failures > STREAM_RESUMES:
            why = describe_error(exc) if exc is not None else "the body ended early"
            self.transient = TransientError(f"{self._what}: reading failed after {STREAM_RESUMES} resumed GETs ({why})")
            raise self.transient
        time.sleep(min(2.0, 0.1 * 2**self._failures))

    def _raise_transient(self) -> None:
        if self.transient is not None:
            raise TransientError(str(self.transient))

    def _drop(self) -> None:
        body, self._body = self._body, None
        if body is None:
            return
        left = self._body_last + 1 - self._pos
        try:
            if 0 < left <= DRAIN_BYTES:  # read out so the connection returns to the pool
                while body.read(64 << 10):
                    pass
            elif left <= 0:
                body.read(1)  # let the HTTP layer see the end of the response
        except Exception:  # noqa: BLE001 - best effort; closing below discards the connection
            pass
        _close_quietly(body)

    def close(self) -> None:
        if not self.closed:
            self._drop()
        super().close()


# --- one client per process and settings ----------------------------------------------------------
#
# The engine's worker calls ``close()`` after every unit. A boto3 session and
# client cost about 100 ms to build (service model, endpoint rules, credential
# chain) and a fresh client opens fresh (TLS) connections, so a client per unit
# would dominate the scan of many small objects. Clients are therefore kept per
# process, keyed by the source's client settings, the process id (a forked
# child never shares a parent's sockets) and a digest of the AWS_* environment
# (changed credentials or profile give a new client). This cache holds no
# scan state: a worker and the driver behave the same with or without it.

_CLIENTS: dict[tuple[Any, ...], Any] = {}
_CLIENTS_LOCK = threading.Lock()
MAX_CLIENTS = 8


def _aws_environment() -> str:
    items = sorted((k, v) for k, v in os.environ.items() if k.startswith("AWS_"))
    return hashlib.sha256(repr(items).encode()).hexdigest()


def _shared_client(settings: tuple[Any, ...], make: Callable[[], Any]) -> Any:
    key = (os.getpid(), _aws_environment(), *settings)
    with _CLIENTS_LOCK:
        client = _CLIENTS.get(key)
        if client is None:
            client = make()
            while len(_CLIENTS) >= MAX_CLIENTS:  # the oldest goes; connectors holding it keep it alive
                _CLIENTS.pop(next(iter(_CLIENTS)))
            _CLIENTS[key] = client
        return client


def close_clients() -> None:
    """Close the S3 clients kept by this process (their connection pools)."""
    with _CLIENTS_LOCK:
        clients = list(_CLIENTS.values())
        _CLIENTS.clear()
    for client in clients:
        _close_quietly(client)


def _close_quietly(body: Any) -> None:
    if body is None:
        return
    try:
        body.close()
    except Exception:  # noqa: BLE001
        pass


def _string_list(value: Any, what: str, source: str) -> list[str] | None:
    if value is None:
        return None
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) and v for v in value):
        raise ConfigError(f"source {source!r}: '{what}' must be a string or a list of non-empty strings")
    return list(value)


class S3Connector(BaseConnector):
    """Buckets of an S3 (or S3-compatible) object store."""

    store = "s3"
    _live = ("_client",)

    def __init__(self, name: str, config: Mapping[str, Any]) -> None:
        super().__init__(name, config)
        for k in self.config:
            if _CREDENTIAL_KEY.search(str(k)):
                raise ConfigError(
                    f"source {name!r}: credentials do not belong in the config file (key {safe_name(str(k), 60)!r}); "
                    "use the AWS environment variables (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN), "
                    "a profile ('profile' or AWS_PROFILE) or an instance/task role"
                )
        if "bucket" in self.config:
            raise ConfigError(f"source {name!r}: use 'buckets' (a list of bucket names), not 'bucket'")
        self.endpoint_url = self.config.get("endpoint_url") or None
        if self.endpoint_url is not None:
            if not isinstance(self.endpoint_url, str):
                raise ConfigError(f"source {name!r}: 'endpoint_url' must be a URL")
            parts = urlsplit(self.endpoint_url)
            if parts.scheme not in ("http", "https") or not parts.hostname:
                raise ConfigError(f"source {name!r}: 'endpoint_url' must be an http(s) URL")
            if parts.username or parts.password:
                raise ConfigError(f"source {name!r}: 'endpoint_url' must not carry credentials; use the AWS environment")
        self.region = self.config.get("region") or None
        if self.region is not None and not isinstance(self.region, str):
            raise ConfigError(f"source {name!r}: 'region' must be a region name")
        self.profile = self.config.get("profile") or None
        self.buckets = _string_list(self.config.get("buckets"), "buckets", name)
        if self.buckets is not None and any("/" in b for b in self.buckets):
            raise ConfigError(f"source {name!r}: 'buckets' holds bucket names; use 'prefix' for keys")
        prefixes = sorted(set(_string_list(self.config.get("prefix") or None, "prefix", name) or [""]))
        # a prefix inside another would list its objects twice
        self.prefixes = [p for i, p in enumerate(prefixes) if not any(p.startswith(q) for q in prefixes[:i])]
        self.anonymous = bool(self.config.get("anonymous", False))
        self.versions = versions_option(self.config.get("versions"), name)
        style = self.config.get("addressing_style", "auto")
        if style not in ("auto", "path", "virtual"):
            raise ConfigError(f"source {name!r}: 'addressing_style' must be auto, path or virtual")
        self.addressing_style = style
        try:
            self.split_bytes = int(self.config.get("split_bytes", DEFAULT_SPLIT_BYTES))
            self.ranged_bytes = int(self.config.get("ranged_bytes", DEFAULT_RANGED_BYTES))
            self.max_attempts = int(self.config.get("max_attempts", 5))
            self.connect_timeout = float(self.config.get("connect_timeout", 10))
            self.read_timeout = float(self.config.get("read_timeout", 60))
            self.max_message = int(self.config.get("max_message_bytes", DEFAULT_MAX_MESSAGE_BYTES))
        except (TypeError, ValueError):
            raise ConfigError(
                f"source {name!r}: split_bytes, ranged_bytes, max_attempts, connect_timeout and read_timeout must be numbers"
            ) from None
        if self.max_attempts < 1 or self.connect_timeout <= 0 or self.read_timeout <= 0 or self.max_message <= 0:
            raise ConfigError(f"source {name!r}: max_attempts, connect_timeout, read_timeout and max_message_bytes must be positive")
        try:
            self.limits = Limits.from_config(self.config)
        except (TypeError, AttributeError):
            raise ConfigError(f"source {name!r}: 'limits' must be a table of numbers") from None
        self._client: Any = None

    def field_hints(self, unit: Unit) -> FieldHints:
        """Mail objects' fields hint by their header name (``header:X-Kundnummer``); other fields are their own hint."""
        return FieldHints()

    # --- the client (lazy, per process) ---------------------------------------------------------

    def client(self) -> Any:
        """The boto3 S3 client of this process for this source's settings (created on first use)."""
        # every time, not only when the client is made: the process's logging may have been
        # reconfigured since (a root logger set to DEBUG would log object keys)
        quiet_client_logs()
        if self._client is None:
            self._client = _shared_client(self._client_key(), self._make_client)
        return self._client

    def _client_key(self) -> tuple[Any, ...]:
        return (self.profile, self.region, self.endpoint_url, self.anonymous, self.addressing_style,
                self.max_attempts, self.connect_timeout, self.read_timeout)

    def _make_client(self) -> Any:
        try:
            import boto3
            from botocore import UNSIGNED
            from botocore.config import Config
        except ModuleNotFoundError as exc:
            raise ConfigError(f"source {self.name!r}: the S3 connector needs {exc.name}: pip install 'pii-scan[s3]'") from None
        cfg = Config(
            retries={"max_attempts": self.max_attempts - 1, "mode": "standard"},  # botocore counts retries
            connect_timeout=self.connect_timeout,
            read_timeout=self.read_timeout,
            s3={"addressing_style": self.addressing_style},
            user_agent_extra="pii-scan",
            **({"signature_version": UNSIGNED} if self.anonymous else {}),
        )
        quiet_client_logs()
        try:
            session = boto3.session.Session(profile_name=self.profile, region_name=self.region)
            return session.client("s3", endpoint_url=self.endpoint_url, config=cfg)
        except Exception as exc:  # noqa: BLE001 - a profile or region problem
            raise ConfigError(f"source {self.name!r}: cannot create the S3 client: {describe_error(exc)}") from None

    def close(self) -> None:
        """Drop this connector's client; the process keeps it for the next unit (see :func:`close_clients`)."""
        self._client = None

    # --- listing (driver) -----------------------------------------------------------------------

    def units(self) -> Iterator[Unit]:
        for bucket in self._bucket_names():
            yield from self._bucket_units(bucket)

    def _bucket_names(self) -> list[str]:
        if self.buckets is not None:
            return list(self.buckets)
        client = self.client()
        names: list[str] = []
        try:
            if client.can_paginate("list_buckets"):
                for page in client.get_paginator("list_buckets").paginate():
                    names.extend(b["Name"] for b in page.get("Buckets", []))
            else:  # pragma: no cover - older botocore
                names.extend(b["Name"] for b in client.list_buckets().get("Buckets", []))
        except Exception as exc:  # noqa: BLE001
            raise ConnectorError(
                f"source {self.name!r}: cannot list the buckets ({describe_error(exc)}); name them in 'buckets'"
            ) from None
        return sorted(set(names))

    def _failed_bucket(self, bucket: str, reason: str) -> Unit:
        key = f"{bucket}/"
        return Unit(self.name, key, self.fingerprint("unlistable", key, reason), (("bucket", bucket), ("error", reason)), 0)

    def _versioned(self, bucket: str, unknown: bool = False) -> bool:
        """Whether the bucket keeps versions (``unknown`` when its versioning status may not be read)."""
        try:
            status = self.client().get_bucket_versioning(Bucket=bucket).get("Status")
        except Exception:  # noqa: BLE001 - denied or unsupported: list without versions (or try, for versions="all")
            return unknown
        return status in ("Enabled", "Suspended")

    def _bucket_units(self, bucket: str) -> Iterator[Unit]:
        old = self.versions == "all"
        versioned = self._versioned(bucket, unknown=old)
        listed = 0
        for prefix in self.prefixes:
            objects = self._objects(bucket, prefix, versioned, old)
            while True:
                try:
                    obj = next(objects)
                except StopIteration:
                    break
                except Exception as exc:  # noqa: BLE001 - the listing failed: one failing unit for the bucket
                    reason = f"cannot list the bucket ({describe_error(exc)})"
                    if listed:
                        reason += f"; the listing broke off after {listed} objects"
                    yield self._failed_bucket(bucket, reason)
                    return
                if "denied" in obj:  # old versions were asked for but may not be listed (said once per bucket:
                    versioned = False  # the other prefixes list the current objects at once)
                    key = f"{bucket}/?versions"
                    reason = (f"cannot list the old versions ({obj['denied']}; versions = \"all\" needs "
                              "s3:ListBucketVersions): only the current objects were scanned")
                    yield Unit(self.name, key, self.fingerprint("unlistable", key, reason), (("bucket", bucket), ("error", reason)), 0)
                    continue
                listed += 1
                yield from self._object_units(bucket, obj)

    def _objects(self, bucket: str, prefix: str, versioned: bool, old: bool = False) -> Iterator[dict[str, Any]]:
        """The objects under ``prefix``: with ``old``, their noncurrent versions too (``IsLatest`` false).

        When the versions may not be listed, yields ``{"denied": reason}`` if
        ``old`` was asked for, then the current objects.
        """
        client = self.client()
        if versioned:
            pages = iter(client.get_paginator("list_object_versions").paginate(Bucket=bucket, Prefix=prefix))
            try:
                first = next(pages, None)
            except Exception as exc:  # noqa: BLE001
                code = getattr(exc, "response", {}).get("Error", {}).get("Code", "")
                if code not in ("AccessDenied", "NotImplemented", "MethodNotAllowed"):
                    raise
                first = None  # versions may not be listed: list the current objects instead
                if old:
                    yield {"denied": describe_error(exc)}
            else:
                page = first
                while page is not None:
                    # delete markers (page["DeleteMarkers"]) hold no data: a key whose latest version is one is gone
                    for v in page.get("Versions", []) or []:
                        if old or v.get("IsLatest"):
                            yield v
                    page = next(pages, None)
                return
        for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
            yield from page.get("Contents", []) or []

    def _object_units(self, bucket: str, obj: Mapping[str, Any]) -> Iterator[Unit]:
        key = obj["Key"]
        size = int(obj.get("Size") or 0)
        etag = str(obj.get("ETag") or "")
        version = obj.get("VersionId")
        modified = obj.get("LastModified")
        params: list[tuple[str, Any]] = [("bucket", bucket), ("key", key), ("size", size), ("etag", etag)]
        if modified is not None:
            params.append(("mtime", modified.timestamp()))
        base: tuple[Any, ...] = ("s3", etag, size)
        if version:
            params.append(("version", str(version)))
            base += (str(version),)
        name = f"{bucket}/{key}"
        old = None
        if version and obj.get("IsLatest") is False:  # a noncurrent version: a unit of its own, read by its id
            old = str(version)
            params.append(("noncurrent", True))
            name = version_unit_key(name, old)
        head: bytes | None = None  # read once for both questions below
        if self._maybe_large_parquet(key, size):
            try:
                head = self._head(bucket, key, etag, size, old)
            except ConnectorError:
                head = b""  # read() will report it
        zparts = self._zip_parts(bucket, key, etag, size, head, old) if head else []
        if zparts:  # a large zip object: units of consecutive entries (what a worker holds stays bounded)
            n = zparts[-1][1]
            for a, b, before in zparts:
                yield Unit(self.name, f"{name}#entries {a + 1}-{b}", self.fingerprint(*base, "zip", a, b),
                           (*params, ("zip", (a, b, before))), max(1, size * (b - a) // max(1, n)))
            return
        ranges = self._parquet_ranges(bucket, key, etag, size, head, old) if head else []
        if ranges:  # a large Parquet object: units of consecutive rows (what a worker holds stays bounded)
            rows = ranges[-1][1]
            for a, b in ranges:
                yield Unit(self.name, f"{name}#rows {a + 1}-{b}", self.fingerprint(*base, "rows", a, b),
                           (*params, ("rows", (a, b))), max(1, size * (b - a) // rows))
            return
        if 0 < self.split_bytes < size and self._splittable(bucket, key, etag, size, old, head):
            for start in range(0, size, self.split_bytes):
                end = min(start + self.split_bytes, size)
                rng = (("start", start), ("end", end))
                yield Unit(self.name, f"{name}#{start}-{end}", self.fingerprint(*base, start, end), (*params, *rng), end - start)
            return
        yield Unit(self.name, name, self.fingerprint(*base), tuple(params), size)

    def _maybe_large_parquet(self, key: str, size: int) -> bool:
        """Whether to look for Parquet row ranges or zip parts: every object over ``split_bytes`` (its head is read
        to know whether it splits anyway), and one over 1 MiB (an eighth of a smaller ``split_bytes``) named as
        Parquet or zip (compressed, a few MiB can hold a million rows)."""
        if self.split_bytes <= 0:
            return False
        small = min(self.split_bytes // 8, 1 << 20)
        return size > self.split_bytes or (size > small and key.lower().endswith((".parquet", ".pq", ".parq", ".zip")))

    def _zip_parts(
        self, bucket: str, key: str, etag: str, size: int, head: bytes, version: str | None = None
    ) -> list[tuple[int, int, int]]:
        """Parts of a large zip object (its central directory read by ranged GETs), or [] (see zip_file_parts)."""
        from connectors.formats import zip_file_parts

        return self._look_inside(bucket, key, etag, size, head, version, "zip",
                                 lambda f: zip_file_parts(f, self.limits, self.split_bytes))

    def _parquet_ranges(
        self, bucket: str, key: str, etag: str, size: int, head: bytes, version: str | None = None
    ) -> list[tuple[int, int]]:
        """Row ranges of a large Parquet object (its footer read by ranged GETs), or [] (not Parquet, small,
        unreadable: read() reports what is wrong)."""
        from connectors.formats.parquet import row_ranges

        return self._look_inside(bucket, key, etag, size, head, version, "parquet",
                                 lambda f: row_ranges(f, self.split_bytes))

    def _look_inside(self, bucket: str, key: str, etag: str, size: int, head: bytes, version: str | None,
                     fmt: str, look: Callable[[Any], list[Any]]) -> list[Any]:
        """``look(f)`` on the object read in place by ranged GETs when ``head`` says it is ``fmt``; [] otherwise or
        when it cannot be read (read() reports what is wrong)."""
        try:
            if detect(head, key, len(head) >= size).format != fmt:
                return []
            raw = RangedObject(lambda a, b: self._get(bucket, key, etag, size, a, b, version), size,
                               _object_name(bucket, key, version), head=head, seekable=True)
            with io.BufferedReader(raw, buffer_size=BUFFER) as f:
                return look(f)
        except ConnectorError:
            return []

    def _splittable(self, bucket: str, key: str, etag: str, size: int, version: str | None = None,
                    head: bytes | None = None) -> bool:
        if head is None:
            try:
                head = self._head(bucket, key, etag, size, version)
            except ConnectorError:
                return False  # read() will report it
        elif not head:
            return False  # it could not be read: read() will report it
        return splittable(head, key, len(head) >= size)

    # --- reading (worker) -----------------------------------------------------------------------

    def _get(self, bucket: str, key: str, etag: str, size: int, first: int, last: int, version: str | None = None) -> Any:
        """The body of bytes ``first..last`` of an object, or of its old ``version`` (a plain GET when that is all of it)."""
        kwargs: dict[str, Any] = {"Bucket": bucket, "Key": key}
        what = _object_name(bucket, key, version)
        if version is not None:
            kwargs["VersionId"] = version
        if etag:
            kwargs["IfMatch"] = etag
        ranged = not (first == 0 and last >= size - 1)
        if ranged:
            kwargs["Range"] = f"bytes={first}-{last}"
        try:
            resp = self.client().get_object(**kwargs)
        except ConnectorError:
            raise
        except Exception as exc:  # noqa: BLE001 - mapped to a reason
            err = TransientError if transient(exc) else ConnectorError
            reason = describe_error(exc)
            if version is not None and reason.startswith("access denied"):
                reason += "; reading an old version needs s3:GetObjectVersion"
            raise err(f"{what}: {reason}") from None
        body = resp["Body"]
        if ranged and first > 0 and not resp.get("ContentRange"):
            _close_quietly(body)
            raise ConnectorError(f"{what}: the endpoint ignored the Range header")
        return body

    def _head(self, bucket: str, key: str, etag: str, size: int, version: str | None = None) -> bytes:
        """The first :data:`HEAD_BYTES` of an object (or of its old ``version``), by one ranged GET."""
        n = min(size, HEAD_BYTES)
        if n <= 0:
            return b""
        body = self._get(bucket, key, etag, size, 0, n - 1, version)
        try:
            parts: list[bytes] = []
            got = 0
            while got < n:
                chunk = body.read(n - got)
                if not chunk:
                    break
                parts.append(chunk)
                got += len(chunk)
        except ConnectorError:
            raise
        except _stream_errors() as exc:
            raise TransientError(f"{_object_name(bucket, key, version)}: {describe_error(exc)}") from None
        finally:
            _close_quietly(body)
        return b"".join(parts)

    def read(self, unit: Unit) -> Iterator[Record]:
        error = unit.param("error")
        if error:
            raise ConnectorError(f"{safe_name(unit.key)}: {error}")
        bucket, key = unit.param("bucket"), unit.param("key")
        if not bucket or key is None:
            raise ConnectorError(f"{safe_name(unit.key)}: not a unit of this source")
        size = int(unit.param("size", 0))
        etag = str(unit.param("etag") or "")
        mtime = unit.param("mtime")
        container = f"{bucket}/{key}"
        version = str(unit.param("version")) if unit.param("noncurrent") else None  # an old version, read by its id
        what = _object_name(bucket, key, version)
        location: Callable[..., Location] = self.location
        if version is not None:
            def location(container: str, item: str = "") -> Location:
                return self.location(container, version_item(version, item))

        def fetch(first: int, last: int) -> Any:
            return self._get(bucket, key, etag, size, first, last, version)

        start = unit.param("start")
        rows = unit.param("rows")
        zpart = unit.param("zip")
        if (start is None or int(start) == 0) and (rows is None or int(rows[0]) == 0) and (zpart is None or int(zpart[0]) == 0):
            ref_date, record_date = as_dates(mtime)
            yield Record(location(container), [(PATH_FIELD, container)], False, ref_date, (), record_date)
        if zpart is not None:  # entries of a large zip object, read in place by ranged GETs
            from connectors.formats import read_zip_part

            lead = self._head(bucket, key, etag, size, version)
            raw = RangedObject(fetch, size, what, head=lead, seekable=True)
            with io.BufferedReader(raw, buffer_size=BUFFER) as ranged:
                yield from _connection_failure_wins(raw, read_zip_part(
                    ranged, key, (int(zpart[0]), int(zpart[1]), int(zpart[2])), container=container,
                    loc_factory=location, limits=self.limits, mtime=mtime,
                ))
            return
        if rows is not None:  # a row range of a large Parquet object, read in place by ranged GETs
            from connectors.formats.core import Ctx
            from connectors.formats.parquet import file_records

            ref_date, record_date = as_dates(mtime)
            lead = self._head(bucket, key, etag, size, version)
            raw = RangedObject(fetch, size, what, head=lead, seekable=True)
            with io.BufferedReader(raw, buffer_size=BUFFER) as ranged:
                ctx = Ctx(container, location, self.limits, ref_date, record_date)
                yield from _connection_failure_wins(raw, file_records(ctx, ranged, (int(rows[0]), int(rows[1]))))
            return
        if start is not None:
            lead = self._head(bucket, key, etag, size, version)
            raw = RangedObject(fetch, size, what, head=lead, seekable=True, stop=int(unit.param("end")))
            with io.BufferedReader(raw, buffer_size=BUFFER) as ranged:
                yield from _connection_failure_wins(raw, read_range(
                    ranged, key, int(start), int(unit.param("end")), container=container, loc_factory=location,
                    limits=self.limits, mtime=mtime,
                ))
            return
        body: io.RawIOBase | io.BufferedReader
        if size > self.ranged_bytes:
            head = self._head(bucket, key, etag, size, version)
            if detect(head, key, len(head) >= size).format in RANDOM_ACCESS_FORMATS:
                raw = RangedObject(fetch, size, what, head=head, seekable=True)
                body = io.BufferedReader(raw, buffer_size=BUFFER)
            else:
                body = raw = RangedObject(fetch, size, what, head=head, stop=size)
        else:
            body = raw = RangedObject(fetch, size, what, stop=size)  # one plain GET, streamed
        with body:
            yield from _connection_failure_wins(raw, read_stream(
                body, key, container=container, loc_factory=location, limits=self.limits, mtime=mtime,
                max_message_bytes=self.max_message,
            ))


def _object_name(bucket: str, key: str, version: str | None) -> str:
    """An object (or an old version of it) named for a message."""
    return safe_name(f"{bucket}/{key}") + (f" (old version {safe_name(version, 80)})" if version is not None else "")


def _connection_failure_wins(raw: RangedObject, records: Iterator[Record]) -> Iterator[Record]:
    """``records``, but a connection failure of ``raw`` ends them as a :class:`TransientError`, whatever caught it.

    The format readers report a failed archive entry (or nested part) as a
    problem and go on with the next one, then raise
    :class:`~connectors.formats.core.PartialRead` (a plain
    :class:`ConnectorError`): an entry that broke off because the endpoint
    went away would make the unit fail for good instead of being read again
    like a plain object. The object's stream remembers its connection failure
    (and raises it again on every later read, so the rest of the archive is
    not fetched in vain); here it wins over what the readers made of it.
    """
    try:
        yield from records
    except TransientError:
        raise
    except ConnectorError:
        if raw.transient is None:
            raise
        raise TransientError(str(raw.transient)) from None
    if raw.transient is not None:  # swallowed without a trace: the records are incomplete all the same
        raise TransientError(str(raw.transient))


CLIENT_LOGGERS = ("botocore", "boto3", "s3transfer", "urllib3")


def quiet_client_logs() -> None:
    """Keep the HTTP client libraries at INFO or quieter, whatever the root logger says.

    At DEBUG, botocore and urllib3 log every request URL and parameter and
    every listing response: object keys, which may hold identifiers
    (``hr/19640823-3234/lön.pdf``), would reach the logs. A level set on these
    loggers themselves (INFO, WARNING, ...) is kept.
    """
    import logging

    for name in CLIENT_LOGGERS:
        logger = logging.getLogger(name)
        # their own level, not the effective one: a root logger set to DEBUG later must not reach them
        if logger.level < logging.INFO:  # NOTSET (inherit) or DEBUG
            logger.setLevel(logging.INFO)
