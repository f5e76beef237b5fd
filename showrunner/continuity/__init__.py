"""The continuity engine: checks an episode against the canon as of that episode.

``check_episode(episode, characters=..., locations=..., facts=..., shots=None, llm=None, memory=None)``
returns :class:`~showrunner.models.ContinuityIssue` findings: deterministic checks always, plus a
semantic pass when a capable LLM is given.
"""

from showrunner.continuity.engine import capable, check_episode, has_errors

__all__ = ["capable", "check_episode", "has_errors"]
