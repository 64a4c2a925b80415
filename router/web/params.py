"""Bounded request parameters shared by every route: ids, paging, names and text.

An id outside 1..2^31-1 fits no PostgreSQL `integer` column (SQLite's limit is 2^63), so
it is refused with 422 here instead of failing in the database with a 500. Text that a
database cannot store (NUL, a lone UTF-16 surrogate from a JSON `\\ud800` escape) is a
client's bug: refused with 422 naming the field, never silently changed.
"""
from __future__ import annotations

from typing import Annotated

from fastapi import Path, Query
from pydantic import AfterValidator

MAX_ID = 2**31 - 1  # PostgreSQL `integer`, the type of every id column
# The desk file does not restrict pool names (they are TOML keys), so neither does the
# API beyond what no name holds: control characters (NUL among them) and over 100 characters.
POOL_NAME_PATTERN = r"^[^\x00-\x1f\x7f]{1,100}$"

ConversationId = Annotated[int, Path(ge=1, le=MAX_ID, description="a conversation's id")]
PoolName = Annotated[str, Path(pattern=POOL_NAME_PATTERN, description="a pool's name")]
# Agents (from the desk file) and their tokens' names are refused on the same terms: a NUL
# reached PostgreSQL in the lookup and failed there with a 500.
AgentName = Annotated[str, Path(pattern=POOL_NAME_PATTERN, description="an agent's name")]
TokenName = Annotated[str, Path(pattern=POOL_NAME_PATTERN, description="the name of one of the agent's tokens")]
Limit = Annotated[int, Query(ge=1, le=500, description="rows per page")]
Offset = Annotated[int, Query(ge=0, le=MAX_ID, description="rows to skip")]


def storable(value: str | None) -> str | None:
    """The text unchanged, or ValueError when it holds what no database can store."""
    if value is None:
        return value
    if "\x00" in value:
        raise ValueError("must not contain a NUL character (\\u0000)")
    if any("\ud800" <= ch <= "\udfff" for ch in value):
        raise ValueError("must not contain a lone UTF-16 surrogate (\\ud800-\\udfff)")
    return value


# For request-body fields: a str that PostgreSQL and SQLite can both store.
CleanText = Annotated[str, AfterValidator(storable)]
