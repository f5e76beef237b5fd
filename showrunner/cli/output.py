"""The one place the CLI prints: literal text, no wrapping outside a terminal, progress on stderr.

Everything a command prints to a person goes through :func:`say` (or :func:`emit` in ``common``), so
three rules hold everywhere:

* **Text is literal.** The consoles have rich markup, emoji codes and highlighting switched off, so user
  and model text (``[maren]``, ``:fire:``) is printed as written, in plain strings and in table cells.
  Style comes only from :class:`rich.text.Text` objects (:func:`styled`), never from parsing a string.
* **No inserted line breaks.** Text is never folded (a terminal wraps long lines visually, so a path
  stays one copyable line); when the stream is not a TTY (a pipe, a file, cron) tables take their
  natural width instead of 80 columns.
* **Long work shows progress** (:func:`progress`): a live rich status line in a terminal, plain
  ``label: step`` lines otherwise, always on stderr so stdout stays clean for ``--json``.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import IO, Any

from rich.console import Console, RenderableType
from rich.text import Text

UNWRAPPED = 1_000_000  # columns given to a console that is not a terminal: lines are never folded
Step = Callable[[str], None]


def console(stream: IO[str] | None = None) -> Console:
    """A console on ``stream`` (stdout by default) that prints text literally.

    Made per call, so it follows the stream as it is now (tests and redirections replace ``sys.stdout``).
    """
    file = stream or sys.stdout
    tty = bool(getattr(file, "isatty", lambda: False)())
    layout: dict[str, Any] = {} if tty else {"width": UNWRAPPED}
    # soft_wrap: text never gets newlines inserted (a terminal wraps it visually, a path stays copyable)
    return Console(file=file, markup=False, emoji=False, highlight=False, soft_wrap=True, **layout)


def err_console() -> Console:
    return console(sys.stderr)


def say(text: RenderableType, *, err: bool = False) -> None:
    """Print ``text`` (a plain string is printed exactly as written) on stdout or stderr."""
    console(sys.stderr if err else sys.stdout).print(text)


def styled(*parts: str | tuple[str, str]) -> Text:
    """Literal text with styled pieces: ``styled("gate ", ("script", "bold"))``; nothing is parsed."""
    return Text.assemble(*parts)


def lines(items: list[str | Text]) -> Text:
    """Join lines of plain strings and styled :class:`Text` into one text."""
    return Text("\n").join(Text(i) if isinstance(i, str) else i for i in items)


@contextmanager
def progress(label: str, *, quiet: bool = False) -> Iterator[Step]:
    """Report the steps of long work through the yielded ``step(text)`` callable.

    In a terminal a live status line on stderr; otherwise one plain ``label: step`` line per new step (so
    logs of cron runs show where the time went); nothing at all when ``quiet`` (``--json``).
    """
    if quiet:
        yield lambda text: None
        return
    err = err_console()
    if not err.is_terminal:
        last: list[str] = []

        def line(text: str) -> None:
            if last != [text]:
                last[:] = [text]
                sys.stderr.write(f"{label}: {text}\n")
                sys.stderr.flush()
        yield line
        return
    with err.status(Text(label)) as status:
        yield lambda text: status.update(Text(f"{label}: {text}"))
