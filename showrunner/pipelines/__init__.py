"""showrunner.pipelines package."""
