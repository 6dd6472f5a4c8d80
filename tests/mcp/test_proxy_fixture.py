"""The upstream server the proxy tests perturb, and checks of how it behaves unperturbed.

Run as a script it serves over stdio (the `toolmaster mutate` subprocess test wraps it).
Its tools echo what they received, so a test can see the arguments that reached it.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
from contextlib import asynccontextmanager
from typing import Annotated, Any, Literal

import anyio
import pytest
from mcp import Client
from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from pydantic import BaseModel, Field
from toolmaster.mcp import PerturbationProxy

pytestmark = pytest.mark.anyio

app = MCPServer("weather-fixture")

_CITIES = {"Paris": 18.5, "Oslo": 4.0, "Lima": 22.0}


class Forecast(BaseModel):
    city: str
    temperature: float
    units: str
    days: int


@app.tool()
def get_forecast(
    city: Annotated[str, Field(description="The city to get the forecast for.")],
    days: Annotated[int, Field(description="How many days ahead to forecast.")] = 1,
    units: Annotated[
        Literal["metric", "imperial"], Field(description="The unit system of temperatures.")
    ] = "metric",
) -> Forecast:
    """Get the weather forecast for a city. Returns the temperature for the given days."""
    if city not in _CITIES:
        raise ToolError(f"City not found: {city}")
    celsius = _CITIES[city]
    temperature = celsius if units == "metric" else celsius * 9 / 5 + 32
    return Forecast(city=city, temperature=temperature, units=units, days=days)


@app.tool()
def add_numbers(
    a: Annotated[int, Field(description="The first number.")],
    b: Annotated[int, Field(description="The second number.")],
) -> int:
    """Add two numbers and return the sum."""
    return a + b


@app.tool()
def greet(name: str, excited: bool = False) -> str:
    """Say hello to a user by name."""
    return f"Hello, {name}{'!' if excited else '.'}"


@app.tool()
def search_notes(
    query: Annotated[str, Field(description="Text to search for.")],
    limit: Annotated[int, Field(description="Maximum number of results.")] = 3,
    tag: str | None = None,
) -> dict[str, Any]:
    """Search the notes. Returns the matches and the total count."""
    notes = [f"{query} note {i}" for i in range(5)]
    matches = notes[:limit]
    return {"matches": matches, "total": len(matches), "tag": tag}


@app.tool()
def ping() -> str:
    """Check that the server is alive."""
    return "pong"


@asynccontextmanager
async def perturbed(seed: int, kinds: str) -> AsyncGenerator[tuple[PerturbationProxy, Client]]:
    """A proxy over the fixture server, and a client connected to the proxy, in memory."""
    async with Client(app) as upstream:
        proxy = await PerturbationProxy.create(upstream, seed=seed, kinds=kinds)
        async with Client(proxy.server) as client:
            yield proxy, client


async def test_fixture_tools_answer_directly() -> None:
    with anyio.fail_after(10):
        async with Client(app) as client:
            listed = await client.list_tools()
            forecast = await client.call_tool("get_forecast", {"city": "Oslo", "days": 2})
            missing = await client.call_tool("get_forecast", {"city": "Atlantis"})
    assert [tool.name for tool in listed.tools] == [
        "get_forecast",
        "add_numbers",
        "greet",
        "search_notes",
        "ping",
    ]
    assert forecast.structured_content == {
        "city": "Oslo",
        "temperature": 4.0,
        "units": "metric",
        "days": 2,
    }
    assert missing.is_error
    assert "City not found: Atlantis" in str(missing.content[0])


if __name__ == "__main__":
    app.run()
