"""The WSGI entry point that gunicorn, the Procfile and `flask --app wsgi` name."""

from comments_app import create_app

app = create_app()
