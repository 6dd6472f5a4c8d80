"""The resources and prompts of the Toolbox's servers: listing them, reading a resource,
rendering a prompt. Names are checked here against the servers' own lists, so that a mistake
reads as one clear message instead of whatever a server answers."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TypeVar

import anyio
import mcp_types as types
from pydantic import ValidationError
from toolmaster.core import (
    ErrorKind,
    Message,
    PromptArgument,
    PromptSpec,
    RenderedPrompt,
    ResourceContents,
    ResourceSpec,
    ResourceTemplateSpec,
    ToolMasterError,
    UserError,
    content_parts,
    decoded_size,
    render_parts,
)
from toolmaster.mcp._connection import ConnectFailed, Connection
from toolmaster.mcp._listing import (
    list_all_prompts,
    list_all_resource_templates,
    list_all_resources,
)
from toolmaster.mcp._results import block_json
from toolmaster.mcp._secrets import Secrets

from mcp import Client, MCPError
from mcp.shared.uri_template import UriTemplate

__all__ = ["Catalog", "PromptListing", "ResourceListing", "ServerRequestError"]

logger = logging.getLogger(__name__)

_T = TypeVar("_T")
_SHOWN = 20
"""Names listed in a message about an unknown one."""


class ServerRequestError(ToolMasterError):
    """A server did not answer a request for a resource or a prompt (an error, a timeout, a
    dropped connection); the message says which server and why."""

    def __init__(self, message: str, *, kind: ErrorKind = "tool_error") -> None:
        self.kind: ErrorKind = kind
        """What went wrong, as a tool call's `error_kind` would say it."""
        super().__init__(message)


@dataclass(frozen=True, slots=True)
class ResourceListing:
    """The resources and resource templates of the connected servers."""

    resources: list[ResourceSpec]
    templates: list[ResourceTemplateSpec]
    errors: dict[str, str]
    """Why listing failed, by server."""


@dataclass(frozen=True, slots=True)
class PromptListing:
    """The prompts of the connected servers."""

    prompts: list[PromptSpec]
    errors: dict[str, str]
    """Why listing failed, by server."""


class Catalog:
    """Resources and prompts over the connections of one Toolbox (see its methods)."""

    def __init__(self, connections: Sequence[Connection], secrets: Secrets, timeout: float) -> None:
        self._connections = connections
        self._secrets = secrets
        self._timeout = timeout

    # ------------------------------------------------------------------ resources

    async def list_resources(self, server: str | None = None) -> ResourceListing:
        resources: list[ResourceSpec] = []
        templates: list[ResourceTemplateSpec] = []
        errors: dict[str, str] = {}
        for connection in self._serving("resources", server):
            try:
                listed = await self._ask(connection, "resources/list", list_all_resources)
                patterns = await self._ask(connection, "resources/templates/list", _templates_of)
            except ServerRequestError as exc:
                errors[connection.name] = str(exc)
                continue
            resources += [self._resource(connection.name, r) for r in listed]
            templates += [self._template(connection.name, t) for t in patterns]
        return ResourceListing(resources, templates, errors)

    async def read_resource(
        self, uri: str, *, server: str | None = None, timeout: float | None = None
    ) -> list[ResourceContents]:
        listing = await self.list_resources(server)
        target = _server_of(uri, listing)
        if target is None:
            raise UserError(_unknown_uri(uri, listing, server))

        async def read(client: Client) -> types.ReadResourceResult:
            return await client.read_resource(uri)

        result = await self._ask(self._connection(target), f"reading {uri!r}", read, timeout)
        return [self._contents(part) for part in result.contents]

    # ------------------------------------------------------------------ prompts

    async def list_prompts(self, server: str | None = None) -> PromptListing:
        prompts: list[PromptSpec] = []
        errors: dict[str, str] = {}
        for connection in self._serving("prompts", server):
            try:
                listed = await self._ask(connection, "prompts/list", list_all_prompts)
            except ServerRequestError as exc:
                errors[connection.name] = str(exc)
                continue
            prompts += [self._prompt(connection.name, p) for p in listed]
        return PromptListing(prompts, errors)

    async def get_prompt(
        self,
        name: str,
        arguments: Mapping[str, str],
        *,
        server: str | None = None,
        timeout: float | None = None,
    ) -> RenderedPrompt:
        listing = await self.list_prompts(server)
        spec = _one_prompt(name, listing, server)
        _check_arguments(spec, arguments)

        async def get(client: Client) -> types.GetPromptResult:
            return await client.get_prompt(name, dict(arguments))

        connection = self._connection(spec.server)
        result = await self._ask(connection, f"rendering the prompt {name!r}", get, timeout)
        messages = [
            Message(role=m.role, content=self._secrets.scrub(_block_text(m.content)))
            for m in result.messages
        ]
        description = self._secrets.scrub(result.description or spec.description)
        return RenderedPrompt(
            server=spec.server, name=name, description=description, messages=messages
        )

    # ------------------------------------------------------------------ servers

    def _serving(self, feature: str, server: str | None) -> list[Connection]:
        """The connected servers that declare `feature` (all, or only `server`)."""
        if server is not None:
            connection = self._connection(server)
            if connection.client is None:
                raise UserError(f"server {server!r} is not connected")
            chosen = [connection]
        else:
            chosen = [c for c in self._connections if c.client is not None]
        return [c for c in chosen if c.client is not None and _declares(c.client, feature)]

    def _connection(self, server: str) -> Connection:
        for connection in self._connections:
            if connection.name == server:
                return connection
        known = ", ".join(c.name for c in self._connections) or "none"
        raise UserError(f"no server named {server!r} (known: {known})")

    async def _ask(
        self,
        connection: Connection,
        what: str,
        request: Callable[[Client], Awaitable[_T]],
        timeout: float | None = None,
    ) -> _T:
        """`request` on `connection`'s client within the timeout; its failures as a
        `ServerRequestError` that names the server."""
        seconds = self._timeout if timeout is None else timeout
        kind: ErrorKind
        try:
            client = await connection.ensure()
            with anyio.fail_after(seconds):
                return await request(client)
        except ConnectFailed as exc:
            kind, reason = "server_crashed", f"the server is down: {exc}"
        except TimeoutError:
            kind, reason = "timeout", f"no answer within {seconds:g}s"
        except MCPError as exc:
            kind, reason = "tool_error", f"MCP error {exc.code}: {exc.message}"
        except ValidationError as exc:
            kind, reason = "protocol", f"the answer is not valid MCP ({exc.error_count()} errors)"
        except (anyio.ClosedResourceError, anyio.BrokenResourceError):
            kind, reason = "server_crashed", "the connection closed"
        message = self._secrets.scrub(f"server {connection.name!r}: {what} failed: {reason}")
        logger.info("%s", message)
        raise ServerRequestError(message, kind=kind)

    # ------------------------------------------------------------------ records

    def _resource(self, server: str, resource: types.Resource) -> ResourceSpec:
        return ResourceSpec(
            server=server,
            uri=resource.uri,
            name=resource.name,
            title=resource.title,
            description=self._secrets.scrub(resource.description or ""),
            mime_type=resource.mime_type,
            size=resource.size,
        )

    def _template(self, server: str, template: types.ResourceTemplate) -> ResourceTemplateSpec:
        return ResourceTemplateSpec(
            server=server,
            uri_template=template.uri_template,
            name=template.name,
            title=template.title,
            description=self._secrets.scrub(template.description or ""),
            mime_type=template.mime_type,
        )

    def _prompt(self, server: str, prompt: types.Prompt) -> PromptSpec:
        arguments = [
            PromptArgument(
                name=a.name,
                description=self._secrets.scrub(a.description or ""),
                required=bool(a.required),
            )
            for a in prompt.arguments or []
        ]
        return PromptSpec(
            server=server,
            name=prompt.name,
            title=prompt.title,
            description=self._secrets.scrub(prompt.description or ""),
            arguments=arguments,
        )

    def _contents(
        self, part: types.TextResourceContents | types.BlobResourceContents
    ) -> ResourceContents:
        if isinstance(part, types.TextResourceContents):
            text = self._secrets.scrub(part.text)
            return ResourceContents(
                uri=part.uri, mime_type=part.mime_type, text=text, size=len(text.encode())
            )
        return ResourceContents(
            uri=part.uri, mime_type=part.mime_type, blob=part.blob, size=decoded_size(part.blob)
        )


async def _templates_of(client: Client) -> list[types.ResourceTemplate]:
    """The resource templates, or none where the server has no `resources/templates/list`."""
    try:
        return await list_all_resource_templates(client)
    except MCPError as exc:
        if exc.code == types.METHOD_NOT_FOUND:
            return []
        raise


def _declares(client: Client, feature: str) -> bool:
    capabilities = client.server_capabilities
    return (capabilities.resources if feature == "resources" else capabilities.prompts) is not None


def _matches(template: str, uri: str) -> bool:
    try:
        return UriTemplate.parse(template).match(uri) is not None
    except ValueError:  # a template that is not RFC 6570 matches nothing
        return False


def _server_of(uri: str, listing: ResourceListing) -> str | None:
    """The server that lists `uri`, else the first whose template matches it."""
    for resource in listing.resources:
        if resource.uri == uri:
            return resource.server
    for template in listing.templates:
        if _matches(template.uri_template, uri):
            return template.server
    return None


def _some(names: Sequence[str]) -> str:
    return ", ".join(names[:_SHOWN]) + (", ..." if len(names) > _SHOWN else "")


def _unknown_uri(uri: str, listing: ResourceListing, server: str | None) -> str:
    text = f"unknown resource {uri!r}"
    if listing.resources or listing.templates:
        if listing.resources:
            text += "; the resources are: " + _some([r.uri for r in listing.resources])
        if listing.templates:
            text += "; the templates are: " + _some([t.uri_template for t in listing.templates])
    elif server is not None:
        text += f": server {server!r} offers no resources"
    else:
        text += ": no connected server offers resources"
    if listing.errors:
        text += "; servers whose resources could not be listed: " + ", ".join(listing.errors)
    return text


def _one_prompt(name: str, listing: PromptListing, server: str | None) -> PromptSpec:
    found = [p for p in listing.prompts if p.name == name]
    if len(found) == 1:
        return found[0]
    if found:
        servers = ", ".join(p.server for p in found)
        raise UserError(
            f"prompt {name!r} is offered by more than one server ({servers}); name the server"
        )
    if listing.prompts:
        text = f"unknown prompt {name!r}; the prompts are: " + _some(
            [p.name for p in listing.prompts]
        )
    elif server is not None:
        text = f"unknown prompt {name!r}: server {server!r} offers no prompts"
    else:
        text = f"unknown prompt {name!r}: no connected server offers prompts"
    if listing.errors:
        text += "; servers whose prompts could not be listed: " + ", ".join(listing.errors)
    raise UserError(text)


def _check_arguments(spec: PromptSpec, arguments: Mapping[str, str]) -> None:
    declared = [a.name for a in spec.arguments]
    unknown = [name for name in arguments if name not in declared]
    if unknown:
        takes = ", ".join(declared) or "none"
        raise UserError(
            f"prompt {spec.name!r} has no argument {', '.join(map(repr, unknown))} "
            f"(its arguments: {takes})"
        )
    missing = [a.name for a in spec.arguments if a.required and a.name not in arguments]
    if missing:
        raise UserError(
            f"prompt {spec.name!r} needs the argument(s) {', '.join(map(repr, missing))}"
        )


def _block_text(block: types.ContentBlock) -> str:
    """A prompt message's content as text: non-text content as a short typed placeholder plus
    any text it carries (`ContentPart.rendered`, as tool results read)."""
    return render_parts(content_parts([block_json(block)]))
