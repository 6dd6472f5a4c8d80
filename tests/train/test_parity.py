"""One rollout core: the agent loop, the SFT rows and the GRPO rollouts show the model the same
tokens.

A scripted episode (trial calls, a refused call, a tool error and its correction, `finish_trial`
or a budget-forced move, execution, the answer) is driven through the agent loop (as inference
and evaluation run it), exported as an SFT row (as `toolmaster data build` writes it), and
replayed through the GRPO environment the way trl's tool-calling loop does it: the prompt row
rendered with the environment's tool schemas, each reply tokenized as the model generated it and
parsed by trl's response parser, each parsed call sent to the environment's tool method, the tool
results appended with trl's own `_get_tool_suffix_ids`. The three token sequences must be equal,
and every prompt the loop's policy was given must be a prefix of them.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from types import SimpleNamespace
from typing import Any

import anyio
import pytest
from toolmaster.agent import (
    BUDGET_SPENT,
    Agent,
    AgentConfig,
    AssistantTurn,
    ScriptedPolicy,
    chat_input,
    offered_tools,
    render_prompt,
    render_tool_calls,
)
from toolmaster.core import (
    FINISH_TRIAL,
    Episode,
    Message,
    Sampling,
    Task,
    ToolCall,
    ToolSpec,
    Turn,
    Verdict,
)
from toolmaster.mcp import InProcessServerSpec, Toolbox
from toolmaster.train import (
    TRAINING_CHAT_TEMPLATE,
    RolloutHub,
    RolloutSettings,
    WorldTasks,
    environment_class,
    episode_row,
    prompt_rows,
)
from toolmaster.train._templates import attach_response_parser
from toolmaster.train._worlds import ServersWorld
from trl.chat_template_utils import parse_response
from trl.trainer.grpo_trainer import GRPOTrainer

from tests.agent.tiny import build_tokenizer
from tests.mcp.servers.memory import calc_server

TASK = Task(id="calc/parity", prompt="Add 2 and 3, then echo the sum.")


def call(tool: str, **arguments: Any) -> ToolCall:
    return ToolCall(id="", tool=tool, arguments=arguments)


FINISHED = [  # trial, a refusal, a trial error, finish_trial, an execution error and its fix
    Turn(tool_calls=[call("add", a=2, b=3)]),
    Turn(content="Can I echo?", tool_calls=[call("echo", text="hi")]),
    Turn(tool_calls=[call("add", a="two", b=3)]),
    Turn(tool_calls=[call(FINISH_TRIAL, notes="add takes integers; echo is not read-only")]),
    Turn(tool_calls=[call("add", a="2", b="x")]),
    Turn(tool_calls=[call("add", a=2, b=3), call("echo", text="5")]),
    Turn(content="The sum is 5."),
]

FORCED = [  # the budget spent mid-turn, the rest of the turn executed, finish_trial refused
    Turn(tool_calls=[call("add", a=1, b=1)]),
    Turn(tool_calls=[call("add", a=1, b=2), call("echo", text="3")]),
    Turn(tool_calls=[call(FINISH_TRIAL, notes="too late")]),
    Turn(tool_calls=[call("divide", a=1, b=0)]),
    Turn(tool_calls=[call("divide", a=6, b=2)]),
    Turn(content="Done: 3."),
]


class Rendering(ScriptedPolicy):
    """The scripted policy, recording each prompt as a transformers policy would render it."""

    def __init__(self, turns: Sequence[Turn], tokenizer: Any) -> None:
        super().__init__(turns)
        self.tokenizer = tokenizer
        self.prompts: list[str] = []

    async def complete(
        self, messages: Sequence[Message], tools: Sequence[ToolSpec], sampling: Sampling
    ) -> AssistantTurn:
        self.prompts.append(render_prompt(self.tokenizer, messages, tools))
        return await super().complete(messages, tools, sampling)


def world() -> ServersWorld:
    """The calc server with no sandbox: its tools not marked read-only are refused in trials."""
    return ServersWorld(
        name="calc",
        servers=(InProcessServerSpec(name="calc", server=calc_server()),),
        verifier=lambda task, answer: Verdict(passed=bool(answer), score=1.0),
    )


async def loop_episode(turns: Sequence[Turn], tokenizer: Any, budget: int) -> tuple[Episode, Any]:
    policy = Rendering(turns, tokenizer)
    with anyio.fail_after(20):
        async with Toolbox(list(world().servers)) as toolbox:
            config = AgentConfig(mode="trial", max_trial_calls=budget)
            episode = await Agent(policy, toolbox, config).run(TASK)
    assert episode.error is None, episode.error
    return episode, policy


def grpo_ids(turns: Sequence[Turn], tokenizer: Any, budget: int) -> tuple[list[int], list[str]]:
    """The token ids of the rollout as trl's GRPO tool-calling loop builds them, and the tool
    results the environment returned."""
    trainer = SimpleNamespace(  # what trl's `_get_tool_suffix_ids` reads of its trainer
        processing_class=tokenizer,
        _tokenizer=tokenizer,
        chat_template=None,  # trl keeps a prefix-preserving template as it is
        chat_template_kwargs={},
        _is_vlm=False,
    )
    entry = WorldTasks(world=world(), tasks=[TASK])
    [row] = prompt_rows([entry], "trial")
    with RolloutHub(RolloutSettings(mode="trial", max_trial_calls=budget)) as hub:
        tools = hub.list_tools(entry.world, TASK)
        schemas = chat_input([], offered_tools(tools, trial=True)).tools  # as run_grpo renders
        environment: Any = environment_class(entry.world, tools, "trial")(
            hub.new_rollout(entry.world)
        )
        environment.reset(**row)
        ids: list[int] = tokenizer.apply_chat_template(
            row["prompt"],
            tools=schemas,
            add_generation_prompt=True,
            tokenize=True,
            return_dict=False,
        )
        results: list[str] = []
        for turn in turns:
            reply = render_tool_calls(turn.tool_calls, content=turn.content) + "<|im_end|>"
            completion: list[int] = tokenizer.encode(reply, add_special_tokens=False)
            parsed = parse_response(tokenizer, completion, prefix=ids, tools=schemas)
            ids += completion
            calls = parsed.get("tool_calls") or []
            assert len(calls) == len(turn.tool_calls), parsed
            if not calls:
                break
            messages: list[dict[str, Any]] = []
            for parsed_call in calls:
                function = parsed_call["function"]
                text = getattr(environment, function["name"])(**function["arguments"])
                results.append(text)
                messages.append({"role": "tool", "name": function["name"], "content": text})
            ids += GRPOTrainer._get_tool_suffix_ids(trainer, messages)
    return ids, results


SEEN = {  # what each scenario must show the model, so the test covers every protocol text
    "finished": ["Refused: `echo`", "Error", "Trial phase finished"],
    "forced": [BUDGET_SPENT, "no trial phase running", "cannot divide by zero"],
}


@pytest.mark.parametrize(
    ("name", "turns", "budget"), [("finished", FINISHED, 4), ("forced", FORCED, 2)]
)
def test_loop_sft_row_and_grpo_rollout_are_token_identical(
    name: str, turns: list[Turn], budget: int
) -> None:
    tokenizer = attach_response_parser(build_tokenizer())
    episode, policy = anyio.run(loop_episode, turns, tokenizer, budget)
    offered = offered_tools(episode.tools, trial=True)

    chat = chat_input(episode.messages, offered)
    loop_text: str = tokenizer.apply_chat_template(chat.messages, tools=chat.tools, tokenize=False)
    loop_ids: list[int] = tokenizer.encode(loop_text, add_special_tokens=False)
    for prompt in policy.prompts:  # every turn's prompt is a prefix of the whole conversation
        assert loop_text.startswith(prompt)
    assert len(policy.prompts) == len(turns)

    row = episode_row(episode)
    sft_ids: list[int] = tokenizer.apply_chat_template(
        row["messages"],
        tools=json.loads(row["tools"]),
        chat_template=TRAINING_CHAT_TEMPLATE,
        tokenize=True,
        return_dict=False,
    )

    rollout_ids, results = grpo_ids(turns, tokenizer, budget)
    tool_texts = [m.content or "" for m in episode.messages if m.role == "tool"]
    assert results == tool_texts
    assert all(any(seen in text for text in tool_texts) for seen in SEEN[name]), tool_texts
    assert sft_ids == loop_ids
    # a rendered conversation ends with the template's newline after the answer's <|im_end|>;
    # the rollout ends where the model stopped
    assert rollout_ids + tokenizer.encode("\n", add_special_tokens=False) == loop_ids
