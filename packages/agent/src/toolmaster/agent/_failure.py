"""One way to record an episode that failed outside the agent loop.

`Agent.run` records the failures of a policy, a server or a verifier while it plays. What
happens around it — building the policy, opening the environment and its servers, judging with
a verifier the loop does not call — is the runner's: an `Attempt` follows a job through those
stages, and a failure that escapes one becomes the episode, attributed to the boundary of the
stage it escaped (`failed_episode`). A batch never dies for one episode.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Generator
from contextlib import contextmanager

from toolmaster.core import Boundary, Episode, EpisodeError, Mode, PolicyInfo, Task, Timings, utcnow

logger = logging.getLogger(__name__)

UNBUILT_POLICY = PolicyInfo(name="unbuilt", backend="unknown")
"""The policy of an episode whose policy could not be built."""


def failed_episode(
    task: Task,
    *,
    mode: Mode,
    boundary: Boundary,
    error: BaseException | str,
    policy: PolicyInfo | None = None,
    kind: str = "exception",
) -> Episode:
    """The record of an episode that ended before (or around) the agent loop: no messages, the
    failure on `error`, attributed to `boundary`. An exception is recorded as its `repr`."""
    message = error if isinstance(error, str) else repr(error)
    now = utcnow()
    return Episode(
        task=task,
        mode=mode,
        policy=policy or UNBUILT_POLICY,
        error=EpisodeError(boundary=boundary, kind=kind, message=message),
        timings=Timings(started_at=now, finished_at=now),
    )


class Attempt:
    """One episode job on its way through the boundaries around the agent loop.

    ```python
    attempt = Attempt(task, config.mode)

    async def play(attempt: Attempt) -> Episode:
        with attempt.at("policy"):
            policy = make_policy(task)
        attempt.policy = policy.info
        with attempt.at("server"):
            session = env.open(task)
        ...

    episode = await attempt.run(play)  # never raises for a failure of one episode
    ```

    A stage after the loop (a verifier the runner calls itself) sets `played` first, so that
    its failure is recorded on the played episode rather than on an empty one.
    """

    def __init__(self, task: Task, mode: Mode, *, policy: PolicyInfo | None = None) -> None:
        self.task = task
        self.mode: Mode = mode
        self.policy = policy
        """The policy's record, once it is built (`UNBUILT_POLICY` on a failed episode before)."""
        self.boundary: Boundary = "runtime"
        """Where the job is: a failure outside any `at` stage is ToolMaster's own."""
        self.played: Episode | None = None
        """The loop's record, once it has one: a later failure (a verifier the runner calls
        itself) is recorded on it, unless the loop already recorded one of its own."""
        self.failure: Exception | None = None
        """What ended the job, after `run` returned a failed episode."""

    @contextmanager
    def at(self, boundary: Boundary) -> Generator[None]:
        """A stage at `boundary`: an exception that escapes it is that boundary's failure."""
        self.boundary = boundary
        yield  # an exception thrown here leaves `boundary` set for `run` to read
        self.boundary = "runtime"

    async def run(self, play: Callable[[Attempt], Awaitable[Episode]]) -> Episode:
        """`play(self)`, or the failed episode of whatever it raised (cancellation and
        interrupts go through: they end the batch, not one episode)."""
        try:
            return await play(self)
        except Exception as exc:  # noqa: BLE001 — a bad rollout is data: recorded on the episode
            logger.warning(
                "task %s failed at the %s boundary, outside the agent loop: %r",
                self.task.id,
                self.boundary,
                exc,
            )
            self.failure = exc
            failed = failed_episode(
                self.task, mode=self.mode, boundary=self.boundary, error=exc, policy=self.policy
            )
            if self.played is None:
                return failed
            if self.played.error is not None:  # the loop's failure came first: it stays
                return self.played
            return self.played.model_copy(update={"error": failed.error})
