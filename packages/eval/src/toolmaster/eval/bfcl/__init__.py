"""BFCL multi-turn through ToolMaster: BFCL's data, simulators and checker, as they ship in
`bfcl-eval`, served over MCP and run by the ToolMaster agent.

- `load_entries(category)`: entries loaded with BFCL's own loader (`BfclEntry`).
- `BfclSession(entry)`: the entry's simulator classes, one in-process MCP server each, run by
  BFCL's executor; also the agent's trial sandbox (a throwaway copy of the instances).
- `run_entries(entries, policy_for, BfclConfig(...))`: one episode per entry over several user
  turns, decoded into BFCL's format and judged by BFCL's `multi_turn_checker`; the verdict, the
  evaluation tag (`metadata["eval"]`) and BFCL's view (`metadata["bfcl"]`) on the episode.
- `ground_truth_policy(entry, mode)`: BFCL's ground truth replayed through the same path.
- `summarize(episodes)`: accuracy per category.

Importing this package needs the `bfcl` extra of `toolmaster-eval` (a `UserError` otherwise).
"""

from toolmaster.eval.bfcl._calls import call_string, json_schema, mcp_tool, parse_call
from toolmaster.eval.bfcl._data import BFCL_ENV, BfclEntry, load_entries
from toolmaster.eval.bfcl._replay import (
    GROUND_TRUTH_POLICY,
    ground_truth_calls,
    ground_truth_policy,
)
from toolmaster.eval.bfcl._runner import (
    BFCL_KEY,
    BFCL_SUITE,
    BfclConfig,
    PolicyFor,
    bfcl_agent_config,
    entry_job,
    run_entries,
    run_entry,
)
from toolmaster.eval.bfcl._score import CheckResult, Decoded, check, decode, score
from toolmaster.eval.bfcl._session import BfclSession
from toolmaster.eval.bfcl._summary import CategoryScore, summarize
from toolmaster.eval.bfcl._upstream import CATEGORIES, STEP_LIMIT, bfcl_version

__all__ = [
    "BFCL_ENV",
    "BFCL_KEY",
    "BFCL_SUITE",
    "CATEGORIES",
    "GROUND_TRUTH_POLICY",
    "STEP_LIMIT",
    "BfclConfig",
    "BfclEntry",
    "BfclSession",
    "CategoryScore",
    "CheckResult",
    "Decoded",
    "PolicyFor",
    "bfcl_agent_config",
    "bfcl_version",
    "call_string",
    "check",
    "decode",
    "entry_job",
    "ground_truth_calls",
    "ground_truth_policy",
    "json_schema",
    "load_entries",
    "mcp_tool",
    "parse_call",
    "run_entries",
    "run_entry",
    "score",
    "summarize",
]
