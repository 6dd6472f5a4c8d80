"""Shared pieces of the bundled environments: a session over JSON state (`_session`), the MCP
server factory and `serve()` entry point (`_serve`), the `Environment` boilerplate (`_env`), the
scripted-teacher plumbing (`_script`) and tolerant answer parsing (`_parse`)."""

from toolmaster.envs.kit._env import SPLITS, KitEnvironment
from toolmaster.envs.kit._parse import NUMBER_WORDS, fail, first_number, last_number, success
from toolmaster.envs.kit._script import (
    TRIAL_BUDGET,
    Ask,
    Call,
    Script,
    Step,
    error_of,
    error_text,
    fields,
    payload,
)
from toolmaster.envs.kit._serve import LOG_LEVEL, serve, server
from toolmaster.envs.kit._session import JsonSession, task_id

__all__ = [
    "LOG_LEVEL",
    "NUMBER_WORDS",
    "SPLITS",
    "TRIAL_BUDGET",
    "Ask",
    "Call",
    "JsonSession",
    "KitEnvironment",
    "Script",
    "Step",
    "error_of",
    "error_text",
    "fail",
    "fields",
    "first_number",
    "last_number",
    "payload",
    "serve",
    "server",
    "success",
    "task_id",
]
