"""Connector registry: built-ins by lazy import path, third parties by entry point.

Like fsspec's registry: a built-in is named by ``module:Class`` and imported
only when a source of that type is configured, with an install hint when its
optional dependencies are missing; other packages add types through the
``pii_scan.connectors`` entry-point group.
"""

from __future__ import annotations

from collections.abc import Mapping
from importlib import import_module
from importlib.metadata import entry_points
from typing import Any

from connectors.base import BaseConnector, ConfigError

BUILTIN: dict[str, tuple[str, str]] = {
    # type: (import path, install hint)
    "sql": ("connectors.sql:SqlConnector", "pip install 'pii-scan[sql]' (and the DB driver: psycopg2-binary, pymysql)"),
    "files": ("connectors.files:FilesConnector", "pip install pii-scan"),
    "s3": ("connectors.s3:S3Connector", "pip install 'pii-scan[s3]'"),
    "mail": ("connectors.mail:MailConnector", "pip install pii-scan"),
    "imap": ("connectors.imap:ImapConnector", "pip install 'pii-scan[mail]'"),
}

ENTRY_POINT_GROUP = "pii_scan.connectors"


def known_types() -> list[str]:
    names = set(BUILTIN)
    names.update(ep.name for ep in entry_points(group=ENTRY_POINT_GROUP))
    return sorted(names)


def connector_class(kind: str) -> type[BaseConnector]:
    if kind in BUILTIN:
        path, hint = BUILTIN[kind]
        mod_name, _, cls_name = path.partition(":")
        try:
            mod = import_module(mod_name)
        except ModuleNotFoundError as exc:
            if exc.name and exc.name.startswith("connectors"):
                raise ConfigError(f"source type {kind!r} is not available in this version") from None
            raise ConfigError(f"source type {kind!r} needs {exc.name}: {hint}") from None
        return getattr(mod, cls_name)
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        if ep.name == kind:
            return ep.load()
    raise ConfigError(f"unknown source type {kind!r}; known: {', '.join(known_types())}")


def build(name: str, config: Mapping[str, Any]) -> BaseConnector:
    """A connector for one ``[[sources]]`` entry of the config."""
    kind = config.get("type")
    if not kind:
        raise ConfigError(f"source {name!r} has no type")
    return connector_class(str(kind))(name, config)
