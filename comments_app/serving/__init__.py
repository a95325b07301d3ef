"""Serving the app: the Flask class it is built on, the list cache beneath Flask, what the
server says as it starts, and the gunicorn worker that answers what it refuses itself."""
