"""Server specs: how to reach one MCP server, and the `mcpServers` JSON that lists them.

Secrets (environment values, HTTP header values, a password in a URL, the values of `${VAR}`
expanded from the environment) are kept in `SecretStr` so they never show in a repr, a log line
or a serialized spec; `secrets()` names them so that the Toolbox can scrub them from results,
messages and logs (`toolmaster.mcp._secrets`).
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit, urlunsplit

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    FileUrl,
    SecretStr,
    TypeAdapter,
    ValidationError,
    field_serializer,
    field_validator,
)
from toolmaster.mcp._oauth import OAuthSpec
from toolmaster.mcp._secrets import Secrets
from toolmaster.mcp._trial import TrialRule

__all__ = [
    "BundledServerSpec",
    "HttpServerSpec",
    "HttpTransport",
    "InProcessServerSpec",
    "ServerSpec",
    "StdioServerSpec",
    "is_sse_url",
]


class _Spec(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(min_length=1)
    """The server's name in the configuration; tools are prefixed with it on name clashes."""
    expanded: dict[str, SecretStr] = Field(
        default_factory=dict[str, SecretStr], exclude=True, repr=False
    )
    """The values of the `${VAR}`s expanded from the environment while the spec was read, by
    variable name: secrets wherever they went (an argument, a URL)."""
    trial: tuple[TrialRule, ...] = ()
    """The server's trial policy (`"trial": {"GLOB": "allow|refuse|sandbox"}` in the config),
    in order: the first rule that matches a tool decides (`toolmaster.mcp.TrialPolicy`)."""
    roots: tuple[str, ...] | None = None
    """The `file://` URIs answered to the server's `roots/list` (`"roots"` in the config, the
    server's own or else the top level's); None answers the working folder (a stdio server's
    `cwd` when it has one). A folder given here (`"/srv/data"`, `~` and relative paths
    resolved against the working folder) is turned into its `file://` URI, as the config's
    are; anything else that is not a valid `file://` URI is rejected."""

    @field_validator("roots")
    @classmethod
    def _root_uris(cls, roots: tuple[str, ...] | None) -> tuple[str, ...] | None:
        if roots is None:
            return None
        uris: list[str] = []
        for i, root in enumerate(roots):
            try:
                uris.append(root_uri(root))
            except ValueError as exc:
                raise ValueError(f"roots[{i}]: {exc}") from None
        return tuple(uris)

    def secrets(self) -> dict[str, str]:
        """The secret values this spec holds, by name (the variable, env key or header)."""
        return _plain(self.expanded)

    def _hide(self, text: str) -> str:
        """`text` with the expanded secrets replaced, for reprs and serialization."""
        return Secrets(_plain(self.expanded)).scrub(text) if self.expanded else text


def _plain(values: dict[str, SecretStr]) -> dict[str, str]:
    return {name: secret.get_secret_value() for name, secret in values.items()}


class StdioServerSpec(_Spec):
    """A server run as a subprocess that speaks MCP on its stdin and stdout."""

    kind: Literal["stdio"] = "stdio"
    command: str = Field(min_length=1)
    args: tuple[str, ...] = ()
    env: dict[str, SecretStr] = Field(default_factory=dict[str, SecretStr])
    """Extra environment variables for the process (the child otherwise gets only a safe
    allow-list: HOME, PATH, ...). Values are secret: redacted in reprs and serialization."""
    cwd: str | None = None
    sandbox_paths: tuple[str, ...] = ()
    """Folders the trial sandbox lays a copy-on-write overlay over, besides the working folder
    (`"sandbox": {"paths": [...]}` in the config; `toolmaster.mcp.NamespaceSandbox`)."""

    def secrets(self) -> dict[str, str]:
        return {**_plain(self.expanded), **_plain(self.env)}

    @field_serializer("command")
    def _hide_command(self, command: str) -> str:
        return self._hide(command)

    @field_serializer("args")
    def _hide_args(self, args: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(self._hide(arg) for arg in args)

    def __repr_args__(self) -> Any:
        for key, value in super().__repr_args__():
            if key == "command" and isinstance(value, str):
                value = self._hide(value)  # noqa: PLW2901
            elif key == "args":
                value = self._hide_args(self.args)  # noqa: PLW2901
            yield key, value


def mask_url(url: str) -> str:
    """The URL with any password in it replaced by `***`."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.hostname or ""
    if parts.port is not None:
        host = f"{host}:{parts.port}"
    netloc = f"{parts.username}:***@{host}" if parts.username else f"***@{host}"
    return urlunsplit(parts._replace(netloc=netloc))


_FILE_URL = TypeAdapter(FileUrl)


def root_uri(path: str) -> str:
    """A root as a `file://` URI: a folder (`~` expanded, relative to the working folder) or
    a `file:` URI (checked, in its normal form). Raises `ValueError` for an empty path, an
    invalid `file:` URI or another kind of URI."""
    text = path.strip()
    if not text:
        raise ValueError("must not be empty")
    if text[:5].lower() == "file:":
        if not text[5:].startswith("/"):
            raise ValueError(f"{text!r} is not a valid file:// URI: no absolute path after 'file:'")
        try:
            return str(_FILE_URL.validate_python(text))
        except ValidationError as exc:
            why = exc.errors()[0]["msg"]
            raise ValueError(f"{text!r} is not a valid file:// URI: {why}") from None
    if "://" in text:
        raise ValueError(f"a root must be a folder or a file:// URI, not {text!r}")
    return Path(os.path.abspath(os.path.expanduser(text))).as_uri()


def is_sse_url(url: str) -> bool:
    """Whether the URL's path ends in `/sse`, as legacy SSE endpoints' do."""
    return urlsplit(url).path.rstrip("/").endswith("/sse")


HttpTransport = Literal["streamable-http", "sse"]
"""How an HTTP server speaks MCP: streamable HTTP, or the legacy HTTP+SSE transport (a GET
event stream that names the URL to POST messages to) that many servers still use."""


class HttpServerSpec(_Spec):
    """A server reached over HTTP: streamable HTTP, or legacy SSE (`transport="sse"`)."""

    kind: Literal["http"] = "http"
    url: str
    headers: dict[str, SecretStr] = Field(default_factory=dict[str, SecretStr])
    """Extra HTTP headers (`Authorization`, API keys). Values are secret."""
    transport: HttpTransport = "streamable-http"
    """`sse` for a legacy SSE endpoint (`"type": "sse"` in the config, or a URL ending in
    `/sse` without a type)."""
    auth: OAuthSpec | None = None
    """OAuth 2.1 (`"auth": {"type": "oauth", ...}` in the config): the bearer token comes from
    the authorization server the server names, through the SDK's auth provider."""

    def secrets(self) -> dict[str, str]:
        password = urlsplit(self.url).password
        extra = {"url password": password} if password else {}
        oauth = self.auth.secrets() if self.auth else {}
        return {**_plain(self.expanded), **_plain(self.headers), **extra, **oauth}

    @field_serializer("url")
    def _mask_url(self, url: str) -> str:
        return self._hide(mask_url(url))

    def __repr_args__(self) -> Any:
        for key, value in super().__repr_args__():
            yield key, (self._mask_url(value) if key == "url" and isinstance(value, str) else value)


class BundledServerSpec(_Spec):
    """A bundled ToolMaster environment (`toolmaster.core.get_environment(environment)`).

    `memory` serves the environment's server object in this process (the session stays
    reachable through `Toolbox.env_session` for snapshots); `stdio` runs
    `python -m toolmaster.envs.<environment>` as a subprocess.
    """

    kind: Literal["bundled"] = "bundled"
    environment: str = Field(min_length=1)
    seed: int = 0
    version: str | None = None
    task: str | None = None
    """A task id (`weather/test/0003`): serve that task's state instead of `seed`'s."""
    transport: Literal["memory", "stdio"] = "memory"


class InProcessServerSpec(_Spec):
    """A server object in this process (`mcp.server.mcpserver.MCPServer` or a low-level
    `mcp.server.lowlevel.Server`), connected without any framing. Not serializable."""

    model_config = ConfigDict(frozen=True, extra="forbid", arbitrary_types_allowed=True)

    kind: Literal["memory"] = "memory"
    server: Any = Field(exclude=True, repr=False)
    legacy: bool = False
    """Connect with the initialize handshake over in-memory JSON-RPC streams, the way a
    handshake-era (2025) server is reached over stdio, instead of directly at the 2026
    protocol: then the server's own requests to the client (`roots/list`,
    `sampling/createMessage`, `elicitation/create`) work as standalone requests."""


ServerSpec = Annotated[
    StdioServerSpec | HttpServerSpec | BundledServerSpec | InProcessServerSpec,
    Field(discriminator="kind"),
]
"""How to reach one MCP server."""


_VAR = re.compile(r"\$\$|\$\{(?:env:)?([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}|\$\{([^}]*)\}")


class ExpansionError(ValueError):
    """A `${VAR}` reference could not be expanded (raised with the variable's name)."""


def expand(value: str, environ: Mapping[str, str], used: dict[str, str] | None = None) -> str:
    """Expand `${VAR}`, `${env:VAR}` and `${VAR:-default}` from `environ`; `$$` is a literal `$`.

    `${VAR:-default}` uses the default when VAR is unset or empty. An unset VAR without a
    default raises `ExpansionError`. `used` collects each variable taken from `environ`.
    """
    if "$" not in value:
        return value

    def replace(match: re.Match[str]) -> str:
        if match.group(0) == "$$":
            return "$"
        name, default, bad = match.group(1), match.group(2), match.group(3)
        if name is None:
            raise ExpansionError(
                f"unsupported reference ${{{bad}}} (use ${{NAME}} or ${{NAME:-default}})"
            )
        found = environ.get(name)
        if found:
            if used is not None:
                used[name] = str(found)
            return str(found)
        if default is not None:
            return default
        if found is not None:
            return ""
        raise ExpansionError(f"${{{name}}} is not set")

    return _VAR.sub(replace, value)
