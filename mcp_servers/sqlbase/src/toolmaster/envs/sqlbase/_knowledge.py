"""What the `sqlbase` teacher has learnt, inferred only from tool outputs it has seen.

Table roles come from the foreign keys `describe` shows; column roles from keys, types and the
sample rows `query` returned; conventions (timestamp unit, code values, name format, city
spelling) from the values themselves.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from toolmaster.envs.sqlbase._reading import Table

Row = list[Any]


@dataclass
class Knowledge:
    """The teacher's picture of the database, filled in as outputs arrive."""

    tables: list[str] = field(default_factory=list[str])
    columns: dict[str, list[dict[str, Any]]] = field(
        default_factory=dict[str, list[dict[str, Any]]]
    )
    samples: dict[str, tuple[list[str], list[Row]]] = field(
        default_factory=dict[str, tuple[list[str], list[Row]]]
    )
    cities: list[str] = field(default_factory=list[str])
    roles: dict[str, str] = field(default_factory=dict[str, str])
    """Logical table -> physical table."""
    cols: dict[str, dict[str, str]] = field(default_factory=dict[str, dict[str, str]])
    """Logical table -> logical column -> physical column."""
    codes: dict[str, int] = field(default_factory=dict[str, int])
    ts_ms: bool = False
    last_first: bool = False
    truncated_seen: bool = False

    # ------------------------------------------------------------ observations
    def saw_tables(self, names: list[str]) -> None:
        self.tables = names

    def saw_description(self, table: str, columns: list[dict[str, Any]]) -> None:
        self.columns[table] = columns

    def saw_sample(self, table: str, sample: Table) -> None:
        self.samples[table] = (sample.columns, sample.rows)
        self.truncated_seen = self.truncated_seen or sample.truncated

    def saw_cities(self, listing: Table) -> None:
        self.cities = [str(r[0]) for r in listing.rows]

    # ------------------------------------------------------------ inference
    def infer_tables(self) -> None:
        """Roles of the tables from the foreign keys of the one table that has them."""
        for table, columns in self.columns.items():
            refs = [c for c in columns if c.get("references")]
            if len(refs) < 2:
                continue
            self.roles["orders"] = table
            for ref in refs:
                target = str(ref["references"]).split(".")[0]
                width = len(self.columns.get(target, []))
                role = {2: "status", 3: "customers", 4: "products"}.get(width)
                if role:
                    self.roles[role] = target
                    self.cols.setdefault("orders", {})[
                        {"status": "status", "customers": "customer", "products": "product"}[role]
                    ] = str(ref["name"])

    def infer_order_columns(self) -> None:
        """Amount, quantity and time of the orders table from their names (`amt_c`, `qty`...)."""
        cols = self.cols.setdefault("orders", {})
        for col in self.columns[self.roles["orders"]]:
            name = str(col["name"])
            if col["pk"] or col.get("references") or name in cols.values():
                continue
            lowered = name.lower()
            if any(part in lowered for part in ("amt", "cent", "amount")):
                cols["amount"] = name
            elif any(part in lowered for part in ("qty", "quant", "unit")):
                cols["qty"] = name
            else:
                cols["ts"] = name

    def infer_columns(self) -> None:
        """Roles of the remaining columns from types and sample values."""
        for role, table in self.roles.items():
            cols = self.cols.setdefault(role, {})
            names, rows = self.samples[table]
            for col in self.columns[table]:
                name = str(col["name"])
                if col["pk"]:
                    cols.setdefault("id" if role != "status" else "code", name)
                    continue
                if name in cols.values():
                    continue
                values = [r[names.index(name)] for r in rows]
                cols[self._column_role(role, col, values)] = name
        self._conventions()

    def _column_role(self, role: str, col: dict[str, Any], values: list[Any]) -> str:
        if role == "status":
            return "label"
        if role == "customers":
            return "name" if any(" " in str(v) or "," in str(v) for v in values) else "city"
        if role == "products":
            if col["type"] == "INTEGER":
                return "price"
            return "category" if len(set(values)) < len(values) else "name"
        top = max(int(v) for v in values)
        if top > 10**9:
            return "ts"
        return "qty" if top <= 10 else "amount"

    def _conventions(self) -> None:
        _, status_rows = self.samples[self.roles["status"]]
        names, _ = self.samples[self.roles["status"]]
        code_i = names.index(self.cols["status"]["code"])
        label_i = names.index(self.cols["status"]["label"])
        self.codes = {str(r[label_i]).casefold(): int(r[code_i]) for r in status_rows}
        names, rows = self.samples[self.roles["orders"]]
        ts_i = names.index(self.cols["orders"]["ts"])
        self.ts_ms = max(int(r[ts_i]) for r in rows) > 10**11
        names, rows = self.samples[self.roles["customers"]]
        name_i = names.index(self.cols["customers"]["name"])
        self.last_first = any("," in str(r[name_i]) for r in rows)

    # ------------------------------------------------------------ SQL helpers
    def t(self, role: str) -> str:
        return self.roles[role]

    def c(self, role: str, column: str) -> str:
        return self.cols[role][column]

    def ts(self, unix_seconds: int) -> int:
        return unix_seconds * 1000 if self.ts_ms else unix_seconds

    def city(self, city: str) -> str:
        """The city as the database spells it (falls back to the prompt's spelling)."""
        return next((c for c in self.cities if c.casefold() == city.casefold()), city)

    def stored_name(self, first: str, last: str) -> str:
        return f"{last.upper()}, {first}" if self.last_first else f"{first} {last}"

    @staticmethod
    def display_name(stored: str) -> str:
        """`LUND, Ada` -> `Ada Lund`; `Ada Lund` unchanged."""
        if "," in stored:
            last, first = (p.strip() for p in stored.split(",", 1))
            return f"{first} {last.title()}"
        return stored
