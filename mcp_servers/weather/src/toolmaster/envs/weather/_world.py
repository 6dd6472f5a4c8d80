"""The weather world: a fixed gazetteer of cities and the seeded forecast state built on it.

A seed gives a `World`: city ids, today's date, the forecasts and the favourite cities to start
with. The world never changes; the only mutable state, the favourites, is plain JSON that lives
in a `JsonSession`. Temperatures are stored in °C and wind in knots; the server converts on the
way out, which is where the hidden conventions live.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cached_property, lru_cache
from typing import TypedDict, cast

from pydantic import JsonValue

HORIZON = 7
"""Forecast days served: offsets 0 (today) to 6."""

KELVIN = 273.15
KNOT_KMH = 1.852


@dataclass(frozen=True)
class Place:
    """A city of the gazetteer."""

    name: str
    region: str | None
    country: str
    climate_c: float
    """A typical maximum temperature, °C; each seed's forecast scatters around it."""
    held_out: bool = False
    """Test-split city: never used by a train task."""

    @property
    def label(self) -> str:
        """How tasks name the city: with its region where countries are large, else its country."""
        return f"{self.name}, {self.region or self.country}"


_US = "United States"
_UK = "United Kingdom"
_CA = "Canada"
_AU = "Australia"

PLACES: tuple[Place, ...] = (
    Place("Lisbon", None, "Portugal", 27),
    Place("Porto", None, "Portugal", 24, held_out=True),
    Place("Madrid", None, "Spain", 31),
    Place("Valencia", None, "Spain", 29),
    Place("Barcelona", None, "Spain", 28),
    Place("Seville", None, "Spain", 35, held_out=True),
    Place("Cordoba", None, "Spain", 36),
    Place("Paris", None, "France", 25),
    Place("Lyon", None, "France", 27, held_out=True),
    Place("Marseille", None, "France", 29),
    Place("Berlin", None, "Germany", 24),
    Place("Munich", None, "Germany", 23),
    Place("Hamburg", None, "Germany", 21),
    Place("Rome", None, "Italy", 30),
    Place("Milan", None, "Italy", 29),
    Place("Naples", None, "Italy", 30, held_out=True),
    Place("Athens", None, "Greece", 32),
    Place("Vienna", None, "Austria", 25),
    Place("Prague", None, "Czechia", 24, held_out=True),
    Place("Warsaw", None, "Poland", 23),
    Place("Amsterdam", None, "Netherlands", 21),
    Place("Brussels", None, "Belgium", 22, held_out=True),
    Place("Dublin", None, "Ireland", 19),
    Place("London", "England", _UK, 22),
    Place("Manchester", "England", _UK, 19),
    Place("Birmingham", "England", _UK, 20),
    Place("Edinburgh", "Scotland", _UK, 18),
    Place("Perth", "Scotland", _UK, 18, held_out=True),
    Place("Oslo", None, "Norway", 21),
    Place("Stockholm", None, "Sweden", 22),
    Place("Copenhagen", None, "Denmark", 21),
    Place("Helsinki", None, "Finland", 21, held_out=True),
    Place("Zurich", None, "Switzerland", 24),
    Place("Budapest", None, "Hungary", 27, held_out=True),
    Place("Istanbul", None, "Turkey", 28),
    Place("Paris", "Texas", _US, 33),
    Place("Portland", "Oregon", _US, 26),
    Place("Portland", "Maine", _US, 25, held_out=True),
    Place("Birmingham", "Alabama", _US, 32, held_out=True),
    Place("Manchester", "New Hampshire", _US, 27),
    Place("San Jose", "California", _US, 27),
    Place("Chicago", "Illinois", _US, 28),
    Place("Boston", "Massachusetts", _US, 27),
    Place("Seattle", "Washington", _US, 24),
    Place("Denver", "Colorado", _US, 30, held_out=True),
    Place("Miami", "Florida", _US, 32),
    Place("Phoenix", "Arizona", _US, 40),
    Place("Alexandria", "Virginia", _US, 31, held_out=True),
    Place("London", "Ontario", _CA, 26),
    Place("Hamilton", "Ontario", _CA, 26, held_out=True),
    Place("Toronto", "Ontario", _CA, 26),
    Place("Vancouver", "British Columbia", _CA, 22),
    Place("Montreal", "Quebec", _CA, 26, held_out=True),
    Place("Perth", "Western Australia", _AU, 19),
    Place("Sydney", "New South Wales", _AU, 17),
    Place("Melbourne", "Victoria", _AU, 14, held_out=True),
    Place("Valencia", None, "Venezuela", 31, held_out=True),
    Place("Cordoba", None, "Argentina", 19, held_out=True),
    Place("San Jose", None, "Costa Rica", 26, held_out=True),
    Place("Mexico City", None, "Mexico", 24),
    Place("Lima", None, "Peru", 19),
    Place("Bogota", None, "Colombia", 19, held_out=True),
    Place("Santiago", None, "Chile", 15),
    Place("Buenos Aires", None, "Argentina", 15),
    Place("Sao Paulo", None, "Brazil", 23),
    Place("Tokyo", None, "Japan", 27),
    Place("Osaka", None, "Japan", 29, held_out=True),
    Place("Seoul", None, "South Korea", 28),
    Place("Beijing", None, "China", 30),
    Place("Singapore", None, "Singapore", 31),
    Place("Bangkok", None, "Thailand", 33),
    Place("Mumbai", None, "India", 31),
    Place("Delhi", None, "India", 38, held_out=True),
    Place("Dubai", None, "United Arab Emirates", 41),
    Place("Cairo", None, "Egypt", 35),
    Place("Alexandria", None, "Egypt", 30),
    Place("Nairobi", None, "Kenya", 23, held_out=True),
    Place("Cape Town", None, "South Africa", 18),
    Place("Auckland", None, "New Zealand", 14),
    Place("Hamilton", None, "New Zealand", 14),
)

_SUMMARIES = ("clear sky", "few clouds", "overcast", "light rain", "showers", "thunderstorms")


class CityRecord(TypedDict):
    id: str
    name: str
    region: str | None
    country: str


class DayRecord(TypedDict):
    date: str
    temp_max_c: float
    temp_min_c: float
    wind_kn: float
    precip_prob: float
    summary: str


@dataclass(frozen=True)
class World:
    """What a seed fixes: city ids, today's date, the forecasts, the starting favourites.

    Shared between sessions (cached per seed); never changed. Forecasts are drawn per city, on
    first use, from their own seeded generator.
    """

    seed: int
    today: date
    cities: tuple[CityRecord, ...]
    favorites: tuple[str, ...]
    """The favourite city ids a session starts with."""

    def city(self, city_id: str) -> CityRecord | None:
        """The city with this id, if any."""
        index = self._index.get(city_id)
        return None if index is None else self.cities[index]

    def days(self, city_id: str) -> list[DayRecord]:
        """The forecast of a city, from today on (a fresh list of fresh records)."""
        return [day.copy() for day in _forecast(self.seed, self._index[city_id], self.today)]

    def id_of(self, place: Place) -> str:
        """The id `place` has in this world."""
        return self.cities[PLACES.index(place)]["id"]

    @cached_property
    def _index(self) -> dict[str, int]:
        return {c["id"]: i for i, c in enumerate(self.cities)}


class WeatherState(TypedDict):
    """The mutable state of a session (the JSON in its `JsonSession`)."""

    favorites: list[str]
    """City ids, in the order they were added."""


@lru_cache(maxsize=4096)
def build_world(seed: int) -> World:
    """The world for `seed` (cached)."""
    rng = random.Random(f"weather-world-{seed}")
    today = date(2025, 5, 20) + timedelta(days=rng.randrange(90))
    ids = rng.sample(range(100_000, 1_000_000), len(PLACES))
    cities = tuple(
        CityRecord(id=f"L{number}", name=p.name, region=p.region, country=p.country)
        for p, number in zip(PLACES, ids, strict=True)
    )
    favorites = tuple(c["id"] for c in rng.sample(cities, rng.randrange(3)))
    return World(seed=seed, today=today, cities=cities, favorites=favorites)


@lru_cache(maxsize=8192)
def _forecast(seed: int, index: int, today: date) -> tuple[DayRecord, ...]:
    rng = random.Random(f"weather-forecast-{seed}-{index}")
    base = PLACES[index].climate_c + rng.gauss(0, 2.5)
    days: list[DayRecord] = []
    for offset in range(HORIZON):
        high = round(base + rng.uniform(-4.5, 4.5), 1)
        precip = round(rng.choice(range(0, 101, 5)) / 100, 2)
        days.append(
            {
                "date": (today + timedelta(days=offset)).isoformat(),
                "temp_max_c": high,
                "temp_min_c": round(high - rng.uniform(4, 12), 1),
                "wind_kn": round(rng.uniform(3, 28), 1),
                "precip_prob": precip,
                "summary": _SUMMARIES[min(int(precip * 6), 5)],
            }
        )
    return tuple(days)


def initial_state(world: World) -> WeatherState:
    """A fresh mutable state for a session on `world`."""
    return {"favorites": list(world.favorites)}


def as_json(state: WeatherState) -> dict[str, JsonValue]:
    """The state as the JSON object a `JsonSession` holds."""
    return cast(dict[str, JsonValue], state)


def as_state(data: dict[str, JsonValue]) -> WeatherState:
    """A `JsonSession`'s JSON object read as the weather state (the session only ever holds one)."""
    return cast(WeatherState, data)
