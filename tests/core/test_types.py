"""Every core record survives a JSON round trip exactly: parse(dump(x)) == x, and dumping the
parsed value gives the same text."""

from __future__ import annotations

import inspect
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
import toolmaster.core as core
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import JsonValue
from toolmaster.core import (
    FORMAT_VERSION,
    ContentPart,
    Episode,
    EpisodeError,
    Event,
    Experience,
    FormatVersionError,
    Message,
    PhaseSpan,
    PolicyInfo,
    PromptArgument,
    PromptSpec,
    Record,
    RenderedPrompt,
    ResourceContents,
    ResourceSpec,
    ResourceTemplateSpec,
    Sampling,
    ServerIdentity,
    ServerNotice,
    Task,
    Timings,
    ToolAnnotations,
    ToolCall,
    ToolKey,
    ToolResult,
    ToolSpec,
    Turn,
    Usage,
    Verdict,
    WithheldTool,
    announced_identity,
)

text = st.text(max_size=12)
names = st.text(alphabet="abcdefghijklmnopqrstuvwxyz_-.0123456789", min_size=1, max_size=10)
finite = st.floats(allow_nan=False, allow_infinity=False)
json_values: st.SearchStrategy[JsonValue] = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**63), 2**63 - 1) | finite | text,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(text, inner, max_size=3),
    max_leaves=6,
)
json_objects = st.dictionaries(text, json_values, max_size=3)
zones = st.sampled_from(
    [None, UTC, timezone(timedelta(hours=5, minutes=30)), timezone(-timedelta(hours=8))]
)
moments = st.datetimes(
    min_value=datetime(1970, 1, 2), max_value=datetime(2200, 1, 1), timezones=zones
)
seconds = st.floats(min_value=0, max_value=1e9, allow_nan=False)
small = st.integers(0, 10**9)


def opt(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.none() | strategy


usages = st.builds(Usage, prompt_tokens=small, completion_tokens=small)
annotations = st.builds(
    ToolAnnotations,
    title=opt(text),
    read_only_hint=opt(st.booleans()),
    destructive_hint=opt(st.booleans()),
    idempotent_hint=opt(st.booleans()),
    open_world_hint=opt(st.booleans()),
)
tool_keys = st.builds(ToolKey, server=names, tool=names, schema_hash=names)
tool_specs = st.builds(
    ToolSpec,
    name=names,
    server=names,
    server_identity=opt(names),
    upstream_name=opt(names),
    title=opt(text),
    description=text,
    input_schema=json_objects,
    output_schema=opt(json_objects),
    annotations=annotations,
)
tool_calls = st.builds(
    ToolCall,
    id=names,
    tool=names,
    arguments=json_objects,
    phase=st.sampled_from(["trial", "execute"]),
)
tool_results = st.builds(
    ToolResult,
    call_id=names,
    content=st.lists(json_objects, max_size=2),
    structured_content=opt(json_objects),
    is_error=st.booleans(),
    error_kind=opt(st.sampled_from(["tool_error", "timeout", "refused", "too_large"])),
    latency_s=seconds,
    original_size=opt(small),
)
content_parts = st.builds(
    ContentPart,
    type=st.sampled_from(["text", "image", "audio", "resource", "resource_link"]),
    text=opt(text),
    mime_type=opt(names),
    uri=opt(names),
    name=opt(names),
    size=opt(small),
    data=opt(names),
    omitted=st.booleans(),
)
messages = st.builds(
    Message,
    role=st.sampled_from(["system", "user", "assistant", "tool"]),
    content=opt(text),
    tool_calls=st.lists(tool_calls, max_size=2),
    tool_call_id=opt(names),
    name=opt(names),
    usage=opt(usages),
    parts=st.lists(content_parts, max_size=2),
)
tasks = st.builds(
    Task,
    id=names,
    prompt=text,
    env=opt(names),
    split=opt(st.sampled_from(["train", "test"])),
    seed=opt(st.integers()),
    expected=json_objects,
    metadata=json_objects,
)
verdicts = st.builds(
    Verdict,
    score=st.floats(0, 1),
    passed=st.booleans(),
    reasons=st.lists(text, max_size=2),
)
samplings = st.builds(
    Sampling,
    temperature=finite,
    top_p=finite,
    max_tokens=small,
    stop=st.lists(text, max_size=2),
    seed=opt(st.integers()),
)
policies = st.builds(
    PolicyInfo,
    name=names,
    backend=names,
    model=opt(text),
    adapter=opt(text),
    sampling=samplings,
)
servers = st.builds(
    ServerIdentity,
    name=names,
    transport=st.sampled_from(["stdio", "http", "sse", "memory"]),
    server_name=opt(text),
    server_version=opt(text),
)
phases = st.builds(PhaseSpan, phase=st.sampled_from(["trial", "execute"]), start=small, end=small)
episode_errors = st.builds(
    EpisodeError,
    boundary=st.sampled_from(["policy", "server", "verifier", "runtime"]),
    kind=names,
    message=text,
)
timings = st.builds(
    Timings, started_at=moments, finished_at=opt(moments), policy_s=seconds, tools_s=seconds
)
experiences = st.builds(
    Experience, key=tool_keys, notes=text, episode_id=opt(names), created_at=moments
)
events = st.builds(
    Event,
    episode_id=names,
    seq=small,
    kind=st.sampled_from(["episode_started", "tool_call", "verdict", "error"]),
    ts=moments,
    data=json_objects,
)
notices = st.builds(
    ServerNotice,
    kind=st.sampled_from(["server_log", "progress", "sampling", "elicitation"]),
    server=opt(names),
    at=moments,
    message=opt(text),
    call_id=opt(names),
    details=json_objects,
)
turns = st.builds(Turn, content=opt(text), tool_calls=st.lists(tool_calls, max_size=2))
episodes = st.builds(
    Episode,
    id=names,
    task=tasks,
    mode=st.sampled_from(["trial", "direct"]),
    policy=policies,
    servers=st.lists(servers, max_size=2),
    tools=st.lists(tool_specs, max_size=2),
    messages=st.lists(messages, max_size=4),
    phases=st.lists(phases, max_size=2),
    notes=opt(text),
    answer=opt(text),
    verdict=opt(verdicts),
    error=opt(episode_errors),
    usage=usages,
    timings=timings,
    notices=st.lists(notices, max_size=2),
    metadata=json_objects,
)

resources = st.builds(
    ResourceSpec,
    server=names,
    uri=text,
    name=names,
    title=opt(text),
    description=text,
    mime_type=opt(names),
    size=opt(small),
)
resource_templates = st.builds(
    ResourceTemplateSpec,
    server=names,
    uri_template=text,
    name=names,
    title=opt(text),
    description=text,
    mime_type=opt(names),
)
resource_contents = st.builds(
    ResourceContents, uri=text, mime_type=opt(names), text=opt(text), blob=opt(names), size=small
)
prompt_arguments = st.builds(PromptArgument, name=names, description=text, required=st.booleans())
prompts = st.builds(
    PromptSpec,
    server=names,
    name=names,
    title=opt(text),
    description=text,
    arguments=st.lists(prompt_arguments, max_size=2),
)
rendered_prompts = st.builds(
    RenderedPrompt,
    server=names,
    name=names,
    description=text,
    messages=st.lists(messages, max_size=2),
)
withheld_tools = st.builds(WithheldTool, tool=tool_specs, reason=text)

STRATEGIES: dict[type[Record], st.SearchStrategy[Any]] = {
    Usage: usages,
    ToolAnnotations: annotations,
    ToolKey: tool_keys,
    ToolSpec: tool_specs,
    ToolCall: tool_calls,
    ToolResult: tool_results,
    ContentPart: content_parts,
    Message: messages,
    Task: tasks,
    Verdict: verdicts,
    Sampling: samplings,
    PolicyInfo: policies,
    ServerIdentity: servers,
    ServerNotice: notices,
    PhaseSpan: phases,
    EpisodeError: episode_errors,
    Timings: timings,
    Experience: experiences,
    Event: events,
    Turn: turns,
    Episode: episodes,
    ResourceSpec: resources,
    ResourceTemplateSpec: resource_templates,
    ResourceContents: resource_contents,
    PromptArgument: prompt_arguments,
    PromptSpec: prompts,
    RenderedPrompt: rendered_prompts,
    WithheldTool: withheld_tools,
}


def test_every_exported_record_type_has_a_strategy() -> None:
    exported = {
        value
        for value in vars(core).values()
        if inspect.isclass(value) and issubclass(value, Record) and value is not Record
    }
    assert exported == set(STRATEGIES)


def _assert_round_trip(value: Record) -> None:
    dumped = value.model_dump_json()
    back = type(value).model_validate_json(dumped)
    assert back == value
    assert back.model_dump_json() == dumped


@pytest.mark.parametrize("kind", list(STRATEGIES), ids=lambda kind: kind.__name__)
@settings(max_examples=25, deadline=None)
@given(data=st.data())
def test_json_round_trip_is_exact(kind: type[Record], data: st.DataObject) -> None:
    _assert_round_trip(data.draw(STRATEGIES[kind]))


@settings(max_examples=25, deadline=None)
@given(episode=episodes)
def test_episode_from_json_round_trips(episode: Episode) -> None:
    assert Episode.from_json(episode.model_dump_json()) == episode
    assert Episode.from_json(episode.model_dump_json().encode()) == episode


def test_infinite_durations_survive_as_strings() -> None:
    result = ToolResult(call_id="c", latency_s=float("inf"))
    assert '"latency_s":"Infinity"' in result.model_dump_json()
    _assert_round_trip(result)


def test_records_refuse_unknown_fields_and_are_frozen() -> None:
    with pytest.raises(ValueError, match="Extra inputs"):
        Usage.model_validate_json('{"prompt_tokens": 1, "surprise": 2}')
    usage = Usage(prompt_tokens=1)
    with pytest.raises(ValueError, match="frozen"):
        usage.prompt_tokens = 2  # type: ignore[misc]


def test_an_episode_of_a_newer_format_is_refused_by_version() -> None:
    episode = Episode(
        task=Task(id="t", prompt="p"),
        mode="direct",
        policy=PolicyInfo(name="p", backend="scripted"),
    )
    newer = episode.model_dump_json().replace(
        f'"format_version":{FORMAT_VERSION}', f'"format_version":{FORMAT_VERSION + 1}'
    )
    with pytest.raises(
        FormatVersionError, match=f"format version {FORMAT_VERSION + 1} is newer"
    ) as caught:
        Episode.from_json(newer)
    assert caught.value.version == FORMAT_VERSION + 1


def test_schema_hash_ignores_key_order_but_not_parameters() -> None:
    a = ToolSpec(name="f", server="s", input_schema={"type": "object", "properties": {}})
    b = ToolSpec(name="f", server="s", input_schema={"properties": {}, "type": "object"})
    c = ToolSpec(name="f", server="s", input_schema={"type": "object", "properties": {"x": {}}})
    assert a.schema_hash == b.schema_hash != c.schema_hash
    assert a.key == ToolKey(server="s", tool="f", schema_hash=a.schema_hash)


def test_the_key_is_the_servers_identity_and_the_tools_own_name() -> None:
    tool = ToolSpec(name="add", server="calc", server_identity=announced_identity("adder", "1.2"))
    assert tool.key == ToolKey(server="adder@1.2", tool="add", schema_hash=tool.schema_hash)
    assert tool.keys == (tool.key, ToolKey(server="calc", tool="add", schema_hash=tool.schema_hash))
    clash = tool.model_copy(
        update={"name": "other__add", "server": "other", "upstream_name": "add"}
    )
    assert clash.key == tool.key  # the same server under another name, prefixed on a clash
    anonymous = ToolSpec(name="add", server="calc")
    assert anonymous.keys == (
        ToolKey(server="calc", tool="add", schema_hash=anonymous.schema_hash),
    )
    assert announced_identity("adder", None) == "adder"
    assert announced_identity(None, "1.0") is None
    assert announced_identity("", "") is None


def test_schema_hash_follows_copies_with_changes() -> None:
    tool = ToolSpec(name="t", server="s", description="old")
    assert tool.model_copy(update={"description": "new"}).schema_hash != tool.schema_hash
    assert tool.model_copy().schema_hash == tool.schema_hash
