"""ToolMaster evaluation: suites (seen, unseen, perturbed and evolved tools, task files),
a concurrent resumable runner, metrics with bootstrap intervals, and reports (md, png, json).

BFCL multi-turn lives in `toolmaster.eval._bfcl` (it needs the `bfcl` extra); see docs/bfcl.md.
"""

from toolmaster.eval._metrics import Bootstrap, GroupMetrics, bootstrap_ci, summarise
from toolmaster.eval._report import Report, build_report, write_report
from toolmaster.eval._runner import Budgets, EvalConfig, EvalPolicy, new_run_id, run_eval
from toolmaster.eval._settings import SETTINGS, Setting
from toolmaster.eval._suites import BundledSuite, Selection, TaskFileSuite
from toolmaster.eval._tags import EvalTag
from toolmaster.eval._translate import PlanPolicy

__all__ = [
    "SETTINGS",
    "Bootstrap",
    "Budgets",
    "BundledSuite",
    "EvalConfig",
    "EvalPolicy",
    "EvalTag",
    "GroupMetrics",
    "PlanPolicy",
    "Report",
    "Selection",
    "Setting",
    "TaskFileSuite",
    "bootstrap_ci",
    "build_report",
    "new_run_id",
    "run_eval",
    "summarise",
    "write_report",
]
