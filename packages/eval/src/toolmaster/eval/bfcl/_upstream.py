"""Everything ToolMaster uses of the `bfcl-eval` package, in one place, as it ships.

BFCL's data loader, its simulator classes and the way it instantiates them, its execution of
call strings and its multi-turn checker are called here and nowhere else; the rest of the
adapter sees typed functions. Only modules that need no vendor SDK are imported (never the
model handlers nor `bfcl_eval.constants.model_config`).

Importing `bfcl_eval.utils` makes BFCL create its `result/`, `score/` and `.file_locks/`
directories under `$BFCL_PROJECT_ROOT` (default: next to the installed package); that is the
package's own behaviour on import.
"""

from __future__ import annotations

import importlib
import inspect
import re
from collections.abc import Callable
from functools import cache
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from types import ModuleType
from typing import Any, cast

from pydantic import JsonValue
from toolmaster.core import UserError

_INSTALL = "BFCL needs the bfcl extra: uv pip install 'toolmaster-eval[bfcl]'"

try:
    from bfcl_eval import utils as _utils
    from bfcl_eval.constants import default_prompts as _prompts
    from bfcl_eval.constants import eval_config as _paths
    from bfcl_eval.constants import executable_backend_config as _backend
    from bfcl_eval.constants import type_mappings as _types
    from bfcl_eval.eval_checker.multi_turn_eval import multi_turn_checker as _checker
    from bfcl_eval.eval_checker.multi_turn_eval import multi_turn_utils as _execution
except ImportError as exc:  # pragma: no cover (the workspace installs the extra)
    raise UserError(f"{_INSTALL} ({exc})") from exc

CATEGORIES: tuple[str, ...] = (
    "multi_turn_base",
    "multi_turn_miss_func",
    "multi_turn_miss_param",
    "multi_turn_long_context",
)
"""BFCL's multi-turn categories this adapter runs."""

STEP_LIMIT: int = int(_prompts.MAXIMUM_STEP_LIMIT)
"""BFCL's inference stops an entry once a user turn has had more model steps than this."""

ADDED_FUNCTIONS_PROMPT: str = str(_prompts.DEFAULT_USER_PROMPT_FOR_ADDITIONAL_FUNCTION_FC)
"""The user message BFCL sends at a turn that adds held-out functions (miss_func)."""

TYPE_TO_JSON_SCHEMA: dict[str, str] = dict(_types.GORILLA_TO_OPENAPI)
"""BFCL's own mapping of its parameter types to JSON Schema (OpenAPI) types."""

# BFCL ships no type information: its functions are typed once, here.
_Rows = list[dict[str, Any]]


def _untyped(module: ModuleType, name: str) -> Any:
    """A function of an untyped BFCL module, typed where it is bound."""
    return getattr(module, name)


_load_dataset: Callable[[str], _Rows] = _untyped(_utils, "load_dataset_entry")
_load_truth: Callable[[str], _Rows] = _untyped(_utils, "load_ground_truth_entry")
_load_file: Callable[[Path], _Rows] = _untyped(_utils, "load_file")
_execute: Callable[..., tuple[list[str], dict[str, object]]] = _untyped(
    _execution, "execute_multi_turn_func_call"
)
_multi_turn_checker: Callable[..., dict[str, Any]] = _untyped(_checker, "multi_turn_checker")


def bfcl_version() -> str:
    """The installed `bfcl-eval` version."""
    try:
        return version("bfcl-eval")
    except PackageNotFoundError:  # pragma: no cover (imported above, so installed)
        return "unknown"


def dataset(category: str) -> list[dict[str, Any]]:
    """The entries of `category` as BFCL's own loader prepares them for inference (function
    docs populated from the involved classes, held-out functions moved to `missed_function`,
    BFCL's language hint added to the descriptions)."""
    return _load_dataset(_known(category))


def ground_truth(category: str) -> dict[str, list[list[str]]]:
    """BFCL's ground-truth call strings of `category`, per entry id: one list per user turn."""
    rows = _load_truth(_known(category))
    return {str(row["id"]): cast("list[list[str]]", row["ground_truth"]) for row in rows}


def _known(category: str) -> str:
    if category not in CATEGORIES:
        raise UserError(f"unknown BFCL category {category!r} (known: {', '.join(CATEGORIES)})")
    return category


@cache
def class_functions(class_name: str) -> tuple[str, ...]:
    """The names of the functions BFCL documents for one simulator class."""
    mapping = _backend.MULTI_TURN_FUNC_DOC_FILE_MAPPING
    if class_name not in mapping:
        raise UserError(f"BFCL has no simulator class {class_name!r}")
    path = _paths.MULTI_TURN_FUNC_DOC_PATH / mapping[class_name]
    docs = _load_file(path)
    return tuple(str(doc["name"]) for doc in docs)


def parameter_names(class_name: str, function: str) -> list[str]:
    """The parameter names of a simulator method, in order (for positional arguments)."""
    module = importlib.import_module(_backend.CLASS_FILE_PATH_MAPPING[class_name])
    method = getattr(getattr(module, class_name), function)
    names = list(inspect.signature(method).parameters)
    return names[1:] if names and names[0] == "self" else names


def long_context(entry_id: str) -> bool:
    """Whether BFCL loads an entry's scenario in long-context form (its own rule, by category)."""
    category = entry_id.rsplit("_", 1)[0]
    return "long_context" in category or "composite" in category


def execute(
    calls: list[str],
    *,
    initial_config: dict[str, JsonValue],
    involved_classes: list[str],
    namespace: str,
    entry_id: str,
) -> list[str]:
    """Run call strings on the instances of `namespace` with BFCL's own executor, which creates
    them on first use from `initial_config` (as BFCL's inference and checker do) and keeps them
    between calls. One result string per call; a failed call gives BFCL's
    `Error during execution: ...`."""
    results, _ = _run(calls, initial_config, involved_classes, namespace, entry_id)
    return [str(result) for result in results]


def instances(
    *,
    initial_config: dict[str, JsonValue],
    involved_classes: list[str],
    namespace: str,
    entry_id: str,
) -> dict[str, object]:
    """The simulator instances of `namespace`, by class name (created if need be)."""
    _, found = _run([], initial_config, involved_classes, namespace, entry_id)
    return dict(found)


def _run(
    calls: list[str],
    initial_config: dict[str, JsonValue],
    involved_classes: list[str],
    namespace: str,
    entry_id: str,
) -> tuple[list[str], dict[str, object]]:
    long = long_context(entry_id)
    return _execute(
        calls,
        initial_config,
        involved_classes,
        namespace,
        entry_id,
        long_context=long,
        is_evaL_run=False,
    )


def check(
    decoded: list[list[list[str]]],
    truth: list[list[str]],
    *,
    entry: dict[str, JsonValue],
    category: str,
    namespace: str,
) -> dict[str, Any]:
    """BFCL's `multi_turn_checker` on decoded calls (per turn, per step, call strings). It
    replays them and the ground truth on fresh instances of its own (under `namespace`)."""
    return _multi_turn_checker(decoded, truth, entry, category, namespace)


def release(namespace: str) -> int:
    """Forget the simulator instances BFCL's executor keeps for `namespace` (it keeps every
    instance it ever made, in its module globals, keyed by a name that starts with the
    namespace); the number forgotten."""
    prefix = re.sub(r"[-./:]", "_", f"{namespace}_")
    kept = _execution.__dict__
    names = [name for name in kept if name.startswith(prefix) and name.endswith("_instance")]
    for name in names:
        del kept[name]
    return len(names)
