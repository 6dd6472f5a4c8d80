"""Which budgets a perfect imitator of the teachers could pass under.

Runs the reference teacher of every bundled environment on its test split (trial and direct
mode), renders each passed episode as the model would see it (SmolLM2-135M-Instruct's tokenizer
under ToolMaster's chat template, the one rendering of training and inference), and measures
what an episode needs: model turns, trial calls, the longest assistant turn in tokens (the
per-turn generation budget), the whole conversation in tokens (the context), and the completion
as trl's GRPO counts it (everything after the prompt, tool results included). Then, for a grid of
budgets, the share of test tasks whose teacher episode fits them all: a model that imitated the
teacher perfectly could pass exactly those.

    uv run python bench/teacher_budgets.py [--tasks-per-env 40]
"""

from __future__ import annotations

import argparse
import itertools
import random
import statistics
from dataclasses import dataclass
from functools import partial
from typing import Any

import anyio
from toolmaster.agent import (
    AgentConfig,
    chat_input,
    load_embedded_model,
    offered_tools,
    reference_policy,
    run_env_tasks,
)
from toolmaster.core import Episode, Mode, environments


@dataclass(frozen=True)
class Needs:
    """What one teacher episode needs of the budgets."""

    env: str
    turns: int
    trial_calls: int
    longest_turn: int
    context: int
    completion: int


def teacher_episodes(per_env: int, mode: Mode) -> list[Episode]:
    episodes: list[Episode] = []
    config = AgentConfig(mode=mode, max_turns=64, max_trial_calls=64)
    for env in environments().values():
        tasks = env.tasks("test")
        tasks = random.Random(0).sample(tasks, min(per_env, len(tasks)))
        policy = reference_policy(env, mode, seed=0)
        episodes += anyio.run(partial(run_env_tasks, env, tasks, policy, config))
    return episodes


def needs(tokenizer: Any, episode: Episode) -> Needs:
    tools = offered_tools(episode.tools, trial=episode.mode == "trial")
    chat = chat_input(episode.messages, tools)
    whole: list[int] = tokenizer.apply_chat_template(
        chat.messages, tools=chat.tools, tokenize=True, return_dict=False
    )
    prompt: list[int] = tokenizer.apply_chat_template(
        chat.messages[:2],
        tools=chat.tools,
        tokenize=True,
        add_generation_prompt=True,
        return_dict=False,
    )
    replies = [chat_input([m], []).messages[0] for m in episode.messages if m.role == "assistant"]
    longest = max(
        len(tokenizer.apply_chat_template([reply], tokenize=True, return_dict=False))
        for reply in replies
    )
    header = len(tokenizer.encode("<|im_start|>assistant\n", add_special_tokens=False))
    return Needs(
        env=episode.env or "",
        turns=len(replies),
        trial_calls=sum(c.phase == "trial" for m in episode.messages for c in m.tool_calls),
        longest_turn=longest - header,  # what the model writes: the reply and <|im_end|>\n
        context=len(whole),
        completion=len(whole) - len(prompt),
    )


def fits(need: Needs, turns: int, trial_calls: int, per_turn: int, completion: int) -> bool:
    return (
        need.turns <= turns
        and need.trial_calls <= trial_calls
        and need.longest_turn <= per_turn
        and need.completion <= completion
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks-per-env", type=int, default=40)
    args = parser.parse_args()
    _, tokenizer = load_embedded_model()
    modes: tuple[Mode, ...] = ("direct", "trial")
    grid = list(itertools.product((8, 12, 16), (4, 8), (160, 256, 512), (2048, 4096, 8192)))
    shares: dict[Mode, list[float]] = {}
    for mode in modes:
        episodes = teacher_episodes(args.tasks_per_env, mode)
        passed = [e for e in episodes if e.verdict is not None and e.verdict.passed]
        table = [needs(tokenizer, e) for e in passed]
        print(f"\n{mode}: {len(passed)} of {len(episodes)} teacher episodes passed")
        print(f"{'':14} {'median':>7} {'p90':>7} {'max':>7}")
        for field in ("turns", "trial_calls", "longest_turn", "context", "completion"):
            values = sorted(getattr(n, field) for n in table)
            p90 = values[int(0.9 * (len(values) - 1))]
            print(f"{field:14} {statistics.median(values):7.0f} {p90:7d} {values[-1]:7d}")
        shares[mode] = [sum(fits(n, *budget) for n in table) / len(episodes) for budget in grid]
    print(
        "\nshare of test tasks a perfect imitator passes (turns, trial calls, tokens a turn, "
        "GRPO completion)"
    )
    print(f"{'budgets':28} " + " ".join(f"{m:>7}" for m in modes))
    for index, budget in enumerate(grid):
        row = " ".join(f"{shares[m][index]:7.0%}" for m in modes)
        print(f"{budget!s:28} {row}")


if __name__ == "__main__":
    main()
