"""The weather MCP server: tools over one `WeatherState`.

The tool descriptions are what a model reads; they are deliberately as thin as many real APIs
are. What they leave out (README, "Hidden conventions") is what trials reveal.
"""

from __future__ import annotations

from functools import cache
from typing import Annotated, Any

from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from mcp.server.mcpserver.tools import Tool
from mcp.types import ToolAnnotations
from pydantic import BaseModel, Field
from toolmaster.envs import kit
from toolmaster.envs.weather._world import (
    HORIZON,
    KELVIN,
    CityRecord,
    DayRecord,
    WeatherState,
    World,
    as_json,
    build_world,
    initial_state,
)

UNIT_SYSTEMS = ("standard", "metric", "imperial")


class City(BaseModel):
    id: str
    name: str
    region: str | None
    country: str


class CityMatches(BaseModel):
    matches: list[City]


class Forecast(BaseModel):
    location: str
    date: str
    temp_max: float
    temp_min: float
    wind: str
    precip_prob: float
    summary: str


class FavoriteCity(BaseModel):
    id: str
    name: str


class Favorites(BaseModel):
    favorites: list[FavoriteCity]


def _convert(celsius: float, units: str) -> float:
    if units == "metric":
        return round(celsius, 1)
    if units == "imperial":
        return round(celsius * 9 / 5 + 32, 1)
    return round(celsius + KELVIN, 2)


class WeatherTools:
    """The tools, bound to one world and one mutable state (changed in place by favourites)."""

    def __init__(self, world: World, state: WeatherState) -> None:
        self.world = world
        self.state = state

    def _city(self, key: str) -> CityRecord:
        city = self.world.city(key)
        if city is None:
            raise ToolError(f"unknown location key {key!r}")
        return city

    async def find_city(self, query: Annotated[str, Field(description="city name")]) -> CityMatches:
        needle = query.strip().casefold()
        if not needle:
            raise ToolError("query must not be empty")
        return CityMatches(
            matches=[City(**c) for c in self.world.cities if needle in c["name"].casefold()]
        )

    async def get_forecast(
        self,
        city: Annotated[str, Field(description="the city")],
        day: Annotated[int | str, Field(description="which day")] = 0,
        units: Annotated[str | None, Field(description="unit system")] = None,
    ) -> Forecast:
        record = self._city(city)
        offset = _day_offset(day)
        system = "standard" if units is None else units.strip().lower()
        if system not in UNIT_SYSTEMS:
            raise ToolError(
                f"unsupported units {units!r}; expected one of {', '.join(UNIT_SYSTEMS)}"
            )
        entry: DayRecord = self.world.days(record["id"])[offset]
        return Forecast(
            location=record["id"],
            date=entry["date"],
            temp_max=_convert(entry["temp_max_c"], system),
            temp_min=_convert(entry["temp_min_c"], system),
            wind=f"{entry['wind_kn']:.1f} kn",
            precip_prob=entry["precip_prob"],
            summary=entry["summary"],
        )

    async def list_favorites(self) -> Favorites:
        return self._favorites()

    async def add_favorite(self, city: Annotated[str, Field(description="the city")]) -> Favorites:
        record = self._city(city)
        if record["id"] not in self.state["favorites"]:
            self.state["favorites"].append(record["id"])
        return self._favorites()

    async def remove_favorite(
        self, city: Annotated[str, Field(description="the city")]
    ) -> Favorites:
        record = self._city(city)
        if record["id"] not in self.state["favorites"]:
            raise ToolError(f"{record['id']} is not a favorite")
        self.state["favorites"].remove(record["id"])
        return self._favorites()

    def _favorites(self) -> Favorites:
        names = {c["id"]: c["name"] for c in self.world.cities}
        return Favorites(
            favorites=[FavoriteCity(id=i, name=names[i]) for i in self.state["favorites"]]
        )


def _day_offset(day: int | str) -> int:
    if isinstance(day, str):
        token = day.strip()
        if not token.lstrip("-").isdigit():
            raise ToolError(f"E_DAY_TOKEN: {day!r}")
        day = int(token)
    if not 0 <= day < HORIZON:
        raise ToolError(f"E_DAY_RANGE: {day}")
    return day


_READ = ToolAnnotations(read_only_hint=True, open_world_hint=False)
_TOOLS: tuple[tuple[str, str, ToolAnnotations], ...] = (
    ("find_city", "Look up cities by name.", _READ),
    ("get_forecast", "Daily weather forecast for a city.", _READ),
    ("list_favorites", "The user's favourite cities.", _READ),
    (
        "add_favorite",
        "Add a city to the user's favourites.",
        ToolAnnotations(
            read_only_hint=False,
            destructive_hint=False,
            idempotent_hint=True,
            open_world_hint=False,
        ),
    ),
    (
        "remove_favorite",
        "Remove a city from the user's favourites.",
        ToolAnnotations(
            read_only_hint=False, destructive_hint=True, idempotent_hint=True, open_world_hint=False
        ),
    ),
)


@cache
def _templates() -> tuple[Tool, ...]:
    """The tools, built once on a blank instance (see `kit.bind`)."""
    prototype = WeatherTools(build_world(0), {"favorites": []})
    return tuple(
        Tool.from_function(
            getattr(prototype, name), name=name, description=description, annotations=annotations
        )
        for name, description, annotations in _TOOLS
    )


def build_server(world: World, state: WeatherState, version: str) -> MCPServer[Any]:
    """An MCP server over `world` whose tools change `state` in place."""
    tools = WeatherTools(world, state)
    bound = kit.bind(_templates(), tools)
    return kit.server("weather", version=version, tools=bound)


def open_session(seed: int, version: str) -> kit.JsonSession:
    """A fresh session on the world of `seed`."""
    world = build_world(seed)
    state = initial_state(world)
    return kit.JsonSession(build_server(world, state, version), as_json(state), version)
