"""BFCL multi-turn entries, loaded with BFCL's own loader, as one typed record each."""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from typing import Any, cast

from pydantic import Field, JsonValue
from toolmaster.core import Record, Task, UserError
from toolmaster.eval.bfcl import _upstream

BFCL_ENV = "bfcl"
"""`Task.env` of every BFCL task."""


class BfclEntry(Record):
    """One BFCL multi-turn entry: user turns, simulator state, functions and ground truth."""

    id: str
    category: str
    turns: list[str]
    """The user message of each turn. A turn that only adds held-out functions (miss_func) has
    no user message in BFCL's data: it gets BFCL's own prompt for that case."""
    initial_config: dict[str, JsonValue]
    """The state each simulator class is loaded with (`_load_scenario`)."""
    involved_classes: list[str]
    functions: list[dict[str, JsonValue]]
    """BFCL's function docs offered from the first turn."""
    held_out: dict[int, list[dict[str, JsonValue]]] = Field(
        default_factory=dict[int, list[dict[str, JsonValue]]]
    )
    """Docs of functions held back until a later turn (miss_func), by turn index."""
    classes: dict[str, str]
    """The simulator class of every function, by function name."""
    ground_truth: list[list[str]]
    """BFCL's ground-truth call strings, one list per turn (empty: nothing should be called)."""

    def functions_at(self, turn: int) -> list[dict[str, JsonValue]]:
        """The function docs on offer at `turn` (held-out ones from their turn on)."""
        docs = list(self.functions)
        for index in sorted(self.held_out):
            if index <= turn:
                docs.extend(self.held_out[index])
        return docs

    def checker_entry(self) -> dict[str, JsonValue]:
        """What BFCL's checker reads of an entry."""
        return {
            "id": self.id,
            "initial_config": self.initial_config,
            "involved_classes": list(self.involved_classes),
        }

    def task(self) -> Task:
        """The entry as a ToolMaster task: the first turn is the prompt, the rest follow."""
        return Task(
            id=self.id,
            prompt=self.turns[0],
            env=BFCL_ENV,
            split=self.category,
            expected={"ground_truth": cast("JsonValue", self.ground_truth)},
            metadata={"turns": cast("JsonValue", self.turns), "category": self.category},
        )


def load_entries(
    category: str = "multi_turn_base",
    *,
    limit: int | None = None,
    ids: Sequence[str] | None = None,
) -> list[BfclEntry]:
    """The entries of a BFCL multi-turn category, in BFCL's order: the first `limit`, or those
    with the given `ids` (an unknown id is a `UserError`)."""
    entries = list(_category_entries(category))
    if ids is not None:
        by_id = {entry.id: entry for entry in entries}
        missing = [i for i in ids if i not in by_id]
        if missing:
            raise UserError(f"{category} has no entries {', '.join(missing)}")
        entries = [by_id[i] for i in ids]
    if limit is not None:
        entries = entries[: max(0, limit)]
    return entries


@cache
def _category_entries(category: str) -> tuple[BfclEntry, ...]:
    """Every entry of a category, loaded once per process (entries are immutable records)."""
    truth = _upstream.ground_truth(category)
    return tuple(_entry(row, category, truth) for row in _upstream.dataset(category))


def _entry(row: dict[str, Any], category: str, truth: dict[str, list[list[str]]]) -> BfclEntry:
    entry_id = str(row["id"])
    if entry_id not in truth:
        raise UserError(f"BFCL has no ground truth for {entry_id}")
    involved = [str(name) for name in row["involved_classes"]]
    held_out = {
        int(turn): cast("list[dict[str, JsonValue]]", docs)
        for turn, docs in cast("dict[str, Any]", row.get("missed_function", {})).items()
    }
    classes = {name: cls for cls in involved for name in _upstream.class_functions(cls)}
    return BfclEntry(
        id=entry_id,
        category=category,
        turns=[
            _user_message(entry_id, i, turn, i in held_out)
            for i, turn in enumerate(row["question"])
        ],
        initial_config=cast("dict[str, JsonValue]", row.get("initial_config", {})),
        involved_classes=involved,
        functions=cast("list[dict[str, JsonValue]]", row["function"]),
        held_out=held_out,
        classes=classes,
        ground_truth=truth[entry_id],
    )


def _user_message(entry_id: str, index: int, turn: list[dict[str, Any]], adds: bool) -> str:
    if adds and not turn:
        return _upstream.ADDED_FUNCTIONS_PROMPT
    if len(turn) != 1 or turn[0].get("role") != "user":
        raise UserError(
            f"{entry_id} turn {index}: expected one user message, got "
            f"{[m.get('role') for m in turn]}"
        )
    return str(turn[0]["content"])
