"""ToolMaster MCP layer: server specs from `mcpServers` JSON, and the Toolbox that connects many
MCP servers (signing in to OAuth-protected HTTP servers), lists their tools and calls them with
every failure returned as data, and lists and reads their resources and prompts; it answers
what servers ask of the client (roots, sampling, elicitation: `ElicitationForm` is the form a
person fills in, `form_elicitor` the front ends' elicitor) and reports their log messages
and progress as events."""

from toolmaster.mcp._catalog import PromptListing, ResourceListing, ServerRequestError
from toolmaster.mcp._client_side import (
    DEFAULT_MAX_SAMPLES,
    REASON_META_KEY,
    UNATTENDED,
    ElicitationReply,
    ElicitationRequest,
    Elicitor,
    ElicitValue,
    Sampler,
    SamplingRefusedError,
    SamplingReply,
    SamplingRequest,
    decline_unattended,
)
from toolmaster.mcp._config import parse_server, servers_from_dict, servers_from_file
from toolmaster.mcp._elicit_form import (
    AnswerError,
    AskForm,
    Choice,
    ElicitationForm,
    ElicitationSchemaError,
    FieldKind,
    FormField,
    form_elicitor,
)
from toolmaster.mcp._events import Subscriber, ToolEvent, ToolEventKind
from toolmaster.mcp._failures import NEEDS_OAUTH, HttpRefusals, connect_reason
from toolmaster.mcp._oauth import OAuthGrant, OAuthOptions, OAuthSpec, SignIn
from toolmaster.mcp._oauth_store import default_token_folder
from toolmaster.mcp._perturb import Perturbation
from toolmaster.mcp._perturb_steps import (
    PERTURBATION_KINDS,
    Envelope,
    ErrorStyle,
    GroupArgs,
    MisleadingHint,
    PerturbationKind,
    RenameArg,
    RenameKeys,
    RequireArg,
    ToolPerturbation,
    parse_kinds,
)
from toolmaster.mcp._perturb_words import fresh_name
from toolmaster.mcp._proxy import PerturbationProxy
from toolmaster.mcp._results import TRUNCATION_MARKER
from toolmaster.mcp._sandbox import NamespaceSandbox, namespace_support, sandboxed_spec
from toolmaster.mcp._secrets import MIN_SECRET, SecretFilter, Secrets, scrub
from toolmaster.mcp._spec import (
    BundledServerSpec,
    HttpServerSpec,
    HttpTransport,
    InProcessServerSpec,
    ServerSpec,
    StdioServerSpec,
    is_sse_url,
)
from toolmaster.mcp._targets import http_transport
from toolmaster.mcp._toolbox import (
    PREFIX_SEPARATOR,
    TASKS_REQUIRED,
    ServerConnectError,
    Toolbox,
)
from toolmaster.mcp._trial import (
    TRIAL_ACTIONS,
    TrialAction,
    TrialPolicy,
    TrialRule,
    parse_trial_rule,
)

__all__ = [
    "DEFAULT_MAX_SAMPLES",
    "MIN_SECRET",
    "NEEDS_OAUTH",
    "PERTURBATION_KINDS",
    "PREFIX_SEPARATOR",
    "REASON_META_KEY",
    "TASKS_REQUIRED",
    "TRIAL_ACTIONS",
    "TRUNCATION_MARKER",
    "UNATTENDED",
    "AnswerError",
    "AskForm",
    "BundledServerSpec",
    "Choice",
    "ElicitValue",
    "ElicitationForm",
    "ElicitationReply",
    "ElicitationRequest",
    "ElicitationSchemaError",
    "Elicitor",
    "Envelope",
    "ErrorStyle",
    "FieldKind",
    "FormField",
    "GroupArgs",
    "HttpRefusals",
    "HttpServerSpec",
    "HttpTransport",
    "InProcessServerSpec",
    "MisleadingHint",
    "NamespaceSandbox",
    "OAuthGrant",
    "OAuthOptions",
    "OAuthSpec",
    "Perturbation",
    "PerturbationKind",
    "PerturbationProxy",
    "PromptListing",
    "RenameArg",
    "RenameKeys",
    "RequireArg",
    "ResourceListing",
    "Sampler",
    "SamplingRefusedError",
    "SamplingReply",
    "SamplingRequest",
    "SecretFilter",
    "Secrets",
    "ServerConnectError",
    "ServerRequestError",
    "ServerSpec",
    "SignIn",
    "StdioServerSpec",
    "Subscriber",
    "ToolEvent",
    "ToolEventKind",
    "ToolPerturbation",
    "Toolbox",
    "TrialAction",
    "TrialPolicy",
    "TrialRule",
    "connect_reason",
    "decline_unattended",
    "default_token_folder",
    "form_elicitor",
    "fresh_name",
    "http_transport",
    "is_sse_url",
    "namespace_support",
    "parse_kinds",
    "parse_server",
    "parse_trial_rule",
    "sandboxed_spec",
    "scrub",
    "servers_from_dict",
    "servers_from_file",
]
