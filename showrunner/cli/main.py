"""Entry point: builds the typer app from the command-group modules and maps errors to exit codes."""

from __future__ import annotations

import sys

import typer

from showrunner.errors import ShowrunnerError

app = typer.Typer(
    name="showrunner",
    help="Turn a series premise into a planned, written, storyboarded and rendered animated series.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _register() -> None:
    from showrunner.cli import common  # noqa: F401  (shared options)

    for name in ("doctor", "series", "adapt", "canon", "render", "voice", "nightly", "prompts", "check", "ref",
                 "studio"):
        module = __import__(f"showrunner.cli.{name}", fromlist=["register"])
        module.register(app)


def main(argv: list[str] | None = None) -> None:
    """Run the CLI; a :class:`ShowrunnerError` prints one line to stderr and exits with its code."""
    _register()
    try:
        rc = app(args=argv, standalone_mode=False)  # click returns typer.Exit's code here
        if isinstance(rc, int) and rc:
            sys.exit(rc)
    except ShowrunnerError as err:
        print(f"error: {err}", file=sys.stderr)
        sys.exit(err.code)
    except KeyboardInterrupt:
        print("error: interrupted; state is saved, run 'showrunner resume' to continue", file=sys.stderr)
        sys.exit(130)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except typer.Abort:
        sys.exit(1)
    except Exception as exc:  # click usage errors
        import click

        # typer >= 0.16 vendors click (typer._click): match its usage errors by shape, not class
        if isinstance(exc, click.ClickException) or (hasattr(exc, "format_message") and hasattr(exc, "exit_code")):
            print(f"error: {exc.format_message()}", file=sys.stderr)
            sys.exit(exc.exit_code)
        raise


if __name__ == "__main__":
    main()
