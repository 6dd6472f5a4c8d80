"""The live view's rough edges (issue 21, item 5): the episode list marks every finished episode
by its verdict, rows use the width they have, the notes pane grows, toasts leave it alone."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from rich.text import Text
from textual.widgets import OptionList
from toolmaster.core import Episode, Store, utcnow
from toolmaster.tui import ToolMasterApp, events_from_episode
from toolmaster.tui._widgets import Pane, Timeline

from tests.tui.conftest import config, screen_text, wait_for

pytestmark = pytest.mark.anyio


def stream(store: Store, episode: Episode, *, upto: int | None = None) -> None:
    """Write `episode`'s events (the first `upto` of them) as a live writer would, stamped now."""
    events = events_from_episode(episode)
    done = len(store.events(episode.id))
    for event in events[done:upto]:
        store.put_event(event.model_copy(update={"ts": utcnow()}))


def marks(app: ToolMasterApp) -> dict[str, str]:
    """Episode id -> its row in the episode list, as shown."""
    listing = app.live_screen.query_one("#episodes", OptionList)
    shown = [listing.get_option_at_index(i) for i in range(listing.option_count)]
    return {str(o.id): str(o.prompt) for o in shown}


def styles(app: ToolMasterApp, episode_id: str) -> str:
    """The styles of the mark of `episode_id`'s row in the episode list."""
    listing = app.live_screen.query_one("#episodes", OptionList)
    option = listing.get_option(episode_id)
    prompt = option.prompt
    assert isinstance(prompt, Text)
    return " ".join([str(prompt.style), *(str(span.style) for span in prompt.spans)])


async def test_finished_episodes_you_do_not_follow_show_as_finished(
    tmp_path: Path, fixed_episodes: list[Episode]
) -> None:
    passed, failed = fixed_episodes[0], fixed_episodes[1]
    path = tmp_path / "s.db"
    with Store(path) as store:
        stream(store, passed, upto=3)
        stream(store, failed, upto=3)
    app = ToolMasterApp(replace(config(path), live_window_s=1e9))
    async with app.run_test(size=(80, 24)) as pilot:
        live = app.live_screen
        await wait_for(pilot, lambda: set(marks(app)) == {passed.id, failed.id})
        assert all(row.startswith("●") for row in marks(app).values())
        live.followed = passed.id
        with Store(path) as store:  # both finish; only `passed` is followed
            stream(store, failed)
            store.put_episode(failed)
            stream(store, passed)
            store.put_episode(passed)
        await wait_for(pilot, lambda: live.view is not None and live.view.finished)
        await wait_for(pilot, lambda: not marks(app)[failed.id].startswith("●"))
        assert marks(app)[failed.id].startswith("✗")
        assert "green" not in styles(app, failed.id)
        assert marks(app)[passed.id].startswith("✓")
        assert "green" in styles(app, passed.id)


async def test_a_followed_failed_episode_shows_no_green_tick(
    seeded: Path, fixed_episodes: list[Episode]
) -> None:
    failed = fixed_episodes[1]
    app = ToolMasterApp(config(seeded))
    async with app.run_test(size=(80, 24)) as pilot:
        live = app.live_screen
        await wait_for(pilot, lambda: live.view is not None and live.view.finished)
        live.follow_new(failed.id)
        await wait_for(pilot, lambda: live.view is not None and live.view.verdict is not None)
        await wait_for(pilot, lambda: marks(app).get(failed.id, "●")[0] != "●")
        assert marks(app)[failed.id].startswith("✗")
        assert "green" not in styles(app, failed.id)


async def test_event_rows_use_the_width_they_have(seeded: Path) -> None:
    app = ToolMasterApp(config(seeded))
    async with app.run_test(size=(120, 40)) as pilot:
        live = app.live_screen
        await wait_for(pilot, lambda: live.view is not None and live.view.finished)
        view = live.view
        assert view is not None
        timeline = live.query_one(Timeline)
        await wait_for(pilot, lambda: len(timeline.steps) == len(view.steps))
        await pilot.pause()
        width = timeline.content_region.width
        lines = [timeline.render_line(y).text.rstrip() for y in range(timeline.size.height)]
        longest = max(len(line) for line in lines)
        assert longest > 60, lines  # the old fixed cut: 46 characters of a summary
        assert longest <= width
        # one row per step: collapsed rows never wrap onto a second line
        assert timeline.virtual_size.height == len(timeline.steps)


async def test_the_notes_pane_grows_and_toasts_do_not_cover_it(seeded: Path) -> None:
    app = ToolMasterApp(config(seeded))
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        live = app.live_screen
        await wait_for(pilot, lambda: live.view is not None and live.view.finished)
        await pilot.pause()
        outcome = live.query_one("#outcome", Pane)
        assert live.view is not None and live.view.notes is not None
        assert outcome.region.height > 4 + 2  # the calendar notes: five lines and more
        app.notify("a toast that must not cover the notes", timeout=30)
        await pilot.pause()
        await wait_for(pilot, lambda: "must not cover" in screen_text(app), timeout=3)
        toasts = [w for w in app.screen.query("Toast") if w.region.area]
        assert toasts
        for toast in toasts:
            assert not toast.region.overlaps(outcome.region)


async def test_an_expanded_row_shows_all_of_its_detail(seeded: Path) -> None:
    app = ToolMasterApp(config(seeded))
    async with app.run_test(size=(80, 24)) as pilot:
        live = app.live_screen
        await wait_for(pilot, lambda: live.view is not None and live.view.finished)
        timeline = live.query_one(Timeline)
        await pilot.pause()
        index = max(range(len(timeline.steps)), key=lambda i: len(timeline.steps[i].detail))
        detail = timeline.steps[index].detail
        width = timeline.scrollable_content_region.width
        assert max(len(line) for line in detail.splitlines()) > width  # it must fold
        before = timeline.virtual_size.height
        timeline.highlighted = index
        await pilot.press("enter")
        await pilot.pause()
        assert index in timeline.expanded
        grown = timeline.virtual_size.height - before
        assert grown >= len(detail.splitlines())
        prompt = timeline.get_option_at_index(index).prompt
        assert isinstance(prompt, Text)
        shown = prompt.plain.split("\n", 1)[1]
        assert shown.replace("\n", "") == detail.replace("\n", "")
        assert max(len(line) for line in shown.splitlines()) < width
