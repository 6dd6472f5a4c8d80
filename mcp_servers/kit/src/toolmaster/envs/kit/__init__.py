"""Shared pieces of the bundled environments: `KitEnvironment`, an environment composed from its
parts (`_env`); a session over JSON state (`_session`); the MCP server factory and `serve()`
entry point (`_serve`); task ids and tasks (`_tasks`); the scripted-teacher plumbing (`_script`)
and its notes (`_notes`); tolerant answer parsing (`_parse`)."""

from toolmaster.envs.kit._env import SPLITS, KitEnvironment, Teacher, Verifier
from toolmaster.envs.kit._notes import Notes
from toolmaster.envs.kit._parse import NUMBER_WORDS, fail, first_number, last_number, success
from toolmaster.envs.kit._script import (
    TRIAL_BUDGET,
    Ask,
    Call,
    Returning,
    Script,
    Step,
    TeacherRun,
    error_of,
    error_text,
    fields,
    payload,
    teach,
)
from toolmaster.envs.kit._serve import LOG_LEVEL, bind, reply, serve, server
from toolmaster.envs.kit._session import JsonSession
from toolmaster.envs.kit._tasks import task, task_id

__all__ = [
    "LOG_LEVEL",
    "NUMBER_WORDS",
    "SPLITS",
    "TRIAL_BUDGET",
    "Ask",
    "Call",
    "JsonSession",
    "KitEnvironment",
    "Notes",
    "Returning",
    "Script",
    "Step",
    "Teacher",
    "TeacherRun",
    "Verifier",
    "bind",
    "error_of",
    "error_text",
    "fail",
    "fields",
    "first_number",
    "last_number",
    "payload",
    "reply",
    "serve",
    "server",
    "success",
    "task",
    "task_id",
    "teach",
]
