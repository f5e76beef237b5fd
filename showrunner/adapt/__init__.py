"""Adapting a book into a series.

Split it (:mod:`.book`), extract each passage (:mod:`.extract`), merge the cast with the one name
resolver (:mod:`.merge`), and plan the season (:mod:`.plan`); the artifact the ``adaptation`` gate shows
is :class:`.models.Adaptation`. The LLM nodes live in ``showrunner.agents.adapt`` and the driver in
``showrunner.pipelines.adapt``.
"""
