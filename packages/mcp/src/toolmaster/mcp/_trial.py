"""The trial policy: which tools may be trialed, by tool name or glob.

A rule is `GLOB=allow|refuse|sandbox`. A glob matches a tool when it matches the tool's name on
its server (`read_query`) or the server's name and the tool's joined by a dot
(`sqlite.read_query`); `fnmatch` syntax, case-sensitive, and `*` also matches dots, so `*`
matches every tool. Within a list of rules the first that matches wins.

- `allow`: trial calls of the tool run on the real server;
- `refuse`: they are refused (the model may call the tool in the execution phase);
- `sandbox`: they run where nothing they do lasts (a bundled environment's snapshot, or a
  throwaway instance of a stdio server, `toolmaster.mcp.NamespaceSandbox`), or are refused where
  there is no such place.

Precedence: the command line's rules, then `--allow-unsafe-trials` (which is `*=allow`), then
the server's `"trial"` rules in the config, then the default: read-only tools are allowed, the
others are sandboxed (so refused without a sandbox).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from typing import TYPE_CHECKING, Literal, get_args

from toolmaster.core import ToolSpec, UserError

if TYPE_CHECKING:
    from toolmaster.mcp._spec import ServerSpec

__all__ = ["TRIAL_ACTIONS", "TrialAction", "TrialPolicy", "TrialRule", "parse_trial_rule"]

TrialAction = Literal["allow", "refuse", "sandbox"]
TRIAL_ACTIONS: tuple[TrialAction, ...] = get_args(TrialAction)

_PREFIX_SEPARATOR = "__"  # the Toolbox's, for tools renamed `server__tool` on a name clash


@dataclass(frozen=True, slots=True)
class TrialRule:
    """One rule of a trial policy."""

    pattern: str
    """A glob over `tool` or `server.tool`."""
    action: TrialAction

    def matches(self, server: str, tool: str) -> bool:
        """Whether the rule applies to `tool` (its name on `server`)."""
        return fnmatchcase(tool, self.pattern) or fnmatchcase(f"{server}.{tool}", self.pattern)

    def __str__(self) -> str:
        return f"{self.pattern}={self.action}"


def trial_action(value: object, where: str) -> TrialAction:
    """`value` as a trial action, else a `UserError` that says `where` it was found."""
    for action in TRIAL_ACTIONS:
        if value == action:
            return action
    raise UserError(f"{where}: the trial action must be allow, refuse or sandbox, not {value!r}")


def parse_trial_rule(text: str, *, where: str = "--trial-policy") -> TrialRule:
    """A rule written `GLOB=allow|refuse|sandbox` (a `UserError` naming `where` otherwise)."""
    pattern, sep, action = text.rpartition("=")
    pattern = pattern.strip()
    if not sep or not pattern:
        raise UserError(f"{where}: expected GLOB=allow|refuse|sandbox, not {text!r}")
    return TrialRule(pattern, trial_action(action.strip(), f"{where} {text!r}"))


@dataclass(frozen=True)
class TrialPolicy:
    """Which tools may be trialed: the command line's rules, then the servers' own."""

    rules: tuple[TrialRule, ...] = ()
    """The command line's rules (`--trial-policy`), for every server; the first match wins."""
    servers: Mapping[str, tuple[TrialRule, ...]] = field(
        default_factory=dict[str, tuple[TrialRule, ...]]
    )
    """Each server's rules from its config entry (`"trial"`), by server name."""

    @classmethod
    def of(
        cls, rules: Iterable[str | TrialRule], servers: Iterable[ServerSpec] = ()
    ) -> TrialPolicy:
        """The policy of command-line `rules` (`GLOB=action` texts or rules) over `servers`
        (the specs' own `trial` rules)."""
        parsed = tuple(r if isinstance(r, TrialRule) else parse_trial_rule(r) for r in rules)
        return cls(parsed, {spec.name: spec.trial for spec in servers if spec.trial})

    def action(self, tool: ToolSpec, *, allow_unsafe: bool = False) -> TrialAction:
        """What the policy says of trial calls of `tool`. `allow_unsafe` stands for a last
        command-line rule `*=allow`."""
        name = tool.name
        server = tool.server
        if name.startswith(server + _PREFIX_SEPARATOR):
            name = name[len(server) + len(_PREFIX_SEPARATOR) :]
        for rule in self.rules:
            if rule.matches(server, name):
                return rule.action
        if allow_unsafe:
            return "allow"
        for rule in self.servers.get(server, ()):
            if rule.matches(server, name):
                return rule.action
        return "allow" if tool.read_only else "sandbox"

    @property
    def empty(self) -> bool:
        """No rule at all: the default decides every tool."""
        return not self.rules and not self.servers
