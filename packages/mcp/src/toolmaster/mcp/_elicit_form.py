"""An elicitation as a form a person fills in: the fields of the requested schema, each with its
type, choices, bounds and default, and the parsing and checking of what is typed into them.

The MCP specification lets a form ask only for a flat object of primitive fields: strings (with
an optional `format` and length bounds), numbers and integers (with bounds), booleans, a single
choice (`enum`, or `oneOf` with titles) and a multiple choice (an `array` of such choices). A
server that asks for more (a nested object, a list of free values) is declined with the reason
(`ElicitationSchemaError`). Front ends (the terminal, the TUI) render an `ElicitationForm`, so
each rule is written once, here.
"""

from __future__ import annotations

import math
import re
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Literal, cast
from urllib.parse import urlsplit

import anyio
from pydantic import JsonValue
from toolmaster.core import ToolMasterError
from toolmaster.mcp._client_side import ElicitationReply, ElicitationRequest, Elicitor, ElicitValue

__all__ = [
    "AnswerError",
    "AskForm",
    "Choice",
    "ElicitationForm",
    "ElicitationSchemaError",
    "FieldKind",
    "FormField",
    "form_elicitor",
]

FieldKind = Literal["string", "integer", "number", "boolean", "choice", "choices"]
"""What a field takes: text, a whole number, a number, yes or no, one of its choices, or any
number of its choices."""

_YES = {"y", "yes", "true", "1", "on"}
_NO = {"n", "no", "false", "0", "off"}
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class ElicitationSchemaError(ToolMasterError):
    """A requested schema the MCP specification does not allow for elicitation (not a flat
    object of primitive fields); the message says which field and why."""


class AnswerError(ValueError):
    """What was typed into a field does not fit it; the message says what would."""


@dataclass(frozen=True, slots=True)
class Choice:
    """One choice of a `choice` or `choices` field."""

    value: str
    """What is sent to the server."""
    label: str
    """What a person reads (the option's title; the value when it has none)."""


@dataclass(frozen=True, slots=True)
class FormField:
    """One field of a form."""

    name: str
    kind: FieldKind
    title: str | None = None
    description: str | None = None
    required: bool = False
    default: ElicitValue = None
    choices: tuple[Choice, ...] = ()
    minimum: float | None = None
    maximum: float | None = None
    min_length: int | None = None
    """Characters of a string; choices of a `choices` field."""
    max_length: int | None = None
    format: Literal["email", "uri", "date", "date-time"] | None = None

    @property
    def label(self) -> str:
        """The field's title, else its name."""
        return self.title or self.name

    def hint(self) -> str:
        """What the field takes, in a few words: `whole number, 1 to 8, default 2`."""
        words = [_KIND_WORDS[self.kind] if self.format is None else self.format]
        if self.choices:
            words.append(" / ".join(c.label for c in self.choices))
        bounds = _bounds(self.minimum, self.maximum)
        if bounds:
            words.append(bounds)
        length = _bounds(self.min_length, self.max_length)
        if length:
            words.append(f"{length} {'choices' if self.kind == 'choices' else 'characters'}")
        words.append("required" if self.required else "optional")
        if self.default is not None:
            words.append(f"default {_shown(self.default)}")
        return ", ".join(words)

    def parse(self, text: str) -> ElicitValue:
        """The value of what a person typed. Empty text is the default (None for an optional
        field without one: the field is left out); `AnswerError` says what would fit."""
        text = text.strip()
        if not text:
            return self.check(None)
        return self.check(self._typed(text))

    def check(self, value: ElicitValue) -> ElicitValue:
        """`value` if it fits the field (bounds, length, format, choices), else `AnswerError`.
        None is the default, or the field left out."""
        if value is None:
            if self.default is None and self.required:
                raise AnswerError("an answer is required")
            return self.default
        checks = {
            "boolean": self._boolean,
            "integer": self._number,
            "number": self._number,
            "choice": self._choice,
            "choices": self._choices,
            "string": self._string,
        }
        return checks[self.kind](value)

    # ------------------------------------------------------------------ typed text

    def _typed(self, text: str) -> ElicitValue:
        kind = self.kind
        if kind == "boolean":
            return _yes_no(text)
        if kind in ("integer", "number"):
            return _number_of(text, whole=kind == "integer")
        if kind == "choice":
            return self._pick(text)
        if kind == "choices":
            return [self._pick(part) for part in text.split(",") if part.strip()]
        return text

    def _pick(self, text: str) -> str:
        """A choice by its value, its label (any case) or its number in the list."""
        text = text.strip()
        for choice in self.choices:
            if text == choice.value:
                return choice.value
        for choice in self.choices:
            if text.casefold() in (choice.value.casefold(), choice.label.casefold()):
                return choice.value
        if text.isdigit() and 1 <= int(text) <= len(self.choices):
            return self.choices[int(text) - 1].value
        raise AnswerError(f"choose one of: {', '.join(c.label for c in self.choices)}")

    # ------------------------------------------------------------------ checks

    @staticmethod
    def _boolean(value: ElicitValue) -> bool:
        if not isinstance(value, bool):
            raise AnswerError("answer yes or no")
        return value

    def _number(self, value: ElicitValue) -> int | float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise AnswerError("enter a number")
        if not math.isfinite(value):
            raise AnswerError("enter a finite number")
        if self.kind == "integer" and not float(value).is_integer():
            raise AnswerError("enter a whole number")
        if self.minimum is not None and value < self.minimum:
            raise AnswerError(f"enter a number of at least {_shown(self.minimum)}")
        if self.maximum is not None and value > self.maximum:
            raise AnswerError(f"enter a number of at most {_shown(self.maximum)}")
        return int(value) if self.kind == "integer" else value

    def _choice(self, value: ElicitValue) -> str:
        if not isinstance(value, str) or value not in {c.value for c in self.choices}:
            raise AnswerError(f"choose one of: {', '.join(c.label for c in self.choices)}")
        return value

    def _choices(self, value: ElicitValue) -> list[str]:
        if not isinstance(value, list):
            raise AnswerError("choose from the list")
        picked = [self._choice(v) for v in value]
        picked = list(dict.fromkeys(picked))
        if self.min_length is not None and len(picked) < self.min_length:
            raise AnswerError(f"choose at least {self.min_length}")
        if self.max_length is not None and len(picked) > self.max_length:
            raise AnswerError(f"choose at most {self.max_length}")
        return picked

    def _string(self, value: ElicitValue) -> str:
        if not isinstance(value, str):
            raise AnswerError("enter text")
        if self.min_length is not None and len(value) < self.min_length:
            raise AnswerError(f"enter at least {self.min_length} characters")
        if self.max_length is not None and len(value) > self.max_length:
            raise AnswerError(f"enter at most {self.max_length} characters")
        if self.format is not None and not _formatted(value, self.format):
            raise AnswerError(f"enter {_FORMAT_WORDS[self.format]}")
        return value


_KIND_WORDS: dict[FieldKind, str] = {
    "string": "text",
    "integer": "whole number",
    "number": "number",
    "boolean": "yes/no",
    "choice": "one of",
    "choices": "any of (comma-separated)",
}
_FORMAT_WORDS = {
    "email": "an email address",
    "uri": "a URI with a scheme (https://...)",
    "date": "a date (YYYY-MM-DD)",
    "date-time": "a date and time (YYYY-MM-DDTHH:MM:SS)",
}


@dataclass(frozen=True, slots=True)
class ElicitationForm:
    """What a person is shown for an elicitation: the server, its message, and the fields of a
    form (none for a URL elicitation, which asks the person to open `url`)."""

    server: str
    message: str
    fields: tuple[FormField, ...] = ()
    url: str | None = None

    @classmethod
    def of(cls, request: ElicitationRequest) -> ElicitationForm:
        """The form of `request`; `ElicitationSchemaError` for a schema the specification does
        not allow for elicitation."""
        if request.mode == "url":
            return cls(request.server, request.message, url=request.url)
        return cls(request.server, request.message, _fields(request.requested_schema or {}))

    def content(self, values: Mapping[str, ElicitValue]) -> dict[str, ElicitValue]:
        """The answer to send: each field's value checked (`AnswerError` names the field),
        defaults filled in, fields left empty left out."""
        content: dict[str, ElicitValue] = {}
        for spec in self.fields:
            try:
                value = spec.check(values.get(spec.name))
            except AnswerError as exc:
                raise AnswerError(f"{spec.label}: {exc}") from None
            if value is not None:
                content[spec.name] = value
        return content


def _fields(schema: Mapping[str, JsonValue]) -> tuple[FormField, ...]:
    if schema.get("type", "object") != "object":
        raise ElicitationSchemaError("the requested schema is not an object")
    properties = schema.get("properties", {})
    if not isinstance(properties, dict):
        raise ElicitationSchemaError("the requested schema's 'properties' is not an object")
    required = schema.get("required") or []
    if not isinstance(required, list):
        raise ElicitationSchemaError("the requested schema's 'required' is not a list")
    out: list[FormField] = []
    for name, prop in properties.items():
        if not isinstance(prop, dict):
            raise ElicitationSchemaError(f"field {name!r} has no schema object")
        out.append(_field(name, prop, required=name in required))
    return tuple(out)


def _field(name: str, prop: dict[str, JsonValue], *, required: bool) -> FormField:
    kind_of = prop.get("type")
    field = FormField(
        name,
        "string",
        title=_text(prop.get("title")),
        description=_text(prop.get("description")),
        required=required,
    )
    choices = _choices_of(prop)
    if kind_of == "string" and choices:
        field = replace(field, kind="choice", choices=choices)
    elif kind_of == "string":
        fmt = prop.get("format")
        if fmt is not None and fmt not in _FORMAT_WORDS:
            raise ElicitationSchemaError(f"field {name!r} has the unknown format {fmt!r}")
        field = replace(
            field,
            min_length=_int(prop.get("minLength")),
            max_length=_int(prop.get("maxLength")),
            format=cast("Literal['email', 'uri', 'date', 'date-time'] | None", fmt),
        )
    elif kind_of in ("integer", "number"):
        field = replace(
            field,
            kind="integer" if kind_of == "integer" else "number",
            minimum=_number(prop.get("minimum")),
            maximum=_number(prop.get("maximum")),
        )
    elif kind_of == "boolean":
        field = replace(field, kind="boolean")
    elif kind_of == "array":
        items = prop.get("items")
        options = _choices_of(items) if isinstance(items, dict) else ()
        if not options:
            raise ElicitationSchemaError(
                f"field {name!r} is a list of free values; elicitation allows only a list of "
                "choices (items with 'enum' or 'anyOf')"
            )
        field = replace(
            field,
            kind="choices",
            choices=options,
            min_length=_int(prop.get("minItems")),
            max_length=_int(prop.get("maxItems")),
        )
    else:
        raise ElicitationSchemaError(
            f"field {name!r} is {_what(prop)}; elicitation allows only strings, numbers, integers, "
            "booleans and choices"
        )
    return _with_default(field, prop.get("default"))


def _what(prop: Mapping[str, JsonValue]) -> str:
    """What a field the specification does not allow is, in a few words."""
    kind_of = prop.get("type")
    if kind_of == "object" or "properties" in prop:
        return "a nested object"
    if "anyOf" in prop or "oneOf" in prop:
        return "a union of types"
    return f"of type {kind_of!r}" if kind_of is not None else "without a type"


def _choices_of(prop: Mapping[str, JsonValue]) -> tuple[Choice, ...]:
    """The options of `enum` (with legacy `enumNames`), or of `oneOf`/`anyOf` with `const`."""
    enum = prop.get("enum")
    if isinstance(enum, list):
        names = prop.get("enumNames")
        labels = names if isinstance(names, list) and len(names) == len(enum) else enum
        return tuple(Choice(str(v), str(label)) for v, label in zip(enum, labels, strict=True))
    options = prop.get("oneOf", prop.get("anyOf"))
    if isinstance(options, list):
        out: list[Choice] = []
        for option in options:
            if isinstance(option, dict) and "const" in option:
                value = str(option["const"])
                out.append(Choice(value, _text(option.get("title")) or value))
        return tuple(out)
    return ()


def _with_default(field: FormField, default: JsonValue) -> FormField:
    """`field` with the schema's default, when the default fits it (else none)."""
    value: ElicitValue
    if default is None or isinstance(default, dict):
        return field
    if isinstance(default, list):
        value = [str(v) for v in cast("list[JsonValue]", default)]
    else:
        value = default
    try:
        value = field.check(value)
    except AnswerError:
        return field
    return replace(field, default=value)


def _yes_no(text: str) -> bool:
    word = text.lower()
    if word in _YES:
        return True
    if word in _NO:
        return False
    raise AnswerError("answer yes or no")


def _number_of(text: str, *, whole: bool) -> int | float:
    if whole:
        try:
            return int(text)
        except ValueError:
            raise AnswerError("enter a whole number") from None
    try:
        number = float(text)
    except ValueError:
        raise AnswerError("enter a number") from None
    return int(number) if number.is_integer() and "." not in text else number


def _formatted(value: str, fmt: str) -> bool:
    if fmt == "email":
        return _EMAIL.match(value) is not None
    if fmt == "uri":
        parts = urlsplit(value)
        return bool(parts.scheme and (parts.netloc or parts.path))
    try:
        if fmt == "date":
            date.fromisoformat(value)
        else:
            datetime.fromisoformat(value)
    except ValueError:
        return False
    return True


def _bounds(low: float | None, high: float | None) -> str:
    if low is not None and high is not None:
        return f"{_shown(low)} to {_shown(high)}"
    if low is not None:
        return f"at least {_shown(low)}"
    if high is not None:
        return f"at most {_shown(high)}"
    return ""


def _shown(value: ElicitValue | float) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, list):
        return ", ".join(value)
    return str(value)


def _text(value: JsonValue) -> str | None:
    return value if isinstance(value, str) and value else None


def _int(value: JsonValue) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _number(value: JsonValue) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return value


AskForm = Callable[[ElicitationForm], Awaitable[ElicitationReply]]
"""Shows a form to a person and returns what they chose: `accept` with the form's `content`,
`decline` or `cancel` (a front end: the terminal, the TUI)."""


def form_elicitor(ask: AskForm) -> Elicitor:
    """An `Elicitor` that asks a person through `ask`, one question at a time (two servers that
    ask at once wait their turn). A schema that elicitation does not allow is declined with
    the reason, without asking; an accepted answer is checked against the form once more (a
    front end's mistake declines, with the reason, instead of sending a wrong answer)."""
    turn = anyio.Lock()

    async def elicit(request: ElicitationRequest) -> ElicitationReply:
        try:
            form = ElicitationForm.of(request)
        except ElicitationSchemaError as exc:
            return ElicitationReply("decline", reason=f"the client cannot show this form: {exc}")
        async with turn:
            reply = await ask(form)
        if reply.action != "accept" or form.url is not None:
            return ElicitationReply(reply.action, reason=reply.reason)
        try:
            content = form.content(reply.content or {})
        except AnswerError as exc:
            return ElicitationReply("decline", reason=f"the answer does not fit the form: {exc}")
        return ElicitationReply("accept", content)

    return elicit
