"""How many tokens the rendering costs: teacher episodes as SFT rows, tokenized.

Records reference-teacher episodes (trial and direct) on the train tasks of every in-domain
bundled environment, builds the SFT rows (`toolmaster.train.episode_row`, what training and
inference render), and tokenizes each with SmolLM2-135M-Instruct's tokenizer under ToolMaster's
chat template. Prints, per mode: tokens per row, the tool section's tokens (the row rendered with
and without its tools) and share, the system prompt's tokens, and the assistant tokens (the only
ones with loss).

    uv run python bench/prompt_tokens.py [--tasks-per-env 8]
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
from functools import partial
from typing import Any

import anyio
from toolmaster.agent import (
    CHATML_TOOLS_TEMPLATE,
    AgentConfig,
    load_embedded_model,
    reference_policy,
    run_env_tasks,
)
from toolmaster.core import Episode, Mode, environments
from toolmaster.train import TRAINING_CHAT_TEMPLATE, episode_row


def teacher_episodes(per_env: int, mode: Mode) -> list[Episode]:
    episodes: list[Episode] = []
    for env in environments().values():
        if env.out_of_domain:
            continue
        tasks = random.Random(0).sample(env.tasks("train"), per_env)
        config = AgentConfig(mode=mode, max_turns=40, max_trial_calls=20)
        policy = reference_policy(env, mode, seed=0)
        got = anyio.run(partial(run_env_tasks, env, tasks, policy, config))
        episodes += [e for e in got if e.verdict is not None and e.verdict.passed]
    return episodes


def count(tokenizer: Any, row: dict[str, Any], tools: list[Any]) -> int:
    ids = tokenizer.apply_chat_template(
        row["messages"],
        tools=tools or None,
        chat_template=CHATML_TOOLS_TEMPLATE,
        tokenize=True,
        return_dict=False,
    )
    return len(ids)


def assistant_tokens(tokenizer: Any, row: dict[str, Any]) -> int:
    out = tokenizer.apply_chat_template(
        row["messages"],
        tools=json.loads(row["tools"]),
        chat_template=TRAINING_CHAT_TEMPLATE,
        tokenize=True,
        return_dict=True,
        return_assistant_tokens_mask=True,
    )
    return int(sum(out["assistant_masks"]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks-per-env", type=int, default=8)
    args = parser.parse_args()
    _, tokenizer = load_embedded_model()
    head = ("rows", "tokens", "tools", "share", "system", "assistant")
    print(f"{'mode':7} " + " ".join(f"{h:>{max(6, len(h))}}" for h in head))
    modes: tuple[Mode, ...] = ("direct", "trial")
    for mode in modes:
        rows = [episode_row(e) for e in teacher_episodes(args.tasks_per_env, mode)]
        total, tools, system, assistant = [], [], [], []
        for row in rows:
            schemas = json.loads(row["tools"])
            with_tools = count(tokenizer, row, schemas)
            total.append(with_tools)
            tools.append(with_tools - count(tokenizer, row, []))
            system.append(len(tokenizer.encode(row["messages"][0]["content"] or "")))
            assistant.append(assistant_tokens(tokenizer, row))
        mean = statistics.fmean
        print(
            f"{mode:7} {len(rows):6d} {mean(total):6.0f} {mean(tools):6.0f} "
            f"{mean(tools) / mean(total):6.1%} {mean(system):6.0f} {mean(assistant):9.0f}"
        )


if __name__ == "__main__":
    main()
