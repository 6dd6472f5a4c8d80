"""What the `sqlbase` teacher knows in one episode, and the plumbing both phases use to ask."""

from __future__ import annotations

import random
from typing import Any

from toolmaster.core import Mode, Task, ToolCall
from toolmaster.envs.kit import Ask, Notes, Step, TeacherRun
from toolmaster.envs.sqlbase._knowledge import Knowledge
from toolmaster.envs.sqlbase._reading import table_of

NOTE_ORDER = ("list_tables", "describe", "query", "execute")
"""The order of the tools in the notes."""


class Lookups(TeacherRun):
    """One run of the scripted teacher on one task: its knowledge, its notes, how it asks."""

    def __init__(self, task: Task, rng: random.Random, mode: Mode) -> None:
        super().__init__(task, rng, mode)
        self.k = Knowledge()
        self.notes = Notes()

    # ------------------------------------------------------------ plumbing
    def call(self, tool: str, **arguments: Any) -> ToolCall:
        return self.script.make(tool, arguments)

    def sql(self, say: str | None, statement: str, tool: str = "query") -> Ask:
        return self.ask(say, self.call(tool, sql=statement))

    def look_at_cities(self) -> Step:
        cust, city = self.k.t("customers"), self.k.c("customers", "city")
        (result,) = yield from self.sql(
            "How are city names spelt?", f"SELECT DISTINCT {city} FROM {cust} ORDER BY 1"
        )
        self.k.saw_cities(table_of(result))
