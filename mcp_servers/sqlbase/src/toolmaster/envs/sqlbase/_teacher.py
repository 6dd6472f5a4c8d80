"""The `sqlbase` scripted teacher (reference solver): it discovers the schema, trials the tools,
makes realistic mistakes, writes notes and executes. It reads only what the tools print."""

from __future__ import annotations

import random

from toolmaster.core import Mode, Solver, Task, Turn
from toolmaster.envs.kit import TRIAL_BUDGET, Step, error_text
from toolmaster.envs.sqlbase._lookups import NOTE_ORDER, Lookups
from toolmaster.envs.sqlbase._plans import Plan, execute_plan
from toolmaster.envs.sqlbase._reading import description_of, table_of, tables_of


class Teacher(Lookups):
    """One run of the scripted teacher on one task: the trial probes, discovery, the run."""

    # ------------------------------------------------------------ trial (budgeted)
    def trial(self) -> Step:
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
        yield from self.script.finish_trial(
            self.notes.render(joiner="; ", order=NOTE_ORDER),
            say="I have what I need; writing down what I learnt.",
        )

    def _guess_amount_column(self) -> Step:
        orders = next((t for t in self.k.tables if "ord" in t or "purch" in t), self.k.tables[0])
        (result,) = yield from self.sql(
            "Maybe I can sum the amounts straight away.", f"SELECT SUM(amount) FROM {orders}"
        )
        if result.is_error:
            self.notes.add(
                "query",
                f"guessing column names fails ({error_text(result)}); describe the table first",
            )

    def _probe_dates(self) -> Step:
        orders, ts = self.k.t("orders"), self.k.c("orders", "ts")
        (raw,) = yield from self.sql(
            f"Is {ts} unix seconds? Trying date() on it.",
            f"SELECT {ts}, date({ts}, 'unixepoch') FROM {orders} LIMIT 3",
        )
        rows = table_of(raw).rows
        self.k.ts_ms = any(r[1] is None for r in rows)
        if self.k.ts_ms:
            self.notes.add(
                "query",
                f"{ts} is unix MILLIseconds: date({ts}, 'unixepoch') gives NULL (values like "
                f"{rows[0][0]}); use {ts}/1000 in date(), and multiply bounds by 1000",
            )
        else:
            self.notes.add("query", f"{ts} is unix seconds, UTC (date() reads it directly)")

    def _probe_status(self) -> Step:
        status = self.k.t("status")
        (result,) = yield from self.sql("What do the status codes mean?", f"SELECT * FROM {status}")
        pairs = ", ".join(f"{r[1]}={r[0]}" for r in table_of(result).rows)
        self.notes.add("query", f"status codes (from {status}): {pairs}; use the codes")

    def _probe_execute(self) -> Step:
        orders, st = self.k.t("orders"), self.k.c("orders", "status")
        (result,) = yield from self.sql(
            "Trying execute in the sandbox with a no-op update.",
            f"UPDATE {orders} SET {st} = {st}",
            tool="execute",
        )
        if result.is_error:
            self.notes.add(
                "execute",
                f"UPDATE/DELETE without WHERE is refused ('{error_text(result)}'): always add a "
                "WHERE; it answers 'rows affected: N'. Destructive: COUNT(*) the WHERE first",
            )

    def _probe_readonly(self) -> Step:
        orders = self.k.t("orders")
        (result,) = yield from self.sql(
            "Can query change data?", f"DELETE FROM {orders} WHERE 1 = 0"
        )
        if result.is_error:
            self.notes.add(
                "query",
                f"read-only: a write gives '{error_text(result)}'; changes go through execute",
            )

    def _note_schema(self) -> None:
        k, o = self.k, self.k.cols["orders"]
        products = k.t("products")
        price = next(
            c["name"] for c in k.columns[products] if c["type"] == "INTEGER" and not c["pk"]
        )
        self.notes.add(
            "describe",
            f"{k.t('orders')} is the fact table: {o['amount']} = amount in integer CENTS "
            f"(/100 for dollars), {o['qty']} = units, {o['ts']} = order time, {o['status']} = "
            f"status code -> {k.t('status')}, {o['customer']} -> {k.t('customers')}, "
            f"{o['product']} -> {products}; {products}.{price} is in cents too",
        )

    # ------------------------------------------------------------ discovery
    def list_tables(self) -> Step:
        (listing,) = yield from self.ask("First, which tables are there?", self.call("list_tables"))
        self.k.saw_tables(tables_of(listing))
        self.notes.add(
            "list_tables",
            "no arguments; one 'name (N rows)' per line. Tables here: " + ", ".join(self.k.tables),
        )

    def describe_all(self) -> Step:
        wanted = [t for t in self.k.tables if "migration" not in t]
        described = yield from self.ask(
            "Let me see the columns of the tables.",
            *(self.call("describe", table=t) for t in wanted),
        )
        for result in described:
            self.k.saw_description(*description_of(result))
        self.k.infer_tables()
        self.k.infer_order_columns()
        self.notes.add(
            "describe",
            "describe(table) -> one column per line, 'name TYPE [PRIMARY KEY] [-> table.col]'; "
            "the arrows are the foreign keys: use them for joins (names are terse and differ "
            "from the usual ones); an unknown table gives 'no such table: X'",
        )

    def discover(self) -> Step:
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
