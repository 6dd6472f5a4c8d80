"""The base of every record type: immutable, strict about unknown fields, exact in JSON."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class Record(BaseModel):
    """An immutable value that crosses package boundaries and is stored as JSON.

    Unknown fields are refused, so a typo or a record from another program fails loudly
    instead of being silently dropped.
    """

    model_config = ConfigDict(frozen=True, extra="forbid", ser_json_inf_nan="strings")
