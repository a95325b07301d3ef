"""Serving the app: the Flask class it is built on, the list cache beneath Flask, and what the
server says as it starts."""
