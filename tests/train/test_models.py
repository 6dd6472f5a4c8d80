"""Models and chat templates for training: the tiny random model, the training template's
byte-identical rendering and its exact assistant mask, the response parser for GRPO."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import torch
from pydantic import JsonValue
from toolmaster.agent import (
    CHATML_TOOLS_TEMPLATE,
    FINISH_TRIAL_SPEC,
    render_prompt,
    render_tool_calls,
    tool_schema,
)
from toolmaster.core import FINISH_TRIAL, Episode, UserError
from toolmaster.train._config import ModelConfig
from toolmaster.train._models import load_model, model_source
from toolmaster.train._templates import (
    TRAINING_CHAT_TEMPLATE,
    attach_response_parser,
    training_template_for,
)
from trl.chat_template_utils import parse_response


def _chat(episode: Episode) -> tuple[list[dict[str, JsonValue]], list[dict[str, JsonValue]]]:
    """An episode's messages and tools (plus finish_trial in trial mode) as templates take them."""
    tools = [*episode.tools, FINISH_TRIAL_SPEC] if episode.mode == "trial" else episode.tools
    return [m.to_chat() for m in episode.messages], [tool_schema(t) for t in tools]


def _trial_episode(episodes: list[Episode]) -> Episode:
    return next(e for e in episodes if e.mode == "trial" and e.env == "shop")


def _masked_runs(ids: list[int], mask: list[int], tokenizer: Any) -> list[str]:
    """The decoded text of each maximal run of masked tokens."""
    runs: list[list[int]] = []
    previous = 0
    for token, bit in zip(ids, mask, strict=True):
        if bit and not previous:
            runs.append([])
        if bit:
            runs[-1].append(token)
        previous = bit
    return [tokenizer.decode(run) for run in runs]


def test_tiny_random_is_built_once_and_reloads_identically(tiny_model: ModelConfig) -> None:
    first = load_model(tiny_model)
    again = load_model(tiny_model)
    assert first.source == again.source == model_source(tiny_model)
    assert Path(first.source, "model.safetensors").is_file()
    for a, b in zip(first.model.parameters(), again.model.parameters(), strict=True):
        assert torch.equal(a, b)
    assert sum(p.numel() for p in first.model.parameters()) < 200_000
    assert first.model.config.model_type == "qwen2"


def test_the_seed_decides_the_weights(tiny_model: ModelConfig, tmp_path: Path) -> None:
    elsewhere = load_model(tiny_model.model_copy(update={"cache_dir": tmp_path}))
    other_seed = load_model(tiny_model.model_copy(update={"cache_dir": tmp_path, "seed": 1}))
    base = load_model(tiny_model)
    assert base.tokenizer.get_vocab() == elsewhere.tokenizer.get_vocab()
    weights = list(base.model.parameters())
    assert all(map(torch.equal, weights, elsewhere.model.parameters()))
    assert not all(map(torch.equal, weights, other_seed.model.parameters()))


def test_training_tokenizer_has_the_marked_template(tiny_model: ModelConfig) -> None:
    assert load_model(tiny_model).tokenizer.chat_template == TRAINING_CHAT_TEMPLATE
    loaded = load_model(tiny_model, training=False)
    assert loaded.tokenizer.chat_template == CHATML_TOOLS_TEMPLATE
    assert loaded.inference_template == CHATML_TOOLS_TEMPLATE
    assert training_template_for(CHATML_TOOLS_TEMPLATE) == TRAINING_CHAT_TEMPLATE
    assert training_template_for(TRAINING_CHAT_TEMPLATE) == TRAINING_CHAT_TEMPLATE
    assert training_template_for("{{ messages }}") is None


def test_training_renders_what_inference_renders(
    tiny_model: ModelConfig, reference_episodes: list[Episode]
) -> None:
    tokenizer: Any = load_model(tiny_model).tokenizer
    for episode in reference_episodes:
        messages, tools = _chat(episode)
        for template_tools in (tools, None):
            train = tokenizer.apply_chat_template(messages, tools=template_tools, tokenize=False)
            infer = tokenizer.apply_chat_template(
                messages, tools=template_tools, tokenize=False, chat_template=CHATML_TOOLS_TEMPLATE
            )
            assert train == infer
    # Every trial-phase prompt the policy rendered is a prefix of the training text.
    episode = _trial_episode(reference_episodes)
    messages, tools = _chat(episode)
    full = tokenizer.apply_chat_template(messages, tools=tools, tokenize=False)
    offered = [*episode.tools, FINISH_TRIAL_SPEC]
    trial = next(span for span in episode.phases if span.phase == "trial")
    for index in range(trial.start, trial.end):
        if episode.messages[index].role == "assistant":
            prompt = render_prompt(
                tokenizer, episode.messages[:index], offered, chat_template=CHATML_TOOLS_TEMPLATE
            )
            assert full.startswith(prompt)


def test_the_mask_covers_exactly_the_assistant_turns(
    tiny_model: ModelConfig, reference_episodes: list[Episode]
) -> None:
    tokenizer: Any = load_model(tiny_model).tokenizer
    episode = _trial_episode(reference_episodes)
    messages, tools = _chat(episode)
    out = tokenizer.apply_chat_template(
        messages, tools=tools, tokenize=True, return_dict=True, return_assistant_tokens_mask=True
    )
    runs = _masked_runs(out["input_ids"], out["assistant_masks"], tokenizer)
    assistant = [m for m in episode.messages if m.role == "assistant"]
    expected = [render_tool_calls(m.tool_calls, content=m.content) for m in assistant]
    expected = [f"{text}<|im_end|>" for text in expected]
    assert runs == expected
    # Trial turns and the finish_trial call are in it, and so is the final answer.
    phases = [c.phase for m in assistant for c in m.tool_calls]
    assert phases.count("trial") >= 2 and "execute" in phases
    assert any(c.tool == FINISH_TRIAL for m in assistant for c in m.tool_calls)
    assert runs[-1] == f"{episode.answer}<|im_end|>"
    # Nothing else: the system prompt, the task and the tool results are all unmasked.
    unmasked = tokenizer.decode(
        [t for t, bit in zip(out["input_ids"], out["assistant_masks"], strict=True) if not bit]
    )
    assert episode.messages[1].content in unmasked
    assert "<tool_response>" in unmasked and FINISH_TRIAL_SPEC.description in unmasked
    assert '<tool_call>\n{"name": "' not in unmasked  # only the how-to-call example


def test_response_parser_reads_our_calls(tiny_model: ModelConfig) -> None:
    tokenizer: Any = attach_response_parser(load_model(tiny_model, training=False).tokenizer)
    prompt = tokenizer.apply_chat_template(
        [{"role": "user", "content": "Weather in Oslo?"}],
        tokenize=True,
        add_generation_prompt=True,
        return_dict=False,
    )

    def parse(reply: str) -> dict[str, Any]:
        ids = tokenizer.encode(reply + "<|im_end|>", add_special_tokens=False)
        return parse_response(tokenizer, ids, prefix=prompt)

    call = '<tool_call>\n{"name": "get_weather", "arguments": {"city": "Oslo"}}\n</tool_call>'
    parsed = parse(f"Checking.\n{call}\n{call.replace('Oslo', 'Bergen')}")
    assert parsed["content"] == "Checking."
    functions = [c["function"] for c in parsed["tool_calls"]]
    assert [(f["name"], f["arguments"]) for f in functions] == [
        ("get_weather", {"city": "Oslo"}),
        ("get_weather", {"city": "Bergen"}),
    ]
    assert parse("It is sunny.") == {"role": "assistant", "content": "It is sunny."}


def test_bad_model_names_are_user_errors(tmp_path: Path) -> None:
    with pytest.raises(UserError, match="unknown random model shape 'nope'"):
        load_model(ModelConfig(name_or_path="random:nope", cache_dir=tmp_path))
    with pytest.raises(UserError, match="cannot load model"):
        load_model(ModelConfig(name_or_path=str(tmp_path / "missing"), cache_dir=tmp_path))
