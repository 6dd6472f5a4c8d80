"""Reading the `mcpServers` JSON of Claude Desktop, Cursor and VS Code into `ServerSpec`s."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import SecretStr, ValidationError
from toolmaster.core import UserError
from toolmaster.mcp._oauth import OAuthSpec
from toolmaster.mcp._spec import (
    BundledServerSpec,
    ExpansionError,
    HttpServerSpec,
    HttpTransport,
    ServerSpec,
    StdioServerSpec,
    expand,
    is_sse_url,
    root_uri,
)
from toolmaster.mcp._trial import TrialRule, trial_action

__all__ = ["parse_server", "servers_from_dict", "servers_from_file"]

BUNDLED_PREFIX = "bundled:"

_STDIO_KEYS = {"command", "args", "env", "cwd", "trial", "sandbox", "roots"}
_HTTP_KEYS = {"url", "headers", "trial", "roots", "auth"}
_BUNDLED_KEYS = {"env", "seed", "version", "task", "transport", "trial", "roots"}
_SANDBOX_KEYS = {"paths"}
_HTTP_TYPES: dict[object, HttpTransport] = {
    "http": "streamable-http",
    "streamable-http": "streamable-http",
    "streamableHttp": "streamable-http",
    "sse": "sse",
}
"""The `"type"`s of HTTP servers (Claude Desktop, Cursor and VS Code spellings)."""
_TYPES = {"stdio", "bundled", *_HTTP_TYPES}
_IGNORED_KEYS = {
    # What other clients put beside a server; meaningless here, so accepted and ignored.
    "autoApprove",
    "alwaysAllow",
    "disabledTools",
    "timeout",
    "description",
    "title",
    "icon",
    "gallery",
    "trust",
}


_NOT_SECRET = frozenset(
    ("HOME", "USER", "LOGNAME", "PATH", "PWD", "SHELL", "TMPDIR", "TEMP", "TMP", "LANG", "TZ")
)
"""Variables whose expansion is not a secret (a value in `env` or `headers` always is)."""


_HTTP_NO_SANDBOX = (
    "an HTTP server runs elsewhere and cannot be sandboxed; its tools that are not read-only "
    "are refused in trials unless the trial policy allows them"
)
_NO_SANDBOX = {
    "streamable HTTP": _HTTP_NO_SANDBOX,
    "legacy SSE": _HTTP_NO_SANDBOX,
    "bundled": "a bundled environment is sandboxed by its own snapshots",
}


class _Entry:
    """One server's entry while it is read: knows where it came from, for error messages."""

    def __init__(
        self,
        source: str,
        name: str,
        raw: Mapping[str, Any],
        environ: Mapping[str, str],
        roots: tuple[str, ...] | None = None,
    ):
        self.source = source
        self.default_roots = roots
        """The top level's `"roots"`, for a server without its own."""
        self.name = name
        self.raw = raw
        self.environ = environ
        self.used: dict[str, str] = {}
        """The variables expanded from `environ` (secrets of the server)."""

    def expanded(self) -> dict[str, SecretStr]:
        """The expanded variables that are secrets: all but the well-known ones that name
        places and settings (`HOME`, `PATH`, `XDG_*`, ...), which tools quote all the time."""
        return {
            name: SecretStr(value)
            for name, value in self.used.items()
            if name not in _NOT_SECRET and not name.startswith("XDG_")
        }

    def error(self, field: str | None, problem: str) -> UserError:
        where = f"server {self.name!r}" + (f", field {field!r}" if field else "")
        return UserError(f"{self.source}: {where}: {problem}")

    def text(self, field: str, value: Any, *, required: bool = False) -> str | None:
        if value is None:
            if required:
                raise self.error(field, "is required")
            return None
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            raise self.error(field, f"must be a string, not {type(value).__name__}")
        try:
            return expand(str(value), self.environ, self.used)
        except ExpansionError as exc:
            hint = "" if self.environ else " (no environment was given to expand it from)"
            raise self.error(field, f"{exc}{hint}") from None

    def texts(self, field: str) -> tuple[str, ...]:
        value = self.raw.get(field)
        if value is None:
            return ()
        if not isinstance(value, list):
            raise self.error(field, f"must be a list of strings, not {type(value).__name__}")
        items: list[Any] = value  # pyright: ignore[reportUnknownVariableType]
        return tuple(
            self.text(f"{field}[{i}]", item, required=True) or "" for i, item in enumerate(items)
        )

    def secrets(self, field: str) -> dict[str, SecretStr]:
        value = self.raw.get(field)
        if value is None:
            return {}
        if not isinstance(value, dict):
            raise self.error(field, f"must be an object of strings, not {type(value).__name__}")
        items: dict[Any, Any] = value  # pyright: ignore[reportUnknownVariableType]
        out: dict[str, SecretStr] = {}
        for key, item in items.items():
            if isinstance(item, bool):
                item = "true" if item else "false"  # noqa: PLW2901 (JSON spelling)
            out[str(key)] = SecretStr(self.text(f"{field}.{key}", item, required=True) or "")
        return out

    def check_keys(self, allowed: set[str], kind: str) -> None:
        for key in self.raw:
            if key == "sandbox" and kind != "stdio":
                raise self.error(key, _NO_SANDBOX.get(kind, f"a {kind} server has no sandbox"))
            if key not in allowed and key not in _IGNORED_KEYS and key not in ("type", "disabled"):
                raise self.error(key, f"is not a known field of a {kind} server")

    def trial(self) -> tuple[TrialRule, ...]:
        """The `"trial": {"GLOB": "allow|refuse|sandbox"}` rules, in the order written."""
        value = self.raw.get("trial")
        if value is None:
            return ()
        if not isinstance(value, dict):
            raise self.error(
                "trial",
                'must be an object of globs to "allow", "refuse" or "sandbox", '
                f"not {type(value).__name__}",
            )
        items: dict[Any, Any] = value  # pyright: ignore[reportUnknownVariableType]
        rules: list[TrialRule] = []
        for pattern, action in items.items():
            if not isinstance(pattern, str) or not pattern.strip():
                raise self.error("trial", f"a glob must be a non-empty string, not {pattern!r}")
            if action not in ("allow", "refuse", "sandbox"):
                raise self.error(
                    f"trial.{pattern}", f'must be "allow", "refuse" or "sandbox", not {action!r}'
                )
            rules.append(TrialRule(pattern.strip(), trial_action(action, "trial")))
        return tuple(rules)

    def roots(self) -> tuple[str, ...] | None:
        """The server's `"roots": ["path", ...]` as `file://` URIs, else the top level's."""
        if "roots" not in self.raw:
            return self.default_roots
        value = self.raw["roots"]
        if not isinstance(value, list):
            raise self.error("roots", f"must be a list of folders, not {type(value).__name__}")
        items: list[Any] = value  # pyright: ignore[reportUnknownVariableType]
        uris: list[str] = []
        for i, item in enumerate(items):
            path = self.text(f"roots[{i}]", item, required=True) or ""
            try:
                uris.append(root_uri(path))
            except ValueError as exc:
                raise self.error(f"roots[{i}]", str(exc)) from None
        return tuple(uris)

    def sandbox_paths(self) -> tuple[str, ...]:
        """The folders of `"sandbox": {"paths": [...]}`, `~` expanded."""
        value = self.raw.get("sandbox")
        if value is None:
            return ()
        if not isinstance(value, dict):
            raise self.error("sandbox", f'must be an object like {{"paths": [...]}}, not {value!r}')
        raw: dict[Any, Any] = value  # pyright: ignore[reportUnknownVariableType]
        for key in raw:
            if key not in _SANDBOX_KEYS:
                raise self.error(f"sandbox.{key}", "is not a known field of a sandbox")
        paths = raw.get("paths", [])
        if not isinstance(paths, list):
            raise self.error("sandbox.paths", f"must be a list of folders, not {paths!r}")
        items: list[Any] = paths  # pyright: ignore[reportUnknownVariableType]
        found: list[str] = []
        for i, item in enumerate(items):
            path = self.text(f"sandbox.paths[{i}]", item, required=True) or ""
            if not path.strip():
                raise self.error(f"sandbox.paths[{i}]", "must not be empty")
            found.append(path)
        return tuple(os.path.expanduser(path) for path in found)


def parse_server(
    name: str,
    value: Any,
    *,
    environ: Mapping[str, str] | None = None,
    source: str = "<config>",
    roots: tuple[str, ...] | None = None,
) -> ServerSpec | None:
    """One `mcpServers` entry as a spec, or None when it is marked `"disabled": true`.

    `value` is an object with `command` (stdio), `url` (streamable HTTP; legacy SSE with
    `"type": "sse"` or a URL ending in `/sse`) or `env` naming a bundled environment, or the
    string `"bundled:<environment>"`. `${VAR}` and `${VAR:-default}` in strings are expanded
    from `environ`. `roots` (`file://` URIs) are the server's unless it names its own.
    """
    if isinstance(value, str):
        if not value.startswith(BUNDLED_PREFIX) or not value[len(BUNDLED_PREFIX) :]:
            raise UserError(
                f"{source}: server {name!r}: a string entry must be 'bundled:<environment>', "
                f"not {value!r}"
            )
        return BundledServerSpec(name=name, environment=value[len(BUNDLED_PREFIX) :], roots=roots)
    if not isinstance(value, dict):
        raise UserError(f"{source}: server {name!r}: must be an object, not {type(value).__name__}")
    raw: dict[str, Any] = value  # pyright: ignore[reportUnknownVariableType]
    entry = _Entry(source, name, raw, environ or {}, roots)
    if raw.get("disabled") is True:
        return None
    kind = raw.get("type")
    if kind is not None and kind not in _TYPES:
        raise entry.error(
            "type", f"unknown transport {kind!r} (use 'stdio', 'http', 'sse' or 'bundled')"
        )
    if "command" in raw and "url" in raw:
        raise entry.error("url", "a server has a 'command' (stdio) or a 'url' (HTTP), not both")
    try:
        if kind == "bundled" or isinstance(raw.get("env"), str):
            return _bundled(entry)
        if kind in _HTTP_TYPES or ("url" in raw and kind is None):
            return _http(entry, _HTTP_TYPES.get(kind))
        if kind == "stdio" or "command" in raw:
            return _stdio(entry)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(p) for p in first["loc"]) or None
        raise entry.error(field, first["msg"]) from None
    raise entry.error(None, "needs 'command' (stdio), 'url' (streamable HTTP) or 'env' (bundled)")


def _stdio(entry: _Entry) -> StdioServerSpec:
    entry.check_keys(_STDIO_KEYS, "stdio")
    command = entry.text("command", entry.raw.get("command"), required=True) or ""
    if not command.strip():
        raise entry.error("command", "must not be empty")
    cwd = entry.text("cwd", entry.raw.get("cwd"))
    return StdioServerSpec(
        name=entry.name,
        command=command,
        args=entry.texts("args"),
        env=entry.secrets("env"),
        cwd=os.path.expanduser(cwd) if cwd else None,
        trial=entry.trial(),
        sandbox_paths=entry.sandbox_paths(),
        roots=entry.roots(),
        expanded=entry.expanded(),
    )


def _http(entry: _Entry, transport: HttpTransport | None) -> HttpServerSpec:
    """An HTTP server; without a `type`, a URL ending in `/sse` means legacy SSE."""
    url = entry.text("url", entry.raw.get("url"), required=True) or ""
    if transport is None:
        transport = "sse" if is_sse_url(url) else "streamable-http"
    entry.check_keys(_HTTP_KEYS, "legacy SSE" if transport == "sse" else "streamable HTTP")
    if not url.startswith(("http://", "https://")):
        raise entry.error("url", f"must start with http:// or https:// (got {url[:40]!r})")
    headers = entry.secrets("headers")
    auth = _auth(entry)
    if auth is not None and any(key.lower() == "authorization" for key in headers):
        raise entry.error(
            "auth", "give either an Authorization header or an OAuth 'auth' section, not both"
        )
    return HttpServerSpec(
        name=entry.name,
        url=url,
        headers=headers,
        transport=transport,
        auth=auth,
        trial=entry.trial(),
        roots=entry.roots(),
        expanded=entry.expanded(),
    )


_AUTH_KEYS = {
    # field: its spellings (snake_case as in OAuth's own documents; camelCase as in JS configs)
    "grant": ("grant", "grant_type", "grantType"),
    "client_id": ("client_id", "clientId"),
    "client_secret": ("client_secret", "clientSecret"),
    "scopes": ("scopes", "scope"),
    "issuer": ("issuer", "authorization_server", "authorizationServer"),
    "token_endpoint_auth_method": ("token_endpoint_auth_method", "tokenEndpointAuthMethod"),
    "callback_port": ("callback_port", "callbackPort"),
    "store": ("store",),
}
_AUTH_EXAMPLE = (
    '{"type": "oauth", "client_id": "...", "client_secret": "${SECRET}", '
    '"issuer": "https://auth.example.com", "scopes": ["..."]}'
)


def _auth(entry: _Entry) -> OAuthSpec | None:
    """The `"auth": {"type": "oauth", ...}` section of an HTTP server."""
    value = entry.raw.get("auth")
    if value is None:
        return None
    if not isinstance(value, dict):
        raise entry.error("auth", f"must be an object like {_AUTH_EXAMPLE}")
    raw: dict[Any, Any] = value  # pyright: ignore[reportUnknownVariableType]
    if raw.get("type", "oauth") != "oauth":
        raise entry.error("auth.type", f"must be 'oauth' (the one kind known), not {raw['type']!r}")
    spelled = {spelling: field for field, names in _AUTH_KEYS.items() for spelling in names}
    fields: dict[str, Any] = {}
    for key, item in raw.items():
        if key == "type":
            continue
        field = spelled.get(key)
        if field is None:
            known = ", ".join(_AUTH_KEYS)
            raise entry.error(f"auth.{key}", f"is not a known field of auth (known: {known})")
        fields[field] = _auth_value(entry, f"auth.{key}", field, item)
    if "grant" not in fields:
        fields["grant"] = (
            "client_credentials" if fields.get("client_secret") else ("authorization_code")
        )
    try:
        return OAuthSpec.model_validate(fields)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        message = first["msg"].removeprefix("Value error, ")
        raise entry.error(f"auth.{where}" if where else "auth", message) from None


def _auth_value(entry: _Entry, where: str, field: str, item: Any) -> Any:
    if field == "scopes":
        if isinstance(item, str):
            return tuple((entry.text(where, item) or "").split())
        if not isinstance(item, list):
            raise entry.error(where, "must be a list of scopes or a space-separated string")
        items: list[Any] = item  # pyright: ignore[reportUnknownVariableType]
        return tuple(
            entry.text(f"{where}[{i}]", s, required=True) or "" for i, s in enumerate(items)
        )
    if field == "callback_port":
        if isinstance(item, bool) or not isinstance(item, int):
            raise entry.error(where, f"must be a port number, not {item!r}")
        return item
    return entry.text(where, item, required=True)


def _bundled(entry: _Entry) -> BundledServerSpec:
    entry.check_keys(_BUNDLED_KEYS, "bundled")
    raw = entry.raw
    environment = entry.text("env", raw.get("env"), required=True) or ""
    seed = raw.get("seed", 0)
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise entry.error("seed", f"must be an integer, not {seed!r}")
    transport = raw.get("transport", "memory")
    if transport not in ("memory", "stdio"):
        raise entry.error("transport", f"must be 'memory' or 'stdio', not {transport!r}")
    return BundledServerSpec(
        name=entry.name,
        environment=environment,
        seed=seed,
        version=entry.text("version", raw.get("version")),
        task=entry.text("task", raw.get("task")),
        transport=transport,
        trial=entry.trial(),
        roots=entry.roots(),
    )


def servers_from_dict(
    data: Mapping[str, Any], *, environ: Mapping[str, str] | None = None, source: str = "<config>"
) -> list[ServerSpec]:
    """The servers of an `mcpServers` document (Claude Desktop and Cursor), or of VS Code's
    `servers` (also nested in `mcp`), in file order. Disabled servers are left out.

    A top-level `"roots": ["path", ...]` gives every server without its own `"roots"` those
    folders (as `file://` URIs, relative paths from the working folder).

    `environ` is what `${VAR}` expands from; apps pass `os.environ`. Raises `UserError` naming
    the server and field for anything malformed.
    """
    servers: Any = None
    for key in ("mcpServers", "servers"):
        if key in data:
            servers = data[key]
            break
    else:
        nested = data.get("mcp")
        if isinstance(nested, dict) and "servers" in nested:
            servers = nested["servers"]  # pyright: ignore[reportUnknownVariableType]
    if servers is None:
        raise UserError(f"{source}: no 'mcpServers' (or VS Code 'servers') object found")
    if not isinstance(servers, dict):
        raise UserError(f"{source}: 'mcpServers' must be an object of servers by name")
    roots = _top_roots(data.get("roots"), environ or {}, source)
    specs: list[ServerSpec] = []
    entries: dict[Any, Any] = servers  # pyright: ignore[reportUnknownVariableType]
    for name, value in entries.items():
        if not isinstance(name, str) or not name:
            raise UserError(f"{source}: a server name must be a non-empty string, not {name!r}")
        spec = parse_server(name, value, environ=environ, source=source, roots=roots)
        if spec is not None:
            specs.append(spec)
    return specs


def _top_roots(value: Any, environ: Mapping[str, str], source: str) -> tuple[str, ...] | None:
    """The top-level `"roots"` as `file://` URIs (None when there are none)."""
    if value is None:
        return None
    if not isinstance(value, list):
        raise UserError(f"{source}: 'roots' must be a list of folders, not {type(value).__name__}")
    items: list[Any] = value  # pyright: ignore[reportUnknownVariableType]
    uris: list[str] = []
    for i, item in enumerate(items):
        if not isinstance(item, str) or not item.strip():
            raise UserError(f"{source}: 'roots[{i}]' must be a non-empty string, not {item!r}")
        try:
            uris.append(root_uri(expand(item, environ)))
        except (ValueError, ExpansionError) as exc:
            raise UserError(f"{source}: 'roots[{i}]': {exc}") from None
    return tuple(uris)


def servers_from_file(
    path: str | os.PathLike[str], *, environ: Mapping[str, str] | None = None
) -> list[ServerSpec]:
    """The servers of an `mcpServers` JSON file (see `servers_from_dict`)."""
    file = Path(path)
    try:
        text = file.read_text(encoding="utf-8")
    except OSError as exc:
        raise UserError(f"cannot read server config {str(file)!r}: {exc.strerror or exc}") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise UserError(
            f"{file}: not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})"
        ) from None
    if not isinstance(data, dict):
        raise UserError(f"{file}: the top level must be a JSON object")
    return servers_from_dict(data, environ=environ, source=str(file))  # pyright: ignore[reportUnknownArgumentType]
