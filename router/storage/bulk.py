"""Bulk statements for set-based work: many rows inserted or updated with one
executemany, the values given column by column (column name -> one value per row).

SQLAlchemy's own executemany rebuilds and converts every row's parameters one at a time
(about 15 µs a row here), which cost the pipeline more than SQLite's work on the same
rows. Here the statement is compiled once per shape and dialect, each column goes
through its type's own converter in one pass, and the driver gets the SQL SQLAlchemy
compiled. It goes through the SQLAlchemy connection, so its events (statement counts,
SQLite's write lock) see it.

(Sending each column to PostgreSQL as one array and the rows out of `unnest`, one
statement instead of a bind and execute per row, was tried: the server's CPU went down by
a fifth, but psycopg's dumping of the arrays cost the client 1.6 million instructions a
message more under callgrind, far more than it saved.)
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import Connection, Table, and_, bindparam, insert, update
from sqlalchemy.engine import Dialect

Values = dict[str, list[Any]]  # column (or bind) name -> one value per row


def insert_many(connection: Connection, table: Table, values: Values) -> None:
    """Insert the rows; a column left out takes its default."""
    run_many(connection, ("insert", table.name, *values), lambda: insert(table), values)


def update_many(connection: Connection, table: Table, set_values: Values, where_values: Values) -> None:
    """Set `set_values` on the row whose `where_values` columns equal each row's."""
    binds = {f"s_{name}": column for name, column in set_values.items()} | \
        {f"w_{name}": column for name, column in where_values.items()}
    run_many(connection, ("update", table.name, *set_values, "where", *where_values),
             lambda: update(table).where(and_(*(table.c[name] == bindparam(f"w_{name}") for name in where_values)))
             .values({name: bindparam(f"s_{name}") for name in set_values}), binds)


class _Compiled:
    """A statement compiled once for a dialect: its SQL, its parameters' names in the order
    the driver takes them, and each one's conversion (the column type's own)."""

    def __init__(self, statement: Any, dialect: Dialect, column_keys: list[str]) -> None:
        compiled = statement.compile(dialect=dialect, column_keys=column_keys)
        self.sql = compiled.string
        self.positional = compiled.positional
        self.names = list(compiled.positiontup or ()) if compiled.positional else list(compiled.binds)
        missing = set(self.names) - set(column_keys)
        if missing:  # a column default SQLAlchemy would have worked out per row
            raise ValueError(f"no values given for {sorted(missing)}")
        processors = compiled._bind_processors
        self.processors = [processors.get(name) for name in self.names]

    def row(self, values: dict[str, Any]) -> tuple | dict:
        """One row's parameters as the driver takes them, each value converted."""
        converted = [convert(values[name]) if convert else values[name]
                     for name, convert in zip(self.names, self.processors, strict=True)]
        return tuple(converted) if self.positional else dict(zip(self.names, converted, strict=True))


_compiled: dict[tuple[Any, ...], _Compiled] = {}


def compiled_once(dialect: Dialect, key: tuple[Any, ...], statement: Callable[[], Any],
                  names: list[str]) -> _Compiled:
    """`statement` (made and compiled once per `key` and dialect) with binds `names`."""
    compiled = _compiled.get((dialect, *key))
    if compiled is None:
        compiled = _compiled[(dialect, *key)] = _Compiled(statement(), dialect, names)
    return compiled


def run_many(connection: Connection, key: tuple[Any, ...], statement: Callable[[], Any], values: Values) -> None:
    """One executemany of `statement` (made and compiled once per `key` and dialect), with
    `values` by bind name."""
    compiled = compiled_once(connection.dialect, key, statement, list(values))
    columns = [list(map(convert, values[name])) if convert else values[name]
               for name, convert in zip(compiled.names, compiled.processors, strict=True)]
    params: list[Any] = list(zip(*columns, strict=True)) if compiled.positional else \
        [dict(zip(compiled.names, row, strict=True)) for row in zip(*columns, strict=True)]
    if params:
        connection.exec_driver_sql(compiled.sql, params)
