"""The `sqlbase` reference solver: a scripted teacher that discovers the schema, trials the tools,
makes realistic mistakes, writes notes and executes. It reads only what the tools print."""

from __future__ import annotations

import random
from collections.abc import Generator
from typing import Any

from toolmaster.core import FINISH_TRIAL, Mode, Phase, Solver, Task, ToolCall, ToolResult, Turn
from toolmaster.envs.sqlbase._knowledge import Knowledge
from toolmaster.envs.sqlbase._plans import Plan, execute_plan
from toolmaster.envs.sqlbase._reading import affected_of, description_of, table_of, tables_of

Ask = Generator[Turn, list[ToolResult], list[ToolResult]]


class Teacher:
    """One run of the scripted teacher on one task."""

    def __init__(self, task: Task, rng: random.Random, mode: Mode) -> None:
        self.task = task
        self.rng = rng
        self.mode = mode
        self.phase: Phase = "trial" if mode == "trial" else "execute"
        self.k = Knowledge()
        self.notes: dict[str, list[str]] = {
            "list_tables": [],
            "describe": [],
            "query": [],
            "execute": [],
        }
        self._n = 0

    # ------------------------------------------------------------ plumbing
    def call(self, tool: str, **arguments: Any) -> ToolCall:
        self._n += 1
        return ToolCall(id=f"call_{self._n}", tool=tool, arguments=arguments, phase=self.phase)

    def ask(self, say: str | None, *calls: ToolCall) -> Ask:
        results = yield Turn(content=say, tool_calls=list(calls))
        return results

    def sql(self, say: str | None, statement: str, tool: str = "query") -> Ask:
        return self.ask(say, self.call(tool, sql=statement))

    # ------------------------------------------------------------ discovery
    def discover(self) -> Generator[Turn, list[ToolResult], None]:
        """Find the tables, their columns and the conventions (both modes)."""
        (listing,) = yield from self.ask("First, which tables are there?", self.call("list_tables"))
        self.k.saw_tables(tables_of(listing))
        self.notes["list_tables"].append(
            "no arguments; one 'name (N rows)' per line. Tables here: " + ", ".join(self.k.tables)
        )
        if self.mode == "trial" and self.rng.random() < 0.5:
            yield from self._guess_amount_column()
        described = yield from self.ask(
            "Let me see the columns of every table.",
            *(self.call("describe", table=t) for t in self.k.tables),
        )
        for result in described:
            self.k.saw_description(*description_of(result))
        self.k.infer_tables()
        self.notes["describe"].append(
            "describe(table) -> one column per line, 'name TYPE [PRIMARY KEY] [-> table.col]'; "
            "the arrows are the foreign keys: use them for joins (names are terse and differ "
            "from the usual ones); an unknown table gives 'no such table: X'"
        )
        roles = ("status", "products", "customers", "orders")
        samples = yield from self.ask(
            "Now some sample rows to see what the values look like.",
            *(self.call("query", sql=f"SELECT * FROM {self.k.t(r)}") for r in roles),
        )
        for role, result in zip(roles, samples, strict=True):
            self.k.saw_sample(self.k.t(role), table_of(result))
        self.k.infer_columns()
        self._note_schema()
        if self.mode == "trial":
            yield from self.look_at_cities()

    def _guess_amount_column(self) -> Generator[Turn, list[ToolResult], None]:
        orders = next((t for t in self.k.tables if "ord" in t or "purch" in t), self.k.tables[0])
        (result,) = yield from self.sql(
            "Maybe I can sum the amounts straight away.", f"SELECT SUM(amount) FROM {orders}"
        )
        if result.is_error:
            self.notes["query"].append(
                f"guessing column names fails ({_error(result)}); describe the table first"
            )

    def look_at_cities(self) -> Generator[Turn, list[ToolResult], None]:
        cust, city = self.k.t("customers"), self.k.c("customers", "city")
        (result,) = yield from self.sql(
            "How are city names spelt?", f"SELECT DISTINCT {city} FROM {cust} ORDER BY 1"
        )
        self.k.saw_cities(table_of(result))
        self.notes["query"].append(
            f"{cust}.{city} spells cities like {', '.join(self.k.cities[:3])}: match that spelling"
        )

    def _note_schema(self) -> None:
        k = self.k
        o = k.cols["orders"]
        unit = "unix MILLIseconds (divide by 1000 for date())" if k.ts_ms else "unix seconds, UTC"
        codes = ", ".join(f"{label}={code}" for label, code in sorted(k.codes.items(), key=_second))
        name_format = "'LAST, First'" if k.last_first else "'First Last'"
        self.notes["describe"].append(
            f"{k.t('orders')}: {o['amount']} = amount in integer CENTS (/100 for dollars), "
            f"{o['qty']} = units, {o['ts']} = order time in {unit}, {o['status']} = status code "
            f"-> {k.t('status')}; {o['customer']} -> {k.t('customers')}, "
            f"{o['product']} -> {k.t('products')}. {k.t('products')}.{k.c('products', 'price')} "
            f"is in cents too. Customer names are stored as {name_format}."
        )
        self.notes["query"].append(f"status codes (from {k.t('status')}): {codes}")
        if k.truncated_seen:
            self.notes["query"].append(
                "returns at most 20 rows (truncated=true, row_count = full count): aggregate in "
                "SQL or page with LIMIT/OFFSET"
            )

    # ------------------------------------------------------------ trial extras
    def trial_extras(self) -> Generator[Turn, list[ToolResult], None]:
        k = self.k
        orders, ts = k.t("orders"), k.c("orders", "ts")
        if self.rng.random() < 0.6:
            (raw,) = yield from self.sql(
                "Does date() read the timestamps directly?",
                f"SELECT {ts}, date({ts}, 'unixepoch') FROM {orders} LIMIT 3",
            )
            if any(r[1] is None for r in table_of(raw).rows):
                yield from self.sql(
                    "NULL dates: the timestamps must be milliseconds. Dividing by 1000:",
                    f"SELECT {ts}, date({ts}/1000, 'unixepoch') FROM {orders} LIMIT 3",
                )
                self.notes["query"].append(
                    f"date({ts}, 'unixepoch') gives NULL because {ts} is in ms; use {ts}/1000"
                )
        if self.rng.random() < 0.25:
            (result,) = yield from self.sql(
                "Can query change data?", f"DELETE FROM {orders} WHERE {k.c('orders', 'id')} = 1"
            )
            if result.is_error:
                self.notes["query"].append(f"read-only: a write gives '{_error(result)}'")
        if self.rng.random() < 0.7:
            yield from self._trial_execute()

    def _trial_execute(self) -> Generator[Turn, list[ToolResult], None]:
        k = self.k
        orders, st, oid = k.t("orders"), k.c("orders", "status"), k.c("orders", "id")
        if self.rng.random() < 0.5:
            (result,) = yield from self.sql(
                "Trying execute (this is a sandbox) with a no-op update.",
                f"UPDATE {orders} SET {st} = {st}",
                tool="execute",
            )
            if result.is_error:
                self.notes["execute"].append(
                    f"UPDATE/DELETE without WHERE is refused: '{_error(result)}'; "
                    "add a WHERE clause"
                )
        (result,) = yield from self.sql(
            "A harmless update of one row.",
            f"UPDATE {orders} SET {st} = {st} WHERE {oid} = 1",
            tool="execute",
        )
        affected = affected_of(result)
        self.notes["execute"].append(
            f"runs one INSERT/UPDATE/DELETE and returns {{rows_affected}} (saw {affected} for "
            "one row); destructive: check the WHERE with a SELECT COUNT(*) first"
        )

    def finish(self) -> Generator[Turn, list[ToolResult], None]:
        lines = [f"{tool}: " + "; ".join(notes) for tool, notes in self.notes.items() if notes]
        yield from self.ask(
            "I have what I need; writing down what I learnt.",
            self.call(FINISH_TRIAL, notes="\n".join(lines)),
        )
        self.phase = "execute"

    # ------------------------------------------------------------ the run
    def run(self) -> Solver:
        if self.mode == "direct":
            # a guess at the usual names: it fails (no such table / column), which sends the
            # teacher to discover the schema
            yield from self.sql(
                "I'll assume the usual shop schema.", "SELECT SUM(amount) FROM orders"
            )
        yield from self.discover()
        if self.mode == "trial":
            yield from self.trial_extras()
            yield from self.finish()
        plan = Plan(self.task, self.k, naive=self.mode == "direct")
        answer = yield from execute_plan(self, plan)
        yield Turn(content=answer)


def solve(task: Task, rng: random.Random, mode: Mode = "trial") -> Solver:
    """The scripted teacher for `task` (see `Teacher`)."""
    return Teacher(task, rng, mode).run()


def _error(result: ToolResult) -> str:
    text = result.text
    prefix = text.split(": ", 1)
    return prefix[1] if text.startswith("Error executing tool") and len(prefix) > 1 else text


def _second(item: tuple[str, int]) -> int:
    return item[1]
