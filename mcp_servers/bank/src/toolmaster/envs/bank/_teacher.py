"""The scripted teacher (reference solver) of the bank environment.

Trial mode (in the sandbox the runtime restores afterwards) looks the customers up, reads a
statement to see that amounts are cents, tries the task's own transfer (and sometimes a
too-large one), pages, and converts the wrong way round before the right one; then it writes
its notes and executes. Direct mode learns the same things from errors and outputs as it goes.
"""

from __future__ import annotations

import random

from toolmaster.core import Mode, Solver, Task, Turn
from toolmaster.envs.bank._lookups import Lookups
from toolmaster.envs.bank._world import money
from toolmaster.envs.kit import Script, Step, error_of, fields

LAST_MONTH_START = "2026-02-01"


def solve(task: Task, rng: random.Random, mode: Mode = "trial") -> Solver:
    """Trial (in `trial` mode), then execute `task` and answer."""
    teacher = Lookups(Script(mode), rng)
    if mode == "trial":
        yield from _trial(teacher, task)
        yield from teacher.script.finish_trial(teacher.render(), say="Trial done; executing.")
        teacher.careful = True
    answer = yield from _execute(teacher, task)
    yield Turn(content=answer)


def _trial(teacher: Lookups, task: Task) -> Step:
    meta, rng, call = task.metadata, teacher.rng, teacher.script.call
    kind = meta["kind"]
    if kind in ("transfer", "over_limit"):
        source = yield from teacher.account(str(meta["from_name"]), str(meta["from_type"]))
        target = yield from teacher.account(str(meta["to_name"]), "checking")
        yield from _trial_transfer(teacher, source, target, int(str(meta["cents"])))
        return
    name = str(meta["name"])
    checking = yield from teacher.account(name, "checking")
    after = {"spend": 1, "balance": 2}.get(str(kind), 4)
    if rng.random() < 0.4 and teacher.script.spare(after):
        failed = yield from call("list_transactions", {"account_id": checking, "page": 0})
        teacher.note("list_transactions", f'page=0 fails: "{error_of(failed)}"; pages start at 1.')
    yield from teacher.learn_units(checking)
    if kind == "spend":
        return
    account = yield from teacher.account(name, str(meta["type"]))
    balance = fields((yield from call("get_balance", {"account_id": account})))
    teacher.note(
        "get_balance",
        f"get_balance(account_id) answers balance (an integer, {balance['balance']} here), "
        "currency and as_of.",
    )
    if kind == "fx_balance":
        target = str(meta["currency"])
        if rng.random() < 0.4 and teacher.script.spare(2):
            failed = yield from call("convert", {"amount": 100, "pair": f"EUR{target}"})
            teacher.note("convert", f"pair 'EUR{target}' fails: \"{error_of(failed)}\".")
        yield from teacher.converted(balance["balance"], target)


def _trial_transfer(teacher: Lookups, source: str, target: str, cents: int) -> Step:
    call, rng = teacher.script.call, teacher.rng
    guess = cents / 100 if cents % 100 else cents // 100
    tried = guess if rng.random() < 0.5 else 1
    probe = {"from_account": source, "to_account": target, "amount": tried}
    first = yield from call("transfer", probe, say="Trying a transfer (the sandbox rolls it back).")
    if first.is_error:
        teacher.note("transfer", f'amount={tried} fails: "{error_of(first)}".')
        tried = 1
        first = yield from call("transfer", {**probe, "amount": tried})
    teacher.cents = True
    teacher.note(
        "transfer",
        f'amount is integer cents: amount={tried} gave "{fields(first)["message"]}".',
    )
    if rng.random() < 0.3 and teacher.script.spare(1):
        big = yield from call("transfer", {**probe, "amount": 500_000})
        teacher.note("transfer", f'5,000.00 EUR at once fails: "{error_of(big)}".')
    real = yield from call("transfer", {**probe, "amount": cents}, say="Now the real amount.")
    if real.is_error:
        teacher.note(
            "transfer",
            f'{money(cents)} EUR fails with "{error_of(real)}": a daily transfer limit per '
            f"account applies, counting what it already sent today (here also my "
            f"{money(int(tried))} EUR probe, which the sandbox undoes).",
        )
        if rng.random() < 0.5 and teacher.script.spare():
            rows = fields((yield from call("list_transactions", {"account_id": source})))
            today = [r for r in rows["transactions"] if r["category"] == "TRANSFER"]
            teacher.note("list_transactions", f"the source shows {len(today)} transfer(s) today.")
    else:
        teacher.note("transfer", f"{money(cents)} EUR as amount={cents} works.")


def _execute(teacher: Lookups, task: Task) -> Step:
    meta, call = task.metadata, teacher.script.call
    kind = meta["kind"]
    if kind in ("transfer", "over_limit"):
        cents = int(str(meta["cents"]))
        source = yield from teacher.account(str(meta["from_name"]), str(meta["from_type"]))
        target = yield from teacher.account(str(meta["to_name"]), "checking")
        statement = yield from teacher.account(str(meta["from_name"]), "checking")
        result = yield from teacher.transfer(source, target, cents, statement)
        if result.is_error:
            reason = error_of(result)
            why = " (the daily transfer limit)" if "LIMIT" in reason else ""
            return f"The bank refused the transfer: {reason}{why}. Nothing was sent."
        return f"Done: {fields(result)['message']}."
    name = str(meta["name"])
    if kind == "spend":
        account = yield from teacher.account(name, "checking")
        rows = yield from teacher.statement(account, LAST_MONTH_START)
        if teacher.cents is None:
            teacher.cents = teacher.units_from(rows)
        category = str(meta["category"])
        spent = -sum(
            r["amount"]
            for r in rows
            if r["date"].startswith("2026-02")
            and r["category"].lower() == category
            and r["amount"] < 0
        )
        return f"{name} spent {money(spent)} EUR on {category} last month (February 2026)."
    account = yield from teacher.account(name, str(meta["type"]))
    balance = fields((yield from call("get_balance", {"account_id": account})))["balance"]
    if teacher.cents is None:
        checking = yield from teacher.account(name, "checking")
        yield from teacher.learn_units(checking)
    if kind == "balance":
        return f"The balance of {name}'s {meta['type']} account is {money(balance)} EUR."
    target = str(meta["currency"])
    worth = yield from teacher.converted(balance, target)
    return f"{name}'s savings balance of {money(balance)} EUR is worth {money(worth)} {target}."
