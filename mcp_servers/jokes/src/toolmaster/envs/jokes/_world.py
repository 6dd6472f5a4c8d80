"""The seeded state of a joke world: which jokes the catalogue holds, their ids and ratings."""

from __future__ import annotations

import random
from typing import TypedDict, cast

from pydantic import JsonValue
from toolmaster.envs.jokes._catalogue import CATEGORIES

MAX_COUNT = 10
"""The most jokes `joke_finder` returns in one call (undocumented)."""


class CategoryRow(TypedDict):
    id: str
    code: str
    name: str


class JokeRow(TypedDict):
    id: str
    category: str
    text: str
    rating: float


class World(TypedDict):
    categories: list[CategoryRow]
    jokes: list[JokeRow]


def build_world(seed: int) -> World:
    """The catalogue for `seed`: 5 to 8 jokes per category, shuffled ids and distinct ratings."""
    rng = random.Random(seed)
    numbers = rng.sample(range(1, 40), len(CATEGORIES))
    categories = [
        CategoryRow(id=f"cat_{n}", code=spec.code, name=spec.name)
        for n, spec in zip(numbers, CATEGORIES, strict=True)
    ]
    categories.sort(key=lambda c: int(c["id"].removeprefix("cat_")))
    jokes: list[JokeRow] = []
    ids = iter(rng.sample(range(1000, 10000), sum(len(c.jokes) for c in CATEGORIES)))
    for spec in CATEGORIES:
        chosen = rng.sample(spec.jokes, rng.randint(5, len(spec.jokes)))
        ratings = rng.sample(range(20, 51), len(chosen))
        for (_keyword, text), rating in zip(chosen, ratings, strict=True):
            jokes.append(
                JokeRow(id=f"J{next(ids)}", category=spec.code, text=text, rating=rating / 10)
            )
    rng.shuffle(jokes)
    return World(categories=categories, jokes=jokes)


def as_json(world: World) -> dict[str, JsonValue]:
    """The world as the JSON object a `JsonSession` holds."""
    return cast(dict[str, JsonValue], world)


def as_world(data: dict[str, JsonValue]) -> World:
    """A session's (or verifier state's) JSON object read as a world."""
    return cast(World, data)
