"""Reading locations back: SQL containers and row keys as the SQL connector writes them, line items.

The SQL connector names a table ``schema.table`` (a part holding ``.``, ``"``,
``[`` or ``]`` double-quoted, ``""`` inside) and a row by its key,
``id=7`` or ``a=1,b="x,y"`` (a part holding ``,``, ``=``, ``"``, ``\\`` or
edge spaces double-quoted, ``\\`` escaping). These functions invert
:func:`connectors.sql.render_item` and ``connectors.sql._container``.
"""

from __future__ import annotations

import re


class NameError_(ValueError):
    """A location that cannot be read back (the message names the shape, never the value)."""


def split_container(container: str) -> tuple[str | None, str]:
    """``public.customers`` -> ``("public", "customers")``; ``"a.b".t`` -> ``("a.b", "t")``; ``t`` -> ``(None, "t")``.

    >>> split_container('public.customers'), split_container('"my.schema"."odd""name"'), split_container('t')
    (('public', 'customers'), ('my.schema', 'odd"name'), (None, 't'))
    """
    parts: list[str] = []
    i, n = 0, len(container)
    while i <= n:
        if i < n and container[i] == '"':
            j = i + 1
            buf = []
            while True:
                if j >= n:
                    raise NameError_("unterminated quoted name in a table name")
                if container[j] == '"':
                    if j + 1 < n and container[j + 1] == '"':
                        buf.append('"')
                        j += 2
                        continue
                    break
                buf.append(container[j])
                j += 1
            parts.append("".join(buf))
            i = j + 1
            if i < n and container[i] != ".":
                raise NameError_("a quoted table name part must be followed by '.'")
            i += 1
        else:
            j = container.find(".", i)
            if j < 0:
                j = n
            parts.append(container[i:j])
            i = j + 1
    if len(parts) == 1:
        return None, parts[0]
    if len(parts) != 2 or not parts[1]:
        raise NameError_("a table name must read schema.table")
    return parts[0], parts[1]


def _read_part(text: str, i: int, stops: str) -> tuple[str, int]:
    if i < len(text) and text[i] == '"':
        j = i + 1
        buf = []
        while j < len(text):
            ch = text[j]
            if ch == "\\" and j + 1 < len(text):
                buf.append(text[j + 1])
                j += 2
                continue
            if ch == '"':
                return "".join(buf), j + 1
            buf.append(ch)
            j += 1
        raise NameError_("unterminated quoted part in a row key")
    j = i
    while j < len(text) and text[j] not in stops:
        j += 1
    part = text[i:j]
    if any(ch in part for ch in '="\\'):  # the connector quotes a part that holds these
        raise NameError_("an unquoted row key part holds a quoting character")
    return part, j


def parse_item(item: str) -> list[tuple[str, str]]:
    """A row key item as ``[(column, value text)]``.

    >>> parse_item('id=7'), parse_item('a=1,b="x,y"'), parse_item('"we=ird"="q\\\\"uote"')
    ([('id', '7')], [('a', '1'), ('b', 'x,y')], [('we=ird', 'q"uote')])
    """
    out: list[tuple[str, str]] = []
    i = 0
    while i < len(item):
        col, i = _read_part(item, i, "=")
        if i >= len(item) or item[i] != "=":
            raise NameError_("a row key must read column=value")
        val, i = _read_part(item, i + 1, ",")
        out.append((col, val))
        if i < len(item):
            if item[i] != ",":
                raise NameError_("row key parts must be separated by ','")
            i += 1
    if not out:
        raise NameError_("empty row key")
    return out


_LINE = re.compile(r"[1-9][0-9]*\Z")
_OFFSET = re.compile(r"@[0-9]+\Z")


def line_item(item: str) -> tuple[str, int] | None:
    """``"12"`` -> ``("line", 12)``; ``"@4096"`` -> ``("offset", 4096)``; anything else None.

    >>> line_item("12"), line_item("@4096"), line_item("p3"), line_item("")
    (('line', 12), ('offset', 4096), None, None)
    """
    if _LINE.match(item):
        return "line", int(item)
    if _OFFSET.match(item):
        return "offset", int(item[1:])
    return None


def sql_column(field: str) -> str:
    """The column a finding's field lies in: ``profile$.contact.email`` -> ``profile``, ``tags[1]`` -> ``tags``.

    >>> sql_column("profile$.a[0]"), sql_column("tags[1][0]"), sql_column("note")
    ('profile', 'tags', 'note')
    """
    if "$" in field:
        return field.split("$", 1)[0]
    m = re.match(r"^(.*?)(?:\[[0-9]+\])+\Z", field)
    return m.group(1) if m else field
