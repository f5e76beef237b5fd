"""User-facing errors: one line, what to do, and a documented exit code.

Exit codes (also in README): 0 ok; 1 a check failed (continuity errors, doctor found a problem);
2 bad input (arguments, files, premise); 3 project state (not a series, locked, nothing pending);
4 an external service failed (LLM endpoint, disk); 5 a budget ran out before the work was done.
"""

from __future__ import annotations


class ShowrunnerError(Exception):
    """An error a user can cause or fix; the CLI prints ``str(err)`` on one line and exits ``code``."""

    code = 2

    def __init__(self, message: str, *, code: int | None = None) -> None:
        super().__init__(" ".join(message.split()))
        if code is not None:
            self.code = code


class BadInput(ShowrunnerError):
    """Invalid arguments, files or premises."""

    code = 2


class ProjectError(ShowrunnerError):
    """The project folder is missing, not a series, locked, or has nothing pending."""

    code = 3


class ServiceError(ShowrunnerError):
    """An LLM endpoint, model file or disk failed after retries."""

    code = 4


class BudgetExhausted(ShowrunnerError):
    """A token, GPU-minute or deadline budget ran out at a clean step boundary."""

    code = 5
