"""Name masking of training rows: consistent renaming everywhere a name is seen or written."""

from __future__ import annotations

import json
from typing import Any

import pytest
from jinja2.sandbox import ImmutableSandboxedEnvironment
from toolmaster.agent import CHATML_TOOLS_TEMPLATE
from toolmaster.core import Store
from toolmaster.train._config import DataConfig
from toolmaster.train._data import build_sft_dataset
from toolmaster.train._masking import mask_names, masked


def _call(call_id: str, name: str, arguments: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": call_id,
        "type": "function",
        "function": {"name": name, "arguments": json.dumps(arguments)},
    }


def _tool(name: str, params: dict[str, str], required: list[str]) -> dict[str, Any]:
    return {
        "type": "function",
        "function": {
            "name": name,
            "description": f"{name}: see list_events(date=...).",
            "parameters": {
                "type": "object",
                "properties": {p: {"type": t} for p, t in params.items()},
                "required": required,
            },
        },
    }


def _row(episode_id: str = "ep-1") -> dict[str, Any]:
    tools: list[dict[str, Any]] = [
        _tool("list_events", {"date": "string"}, ["date"]),
        _tool("create_event", {"title": "string", "date": "string", "duration": "integer"}, []),
        {"type": "function", "function": {"name": "finish_trial", "parameters": {}}},
    ]
    notes = "- list_events(date='04/03/2026') works; 'duration' is in minutes."
    messages = [
        {"role": "system", "content": "Call finish_trial with notes."},
        {"role": "user", "content": "Book a meeting on the date I gave you."},
        {
            "role": "assistant",
            "content": "Let me look at that day.",
            "tool_calls": [_call("call_1", "list_events", {"date": "2026-03-04"})],
        },
        {
            "role": "tool",
            "name": "list_events",
            "tool_call_id": "call_1",
            "content": "Error executing tool list_events: invalid date '2026-03-04'",
        },
        {
            "role": "assistant",
            "content": "",
            "tool_calls": [
                _call(
                    "call_2", "create_event", {"title": "x", "date": "04/03/2026", "duration": "30"}
                )
            ],
        },
        {
            "role": "tool",
            "name": "create_event",
            "tool_call_id": "call_2",
            "content": "1 validation error for create_event_v1Arguments\nduration\n  Input",
        },
        {
            "role": "assistant",
            "content": "",
            "tool_calls": [_call("call_3", "finish_trial", {"notes": notes})],
        },
        {"role": "assistant", "content": "Booked with create_event."},
    ]
    return {
        "messages": messages,
        "tools": json.dumps(tools),
        "episode_id": episode_id,
        "task_id": "calendar/train/0000",
        "env": "calendar",
    }


def _names(row: dict[str, Any]) -> dict[str, Any]:
    tools = json.loads(row["tools"])
    return {t["function"]["name"]: t["function"]["parameters"] for t in tools}


def test_names_are_renamed_consistently_in_schemas_calls_and_text() -> None:
    row = _row()
    out = mask_names(row, seed=0)
    names = _names(out)
    assert "finish_trial" in names  # the protocol's own tool keeps its name
    renamed = [n for n in names if n != "finish_trial"]
    assert not {"list_events", "create_event"} & set(renamed)
    listing = next(n for n in renamed if names[n]["required"])  # list_events requires its one param
    (date,) = names[listing]["required"]
    assert date != "date" and list(names[listing]["properties"]) == [date]
    create = next(n for n in renamed if n != listing)
    create_params = list(names[create]["properties"])
    assert date in create_params and "duration" not in create_params

    first, second, notes = (out["messages"][i]["tool_calls"][0]["function"] for i in (2, 4, 6))
    assert first["name"] == listing and json.loads(first["arguments"]) == {date: "2026-03-04"}
    assert second["name"] == create and set(json.loads(second["arguments"])) == set(create_params)
    assert notes["name"] == "finish_trial"
    text = json.loads(notes["arguments"])["notes"]
    assert text.startswith(f"- {listing}({date}='04/03/2026') works")
    duration = next(k for k, v in json.loads(second["arguments"]).items() if v == "30")
    assert f"'{duration}' is in minutes" in text

    error = out["messages"][3]
    assert error["name"] == listing
    # the error names the tool (an identifier) but "invalid date" is English: it stays
    assert error["content"] == f"Error executing tool {listing}: invalid date '2026-03-04'"
    assert f"\n{duration}\n" in out["messages"][5]["content"]
    assert out["messages"][-1]["content"] == f"Booked with {create}."
    assert out["messages"][1] == row["messages"][1]  # the task never names a tool
    assert row == _row()  # the input is not changed


def test_masking_is_deterministic_per_row_and_differs_between_rows() -> None:
    assert mask_names(_row(), seed=0) == mask_names(_row(), seed=0)
    variants = {tuple(_names(mask_names(_row(f"ep-{i}"), seed=0))) for i in range(12)}
    assert len(variants) > 6


def test_a_masked_row_renders_with_the_chat_template() -> None:
    out = mask_names(_row(), seed=3)
    template = ImmutableSandboxedEnvironment().from_string(CHATML_TOOLS_TEMPLATE)
    messages = [{k: v for k, v in m.items() if v is not None} for m in out["messages"]]
    for m in messages:
        calls: list[dict[str, Any]] = m.get("tool_calls") or []
        for call in calls:
            call["function"]["arguments"] = json.loads(call["function"]["arguments"])
    text = template.render(messages=messages, tools=json.loads(out["tools"]))
    assert "list_events" not in text and "create_event" not in text
    assert "finish_trial" in text


def test_the_share_of_masked_rows_follows_the_config() -> None:
    rows = [_row(f"ep-{i}") for i in range(400)]
    share = sum(masked(r, seed=0, share=0.5) for r in rows) / len(rows)
    assert 0.4 < share < 0.6
    assert not any(masked(r, seed=0, share=0.0) for r in rows)
    assert all(masked(r, seed=0, share=1.0) for r in rows)
    with pytest.raises(ValueError, match="mask_names"):
        DataConfig(mask_names=1.5)


def test_the_dataset_masks_training_rows_and_never_held_out_ones(reference_store: Store) -> None:
    config = DataConfig(modes=["trial", "direct"], eval_fraction=0.3, mask_names=1.0)
    splits, _ = build_sft_dataset(reference_store, config)
    plain, _ = build_sft_dataset(reference_store, config.model_copy(update={"mask_names": 0.0}))
    assert len(splits["train"]) == len(plain["train"]) and len(splits["eval"]) > 0
    assert list(splits["eval"]) == list(plain["eval"])
    rows: list[dict[str, Any]] = [*splits["train"]]
    originals: list[dict[str, Any]] = [*plain["train"]]
    for row, original in zip(rows, originals, strict=True):
        names = {n for n in _names(row) if n != "finish_trial"}
        before = {n for n in _names(original) if n != "finish_trial"}
        assert names and not names & before, (names, before)
