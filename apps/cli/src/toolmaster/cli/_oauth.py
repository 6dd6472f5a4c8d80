"""Signing in to OAuth-protected MCP servers from the terminal: a person at it is shown the
authorization URL (and the browser is opened on it); the redirect comes back to a loopback port
on its own. Without a terminal (scripts, CI) servers that need a browser sign-in fail to
connect, saying how to configure the client-credentials grant instead."""

from __future__ import annotations

import logging
import sys
import webbrowser

import anyio.to_thread
import typer
from toolmaster.core import terminal_safe
from toolmaster.mcp import OAuthOptions

__all__ = ["oauth_options", "quiet_oauth_failures", "show_sign_in"]


def oauth_options() -> OAuthOptions:
    """Browser sign-in when a person is at the terminal (stdin and stderr both terminals);
    tokens kept as each server's `"store"` says (the user cache folder for `"file"`)."""
    if sys.stdin.isatty() and sys.stderr.isatty():
        return OAuthOptions(sign_in=show_sign_in)
    return OAuthOptions()


async def show_sign_in(server: str, url: str) -> None:
    """Print where to sign in, and open the browser there when there is one."""
    typer.echo(
        f"Server {server!r} needs you to sign in. Open this URL in a browser "
        f"(waiting for the sign-in to finish):\n  {terminal_safe(url)}",
        err=True,
    )
    await anyio.to_thread.run_sync(_open, url)


def _open(url: str) -> None:
    try:
        webbrowser.open(url)
    except webbrowser.Error:  # no browser here: the URL printed above is enough
        return


def quiet_oauth_failures(logger: logging.Logger, *, quiet: bool) -> None:
    """Drop (`quiet`) or keep the SDK's "OAuth flow error" records on `logger`."""
    for old in [f for f in logger.filters if isinstance(f, _RepeatedOAuthFailure)]:
        logger.removeFilter(old)
    if quiet:
        logger.addFilter(_RepeatedOAuthFailure())


class _RepeatedOAuthFailure(logging.Filter):
    """Drops the SDK's "OAuth flow error" record (an ERROR with a traceback) below `-vv`: the
    same failure is reported once, in words, as the server's connection error."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.msg != "OAuth flow error"
