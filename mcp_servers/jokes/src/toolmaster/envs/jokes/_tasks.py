"""The task generator of the jokes environment.

Every task has its own world seed. Train tasks ask about the train categories, test tasks about
held-out categories (Christmas, Dogs, Coffee, Physics, Office) on seeds of their own.
"""

from __future__ import annotations

import random
from functools import cache

from toolmaster.core import Split, Task
from toolmaster.envs.jokes._catalogue import CATEGORIES
from toolmaster.envs.jokes._world import JokeRow, build_world
from toolmaster.envs.kit import task

ENV_NAME = "jokes"
TASK_COUNTS: dict[Split, int] = {"train": 160, "test": 80}
SEED_BASE: dict[Split, int] = {"train": 10_000, "test": 90_000}
KINDS = ("jokes", "jokes", "joke_id", "count", "top")

_JOKES_PROMPTS = (
    "Give me {n} {label} jokes.",
    "I need {n} different {label} jokes for a party. Please list them.",
    "Tell me {n} jokes about {lower}.",
)
_ID_PROMPTS = (
    "What's the id of the joke that mentions '{keyword}'?",
    "Find the joke containing '{keyword}' and tell me its id.",
)
_COUNT_PROMPTS = (
    "How many {label} jokes are there in the joke catalogue?",
    "How many jokes about {lower} do you have?",
)
_TOP_PROMPTS = (
    "What's the highest-rated {label} joke? Quote it exactly.",
    "Which {lower} joke has the best rating? Give me its text.",
)


@cache
def generate(split: Split) -> tuple[Task, ...]:
    """All tasks of `split`, deterministically."""
    rng = random.Random(f"{ENV_NAME}/{split}")
    specs = [c for c in CATEGORIES if c.split == split]
    tasks: list[Task] = []
    for index in range(TASK_COUNTS[split]):
        seed = SEED_BASE[split] + index
        world = build_world(seed)
        spec = rng.choice(specs)
        kind = KINDS[index % len(KINDS)]
        label, lower = spec.name, spec.name.lower()
        in_category = [j for j in world["jokes"] if j["category"] == spec.code]
        expected: dict[str, object]
        meta: dict[str, object] = {"kind": kind, "label": label}
        if kind == "jokes":
            n = rng.randint(2, 4)
            prompt = rng.choice(_JOKES_PROMPTS).format(n=n, label=label, lower=lower)
            expected = {"category": spec.code, "count": n}
            meta["count"] = n
        elif kind == "joke_id":
            joke = rng.choice(in_category)
            keyword = _keyword_of(joke)
            prompt = rng.choice(_ID_PROMPTS).format(keyword=keyword)
            expected = {"joke_id": joke["id"]}
            meta = {"kind": kind, "keyword": keyword}
        elif kind == "count":
            prompt = rng.choice(_COUNT_PROMPTS).format(label=label, lower=lower)
            expected = {"category": spec.code, "total": len(in_category)}
        else:
            best = max(in_category, key=lambda j: j["rating"])
            prompt = rng.choice(_TOP_PROMPTS).format(label=label, lower=lower)
            expected = {"category": spec.code, "joke_id": best["id"]}
        tasks.append(
            task(ENV_NAME, split, index, seed=seed, prompt=prompt, expected=expected, metadata=meta)
        )
    return tuple(tasks)


def _keyword_of(joke: JokeRow) -> str:
    for spec in CATEGORIES:
        for keyword, text in spec.jokes:
            if text == joke["text"]:
                return keyword
    raise LookupError(joke["id"])
