"""Roots given to a spec in Python: folders become `file://` URIs (as the config's do), and
anything that is neither a folder nor a valid `file://` URI is rejected when the spec is built,
instead of failing the server's `roots/list` later."""

from __future__ import annotations

import re
from pathlib import Path

import anyio
import pytest
from pydantic import ValidationError
from toolmaster.core import ToolCall
from toolmaster.mcp import (
    BundledServerSpec,
    HttpServerSpec,
    InProcessServerSpec,
    StdioServerSpec,
    Toolbox,
)

from tests.mcp.servers.asking import asking_server, asking_spec

pytestmark = pytest.mark.anyio


async def listed_roots(spec: InProcessServerSpec) -> list[str]:
    """What the server gets from its `roots/list` request, one `URI name` a line."""
    with anyio.fail_after(10):
        async with Toolbox([spec]) as toolbox:
            result = await toolbox.call(ToolCall(id="r", tool="roots", arguments={}))
    assert not result.is_error, result.text
    return result.text.splitlines()


async def test_a_bare_folder_reaches_the_server_as_a_file_uri(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    spec = asking_spec(roots=(str(data), "file:///srv/shared"))
    assert spec.roots == (data.as_uri(), "file:///srv/shared")
    assert await listed_roots(spec) == [f"{data.as_uri()} data", "file:///srv/shared shared"]


async def test_relative_and_home_folders_are_resolved(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    spec = asking_spec(roots=("work", "~/notes"))
    assert spec.roots == ((tmp_path / "work").as_uri(), (tmp_path / "home" / "notes").as_uri())
    assert await listed_roots(spec) == [
        f"{(tmp_path / 'work').as_uri()} work",
        f"{(tmp_path / 'home' / 'notes').as_uri()} notes",
    ]


async def test_file_uris_are_kept_in_their_normal_form() -> None:
    spec = asking_spec(roots=("file:///srv/a b", "FILE:///srv/c", "file:/srv/d"))
    assert spec.roots == ("file:///srv/a%20b", "file:///srv/c", "file:///srv/d")
    assert await listed_roots(spec) == [
        "file:///srv/a%20b a b",
        "file:///srv/c c",
        "file:///srv/d d",
    ]


def test_no_roots_and_empty_roots_stay_as_they_are() -> None:
    assert StdioServerSpec(name="s", command="x").roots is None
    assert StdioServerSpec(name="s", command="x", roots=()).roots == ()


@pytest.mark.parametrize(
    ("root", "message"),
    [
        ("https://example.com/data", "roots[1]: a root must be a folder or a file:// URI"),
        ("s3://bucket/key", "roots[1]: a root must be a folder or a file:// URI"),
        ("file:relative/x", "roots[1]: 'file:relative/x' is not a valid file:// URI"),
        ("file://[::1/x", "roots[1]: 'file://[::1/x' is not a valid file:// URI"),
        ("", "roots[1]: must not be empty"),
        ("   ", "roots[1]: must not be empty"),
    ],
)
def test_a_root_that_is_neither_a_folder_nor_a_file_uri_is_rejected(
    root: str, message: str
) -> None:
    with pytest.raises(ValidationError, match=re.escape(message)):
        InProcessServerSpec(name="asking", server=asking_server(), roots=("/srv", root))


def test_a_single_string_is_not_taken_for_a_list_of_roots() -> None:
    with pytest.raises(ValidationError, match="roots"):
        StdioServerSpec.model_validate({"name": "s", "command": "x", "roots": "/srv"})


@pytest.mark.parametrize(
    "fields",
    [
        {"kind": "stdio", "command": "x"},
        {"kind": "http", "url": "http://127.0.0.1:1/mcp"},
        {"kind": "bundled", "environment": "weather"},
    ],
)
def test_every_kind_of_spec_checks_its_roots(fields: dict[str, str]) -> None:
    kinds = {"stdio": StdioServerSpec, "http": HttpServerSpec, "bundled": BundledServerSpec}
    model = kinds[fields["kind"]]
    spec = model.model_validate({"name": "s", **fields, "roots": ["/srv/data"]})
    assert spec.roots == ("file:///srv/data",)
    with pytest.raises(ValidationError, match=re.escape("roots[0]: a root must be a folder")):
        model.model_validate({"name": "s", **fields, "roots": ["ftp://h/x"]})
