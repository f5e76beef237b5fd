"""showrunner.agents package."""
