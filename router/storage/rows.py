"""Plain rows for set-based work: read a table's rows as simple objects, change them in
memory, and write them back, or insert new ones, with one statement for all of them.

The pipeline works on hundreds of rows a batch; an ORM object costs a unit of work,
instrumented attributes and pydantic's defaults per row, a `Row` costs a dict. Agents'
actions, one row at a time, keep using the models.
"""
from __future__ import annotations

from collections.abc import Iterable
from functools import cache
from typing import TYPE_CHECKING, Any

from pydantic_core import PydanticUndefined
from sqlalchemy import Table, func, select
from sqlmodel import Session, SQLModel

from router.storage import bulk
from router.storage.db import on_postgresql


class Row:
    """One row: its columns are attributes; `id` is None until it is inserted."""

    def __init__(self, **columns: Any) -> None:
        self.__dict__.update(columns)

    @classmethod
    def of(cls, names: list[str], values: Iterable[Any]) -> Row:
        """A row from a result's column names and one line of values (four times quicker
        than building keyword arguments from each result row's mapping)."""
        row = cls.__new__(cls)
        row.__dict__.update(zip(names, values, strict=True))
        return row

    def __repr__(self) -> str:
        return f"Row(id={self.__dict__.get('id')})"

    if TYPE_CHECKING:
        # The columns are whatever the table has: tell the type checker any attribute may be
        # read or set (at run time a missing one still raises AttributeError).
        def __getattr__(self, name: str) -> Any: ...

        def __setattr__(self, name: str, value: Any) -> None: ...


def table_of(model: type[SQLModel]) -> Table:
    return model.__table__  # type: ignore[attr-defined]


def load(session: Session, model: type[SQLModel], where: Any, order_by: Any = None,
         lock: bool = False, columns: Iterable[str] | None = None) -> list[Row]:
    """The rows `where` holds (only `columns` of them, when given); with `lock`, row-locked
    until the transaction ends (on PostgreSQL; SQLite's write transaction already excludes
    every other writer)."""
    table = table_of(model)
    query = (select(table) if columns is None else select(*(table.c[name] for name in columns))).where(where)
    if order_by is not None:
        query = query.order_by(order_by)
    if lock and on_postgresql(session):
        query = query.with_for_update()
    result = session.execute(query)
    names = list(result.keys())
    return [Row.of(names, values) for values in result]


def insert_all(session: Session, model: type[SQLModel], rows: list[Row]) -> None:
    """Insert the rows with one executemany and give each its new id (`draw_ids`)."""
    draw_ids(session, model, rows)
    insert_drawn(session, model, rows)


def draw_ids(session: Session, model: type[SQLModel], rows: list[Row]) -> None:
    """Give each row the id it will be inserted with, before it is.

    The ids are drawn first, so the insert needs no RETURNING kept in row order (which
    PostgreSQL pays for and SQLite does one row at a time): on PostgreSQL from the id
    sequence, on SQLite after the table's largest id, which no one else can take while
    this write transaction holds the database's one write lock (BEGIN IMMEDIATE), so the
    rows must be inserted (`insert_drawn`) in the same transaction, before any other row
    of the table."""
    if not rows:
        return
    table = table_of(model)
    if on_postgresql(session):
        ids = session.execute(select(func.nextval(func.pg_get_serial_sequence(table.name, "id")))
                              .select_from(func.generate_series(1, len(rows)))).scalars().all()
    else:
        last = session.execute(select(func.coalesce(func.max(table.c.id), 0))).scalar_one()
        ids = range(last + 1, last + 1 + len(rows))
    for row, new_id in zip(rows, ids, strict=True):
        row.id = new_id


def insert_drawn(session: Session, model: type[SQLModel], rows: list[Row]) -> None:
    """Insert rows whose ids `draw_ids` gave them, every column as the row has it now."""
    if rows:
        table = table_of(model)
        bulk.insert_many(session.connection(), table,
                         {c.name: [getattr(row, c.name) for row in rows] for c in table.columns})


def update_all(session: Session, model: type[SQLModel], rows: Iterable[Row], columns: Iterable[str]) -> None:
    """Write `columns` of every row back, with one statement (`router.storage.bulk`)."""
    rows, columns = list(rows), list(columns)
    if rows:
        bulk.update_many(session.connection(), table_of(model), {name: [getattr(row, name) for row in rows]
                                                                 for name in columns},
                         {"id": [row.id for row in rows]})


@cache
def _defaults(model: type[SQLModel]) -> tuple[tuple[str, Any, bool], ...]:
    """Each column's declared default: (name, value or factory, whether a factory)."""
    found: list[tuple[str, Any, bool]] = []
    for name, field in model.model_fields.items():
        if field.default_factory is not None:
            found.append((name, field.default_factory, True))
        else:
            found.append((name, None if field.default is PydanticUndefined else field.default, False))
    return tuple(found)


def new(model: type[SQLModel], **values: Any) -> Row:
    """A row not yet inserted: the given values, the model's declared defaults for the rest."""
    row = Row.__new__(Row)
    row.__dict__.update((name, values[name] if name in values else default() if factory else default)
                        for name, default, factory in _defaults(model))
    return row
