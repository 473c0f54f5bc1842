"""Entry point for gunicorn: ``gunicorn -w 4 wsgi:app``."""

from quizapp import create_served_app

app = create_served_app()
