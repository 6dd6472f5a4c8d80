"""The content blocks of a tool result as an episode keeps them, and their one text rendering.

An MCP tool result is a list of content blocks: text, images, audio, embedded resources (text or
binary) and resource links. `ContentPart` is one of them as ToolMaster records it; `rendered` is
what a text-only model reads for it: text as it is, anything else as a short typed placeholder
(kind, URI, MIME type, size in bytes) followed by any text it carries. Inference, SFT rows and
the viewers all read this one rendering.

Binary data (base64) is kept up to a cap (`MAX_KEPT_BYTES` by default); over it, a part keeps
its size and says `omitted`. In MCP JSON (`ToolResult.content`, the event stream) an omitted
payload is an empty string and the block's `_meta` says how big it was (`OMITTED_META_KEY`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal, cast

from pydantic import JsonValue
from toolmaster.core._base import JsonObject, Record

__all__ = [
    "MAX_KEPT_BYTES",
    "OMITTED_META_KEY",
    "ContentPart",
    "PartKind",
    "content_parts",
    "decoded_size",
    "kept_blocks",
    "render_parts",
]

MAX_KEPT_BYTES = 64 * 1024
"""Binary data of one content block (decoded bytes) that a record keeps; larger data is
dropped and only its size kept."""

OMITTED_META_KEY = "toolmaster/omitted"
"""The `_meta` key of an MCP content block whose binary data ToolMaster did not keep; its value
is `{"size": BYTES}`, the size of the data that was dropped."""

PartKind = Literal["text", "image", "audio", "resource", "resource_link"]
"""The MCP content block types: `resource` is an embedded resource (text or binary)."""

_PLACEHOLDER_KINDS = {"image": "image", "audio": "audio", "resource_link": "resource link"}


class ContentPart(Record):
    """One content block of a tool result, as the episode keeps it."""

    type: PartKind
    text: str | None = None
    """The text of a text block or of an embedded text resource."""
    mime_type: str | None = None
    uri: str | None = None
    """The URI of an embedded resource or a resource link."""
    name: str | None = None
    """The name of a resource link."""
    size: int | None = None
    """Bytes: of the decoded data of an image, audio or binary resource; of the UTF-8 text of a
    text resource; of a linked resource where its server says (else None). None for text."""
    data: str | None = None
    """The base64 data of an image, audio or binary resource, when kept."""
    omitted: bool = False
    """The data was larger than the cap and was not kept; `size` says how large it was."""

    @property
    def binary(self) -> bool:
        """Whether the part carries binary data (kept or not): image, audio, binary resource."""
        return self.type in ("image", "audio") or (self.type == "resource" and self.text is None)

    @property
    def placeholder(self) -> str:
        """The short typed stand-in a text-only model reads (empty for a text block)."""
        if self.type == "text":
            return ""
        kind = _PLACEHOLDER_KINDS.get(self.type)
        if kind is None:
            kind = "resource" if self.text is not None else "binary resource"
        where = f" {self.uri}" if self.uri else ""
        named = f" ({self.name})" if self.name and self.type == "resource_link" else ""
        about = self.mime_type or "unknown type"
        if self.size is not None:
            about += f", {self.size} bytes"
        return f"[{kind}{where}{named}: {about}]"

    @property
    def rendered(self) -> str:
        """What a text-only model reads: a text block's text; otherwise the placeholder,
        followed on the next line by the text it carries (an embedded text resource's)."""
        if self.type == "text":
            return self.text or ""
        if self.text is None:
            return self.placeholder
        return f"{self.placeholder}\n{self.text}"

    def kept(self, cap: int = MAX_KEPT_BYTES) -> ContentPart:
        """The part with its data dropped (and `omitted` set) when the data is over `cap`."""
        if self.data is None or self.size is None or self.size <= cap:
            return self
        return self.model_copy(update={"data": None, "omitted": True})


def decoded_size(data: str) -> int:
    """The bytes base64 `data` decodes to (without decoding it)."""
    text = data.strip()
    return max(0, len(text) * 3 // 4 - text[-2:].count("="))


def _utf8_size(text: str) -> int:
    return len(text) if text.isascii() else len(text.encode(errors="replace"))


def _str(block: dict[str, JsonValue], key: str) -> str | None:
    value = block.get(key)
    return value if isinstance(value, str) else None


def _omitted_size(block: dict[str, JsonValue]) -> int | None:
    meta = block.get("_meta")
    if not isinstance(meta, dict):
        return None
    note = meta.get(OMITTED_META_KEY)
    size = note.get("size") if isinstance(note, dict) else None
    return size if isinstance(size, int) else None


def _binary(
    kind: PartKind,
    block: dict[str, JsonValue],
    data: str | None,
    *,
    mime_type: str | None,
    uri: str | None = None,
) -> ContentPart:
    """An image, audio or binary resource part: its data, or the size `_meta` notes for data
    that was not kept."""
    omitted = _omitted_size(block)
    if omitted is not None:
        return ContentPart(type=kind, mime_type=mime_type, uri=uri, size=omitted, omitted=True)
    data = data or ""
    size = decoded_size(data)
    return ContentPart(type=kind, mime_type=mime_type, uri=uri, size=size, data=data)


def content_part(block: dict[str, JsonValue]) -> ContentPart:
    """One MCP content block (JSON, camelCase as MCP writes it) as a part, with all its data.

    A block of a type MCP does not define reads as a text part that names the type, so that
    nothing a tool returns is silently an empty string.
    """
    kind = block.get("type")
    mime = _str(block, "mimeType")
    if kind == "text":
        return ContentPart(type="text", text=_str(block, "text") or "")
    if kind in ("image", "audio"):
        return _binary(cast(PartKind, kind), block, _str(block, "data"), mime_type=mime)
    if kind == "resource":
        raw = block.get("resource")
        resource = cast(dict[str, JsonValue], raw) if isinstance(raw, dict) else {}
        uri, mime = _str(resource, "uri"), _str(resource, "mimeType")
        text = _str(resource, "text")
        if text is not None:
            return ContentPart(
                type="resource", text=text, mime_type=mime, uri=uri, size=_utf8_size(text)
            )
        return _binary("resource", block, _str(resource, "blob"), mime_type=mime, uri=uri)
    if kind == "resource_link":
        size = block.get("size")
        return ContentPart(
            type="resource_link",
            uri=_str(block, "uri"),
            name=_str(block, "name"),
            mime_type=mime,
            size=size if isinstance(size, int) else None,
        )
    return ContentPart(type="text", text=f"[{kind} content]")


def content_parts(
    blocks: Sequence[dict[str, JsonValue]], *, cap: int | None = None
) -> list[ContentPart]:
    """MCP content blocks as parts; with `cap`, data over it is dropped (`ContentPart.kept`)."""
    parts = [content_part(block) for block in blocks]
    return parts if cap is None else [part.kept(cap) for part in parts]


def render_parts(parts: Sequence[ContentPart]) -> str:
    """What a text-only model reads for these parts: their renderings, one per line."""
    return "\n".join(part.rendered for part in parts)


def kept_blocks(blocks: Sequence[JsonObject], cap: int = MAX_KEPT_BYTES) -> list[JsonObject]:
    """MCP content blocks with every binary payload over `cap` (decoded bytes) emptied, and its
    size noted in the block's `_meta` under `OMITTED_META_KEY`; the same list when none is."""
    if not any(_over(block, cap) for block in blocks):
        return list(blocks)
    return [_emptied(block) if _over(block, cap) else block for block in blocks]


def _payload_key(block: dict[str, JsonValue]) -> tuple[dict[str, JsonValue], str] | None:
    """Where a block's binary payload is: (the object holding it, its key)."""
    kind = block.get("type")
    if kind in ("image", "audio"):
        return block, "data"
    resource = block.get("resource")
    if kind == "resource" and isinstance(resource, dict) and "blob" in resource:
        return resource, "blob"
    return None


def _over(block: dict[str, JsonValue], cap: int) -> bool:
    where = _payload_key(block)
    if where is None:
        return False
    payload = where[0].get(where[1])
    return isinstance(payload, str) and decoded_size(payload) > cap


def _emptied(block: dict[str, JsonValue]) -> JsonObject:
    where = _payload_key(block)
    assert where is not None
    holder, key = where
    payload = holder[key]
    assert isinstance(payload, str)
    size = decoded_size(payload)
    meta = block.get("_meta")
    note: dict[str, JsonValue] = {OMITTED_META_KEY: {"size": size}}
    out: dict[str, JsonValue] = {
        **block,
        "_meta": {**meta, **note} if isinstance(meta, dict) else note,
    }
    if holder is block:
        out[key] = ""
    else:
        out["resource"] = {**holder, key: ""}
    return out
