"""Option groups that several commands share (`with_options`): typer sees them where the command
places them, and the command receives them as keywords."""

from __future__ import annotations

from typing import Annotated, Any

import pytest
import typer
from toolmaster.cli._common import mode_of, option, with_options
from toolmaster.core import UserError
from typer.testing import CliRunner

ColourOption = Annotated[str, typer.Option(help="A colour.")]
SizeOption = Annotated[int, typer.Option(help="A size.")]
GROUP = [option("colour", ColourOption, "red"), option("size", SizeOption, 3)]


def app_with(received: list[dict[str, Any]]) -> typer.Typer:
    app = typer.Typer(add_completion=False)

    @app.command()
    @with_options(GROUP, after="first")
    def command(
        *,
        first: Annotated[str, typer.Option(help="Before the group.")] = "a",
        last: Annotated[str, typer.Option(help="After the group.")] = "z",
        **group: Any,
    ) -> None:
        received.append({"first": first, "last": last, **group})

    return app


def test_the_group_stands_where_the_command_places_it_in_help() -> None:
    result = CliRunner().invoke(app_with([]), ["--help"], env={"COLUMNS": "100", "NO_COLOR": "1"})
    assert result.exit_code == 0
    shown = [word for word in result.output.split() if word.startswith("--")]
    assert shown == ["--first", "--colour", "--size", "--last", "--help"]


def test_the_command_receives_the_group_as_keywords() -> None:
    received: list[dict[str, Any]] = []
    app = app_with(received)
    assert CliRunner().invoke(app, ["--size", "5", "--last", "y"]).exit_code == 0
    assert CliRunner().invoke(app, []).exit_code == 0
    assert received == [
        {"first": "a", "last": "y", "colour": "red", "size": 5},
        {"first": "a", "last": "z", "colour": "red", "size": 3},
    ]


def test_a_group_needs_a_parameter_to_follow() -> None:
    def command(**group: Any) -> None:
        del group

    with pytest.raises(ValueError, match="nowhere"):
        with_options(GROUP, after="nowhere")(command)


def test_mode_is_trial_or_direct() -> None:
    assert [mode_of("trial"), mode_of("direct")] == ["trial", "direct"]
    with pytest.raises(UserError, match=r"^--mode must be trial or direct, not 'both'$"):
        mode_of("both")
