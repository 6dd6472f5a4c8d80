"""Every content block of a tool result, its one text rendering, the cap on kept data, and the
upgrade of version-1 episodes, read by the store and its JSONL import."""

from __future__ import annotations

import base64
import io
import json
from pathlib import Path

import pytest
from pydantic import JsonValue
from toolmaster.core import (
    FORMAT_VERSION,
    OMITTED_META_KEY,
    ContentPart,
    Episode,
    Message,
    Store,
    ToolResult,
    content_parts,
    decoded_size,
    kept_blocks,
    render_parts,
)

from tests.core._factories import V1_EPISODE, store_raw

PNG = bytes(range(200))
GZIP = b"\x1f\x8b\x08\x00" + bytes(96)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


IMAGE: dict[str, JsonValue] = {"type": "image", "data": _b64(PNG), "mimeType": "image/png"}
AUDIO: dict[str, JsonValue] = {"type": "audio", "data": _b64(b"RIFF1234"), "mimeType": "audio/wav"}
TEXT_RESOURCE: dict[str, JsonValue] = {
    "type": "resource",
    "resource": {"uri": "file:///notes.txt", "mimeType": "text/plain", "text": "café au lait"},
}
GZIP_RESOURCE: dict[str, JsonValue] = {
    "type": "resource",
    "resource": {"uri": "file:///a.gz", "mimeType": "application/gzip", "blob": _b64(GZIP)},
}
LINK: dict[str, JsonValue] = {
    "type": "resource_link",
    "uri": "file:///report.md",
    "name": "report",
    "mimeType": "text/markdown",
    "size": 1234,
}


def test_each_kind_of_block_renders_as_a_typed_placeholder_plus_its_text() -> None:
    result = ToolResult(
        call_id="c",
        content=[
            {"type": "text", "text": "here:"},
            IMAGE,
            AUDIO,
            TEXT_RESOURCE,
            GZIP_RESOURCE,
            LINK,
        ],
    )
    assert result.text.split("\n") == [
        "here:",
        "[image: image/png, 200 bytes]",
        "[audio: audio/wav, 8 bytes]",
        "[resource file:///notes.txt: text/plain, 13 bytes]",
        "café au lait",
        "[binary resource file:///a.gz: application/gzip, 100 bytes]",
        "[resource link file:///report.md (report): text/markdown, 1234 bytes]",
    ]
    assert result.multimodal


def test_a_blob_resource_alone_is_never_an_empty_string() -> None:
    assert ToolResult(call_id="c", content=[GZIP_RESOURCE]).text == (
        "[binary resource file:///a.gz: application/gzip, 100 bytes]"
    )
    bare: dict[str, JsonValue] = {"type": "resource_link", "uri": "x://y", "name": "y"}
    assert ToolResult(call_id="c", content=[bare]).text == "[resource link x://y (y): unknown type]"


def test_parts_keep_every_block_with_its_data() -> None:
    text, image, resource, gz, link = content_parts(
        [{"type": "text", "text": "t"}, IMAGE, TEXT_RESOURCE, GZIP_RESOURCE, LINK]
    )
    assert text == ContentPart(type="text", text="t")
    assert (image.type, image.mime_type, image.size, image.data) == (
        "image",
        "image/png",
        200,
        IMAGE["data"],
    )
    assert image.binary and gz.binary and not resource.binary and not link.binary
    assert base64.b64decode(gz.data or "") == GZIP
    assert (resource.uri, resource.text, resource.size) == ("file:///notes.txt", "café au lait", 13)
    assert (link.uri, link.name, link.size, link.data) == (
        "file:///report.md",
        "report",
        1234,
        None,
    )


def test_an_unknown_block_type_still_says_what_it_was() -> None:
    assert ToolResult(call_id="c", content=[{"type": "hologram"}]).text == "[hologram content]"


@pytest.mark.parametrize("size", [0, 1, 2, 3, 4, 5, 100, 101])
def test_decoded_size_is_the_length_of_the_decoded_data(size: int) -> None:
    assert decoded_size(_b64(bytes(size))) == size


def test_data_over_the_cap_is_dropped_but_its_size_and_rendering_stay() -> None:
    parts = content_parts([IMAGE, GZIP_RESOURCE], cap=150)
    image, gz = parts
    assert (image.data, image.omitted, image.size) == (None, True, 200)
    assert (gz.data is not None, gz.omitted) == (True, False)
    assert render_parts(parts) == render_parts(content_parts([IMAGE, GZIP_RESOURCE]))
    message = Message(role="tool", content="x", parts=content_parts([IMAGE]))
    assert message.kept(1000) is message
    assert message.kept(150).parts[0].omitted


def test_kept_blocks_empty_big_payloads_and_note_their_size_in_meta() -> None:
    blocks = [IMAGE, GZIP_RESOURCE, TEXT_RESOURCE]
    assert kept_blocks(blocks, cap=1000) == blocks
    kept = kept_blocks(blocks, cap=50)
    assert kept[0]["data"] == ""
    assert kept[0]["_meta"] == {OMITTED_META_KEY: {"size": 200}}
    assert kept[1]["resource"] == {
        "uri": "file:///a.gz",
        "mimeType": "application/gzip",
        "blob": "",
    }
    assert kept[2] is TEXT_RESOURCE
    assert IMAGE["data"] != "", "the original blocks are not changed"
    # the record of a kept result reads as the original did
    original = ToolResult(call_id="c", content=blocks)
    assert ToolResult(call_id="c", content=kept).text == original.text
    assert [p.omitted for p in content_parts(kept)] == [True, True, False]


# ------------------------------------------------------------------ version-1 episodes


def test_a_version_1_episode_reads_as_the_current_format() -> None:
    text = V1_EPISODE.read_text()
    assert json.loads(text)["format_version"] == 1
    episode = Episode.from_json(text)
    assert episode.format_version == FORMAT_VERSION == 3
    assert episode.notices == []
    assert all(message.parts == [] for message in episode.messages)
    assert episode.messages[2].content == '{"day": 4, "rain_mm": 0}'
    assert Episode.from_json(episode.model_dump_json()) == episode


def test_a_version_1_episode_with_an_error_still_names_the_field() -> None:
    data = json.loads(V1_EPISODE.read_text())
    data["mode"] = "sideways"
    with pytest.raises(ValueError, match="mode"):
        Episode.from_json(json.dumps(data))


def test_the_store_reads_exports_and_imports_a_version_1_episode(tmp_path: Path) -> None:
    text = V1_EPISODE.read_text().strip()
    Store(tmp_path / "old.db").close()
    store_raw(tmp_path / "old.db", text)
    with Store(tmp_path / "old.db") as store:
        episode = store.get_episode(json.loads(text)["id"])
        assert episode is not None
        assert episode.format_version == FORMAT_VERSION
        assert [e.id for e in store.episodes()] == [episode.id]
        out = io.StringIO()
        assert store.export_jsonl(out) == 1
        assert out.getvalue() == text + "\n", "the stored JSON is exported as it was written"
    with Store(tmp_path / "new.db") as fresh:
        assert fresh.import_jsonl(io.StringIO(out.getvalue())) == 1
        assert fresh.get_episode(episode.id) == episode
