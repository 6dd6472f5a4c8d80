"""The weather environment: tasks, verifier, reference solver, server conventions, stdio."""

from __future__ import annotations

import random

import pytest
from mcp import Client
from toolmaster.core import Split, Task
from toolmaster.envs.weather import ENV
from toolmaster.envs.weather._tasks import generate
from toolmaster.envs.weather._verify import pick_number
from toolmaster.envs.weather._world import PLACES, build_world

from tests.envs.common import Blindfolded
from tests.envs.driver import run_solver

pytestmark = pytest.mark.anyio


LISBON = next(p for p in PLACES if p.label == "Lisbon, Portugal")


def _sample(split: Split, k: int) -> list[tuple[int, Task]]:
    tasks = list(enumerate(ENV.tasks(split)))
    return random.Random(f"sample-{split}").sample(tasks, k)


# ---------------------------------------------------------------- the environment object


# ---------------------------------------------------------------- tasks


def test_prompts_are_distinct_and_tasks_name_their_kind() -> None:
    everything = ENV.tasks("train") + ENV.tasks("test")
    assert len({t.prompt for t in everything}) == len(everything)
    for task in everything:
        assert task.expected["kind"] == task.metadata["kind"]


def test_test_split_uses_held_out_cities() -> None:
    def cities(split: Split) -> set[str]:
        return {str(p) for t in ENV.tasks(split) for p in t.metadata["places"]}  # type: ignore[union-attr]

    assert cities("train").isdisjoint(cities("test"))
    assert len(cities("test")) >= 15


def test_tasks_and_worlds_are_deterministic() -> None:
    for split in ("train", "test"):
        assert list(generate.__wrapped__(split)) == ENV.tasks(split)
    assert build_world.__wrapped__(7) == build_world.__wrapped__(7)
    assert build_world(7) != build_world(8)
    first, again = build_world.__wrapped__(7), build_world.__wrapped__(7)
    city = first.id_of(LISBON)
    assert first.days(city) == again.days(city)


# ---------------------------------------------------------------- the server


async def test_tool_annotations_are_truthful() -> None:
    session = ENV.open(seed=1)
    async with Client(session.server) as client:
        tools = {t.name: t for t in (await client.list_tools()).tools}
    assert set(tools) == {
        "find_city",
        "get_forecast",
        "list_favorites",
        "add_favorite",
        "remove_favorite",
    }
    for name in ("find_city", "get_forecast", "list_favorites"):
        assert tools[name].annotations is not None
        assert tools[name].annotations.read_only_hint is True
    add, remove = tools["add_favorite"].annotations, tools["remove_favorite"].annotations
    assert add is not None
    assert add.read_only_hint is False
    assert add.destructive_hint is False
    assert remove is not None
    assert remove.read_only_hint is False
    assert remove.destructive_hint is True


async def test_hidden_conventions_show_up_only_when_tried() -> None:
    session = ENV.open(seed=3)
    world = build_world(3)
    city = world.id_of(LISBON)
    day1 = world.days(city)[1]
    async with Client(session.server) as client:
        by_name = await client.call_tool("get_forecast", {"city": "Lisbon"})
        assert by_name.is_error
        found = await client.call_tool("find_city", {"query": "Lisbon"})
        assert found.structured_content == {
            "matches": [{"id": city, "name": "Lisbon", "region": None, "country": "Portugal"}]
        }
        kelvin = await client.call_tool("get_forecast", {"city": city, "day": 1})
        metric = await client.call_tool(
            "get_forecast", {"city": city, "day": "1", "units": "metric"}
        )
        dated = await client.call_tool("get_forecast", {"city": city, "day": day1["date"]})
        too_far = await client.call_tool("get_forecast", {"city": city, "day": 7})
        celsius = await client.call_tool("get_forecast", {"city": city, "units": "celsius"})
        today = await client.call_tool("get_forecast", {"city": city, "units": "metric"})
    assert today.structured_content is not None
    assert today.structured_content["temp_max"] == world.days(city)[0]["temp_max_c"]
    assert kelvin.structured_content is not None
    assert metric.structured_content is not None
    assert kelvin.structured_content["temp_max"] == pytest.approx(day1["temp_max_c"] + 273.15)
    assert metric.structured_content["temp_max"] == day1["temp_max_c"]
    assert metric.structured_content["date"] == day1["date"]
    assert metric.structured_content["wind"] == f"{day1['wind_kn']:.1f} kn"
    assert dated.is_error
    assert "E_DAY_TOKEN" in dated.content[0].text
    assert too_far.is_error
    assert "E_DAY_RANGE" in too_far.content[0].text
    assert celsius.is_error
    assert "metric" in celsius.content[0].text


async def test_snapshot_and_restore_undo_favourite_changes() -> None:
    session = ENV.open(seed=4)
    world = build_world(4)
    before = session.state()
    snapshot = session.snapshot()
    city = next(c["id"] for c in world.cities if c["id"] not in world.favorites)
    async with Client(session.server) as client:
        added = await client.call_tool("add_favorite", {"city": city})
        assert not added.is_error
        assert session.state()["favorites"] == [*world.favorites, city]
        session.restore(snapshot)
        assert session.state() == before
        listed = await client.call_tool("list_favorites", {})
    assert listed.structured_content == {
        "favorites": [
            {"id": i, "name": next(c["name"] for c in world.cities if c["id"] == i)}
            for i in world.favorites
        ]
    }


# ---------------------------------------------------------------- the verifier


def _task(kind: str, split: Split = "train") -> Task:
    return next(t for t in ENV.tasks(split) if t.metadata["kind"] == kind)


@pytest.mark.parametrize(
    ("text", "unit", "value"),
    [
        ("It will be 22.2 °C.", "C", 22.2),
        ("about 22,2 degrees", "C", 22.2),
        ("72.0 °F (22.2 °C)", "C", 22.2),
        ("In 3 days it reaches 295.35 K, i.e. 22.2°C", "C", 22.2),
        ("On 2025-06-16: 40%", "pct", 40.0),
        ("12.4 kn, which is 23 km/h", "kmh", 23.0),
        ("-3.5 °F", "F", -3.5),
        ("\u22123.5 °F", "F", -3.5),
        ("no idea", "C", None),
        ("12 knots", "kmh", None),
    ],
)
def test_numbers_are_read_with_their_units(text: str, unit: str, value: float | None) -> None:
    assert pick_number(text, unit) == value


def test_verifier_accepts_right_and_rejects_wrong_numbers() -> None:
    for kind in ("max_c", "min_f", "wind_kmh", "rain_pct"):
        task = _task(kind)
        value = float(task.expected["value"])  # type: ignore[arg-type]
        unit = {"max_c": "°C", "min_f": "°F", "wind_kmh": "km/h", "rain_pct": "%"}[kind]
        assert ENV.verify(task, f"{value + 0.4:.2f} {unit}", {}).passed
        assert ENV.verify(task, f"It will be {value:.1f}", {}).passed
        assert not ENV.verify(task, f"{value + 1:.1f} {unit}", {}).passed
        assert not ENV.verify(task, "I could not find out.", {}).passed
        assert not ENV.verify(task, None, {}).passed
    kelvin = _task("max_c")
    assert not ENV.verify(kelvin, f"{float(kelvin.expected['value']) + 273.15:.2f}", {}).passed  # type: ignore[arg-type]
    knots = _task("wind_kmh")
    assert not ENV.verify(knots, f"{float(knots.expected['value']) / 1.852:.1f}", {}).passed  # type: ignore[arg-type]
    rain = _task("rain_pct")
    fraction = float(rain.expected["value"]) / 100  # type: ignore[arg-type]
    if abs(fraction - float(rain.expected["value"])) > 0.5:  # type: ignore[arg-type]
        assert not ENV.verify(rain, f"{fraction}", {}).passed


def test_verifier_judges_cities_and_dates() -> None:
    warmer = _task("warmer")
    winner, loser = str(warmer.expected["winner"]), str(warmer.expected["loser"])
    assert ENV.verify(warmer, winner, {}).passed
    assert ENV.verify(warmer, f"{winner} will be warmer than {loser}.", {}).passed
    assert not ENV.verify(warmer, loser, {}).passed
    assert not ENV.verify(warmer, f"{loser} is warmer than {winner}", {}).passed
    assert not ENV.verify(warmer, "neither", {}).passed
    warmest = _task("warmest_day")
    right = str(warmest.expected["date"])
    assert ENV.verify(warmest, f"It is {right}.", {}).passed
    assert not ENV.verify(warmest, "It is 1999-01-01.", {}).passed
    assert not ENV.verify(warmest, "Tuesday", {}).passed


def test_verifier_checks_the_favourites() -> None:
    task = _task("favorite")
    expected = [str(c) for c in task.expected["favorites"]]  # type: ignore[union-attr]
    assert ENV.verify(task, "done", {"favorites": list(expected)}).passed
    assert not ENV.verify(task, "done", {"favorites": expected[:-1]}).passed
    world = build_world(task.seed or 0)
    other = next(c["id"] for c in world.cities if c["id"] not in expected)
    assert not ENV.verify(task, "done", {"favorites": [*expected[:-1], other]}).passed
    assert not ENV.verify(task, "done", {"favorites": [*expected, other]}).passed


# ---------------------------------------------------------------- the reference solver


async def test_solver_trials_then_executes_without_peeking() -> None:
    for index, task in _sample("test", 7):
        run = await run_solver(Blindfolded(ENV), task, mode="trial", seed=index)  # type: ignore[arg-type]
        assert run.verdict.passed, run.verdict
        assert run.trial_calls >= 4
        finish = [c for t in run.turns for c in t.tool_calls if c.tool == "finish_trial"]
        assert len(finish) == 1
        notes = str(finish[0].arguments["notes"])
        assert "Kelvin" in notes
        assert "offset" in notes
        assert "find_city" in notes
        phases = [c.phase for t in run.turns for c in t.tool_calls]
        assert phases == sorted(phases, key=lambda p: p == "execute")
        direct = await run_solver(Blindfolded(ENV), task, mode="direct", seed=index)  # type: ignore[arg-type]
        assert direct.verdict.passed, direct.verdict
        assert direct.trial_calls == 0
        assert all(c.tool != "finish_trial" for t in direct.turns for c in t.tool_calls)
