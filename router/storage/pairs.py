"""A test that two columns hold one of a set of pairs, written so that an index on the
two columns serves it on both databases.

`tuple_(a, b).in_(pairs)` alone is a row-value IN, which SQLite answers by scanning the
whole table (EXPLAIN QUERY PLAN: `SCAN identity`), so each batch's lookup of its senders
cost a read of every customer's identity, growing with the desk. With an IN on each
column beside it, SQLite and PostgreSQL seek the index for the cross product of the two
sets, and the row-value test drops the pairs nobody asked for.
"""
from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import ColumnElement, and_, tuple_


def pairs_in(first: Any, second: Any, pairs: Iterable[tuple[Any, Any]]) -> ColumnElement[bool]:
    pairs = list(pairs)
    return and_(first.in_({a for a, _ in pairs}), second.in_({b for _, b in pairs}),
                tuple_(first, second).in_(pairs))
