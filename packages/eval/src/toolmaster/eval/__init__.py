"""ToolMaster evaluation: suites (seen, unseen, perturbed and evolved tools, task files),
a concurrent resumable runner, metrics with bootstrap intervals, and reports (md, png, json).

BFCL multi-turn lives in `toolmaster.eval.bfcl` (it needs the `bfcl` extra); see docs/bfcl.md.
"""

from toolmaster.eval._metrics import Bootstrap, GroupMetrics, bootstrap_ci, summarise
from toolmaster.eval._progress import RichProgress
from toolmaster.eval._report import Report, build_report, write_report
from toolmaster.eval._runner import (
    Budgets,
    EvalConfig,
    EvalPolicy,
    Progress,
    RunResult,
    new_run_id,
    plan_cases,
    run_eval,
)
from toolmaster.eval._settings import SETTINGS, Setting
from toolmaster.eval._suites import BundledSuite, Case, Selection, TaskFileSuite, builtin_suite
from toolmaster.eval._tables import comparison_table, results_table, settings_table, suites_table
from toolmaster.eval._tags import EvalTag, TaggedEpisode, known_runs, run_episodes
from toolmaster.eval._translate import PlanPolicy

__all__ = [
    "SETTINGS",
    "Bootstrap",
    "Budgets",
    "BundledSuite",
    "Case",
    "EvalConfig",
    "EvalPolicy",
    "EvalTag",
    "GroupMetrics",
    "PlanPolicy",
    "Progress",
    "Report",
    "RichProgress",
    "RunResult",
    "Selection",
    "Setting",
    "TaggedEpisode",
    "TaskFileSuite",
    "bootstrap_ci",
    "build_report",
    "builtin_suite",
    "comparison_table",
    "known_runs",
    "new_run_id",
    "plan_cases",
    "results_table",
    "run_episodes",
    "run_eval",
    "settings_table",
    "suites_table",
    "summarise",
    "write_report",
]
