"""`toolmaster eval run --trial-policy`: the rules reach every episode's agent, over the
servers' own; a malformed rule is a usage error before anything runs."""

from __future__ import annotations

from typing import Any

import pytest
from toolmaster.cli._eval_run import build_config
from toolmaster.core import UserError
from toolmaster.eval import EvalConfig
from toolmaster.eval._runner import agent_config
from toolmaster.mcp import StdioServerSpec, TrialRule


def flags(**given: Any) -> dict[str, Any]:
    return {"selection": {}, "budgets": {}, "suites": [], **given}


def test_the_flag_overrides_the_spec_file_and_reaches_the_agent() -> None:
    config = build_config({"trial_policy": ["*=allow"]}, flags(trial_policy=["read_*=allow"]))
    assert config.trial_policy == ["read_*=allow"]
    server = StdioServerSpec(name="db", command="x", trial=(TrialRule("*", "refuse"),))
    for scripted in (True, False):
        agent = agent_config(config, "trial", scripted=scripted, sample=0, servers=[server])
        assert agent.trial_policy.rules == (TrialRule("read_*", "allow"),)
        assert agent.trial_policy.servers == {"db": (TrialRule("*", "refuse"),)}


def test_a_malformed_rule_is_refused_with_its_name() -> None:
    with pytest.raises(UserError, match=r"bad evaluation settings: trial_policy: .*'read_query'"):
        build_config({}, flags(trial_policy=["read_query"]))
    with pytest.raises(ValueError, match="must be allow, refuse or sandbox"):
        EvalConfig(trial_policy=["*=maybe"])
