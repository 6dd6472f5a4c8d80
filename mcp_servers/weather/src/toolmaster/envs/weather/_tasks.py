"""The weather task generator: seven kinds of question, train and test splits.

Test tasks use only held-out cities (`Place.held_out`) and seeds from a range train never uses.
`Task.metadata` restates what the prompt says in structured form (kind, places, the day phrase);
`Task.expected` holds what the verifier needs and is never shown to a model.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import cache
from typing import Literal

from pydantic import JsonValue
from toolmaster.core import Split, Task
from toolmaster.envs.kit import task_id
from toolmaster.envs.weather._world import (
    HORIZON,
    KNOT_KMH,
    PLACES,
    Place,
    World,
    build_world,
)

ENV_NAME = "weather"
VERSION = "v1"

Kind = Literal["max_c", "min_f", "wind_kmh", "rain_pct", "warmer", "warmest_day", "favorite"]
KINDS: tuple[Kind, ...] = (
    "max_c",
    "min_f",
    "wind_kmh",
    "rain_pct",
    "warmer",
    "warmest_day",
    "favorite",
)
PER_KIND: dict[Split, int] = {"train": 30, "test": 12}
_SEED_RANGE: dict[Split, tuple[int, int]] = {"train": (0, 500_000), "test": (500_000, 1_000_000)}


def places(split: Split) -> list[Place]:
    """The cities a split's tasks may name."""
    return [p for p in PLACES if p.held_out == (split == "test")]


@dataclass
class _Draft:
    """A task being drawn: its world, the cities and day picked, what it records."""

    kind: Kind
    world: World
    places: list[Place]
    offset: int
    when: str
    meta: dict[str, JsonValue] = field(default_factory=dict[str, JsonValue])
    expected: dict[str, JsonValue] = field(default_factory=dict[str, JsonValue])


@cache
def generate(split: Split) -> tuple[Task, ...]:
    """All tasks of `split`, deterministically, in a fixed order."""
    rng = random.Random(f"weather-tasks-{split}")
    pool = places(split)
    seeds: set[int] = set()
    prompts: set[str] = set()
    tasks: list[Task] = []
    for kind in KINDS:
        made = 0
        while made < PER_KIND[split]:
            seed = rng.randrange(*_SEED_RANGE[split])
            if seed in seeds:
                continue
            world = build_world(seed)
            offset = rng.randrange(HORIZON)
            draft = _Draft(
                kind, world, rng.sample(pool, 2), offset, when_phrase(rng, offset, world.today)
            )
            prompt = _draw(draft, rng)
            if prompt is None or prompt in prompts:
                continue
            draft.meta.update(kind=kind, version=VERSION)
            draft.expected["kind"] = kind
            seeds.add(seed)
            prompts.add(prompt)
            tasks.append(
                Task(
                    id=task_id(ENV_NAME, split, len(tasks)),
                    prompt=prompt,
                    env=ENV_NAME,
                    split=split,
                    seed=seed,
                    expected=draft.expected,
                    metadata=draft.meta,
                )
            )
            made += 1
    return tuple(tasks)


def when_phrase(rng: random.Random, offset: int, today: date) -> str:
    """How a prompt names the day `offset` days after `today`."""
    if rng.random() < 0.3:
        return f"on {(today + timedelta(days=offset)).isoformat()}"
    if offset == 0:
        return "today"
    if offset == 1:
        return "tomorrow"
    if offset == 2 and rng.random() < 0.5:
        return "the day after tomorrow"
    return f"in {offset} days"


def _draw(draft: _Draft, rng: random.Random) -> str | None:
    """The prompt of the draft (filling its metadata and expectations), or None to redraw."""
    if draft.kind in ("warmer", "favorite"):
        return _compare(draft)
    if draft.kind == "warmest_day":
        return _warmest(draft, rng.randrange(3, 6))
    return _single(draft)


def _single(draft: _Draft) -> str:
    place, when = draft.places[0], draft.when
    day = draft.world.days(draft.world.id_of(place))[draft.offset]
    draft.meta.update(places=[place.label], when=when)
    expected = draft.expected
    expected["date"] = day["date"]
    if draft.kind == "max_c":
        expected.update(value=day["temp_max_c"], unit="C")
        return f"What will the maximum temperature in {place.label} be {when}, in °C?"
    if draft.kind == "min_f":
        expected.update(value=round(day["temp_min_c"] * 9 / 5 + 32, 2), unit="F")
        return f"What will the minimum temperature in {place.label} be {when}, in °F?"
    if draft.kind == "wind_kmh":
        expected.update(value=round(day["wind_kn"] * KNOT_KMH, 2), unit="kmh")
        return f"What wind speed is forecast for {place.label} {when}, in km/h?"
    expected.update(value=round(day["precip_prob"] * 100, 1), unit="pct")
    return f"What is the chance of precipitation in {place.label} {when}, in percent?"


def _compare(draft: _Draft) -> str | None:
    world, (first, second), when = draft.world, draft.places, draft.when
    if first.name == second.name:
        return None
    ids = [world.id_of(first), world.id_of(second)]
    if any(i in world.favorites for i in ids):
        return None
    days = [world.days(i)[draft.offset] for i in ids]
    highs = [d["temp_max_c"] for d in days]
    if abs(highs[0] - highs[1]) < 1.0:
        return None
    win = 0 if highs[0] > highs[1] else 1
    draft.meta.update(places=[first.label, second.label], when=when)
    draft.expected.update(
        winner=draft.places[win].name, loser=draft.places[1 - win].name, date=days[0]["date"]
    )
    if draft.kind == "warmer":
        return (
            f"Which will be warmer {when} (higher maximum temperature): {first.label} or "
            f"{second.label}? Answer with the city name."
        )
    draft.expected["favorites"] = [*world.favorites, ids[win]]
    return (
        f"Add whichever of {first.label} or {second.label} will have the higher maximum "
        f"temperature {when} to my favourite cities."
    )


def _warmest(draft: _Draft, days: int) -> str | None:
    place = draft.places[0]
    forecast = draft.world.days(draft.world.id_of(place))[:days]
    highs = sorted((d["temp_max_c"] for d in forecast), reverse=True)
    if highs[0] - highs[1] < 0.5:
        return None
    best = max(forecast, key=lambda d: d["temp_max_c"])
    draft.meta.update(places=[place.label], days=days)
    draft.expected["date"] = best["date"]
    return (
        f"Which of the next {days} days (starting today) will have the highest maximum "
        f"temperature in {place.label}? Answer with the date as YYYY-MM-DD."
    )
