"""IMAP mailboxes, read-only, by UID ranges (imapclient).

Config (a ``[[sources]]`` entry of ``type = "imap"``)::

    [[sources]]
    name = "support-mailbox"
    type = "imap"
    host = "imap.example.se"
    port = 993                       # default: 993 for tls = "ssl", else 143
    username = "support"
    password_env = "IMAP_PASSWORD"   # the password is read from this environment variable
    tls = "ssl"                      # "ssl" (IMAPS), "starttls", or "none" (loopback/testing only)
    ca_file = "/etc/ssl/our-ca.pem"  # optional: trust this CA (default: the system's)
    verify_tls = true                # false accepts any certificate (testing only)
    folders = ["INBOX", "Sent"]      # default: every selectable folder
    uids_per_unit = 500              # UID-range width of a unit
    fetch_messages = 100             # messages per FETCH (also bounded by 8 MiB per FETCH)
    max_message_bytes = 104857600    # larger messages: only their header is fetched (and reported)
    timeout = 60                     # seconds, per socket operation
    limits = { max_expanded_bytes = 2147483648 }   # for attachments

A literal ``password`` key is refused (:class:`~connectors.base.ConfigError`):
credentials come from the environment, on the driver and on every worker
that reads (set the variable for a remote Dask cluster's workers too).

**Read-only**: folders are opened with EXAMINE (``select_folder(readonly=True)``)
and messages fetched with ``BODY.PEEK[]``, so not even the ``\\Seen`` flag
changes; nothing is ever stored, copied, moved or expunged.

**Units** (``units()`` logs in, lists folders, and searches each folder's
UIDs): UIDs are grouped in aligned buckets of ``uids_per_unit``
(``1-500``, ``501-1000`` ...); a unit is a run of buckets holding at most
``uids_per_unit`` messages (sparse buckets are merged), so the units of a
folder cover each of its messages exactly once and stay put as mail arrives
or is deleted. Key ``<folder>#uid:<lo>-<hi>``; fingerprint = the folder's
UIDVALIDITY + the range + the exact UIDs in it (IMAP messages never change;
a new UIDVALIDITY means the folder was recreated and every unit changes);
``size`` = number of messages. A configured folder that cannot be selected
becomes a unit ``<folder>#`` whose read raises the reason.

**Reading** a unit re-examines the folder, refuses to go on if UIDVALIDITY
changed since the listing (:class:`~connectors.base.ConnectorError`: scan
again), searches ``UID lo:hi``, and fetches the messages in batches (their
``RFC822.SIZE`` first). A message larger than :data:`STREAM_MESSAGE_BYTES`
(1 MiB) is fetched alone, in pieces of :data:`FETCH_CHUNK_BYTES` (1 MiB,
``BODY.PEEK[]<offset.length>``), into a temporary file, and parsed from there
as a large mbox message is (:func:`connectors.mime.read_message`: its
attachments decoded to a file, its text read in windows), so that a message
costs a few MiB whatever its size; the file is removed when the message has
been read, or the fetch failed. Each
message becomes records as described in :mod:`connectors.mime`: store
``mail``, container = the folder name, item = the Message-ID (else its
``sha256:`` fallback), fields ``header:From``, ``body``, ``body[1.2]``,
``attachment:<name>...``; ``record_date`` = the Date header, else the
INTERNALDATE. A dropped connection (or a server that dies), also between
the pieces of a large message, raises
:class:`~connectors.base.TransientError` naming how many messages of the unit
were read; the records of those messages have already been yielded, and the
engine reads the unit again on a new connection after a backoff. A FETCH
the server itself refuses (a tagged NO, or the BYE with which Dovecot closes
the connection when it cannot read one message's file) is not a dropped
connection: the batch is fetched again message by message (on a new
connection after a BYE), and the one message it cannot deliver is reported
by its UID while the others are read; so is a message the server leaves out
of its answer (or sends without its content), unless a new SEARCH shows it
was expunged meanwhile. Damaged
messages and parts are reported at the end of the unit
(:class:`~connectors.formats.core.PartialRead`), named by folder and UID.
"""

from __future__ import annotations

import hashlib
import imaplib
import os
import re
import ssl
import tempfile
from collections.abc import Iterator, Mapping
from datetime import datetime, timezone
from typing import Any

from connectors.base import BaseConnector, ConfigError, ConnectorError, Limits, Record, TransientError, Unit, safe_name
from connectors.formats.core import Problems, describe
from connectors.mime import DEFAULT_MAX_MESSAGE_BYTES, SPOOL_PART_BYTES, FieldHints, MessageReader, raise_problems

DEFAULT_UIDS_PER_UNIT = 500
DEFAULT_FETCH_MESSAGES = 100
FETCH_BYTES = 8 << 20
STREAM_MESSAGE_BYTES = SPOOL_PART_BYTES  # a larger message is fetched in pieces into a temporary file
FETCH_CHUNK_BYTES = 1 << 20  # the size of those pieces (BODY.PEEK[]<offset.length>)
DEFAULT_TIMEOUT = 60.0
TLS_MODES = ("ssl", "starttls", "none")
_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_NOT_SELECTABLE = (b"\\noselect", b"\\nonexistent")


def uid_ranges(uids: list[int], width: int) -> list[tuple[int, int, list[int]]]:
    """UIDs grouped into (lo, hi, uids) units of aligned buckets of ``width`` UIDs, sparse buckets merged.

    >>> [(lo, hi, len(u)) for lo, hi, u in uid_ranges([1, 2, 3, 9, 10, 25], 4)]
    [(1, 4, 3), (9, 28, 3)]
    >>> [(lo, hi, len(u)) for lo, hi, u in uid_ranges([1, 9, 17, 40], 4)]
    [(1, 40, 4)]
    """
    buckets: dict[int, list[int]] = {}
    for u in sorted(set(uids)):
        buckets.setdefault((u - 1) // width, []).append(u)
    out: list[tuple[int, int, list[int]]] = []
    for b in sorted(buckets):
        members = buckets[b]
        lo, hi = b * width + 1, (b + 1) * width
        if out and len(out[-1][2]) + len(members) <= width:
            prev_lo, _, prev = out[-1]
            out[-1] = (prev_lo, hi, prev + members)
        else:
            out.append((lo, hi, list(members)))
    return out


def _positive(config: Mapping[str, Any], key: str, default: float, name: str, kind: type = int) -> Any:
    try:
        value = kind(config.get(key, default))
    except (TypeError, ValueError):
        raise ConfigError(f"source {name!r}: {key!r} must be a number") from None
    if value <= 0:
        raise ConfigError(f"source {name!r}: {key!r} must be positive")
    return value


class ImapConnector(BaseConnector):
    """The folders of one IMAP account, read-only."""

    store = "mail"
    _live = ("_client",)
    _client: Any  # an imapclient.IMAPClient, opened lazily on the process that reads

    def __init__(self, name: str, config: Mapping[str, Any]) -> None:
        super().__init__(name, config)
        cfg = self.config
        if "password" in cfg:
            raise ConfigError(
                f"source {name!r}: a literal 'password' is not accepted; put the password in an environment "
                "variable and name it in 'password_env'"
            )
        for key in ("host", "username", "password_env"):
            if not cfg.get(key) or not isinstance(cfg.get(key), str):
                raise ConfigError(f"source {name!r}: {key!r} is required")
        self.host: str = cfg["host"]
        self.username: str = cfg["username"]
        self.password_env: str = cfg["password_env"]
        if not _ENV_NAME.fullmatch(self.password_env):
            raise ConfigError(f"source {name!r}: 'password_env' must be the name of an environment variable")
        self.tls = str(cfg.get("tls", "ssl")).lower()
        if self.tls not in TLS_MODES:
            raise ConfigError(f"source {name!r}: 'tls' must be one of {', '.join(TLS_MODES)}")
        self.port = int(_positive(cfg, "port", 993 if self.tls == "ssl" else 143, name))
        folders = cfg.get("folders")
        if isinstance(folders, str):
            folders = [folders]
        if folders is not None and (not isinstance(folders, list) or not all(isinstance(f, str) and f for f in folders)):
            raise ConfigError(f"source {name!r}: 'folders' must be a list of folder names")
        self.folders: list[str] | None = folders
        self.width = int(_positive(cfg, "uids_per_unit", DEFAULT_UIDS_PER_UNIT, name))
        self.fetch_messages = int(_positive(cfg, "fetch_messages", DEFAULT_FETCH_MESSAGES, name))
        self.max_message = int(_positive(cfg, "max_message_bytes", DEFAULT_MAX_MESSAGE_BYTES, name))
        self.timeout = float(_positive(cfg, "timeout", DEFAULT_TIMEOUT, name, float))
        self.verify_tls = bool(cfg.get("verify_tls", True))
        ca = cfg.get("ca_file")
        if ca is not None and not isinstance(ca, str):
            raise ConfigError(f"source {name!r}: 'ca_file' must be a path")
        self.ca_file: str | None = ca
        try:
            self.limits = Limits.from_config(cfg)
        except (TypeError, AttributeError):
            raise ConfigError(f"source {name!r}: 'limits' must be a table of numbers") from None

    def field_hints(self, unit: Unit) -> FieldHints:
        return FieldHints()

    # --- the connection (opened lazily, never pickled) ---------------------------------------

    @property
    def _where(self) -> str:
        return f"{safe_name(self.host)}:{self.port}"

    def _ssl_context(self) -> ssl.SSLContext:
        try:
            ctx = ssl.create_default_context(cafile=self.ca_file)
        except (OSError, ssl.SSLError) as exc:
            raise ConfigError(f"source {self.name!r}: 'ca_file' cannot be loaded ({describe(exc)})") from None
        if not self.verify_tls:
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
        return ctx

    def _connect(self) -> Any:
        if self._client is not None:
            return self._client
        password = os.environ.get(self.password_env)
        if not password:
            raise ConnectorError(f"source {self.name!r}: environment variable {self.password_env} (password_env) is not set")
        from imapclient import IMAPClient
        from imapclient.exceptions import IMAPClientError, LoginError

        ctx = self._ssl_context() if self.tls != "none" else None
        try:
            client = IMAPClient(self.host, port=self.port, ssl=self.tls == "ssl", ssl_context=ctx, timeout=self.timeout)
        except (OSError, IMAPClientError, imaplib.IMAP4.error) as exc:
            raise TransientError(f"{self._where}: cannot connect ({describe(exc)})") from None
        try:
            if self.tls == "starttls":
                client.starttls(ctx)
            if self.username.isascii() and password.isascii():
                client.login(self.username, password)
            else:  # LOGIN sends ASCII only; SASL PLAIN carries UTF-8
                client.plain_login(self.username, password)
        except LoginError:
            _shutdown(client)
            raise ConnectorError(f"{self._where}: the server refused the login of the configured user") from None
        except (OSError, IMAPClientError, imaplib.IMAP4.error) as exc:
            _shutdown(client)
            err = TransientError if _dropped(exc) else ConnectorError
            raise err(f"{self._where}: cannot log in ({describe(exc)})") from None
        except Exception as exc:  # noqa: BLE001 - never let a credential reach a message
            _shutdown(client)
            raise ConnectorError(f"{self._where}: cannot log in ({type(exc).__name__})") from None
        client.normalise_times = False  # INTERNALDATE with its offset, not as local time
        self._client = client
        return client

    def close(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            try:
                client.logout()
            except Exception:  # noqa: BLE001 - a dead connection cannot say goodbye
                _shutdown(client)

    def _drop(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            _shutdown(client)

    def _examine(self, client: Any, folder: str) -> int:
        """Open ``folder`` read-only; its UIDVALIDITY."""
        info = client.select_folder(folder, readonly=True)
        return int(info.get(b"UIDVALIDITY", 0))

    # --- listing (driver) ---------------------------------------------------------------------

    def _folder_names(self, client: Any) -> list[str]:
        if self.folders is not None:
            return list(self.folders)
        out = []
        for flags, _delim, name in client.list_folders():
            if any(bytes(f).lower() in _NOT_SELECTABLE for f in flags if isinstance(f, (bytes, bytearray))):
                continue
            out.append(name if isinstance(name, str) else bytes(name).decode("utf-8", "replace"))
        return sorted(out)

    def units(self) -> Iterator[Unit]:
        from imapclient.exceptions import IMAPClientError

        client = self._connect()
        try:
            folders = self._folder_names(client)
        except (OSError, IMAPClientError, imaplib.IMAP4.error) as exc:
            self._drop()
            err = TransientError if _dropped(exc) else ConnectorError
            raise err(f"{self._where}: cannot list folders ({describe(exc)})") from None
        for folder in folders:
            try:
                uidvalidity = self._examine(client, folder)
                uids = client.search(["ALL"])
            except (imaplib.IMAP4.abort, OSError) as exc:
                self._drop()
                raise TransientError(f"{self._where}: connection lost while listing ({describe(exc)})") from None
            except (IMAPClientError, imaplib.IMAP4.error) as exc:
                key = f"{folder}#"
                reason = f"cannot open folder ({type(exc).__name__})"
                yield Unit(self.name, key, self.fingerprint("unselectable", key, reason), (("folder", folder), ("error", reason)), 0)
                continue
            for lo, hi, members in uid_ranges(list(uids), self.width):
                digest = hashlib.sha256(",".join(map(str, members)).encode()).hexdigest()[:32]
                params = (("folder", folder), ("lo", lo), ("hi", hi), ("uidvalidity", uidvalidity))
                yield Unit(self.name, f"{folder}#uid:{lo}-{hi}", self.fingerprint(uidvalidity, lo, hi, digest), params, len(members))

    # --- reading (worker) ---------------------------------------------------------------------

    def read(self, unit: Unit) -> Iterator[Record]:
        from imapclient.exceptions import IMAPClientError

        folder = unit.param("folder")
        error = unit.param("error")
        if error:
            raise ConnectorError(f"{safe_name(folder)}: {error}")
        lo, hi = int(unit.param("lo")), int(unit.param("hi"))
        client = self._connect()
        done = 0
        total = 0

        def lost(exc: BaseException) -> ConnectorError:
            self._drop()
            return (TransientError if _dropped(exc) else ConnectorError)(
                f"{safe_name(folder)} UIDs {lo}-{hi}: connection lost after {done} of {total} messages ({describe(exc)})"
            )

        try:
            uidvalidity = self._examine(client, folder)
        except (imaplib.IMAP4.abort, OSError) as exc:
            raise lost(exc) from None
        except (IMAPClientError, imaplib.IMAP4.error) as exc:
            raise ConnectorError(f"{safe_name(folder)}: cannot open folder ({type(exc).__name__})") from None
        if uidvalidity != unit.param("uidvalidity"):
            raise ConnectorError(f"{safe_name(folder)}: UIDVALIDITY changed since the listing (the folder was recreated); scan again")
        try:
            uids = sorted(client.search(["UID", f"{lo}:{hi}"]))
            total = len(uids)
            sizes = client.fetch(uids, ["RFC822.SIZE"]) if uids else {}
        except (imaplib.IMAP4.abort, OSError, IMAPClientError, imaplib.IMAP4.error) as exc:
            raise lost(exc) from None
        problems = Problems()
        reader = MessageReader(self.location(folder), self.limits, problems, safe_name(folder) + " ")
        failures = (imaplib.IMAP4.abort, OSError, IMAPClientError, imaplib.IMAP4.error)
        refused: set[int] = set()

        def reopen() -> Any:
            """The connection, opened again (and the folder examined) after the server closed it with a BYE."""
            if self._client is not None:
                return self._client
            again = self._connect()
            if self._examine(again, folder) != uidvalidity:
                raise ConnectorError(f"{safe_name(folder)}: UIDVALIDITY changed while reading; scan again")
            return again

        for batch in self._batches(uids, sizes):
            missing: list[int] = []
            if len(batch) == 1 and self._streams(_size(sizes, batch[0])):
                # a large message: fetched in pieces into a temporary file, and parsed from there
                uid = batch[0]
                spool = tempfile.TemporaryFile(prefix="pii-scan-imap-")
                try:
                    try:
                        client = reopen()
                        sent, when = self._fetch_into(client, uid, spool)
                    except failures as exc:
                        if not _refused(client, exc):
                            raise lost(exc) from None
                        if isinstance(exc, imaplib.IMAP4.abort):
                            self._drop()  # the server closed the connection after its BYE
                        answer = "BYE" if isinstance(exc, imaplib.IMAP4.abort) else "NO"
                        reader.problem(f"UID {uid}", f"the server failed to fetch the message (it answered {answer}); not read")
                        done += 1
                        continue
                    if sent:
                        spool.seek(0)
                        yield from reader.records(spool, f"UID {uid}", fallback_date=_naive_utc(when))
                        done += 1
                    else:
                        missing.append(uid)
                finally:
                    spool.close()
            else:
                try:
                    client = reopen()
                except failures as exc:
                    raise lost(exc) from None
                try:
                    got, heads = self._fetch(client, batch, sizes)
                except failures as exc:
                    if not _refused(client, exc):
                        raise lost(exc) from None
                    # the server refused the batch (Dovecot says BYE when it cannot read one message's file):
                    # fetch it message by message, so that only the message it cannot deliver is lost, and reported
                    if isinstance(exc, imaplib.IMAP4.abort):
                        self._drop()  # the server closed the connection after its BYE
                    got, heads = {}, {}
                    for uid in batch:
                        try:
                            client = reopen()
                            one, one_head = self._fetch(client, [uid], sizes)
                        except failures as exc1:
                            if not _refused(client, exc1):
                                raise lost(exc1) from None
                            if isinstance(exc1, imaplib.IMAP4.abort):
                                self._drop()  # the server closed the connection after its BYE
                            answer = "BYE" if isinstance(exc1, imaplib.IMAP4.abort) else "NO"
                            reader.problem(f"UID {uid}", f"the server failed to fetch the message (it answered {answer}); not read")
                            refused.add(uid)
                            done += 1
                            continue
                        got.update(one)
                        heads.update(one_head)
                for uid in batch:
                    if uid in refused:
                        continue
                    whole = _size(sizes, uid) <= self.max_message
                    data = (got if whole else heads).get(uid) or {}
                    raw = data.get(b"BODY[]" if whole else b"BODY[HEADER]")
                    if raw is None:
                        missing.append(uid)  # left out of the answer, or sent without its content
                        continue
                    oversize = None if whole else _size(sizes, uid)
                    yield from reader.records(bytes(raw), f"UID {uid}", fallback_date=_naive_utc(data.get(b"INTERNALDATE")), oversize=oversize)
                    done += 1
            if missing:  # expunged since the search: gone, nothing to report; still there: the server did not deliver it
                try:
                    client = reopen()
                    still = set(client.search(["UID", ",".join(map(str, missing))]))
                except failures as exc:
                    raise lost(exc) from None
                for uid in missing:
                    if uid in still:
                        reader.problem(f"UID {uid}", "the server returned no content for the message; not read")
                    done += 1
        raise_problems(f"{folder}#uid:{lo}-{hi}", problems)

    def _fetch(self, client: Any, uids: list[int], sizes: Mapping[int, Any]) -> tuple[dict[int, Any], dict[int, Any]]:
        """The whole messages of ``uids`` no larger than ``max_message_bytes``, and the headers of the larger ones."""
        small = [u for u in uids if _size(sizes, u) <= self.max_message]
        big = [u for u in uids if _size(sizes, u) > self.max_message]
        got = client.fetch(small, ["BODY.PEEK[]", "INTERNALDATE"]) if small else {}
        heads = client.fetch(big, ["BODY.PEEK[HEADER]", "INTERNALDATE"]) if big else {}
        return got, heads

    def _streams(self, size: int) -> bool:
        """Whether a message of ``size`` bytes is fetched in pieces into a temporary file (not whole, not its header only)."""
        return STREAM_MESSAGE_BYTES < size <= self.max_message

    def _fetch_into(self, client: Any, uid: int, spool: Any) -> tuple[bool, Any]:
        """Message ``uid`` fetched into ``spool`` in pieces (``BODY.PEEK[]<offset.length>``); (whether the server sent it, its INTERNALDATE).

        Only one piece of :data:`FETCH_CHUNK_BYTES` is in memory at a time; the
        message ends with the first piece shorter than asked for.
        """
        offset = 0
        when = None
        while True:
            items = [f"BODY.PEEK[]<{offset}.{FETCH_CHUNK_BYTES}>"] + (["INTERNALDATE"] if offset == 0 else [])
            data = client.fetch([uid], items).get(uid) or {}
            if offset == 0:
                when = data.get(b"INTERNALDATE")
            piece = data.get(f"BODY[]<{offset}>".encode())
            if piece is None:
                return False, when  # left out of the answer (expunged meanwhile?), or sent without its content
            spool.write(piece)
            offset += len(piece)
            if len(piece) < FETCH_CHUNK_BYTES or offset > self.max_message:
                return True, when

    def _batches(self, uids: list[int], sizes: Mapping[int, Any]) -> Iterator[list[int]]:
        """The UIDs in FETCH batches; a message fetched in pieces (:meth:`_streams`) is a batch of its own."""
        batch: list[int] = []
        nbytes = 0
        for uid in uids:
            if self._streams(_size(sizes, uid)):
                if batch:
                    yield batch
                    batch, nbytes = [], 0
                yield [uid]
                continue
            n = min(_size(sizes, uid), self.max_message)
            if batch and (len(batch) >= self.fetch_messages or nbytes + n > FETCH_BYTES):
                yield batch
                batch, nbytes = [], 0
            batch.append(uid)
            nbytes += n
        if batch:
            yield batch


def _dropped(exc: BaseException) -> bool:
    """Whether an IMAP error is the connection's (reset, EOF, timeout), so that reading again may succeed."""
    return isinstance(exc, (imaplib.IMAP4.abort, OSError))


def _refused(client: Any, exc: BaseException) -> bool:
    """Whether the server itself refused a command (a tagged NO, or a BYE it sent), not a connection that dropped."""
    if isinstance(exc, OSError):
        return False
    if not isinstance(exc, imaplib.IMAP4.abort):
        return True  # NO or BAD: the connection is still there
    imap = getattr(client, "_imap", None)  # imaplib keeps the server's BYE; an EOF or a reset leaves none
    untagged = getattr(imap, "untagged_responses", None)
    return isinstance(untagged, dict) and bool(untagged.get("BYE"))


def _size(sizes: Mapping[int, Any], uid: int) -> int:
    try:
        return int(sizes[uid][b"RFC822.SIZE"])
    except (KeyError, TypeError, ValueError):
        return 0


def _naive_utc(when: Any) -> datetime | None:
    if not isinstance(when, datetime):
        return None
    if when.tzinfo is not None:
        return when.astimezone(timezone.utc).replace(tzinfo=None)
    return when


def _shutdown(client: Any) -> None:
    try:
        client.shutdown()
    except Exception:  # noqa: BLE001
        try:
            client.socket().close()
        except Exception:  # noqa: BLE001
            pass

