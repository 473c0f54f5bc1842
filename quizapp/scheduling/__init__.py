"""Scheduling: SM-2 and the learner's own calendar day. Pure Python, no Flask import."""
