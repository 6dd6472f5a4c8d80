"""ToolMaster MCP layer: server specs from `mcpServers` JSON, and the Toolbox that connects many
MCP servers, lists their tools and calls them with every failure returned as data."""

from toolmaster.mcp._config import parse_server, servers_from_dict, servers_from_file
from toolmaster.mcp._events import Subscriber, ToolEvent, ToolEventKind
from toolmaster.mcp._failures import HttpRefusals, connect_reason
from toolmaster.mcp._perturb import Perturbation
from toolmaster.mcp._perturb_steps import (
    PERTURBATION_KINDS,
    Envelope,
    ErrorStyle,
    GroupArgs,
    MisleadingHint,
    PerturbationKind,
    RenameArg,
    RenameKeys,
    RequireArg,
    ToolPerturbation,
    parse_kinds,
)
from toolmaster.mcp._proxy import PerturbationProxy
from toolmaster.mcp._results import TRUNCATION_MARKER
from toolmaster.mcp._secrets import MIN_SECRET, SecretFilter, Secrets, scrub
from toolmaster.mcp._spec import (
    BundledServerSpec,
    HttpServerSpec,
    InProcessServerSpec,
    ServerSpec,
    StdioServerSpec,
)
from toolmaster.mcp._toolbox import PREFIX_SEPARATOR, ServerConnectError, Toolbox

__all__ = [
    "MIN_SECRET",
    "PERTURBATION_KINDS",
    "PREFIX_SEPARATOR",
    "TRUNCATION_MARKER",
    "BundledServerSpec",
    "Envelope",
    "ErrorStyle",
    "GroupArgs",
    "HttpRefusals",
    "HttpServerSpec",
    "InProcessServerSpec",
    "MisleadingHint",
    "Perturbation",
    "PerturbationKind",
    "PerturbationProxy",
    "RenameArg",
    "RenameKeys",
    "RequireArg",
    "SecretFilter",
    "Secrets",
    "ServerConnectError",
    "ServerSpec",
    "StdioServerSpec",
    "Subscriber",
    "ToolEvent",
    "ToolEventKind",
    "ToolPerturbation",
    "Toolbox",
    "connect_reason",
    "parse_kinds",
    "parse_server",
    "scrub",
    "servers_from_dict",
    "servers_from_file",
]
