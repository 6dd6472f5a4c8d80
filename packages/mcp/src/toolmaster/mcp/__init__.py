"""ToolMaster MCP layer."""

from toolmaster.mcp._perturb import (
    PERTURBATION_KINDS,
    Envelope,
    ErrorStyle,
    GroupArgs,
    MisleadingHint,
    Perturbation,
    PerturbationKind,
    RenameArg,
    RenameKeys,
    RequireArg,
    ToolPerturbation,
    parse_kinds,
)
from toolmaster.mcp._proxy import PerturbationProxy

__all__ = [
    "PERTURBATION_KINDS",
    "Envelope",
    "ErrorStyle",
    "GroupArgs",
    "MisleadingHint",
    "Perturbation",
    "PerturbationKind",
    "PerturbationProxy",
    "RenameArg",
    "RenameKeys",
    "RequireArg",
    "ToolPerturbation",
    "parse_kinds",
]
