"""Settings and suites: names, seeded task selection, the evolved setting's native v2."""

from __future__ import annotations

import pytest
from toolmaster.core import UserError, get_environment
from toolmaster.eval._episodes import proxied, served_task
from toolmaster.eval._settings import SETTINGS, parse_settings
from toolmaster.eval._suites import (
    BundledSuite,
    Selection,
    builtin_suite,
    builtin_suites,
    suite_cases,
)


def test_settings_parse_in_report_order_and_all_means_every_one() -> None:
    assert [s.name for s in parse_settings("evolved, clean")] == ["clean", "evolved"]
    assert [s.name for s in parse_settings(["all"])] == list(SETTINGS)
    assert parse_settings("renamed")[0].kinds == ("rename_tool", "rename_param")


@pytest.mark.parametrize(
    ("names", "message"), [("clean,sideways", "unknown setting 'sideways'"), (" , ", "no setting")]
)
def test_bad_setting_names_are_user_errors(names: str, message: str) -> None:
    with pytest.raises(UserError, match=message):
        parse_settings(names)


def test_builtin_suites_split_in_and_out_of_domain() -> None:
    suites = builtin_suites()
    assert sorted(suites["in-domain"].envs) == ["calendar", "files", "shop", "sqlbase", "weather"]
    assert sorted(suites["out-of-domain"].envs) == ["bank", "jokes"]
    assert builtin_suite("weather").envs == ["weather"]
    with pytest.raises(UserError, match="unknown suite 'nope'; built-in suites: in-domain"):
        builtin_suite("nope")


def test_selection_is_seeded_per_environment_and_the_same_in_every_setting() -> None:
    suite = BundledSuite(name="two", envs=["weather", "jokes"])
    settings = parse_settings("clean,renamed")
    cases = suite_cases(suite, settings, Selection(tasks_per_env=3, seed=1))
    clean = [c.task.id for c in cases if c.setting.name == "clean"]
    renamed = [c.task.id for c in cases if c.setting.name == "renamed"]
    assert clean == renamed
    assert len(clean) == 6
    assert sum(t.startswith("weather/") for t in clean) == 3
    again = suite_cases(suite, settings, Selection(tasks_per_env=3, seed=1))
    assert [c.task.id for c in again] == [c.task.id for c in cases]
    other = suite_cases(suite, settings, Selection(tasks_per_env=3, seed=2))
    assert [c.task.id for c in other] != [c.task.id for c in cases]
    all_weather = [t.id for t in get_environment("weather").tasks("test")]
    chosen = [i for i in clean if i.startswith("weather/")]
    assert chosen == sorted(chosen, key=all_weather.index), "the tasks keep their order"


def test_limit_caps_the_suite_after_the_per_environment_sample() -> None:
    suite = builtin_suite("in-domain")
    cases = suite_cases(suite, parse_settings("clean"), Selection(tasks_per_env=4, limit=7))
    assert len(cases) == 7


def test_evolved_serves_calendar_v2_natively_and_proxies_the_others() -> None:
    evolved = SETTINGS["evolved"]
    calendar, weather = get_environment("calendar"), get_environment("weather")
    v1_task = next(t for t in calendar.tasks("test") if t.metadata["version"] == "v1")
    assert served_task(calendar, v1_task, evolved).metadata["version"] == "v2"
    assert served_task(calendar, v1_task, SETTINGS["clean"]) == v1_task
    assert not proxied(calendar, evolved)
    assert proxied(weather, evolved)
    task = weather.tasks("test")[0]
    assert served_task(weather, task, evolved) == task
