"""WSGI entry point for any WSGI server (`gunicorn server:app`); `kg serve` runs gunicorn itself."""

from kg.web import create_app

app = create_app()
