"""The Studio: a local web page to review and steer a series (``showrunner studio``).

Starlette serves server-rendered Jinja2 pages and one small hand-written script (``static/studio.js``);
every action calls the same pipeline functions as the CLI (:mod:`showrunner.pipelines.series`,
:mod:`~showrunner.pipelines.overrides`, :mod:`~showrunner.pipelines.review_queue`), so a person can
switch between page and terminal at any step. See ``docs/architecture.md`` (The Studio).
"""
