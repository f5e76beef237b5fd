"""showrunner.tools package."""
