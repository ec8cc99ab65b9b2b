"""The scan configuration (TOML).

::

    [datamap]
    url = "sqlite:///datamap.sqlite"      # default; any SQLAlchemy URL
    key_file = "pii-scan.key"             # optional; PII_SCAN_KEY overrides
    store_values = true                   # encrypted canonical values for authorised exports

    [scan]
    min_confidence = 0.5
    kinds = ["personnummer", "email", "phone", "bank_account", "payment_card"]
    retries = 3                           # a unit whose connection failed is read again (engine.py)
    retry_backoff = 1.0                   # seconds before the first retry, doubled for each next one

    [[sources]]
    name = "crm"
    type = "sql"
    url = "postgresql://app:${CRM_PASSWORD}@db/crm"   # ${ENV} expanded here

    [[sources]]
    name = "share"
    type = "files"
    path = "/srv/share"

Relative paths (SQLite data maps, file sources, key files) are relative to
the config file's folder. Credentials come from the environment.
"""

from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

_ENV = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


class ConfigError(ValueError):
    """The configuration file is missing, unreadable or wrong."""


def expand_env(value: str, *, where: str) -> str:
    def sub(m: re.Match[str]) -> str:
        name = m.group(1)
        if name not in os.environ:
            raise ConfigError(f"{where}: environment variable {name} is not set")
        return os.environ[name]

    return _ENV.sub(sub, value)


@dataclass(frozen=True)
class Source:
    name: str
    type: str
    options: dict[str, Any]


@dataclass(frozen=True)
class Config:
    path: Path | None
    datamap_url: str
    key_file: Path
    store_values: bool
    min_confidence: float
    kinds: tuple[str, ...] | None
    sources: tuple[Source, ...]
    raw: dict[str, Any] = field(default_factory=dict)

    def source(self, name: str) -> Source:
        for s in self.sources:
            if s.name == name:
                return s
        raise ConfigError(f"no source named {name!r}")


def _resolve_sqlite(url: str, base: Path) -> str:
    m = re.match(r"^(sqlite(?:\+\w+)?:///)(?!/)(.+)$", url)
    if m and not m.group(2).startswith(":memory:") and not m.group(2).startswith("file:"):
        return m.group(1) + str((base / m.group(2)).resolve())
    return url


def load(path: str | os.PathLike[str]) -> Config:
    p = Path(path)
    try:
        data = tomllib.loads(p.read_text("utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"config file not found: {p}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{p}: not valid TOML: {exc}") from None
    return from_dict(data, base=p.resolve().parent, path=p)


def from_dict(data: dict[str, Any], *, base: Path, path: Path | None = None) -> Config:
    dm = data.get("datamap", {}) or {}
    if not isinstance(dm, dict):
        raise ConfigError("[datamap] must be a table")
    url = expand_env(str(dm.get("url", "sqlite:///datamap.sqlite")), where="[datamap] url")
    url = _resolve_sqlite(url, base)
    key_file = Path(expand_env(str(dm.get("key_file", "pii-scan.key")), where="[datamap] key_file"))
    if not key_file.is_absolute():
        key_file = base / key_file
    scan = data.get("scan", {}) or {}
    kinds = scan.get("kinds")
    sources: list[Source] = []
    seen: set[str] = set()
    raw_sources = data.get("sources", [])
    if not isinstance(raw_sources, list):
        raise ConfigError("sources must be an array of tables: [[sources]]")
    for i, s in enumerate(raw_sources):
        if not isinstance(s, dict):
            raise ConfigError(f"sources[{i}] must be a table")
        name = s.get("name")
        typ = s.get("type")
        if not name or not isinstance(name, str):
            raise ConfigError(f"sources[{i}] needs a name")
        if name in seen:
            raise ConfigError(f"two sources are named {name!r}")
        seen.add(name)
        if not typ:
            raise ConfigError(f"source {name!r} needs a type")
        opts: dict[str, Any] = {}
        for k, v in s.items():
            if isinstance(v, str):
                v = expand_env(v, where=f"source {name!r} key {k!r}")
            opts[k] = v
        if typ in ("files", "mail") and "path" in opts:
            pth = Path(opts["path"])
            opts["path"] = str(pth if pth.is_absolute() else (base / pth).resolve())
        if typ == "sql" and "url" in opts:
            opts["url"] = _resolve_sqlite(opts["url"], base)
        if typ == "s3" and "versions" in opts:  # checked here too, so that a mistyped value fails before any scan
            from connectors.base import ConfigError as SourceConfigError
            from connectors.s3 import versions_option

            try:
                versions_option(opts["versions"], name)
            except SourceConfigError as exc:
                raise ConfigError(str(exc)) from None
        sources.append(Source(name, str(typ), opts))
    return Config(
        path=path,
        datamap_url=url,
        key_file=key_file,
        store_values=bool(dm.get("store_values", True)),
        min_confidence=float(scan.get("min_confidence", 0.5)),
        kinds=tuple(kinds) if kinds else None,
        sources=tuple(sources),
        raw=data,
    )
