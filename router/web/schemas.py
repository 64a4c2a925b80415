"""What the agent API takes: the request bodies, each field bounded and cleaned of what no
database can store. What it answers is in `router.web.models_out`."""
from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field, model_validator

from router.web.params import CleanText


class ReplyIn(BaseModel):
    text: CleanText = Field(min_length=1, max_length=50_000)
    # The answer asks the customer for something: the clocks stop until they write again.
    wait_for_customer: bool = False


class NoteIn(BaseModel):
    # Redacted before it is stored; seen by agents only, never sent to the customer.
    text: CleanText = Field(min_length=1, max_length=10_000)


class InvestigatingIn(BaseModel):
    # Send the customer the desk's templated status update (desk.toml [status_update]).
    status_update: bool = False


class ReassignIn(BaseModel):
    agent: CleanText | None = Field(default=None, max_length=100)
    pool: CleanText | None = Field(default=None, max_length=100)

    @model_validator(mode="after")
    def _one_target(self) -> ReassignIn:
        if self.agent is None and self.pool is None:
            raise ValueError("give an agent, a pool, or both")
        return self


class LabelsIn(BaseModel):
    category: CleanText | None = Field(default=None, max_length=50)
    urgency: CleanText | None = Field(default=None, max_length=20)


class TokenIn(BaseModel):
    name: str | None = Field(default=None, max_length=64, description="default: the next free token-N")


class PresenceIn(BaseModel):
    status: Literal["online", "away", "offline"] = Field(
        description="online takes new work; away and offline keep what they have and take none")
