"""ToolMaster core: the types every package passes around, and the session store."""

from toolmaster.core._async_store import AsyncStore
from toolmaster.core._base import Record
from toolmaster.core._clean import encodable_json, episode_json
from toolmaster.core._env import (
    ENTRY_POINT_GROUP,
    FINISH_TRIAL,
    Environment,
    EnvSession,
    Solver,
    Split,
    Turn,
    environments,
    get_environment,
)
from toolmaster.core._episode import (
    FORMAT_VERSION,
    Boundary,
    Episode,
    EpisodeError,
    Event,
    EventKind,
    Experience,
    Mode,
    PhaseSpan,
    PolicyInfo,
    Sampling,
    ServerIdentity,
    Task,
    Timings,
    Verdict,
    new_id,
    utcnow,
)
from toolmaster.core._errors import (
    FormatVersionError,
    ImportFormatError,
    StoreError,
    ToolMasterError,
    UserError,
)
from toolmaster.core._messages import Message, Role, Usage
from toolmaster.core._migrations import SCHEMA_VERSION
from toolmaster.core._query import EpisodeQuery, EpisodeSummary, VerdictFilter
from toolmaster.core._sqlite import Synchronous
from toolmaster.core._store import Store, TextSink, default_store_path
from toolmaster.core._text import terminal_safe
from toolmaster.core._tools import (
    ErrorKind,
    Phase,
    ToolAnnotations,
    ToolCall,
    ToolKey,
    ToolResult,
    ToolSpec,
)

__all__ = [
    "ENTRY_POINT_GROUP",
    "FINISH_TRIAL",
    "FORMAT_VERSION",
    "SCHEMA_VERSION",
    "AsyncStore",
    "Boundary",
    "EnvSession",
    "Environment",
    "Episode",
    "EpisodeError",
    "EpisodeQuery",
    "EpisodeSummary",
    "ErrorKind",
    "Event",
    "EventKind",
    "Experience",
    "FormatVersionError",
    "ImportFormatError",
    "Message",
    "Mode",
    "Phase",
    "PhaseSpan",
    "PolicyInfo",
    "Record",
    "Role",
    "Sampling",
    "ServerIdentity",
    "Solver",
    "Split",
    "Store",
    "StoreError",
    "Synchronous",
    "Task",
    "TextSink",
    "Timings",
    "ToolAnnotations",
    "ToolCall",
    "ToolKey",
    "ToolMasterError",
    "ToolResult",
    "ToolSpec",
    "Turn",
    "Usage",
    "UserError",
    "Verdict",
    "VerdictFilter",
    "default_store_path",
    "encodable_json",
    "environments",
    "episode_json",
    "get_environment",
    "new_id",
    "terminal_safe",
    "utcnow",
]
