"""WSGI entry point: `waitress-serve server:app`, `gunicorn server:app`, or `kg serve`."""

from kg.web import create_app

app = create_app()
