"""Exercise checks: each looks at the cluster (and what the learner passes in) and answers
with :class:`Feedback` — passed or not, why, and a hint. Checks never raise on a wrong
answer, so a notebook always runs to the end."""

from .feedback import Feedback

__all__ = ["Feedback"]
