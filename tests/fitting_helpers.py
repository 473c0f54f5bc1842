"""A learner whose memory is far from FSRS's defaults, for the fitting tests."""

from __future__ import annotations

from quizapp.scheduling.fsrs_scheduler import DEFAULT_PARAMETERS

# First memories last 1.5-5 times longer, the forgetting curve is flatter, and recall grows
# stability faster than the defaults say.
_learner = list(DEFAULT_PARAMETERS)
_learner[0:4] = [w * f for w, f in zip(_learner[0:4], (5.0, 4.0, 3.0, 1.5), strict=True)]
_learner[8] += 0.4
_learner[20] = 0.4
LEARNER: tuple[float, ...] = tuple(_learner)
