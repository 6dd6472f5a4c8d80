"""The `sqlbase` reference solver: a scripted teacher that discovers the schema, trials the tools,
makes realistic mistakes, writes notes and executes. It reads only what the tools print."""

from __future__ import annotations

import random
from collections.abc import Generator
from typing import Any

from toolmaster.core import Mode, Solver, Task, ToolCall, ToolResult, Turn
from toolmaster.envs.kit import TRIAL_BUDGET, Ask, Script
from toolmaster.envs.sqlbase._knowledge import Knowledge
from toolmaster.envs.sqlbase._plans import Plan, execute_plan
from toolmaster.envs.sqlbase._reading import description_of, table_of, tables_of

Steps = Generator[Turn, list[ToolResult], None]


class Teacher:
    """One run of the scripted teacher on one task."""

    def __init__(self, task: Task, rng: random.Random, mode: Mode) -> None:
        self.task = task
        self.rng = rng
        self.mode = mode
        self.script = Script(mode)
        self.k = Knowledge()
        self.notes: dict[str, list[str]] = {
            "list_tables": [],
            "describe": [],
            "query": [],
            "execute": [],
        }

    # ------------------------------------------------------------ plumbing
    @property
    def trial_calls(self) -> int:
        return self.script.trial_calls

    def call(self, tool: str, **arguments: Any) -> ToolCall:
        return self.script.make(tool, arguments)

    def ask(self, say: str | None, *calls: ToolCall) -> Ask:
        return self.script.ask(say, *calls)

    def sql(self, say: str | None, statement: str, tool: str = "query") -> Ask:
        return self.ask(say, self.call(tool, sql=statement))

    # ------------------------------------------------------------ trial (budgeted)
    def trial(self) -> Steps:
        """At most `TRIAL_BUDGET` read-mostly probes: tables, keys, then two of the conventions."""
        yield from self.list_tables()
        if self.rng.random() < 0.4:
            yield from self._guess_amount_column()
        yield from self.describe_all()
        probes = [self._probe_status, self._probe_execute, self._probe_readonly]
        self.rng.shuffle(probes)
        for probe in [self._probe_dates, *probes]:
            if self.trial_calls < TRIAL_BUDGET:
                yield from probe()
        self._note_schema()
        lines = [f"{tool}: " + "; ".join(notes) for tool, notes in self.notes.items() if notes]
        yield from self.script.finish_trial(
            "\n".join(lines), say="I have what I need; writing down what I learnt."
        )

    def _guess_amount_column(self) -> Steps:
        orders = next((t for t in self.k.tables if "ord" in t or "purch" in t), self.k.tables[0])
        (result,) = yield from self.sql(
            "Maybe I can sum the amounts straight away.", f"SELECT SUM(amount) FROM {orders}"
        )
        if result.is_error:
            self.notes["query"].append(
                f"guessing column names fails ({_error(result)}); describe the table first"
            )

    def _probe_dates(self) -> Steps:
        orders, ts = self.k.t("orders"), self.k.c("orders", "ts")
        (raw,) = yield from self.sql(
            f"Is {ts} unix seconds? Trying date() on it.",
            f"SELECT {ts}, date({ts}, 'unixepoch') FROM {orders} LIMIT 3",
        )
        rows = table_of(raw).rows
        self.k.ts_ms = any(r[1] is None for r in rows)
        if self.k.ts_ms:
            self.notes["query"].append(
                f"{ts} is unix MILLIseconds: date({ts}, 'unixepoch') gives NULL (values like "
                f"{rows[0][0]}); use {ts}/1000 in date(), and multiply bounds by 1000"
            )
        else:
            self.notes["query"].append(f"{ts} is unix seconds, UTC (date() reads it directly)")

    def _probe_status(self) -> Steps:
        status = self.k.t("status")
        (result,) = yield from self.sql("What do the status codes mean?", f"SELECT * FROM {status}")
        pairs = ", ".join(f"{r[1]}={r[0]}" for r in table_of(result).rows)
        self.notes["query"].append(f"status codes (from {status}): {pairs}; use the codes")

    def _probe_execute(self) -> Steps:
        orders, st = self.k.t("orders"), self.k.c("orders", "status")
        (result,) = yield from self.sql(
            "Trying execute in the sandbox with a no-op update.",
            f"UPDATE {orders} SET {st} = {st}",
            tool="execute",
        )
        if result.is_error:
            self.notes["execute"].append(
                f"UPDATE/DELETE without WHERE is refused ('{_error(result)}'): always add a "
                "WHERE; it answers 'rows affected: N'. Destructive: COUNT(*) the WHERE first"
            )

    def _probe_readonly(self) -> Steps:
        orders = self.k.t("orders")
        (result,) = yield from self.sql(
            "Can query change data?", f"DELETE FROM {orders} WHERE 1 = 0"
        )
        if result.is_error:
            self.notes["query"].append(
                f"read-only: a write gives '{_error(result)}'; changes go through execute"
            )

    def _note_schema(self) -> None:
        k, o = self.k, self.k.cols["orders"]
        products = k.t("products")
        price = next(
            c["name"] for c in k.columns[products] if c["type"] == "INTEGER" and not c["pk"]
        )
        self.notes["describe"].append(
            f"{k.t('orders')} is the fact table: {o['amount']} = amount in integer CENTS "
            f"(/100 for dollars), {o['qty']} = units, {o['ts']} = order time, {o['status']} = "
            f"status code -> {k.t('status')}, {o['customer']} -> {k.t('customers')}, "
            f"{o['product']} -> {products}; {products}.{price} is in cents too"
        )

    # ------------------------------------------------------------ discovery
    def list_tables(self) -> Steps:
        (listing,) = yield from self.ask("First, which tables are there?", self.call("list_tables"))
        self.k.saw_tables(tables_of(listing))
        self.notes["list_tables"].append(
            "no arguments; one 'name (N rows)' per line. Tables here: " + ", ".join(self.k.tables)
        )

    def describe_all(self) -> Steps:
        wanted = [t for t in self.k.tables if "migration" not in t]
        described = yield from self.ask(
            "Let me see the columns of the tables.",
            *(self.call("describe", table=t) for t in wanted),
        )
        for result in described:
            self.k.saw_description(*description_of(result))
        self.k.infer_tables()
        self.k.infer_order_columns()
        self.notes["describe"].append(
            "describe(table) -> one column per line, 'name TYPE [PRIMARY KEY] [-> table.col]'; "
            "the arrows are the foreign keys: use them for joins (names are terse and differ "
            "from the usual ones); an unknown table gives 'no such table: X'"
        )

    def discover(self) -> Steps:
        """What execution still needs: the schema (direct mode) and the data's conventions."""
        if not self.k.tables:
            yield from self.list_tables()
        if not self.k.roles:
            yield from self.describe_all()
        roles = ("status", "products", "customers", "orders")
        samples = yield from self.ask(
            "Now some sample rows to see what the values look like.",
            *(self.call("query", sql=f"SELECT * FROM {self.k.t(r)}") for r in roles),
        )
        for role, result in zip(roles, samples, strict=True):
            self.k.saw_sample(self.k.t(role), table_of(result))
        self.k.infer_columns()
        params = self.task.metadata.get("params")
        if self.mode == "trial" and isinstance(params, dict) and "city" in params:
            yield from self.look_at_cities()

    def look_at_cities(self) -> Steps:
        cust, city = self.k.t("customers"), self.k.c("customers", "city")
        (result,) = yield from self.sql(
            "How are city names spelt?", f"SELECT DISTINCT {city} FROM {cust} ORDER BY 1"
        )
        self.k.saw_cities(table_of(result))

    # ------------------------------------------------------------ the run
    def run(self) -> Solver:
        if self.mode == "direct":
            # a guess at the usual names: it fails (no such table / column), which sends the
            # teacher to discover the schema
            yield from self.sql(
                "I'll assume the usual shop schema.", "SELECT SUM(amount) FROM orders"
            )
        else:
            yield from self.trial()
        yield from self.discover()
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
