"""The reference solver (scripted teacher) of the jokes environment.

It only acts on what the tools showed it: the category code comes from `list_categories`, the
count default from seeing one joke come back, the uselessness of `web_search` from its results.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any

from toolmaster.core import Mode, Solver, Task, Turn
from toolmaster.envs.kit import Notes, Script, Step, error_of, fields


@dataclass
class _Known:
    """What the solver has learnt so far in this episode."""

    code: str | None = None
    count_default_seen: bool = False
    notes: Notes = field(default_factory=Notes)

    def render(self) -> str:
        return self.notes.render(
            "What I learnt about the tools:",
            bullet="- ",
            order=("joke_finder", "list_categories", "get_joke", "web_search"),
        )


def solve(task: Task, rng: random.Random, mode: Mode = "trial") -> Solver:
    """Trial (in `trial` mode), then execute `task` and answer."""
    script = Script(mode)
    known = _Known()
    if mode == "trial":
        if task.metadata["kind"] == "joke_id":
            yield from _trial_keyword(script, task, rng, known)
        else:
            yield from _trial_category(script, task, rng, known)
        yield from script.finish_trial(known.render(), say="Trial done; executing.")
    answer = yield from _execute(script, task, rng, known)
    yield Turn(content=answer)


def _web_search(script: Script, query: str, known: _Known) -> Step:
    result = yield from script.call(
        "web_search", {"query": query}, say="Let me try a web search first."
    )
    pages = fields(result).get("results", [])
    titles = ", ".join(f"'{p['title']}'" for p in pages[:3]) or "nothing"
    known.notes.add(
        "web_search",
        f"general web pages only: '{query}' gave {len(pages)} results ({titles}) and no joke "
        "texts or ids, so it is no source for catalogue jokes; use joke_finder instead.",
    )


def _trial_category(script: Script, task: Task, rng: random.Random, known: _Known) -> Step:
    label = str(task.metadata["label"])
    lower = label.lower()
    if rng.random() < 0.6:
        yield from _web_search(script, f"{lower} jokes", known)
    result = yield from script.call(
        "joke_finder", {"category": lower}, say=f"Trying joke_finder with the plain name '{lower}'."
    )
    if result.is_error:
        known.notes.add(
            "joke_finder",
            f"category='{lower}' fails with \"{error_of(result)}\": plain names are not accepted.",
        )
    row = yield from _find_code(script, label, known, "Names don't work; which categories exist?")
    forms = [row["id"], row["code"]]
    rng.shuffle(forms)
    first = fields((yield from script.call("joke_finder", {"category": forms[0]})))
    known.notes.add(
        "joke_finder",
        f"category takes a code or an id from list_categories (both '{row['code']}' and "
        f"'{row['id']}' work). Without count it returned {len(first['jokes'])} of "
        f"{first['total']} jokes: count defaults to 1; 'total' is the number of matches.",
    )
    known.count_default_seen = True
    if rng.random() < 0.5:
        too_many = yield from script.call("joke_finder", {"category": forms[1], "count": 50})
        known.notes.add("joke_finder", f'count=50 fails with "{error_of(too_many)}".')
    if rng.random() < 0.35:
        wrong = row["code"].lower()
        result = yield from script.call("joke_finder", {"category": wrong, "count": 2})
        if result.is_error:
            known.notes.add("joke_finder", f"codes are case-sensitive ('{wrong}' is unknown).")


def _find_code(script: Script, label: str, known: _Known, say: str) -> Step:
    """Look the category called `label` up; remember and return its row."""
    rows = fields((yield from script.call("list_categories", {}, say=say)))["categories"]
    row = next(r for r in rows if r["name"].lower() == label.lower())
    known.code = row["code"]
    known.notes.add(
        "list_categories",
        f"returns id, code and name per category ('{label}' is id '{row['id']}', code "
        f"'{row['code']}').",
    )
    return row


def _trial_keyword(script: Script, task: Task, rng: random.Random, known: _Known) -> Step:
    keyword = str(task.metadata["keyword"])
    if rng.random() < 0.5:
        yield from _web_search(script, f"joke about {keyword}", known)
    if rng.random() < 0.4:
        result = yield from script.call("joke_finder", {"category": "all", "keyword": keyword})
        known.notes.add(
            "joke_finder",
            f"category='all' fails with \"{error_of(result)}\"; leave category out to search "
            "every category.",
        )
    probe = keyword.title() if rng.random() < 0.5 else keyword
    found = fields((yield from script.call("joke_finder", {"keyword": probe})))
    case = " (case does not matter)" if probe != keyword else ""
    known.notes.add(
        "joke_finder",
        f"keyword filters on the joke text{case}; it returned {len(found['jokes'])} of "
        f"{found['total']} matches, so count defaults to 1. Each joke has id, category, text, "
        "rating.",
    )
    if found["jokes"] and rng.random() < 0.5:
        joke_id = found["jokes"][0]["id"]
        yield from script.call("get_joke", {"joke_id": joke_id})
        known.notes.add("get_joke", f"get_joke(joke_id='{joke_id}') returns that one joke.")


def _execute(script: Script, task: Task, rng: random.Random, known: _Known) -> Step:
    kind = task.metadata["kind"]
    if kind == "joke_id":
        return (yield from _execute_keyword(script, task, rng, known))
    label = str(task.metadata["label"])
    if known.code is None:
        if rng.random() < 0.3:
            yield from _web_search(script, f"{label.lower()} jokes", known)
        say = "Let me look the category up."
        if rng.random() < 0.5:
            yield from script.call("joke_finder", {"category": label.lower()})
            say = "The plain name is refused; let me look the category up."
        yield from _find_code(script, label, known, say)
    code = known.code
    if kind == "jokes":
        wanted = int(str(task.metadata["count"]))
        say = None
        if not known.count_default_seen and rng.random() < 0.35:
            got = fields((yield from script.call("joke_finder", {"category": code})))
            say = f"Only {len(got['jokes'])} came back; asking for {wanted} explicitly."
        found = fields(
            (yield from script.call("joke_finder", {"category": code, "count": wanted}, say=say))
        )
        texts = [j["text"] for j in found["jokes"]]
        lines = "\n".join(f"{i}. {text}" for i, text in enumerate(texts, 1))
        return f"Here are {len(texts)} {label} jokes:\n{lines}"
    if kind == "count":
        first = fields((yield from script.call("joke_finder", {"category": code})))
        return f"There are {first['total']} {label} jokes in the catalogue."
    if known.count_default_seen:
        found = fields((yield from script.call("joke_finder", {"category": code, "count": 10})))
    else:
        found = fields((yield from script.call("joke_finder", {"category": code})))
        if len(found["jokes"]) < found["total"]:
            found = fields(
                (
                    yield from script.call(
                        "joke_finder",
                        {"category": code, "count": min(found["total"], 10)},
                        say=f"Only one came back; asking for all {found['total']}.",
                    )
                )
            )
    best = max(found["jokes"], key=lambda j: j["rating"])
    return f'The highest-rated {label} joke (rating {best["rating"]}) is: "{best["text"]}"'


def _execute_keyword(script: Script, task: Task, rng: random.Random, known: _Known) -> Step:
    keyword = str(task.metadata["keyword"])
    if "web_search" not in known.notes and rng.random() < 0.3:
        yield from _web_search(script, f"joke about {keyword}", known)
    arguments: dict[str, Any] = {"keyword": keyword}
    if known.count_default_seen or rng.random() < 0.5:
        arguments["count"] = 10
    found = fields((yield from script.call("joke_finder", arguments)))
    matches = [j for j in found["jokes"] if keyword.lower() in j["text"].lower()]
    if len(matches) != 1:
        return f"I found {len(matches)} jokes mentioning '{keyword}', so I can't pick one id."
    joke = matches[0]
    return f'The joke about {keyword} has id {joke["id"]}: "{joke["text"]}"'
