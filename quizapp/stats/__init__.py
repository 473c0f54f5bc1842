"""Progress figures and charts for learners and classes. Pure Python, no Flask import."""
