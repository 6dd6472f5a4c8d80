"""ToolMaster evaluation: suites (seen, unseen, perturbed and evolved tools, task files),
a concurrent resumable runner, metrics with Wilson intervals and paired trial-minus-direct
comparisons, reports (md, png, json), and the viewer: a static site of runs and episodes.

BFCL multi-turn lives in `toolmaster.eval.bfcl` (it needs the `bfcl` extra); see docs/bfcl.md.
"""

from toolmaster.eval._episodes import Serving, bundled_episode, served_task
from toolmaster.eval._intervals import Intervals, mcnemar_exact, paired_ci, wilson_ci
from toolmaster.eval._metrics import (
    GroupMetrics,
    PairedDifference,
    paired_differences,
    summarise,
)
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
from toolmaster.eval._site import Site, build_site, write_site
from toolmaster.eval._suites import BundledSuite, Case, Selection, TaskFileSuite, builtin_suite
from toolmaster.eval._tables import (
    comparison_table,
    paired_table,
    results_table,
    settings_table,
    suites_table,
)
from toolmaster.eval._tags import EvalTag, TaggedEpisode, known_runs, run_episodes
from toolmaster.eval._translate import PlanPolicy

__all__ = [
    "SETTINGS",
    "Budgets",
    "BundledSuite",
    "Case",
    "EvalConfig",
    "EvalPolicy",
    "EvalTag",
    "GroupMetrics",
    "Intervals",
    "PairedDifference",
    "PlanPolicy",
    "Progress",
    "Report",
    "RichProgress",
    "RunResult",
    "Selection",
    "Serving",
    "Setting",
    "Site",
    "TaggedEpisode",
    "TaskFileSuite",
    "build_report",
    "build_site",
    "builtin_suite",
    "bundled_episode",
    "comparison_table",
    "known_runs",
    "mcnemar_exact",
    "new_run_id",
    "paired_ci",
    "paired_differences",
    "paired_table",
    "plan_cases",
    "results_table",
    "run_episodes",
    "run_eval",
    "served_task",
    "settings_table",
    "suites_table",
    "summarise",
    "wilson_ci",
    "write_report",
    "write_site",
]
