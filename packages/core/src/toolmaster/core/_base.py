"""The base of every record type: immutable, strict about unknown fields, exact in JSON."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, Self, cast

from pydantic import (
    BaseModel,
    ConfigDict,
    GetCoreSchemaHandler,
    GetJsonSchemaHandler,
    JsonValue,
)
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema, core_schema
from toolmaster.core._errors import UserError

_TRUSTED: dict[type[BaseModel], tuple[tuple[str, ...], set[str]]] = {}
"""Per record type `Record.trusted` has built: its field names, and the fields-set its records
share."""


def _trusted_shape(cls: type[BaseModel]) -> tuple[tuple[str, ...], set[str]]:
    if cls.__pydantic_post_init__ is not None or cls.__private_attributes__:
        raise UserError(
            f"{cls.__name__}.trusted: records with post-init hooks or private "
            "attributes must be built by the constructor"
        )
    names = tuple(cls.model_fields)
    shape = _TRUSTED[cls] = (names, set(names))
    return shape


def _slot_setter(name: str) -> Callable[[object, object], None]:
    """The setter of one of the slots every pydantic model has (faster than `setattr`, which
    looks the slot up on each call and goes through the frozen model's own `__setattr__`)."""
    return cast("Callable[[object, object], None]", BaseModel.__dict__[name].__set__)


_set_dict = _slot_setter("__dict__")
_set_fields_set = _slot_setter("__pydantic_fields_set__")
_set_extra = _slot_setter("__pydantic_extra__")
_set_private = _slot_setter("__pydantic_private__")


class _SerializedByValue:
    """Validates a field as its annotated type; serializes it by the runtime types of its values.

    pydantic serializes `JsonValue` through a Python callback for every value (it picks the
    union member by calling a discriminator function), which made dumping tool arguments,
    results and event payloads the agent loop's largest cost. A validated JSON value holds
    only dicts, lists, strings, numbers, booleans and None, which pydantic-core's type inference
    serializes to the same output without calling back. Validation, its errors and the JSON
    schema stay those of the annotated type.
    """

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> CoreSchema:
        # A chain validates through every step and serializes with its last one.
        return core_schema.chain_schema([handler(source), core_schema.any_schema()])

    def __get_pydantic_json_schema__(
        self, schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        return handler(cast("core_schema.ChainSchema", schema)["steps"][0])


def empty_list() -> list[Any]:
    """A new empty list, as a default factory of list fields: unlike `list[Item]`, which Python
    makes try (and fail) to tag each list with its type, it costs nothing, and unlike `list`
    it keeps the field's item type for the type checker."""
    return []


JsonObject = Annotated[dict[str, JsonValue], _SerializedByValue()]
"""A JSON object field of a record: validated exactly as `dict[str, JsonValue]`, and serialized
to the same output, only faster."""


class Record(BaseModel):
    """An immutable value that crosses package boundaries and is stored as JSON.

    Unknown fields are refused, so a typo or a record from another program fails loudly
    instead of being silently dropped.
    """

    model_config = ConfigDict(frozen=True, extra="forbid", ser_json_inf_nan="strings")

    def json_data(self) -> dict[str, JsonValue]:
        """The record as JSON-compatible data: `model_dump(mode="json")`, without the cost of
        its keyword arguments (hot paths dump a record per event)."""
        return cast(
            "dict[str, JsonValue]", self.__pydantic_serializer__.to_python(self, mode="json")
        )

    @classmethod
    def trusted(cls, **fields: object) -> Self:
        """A record built from values that are valid by construction, without validating them.

        For hot paths only (the agent loop builds a few dozen records per episode), and only
        from values this program made out of records that were validated already: nothing is
        checked, converted or copied. Every field must be given, in declaration order (a
        missing default would otherwise go unnoticed). Anything read from outside — JSON, user
        input, another program — goes through the constructor or `model_validate` instead.

        The record equals, and serializes exactly like, the one the constructor would build
        from the same values.
        """
        shape = _TRUSTED.get(cls)
        if shape is None:
            shape = _trusted_shape(cls)
        names, fields_set = shape
        if tuple(fields) != names:
            raise UserError(
                f"{cls.__name__}.trusted takes every field, in order: {', '.join(names)}; "
                f"got {', '.join(fields) or 'none'}"
            )
        # What `model_construct` does, for a record type with neither extras nor private state.
        # Every trusted record of a type shares one fields-set: all of its fields, and pydantic
        # copies the set before it changes one (`model_copy`).
        record = object.__new__(cls)
        _set_dict(record, fields)
        _set_fields_set(record, fields_set)
        _set_extra(record, None)
        _set_private(record, None)
        return record
