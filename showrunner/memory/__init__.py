"""showrunner.memory package."""
