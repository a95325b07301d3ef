"""The app's Flask class (application.py): which functions are plain is remembered, and bounded."""

from __future__ import annotations

from flask.views import MethodView

from comments_app import create_app


class Ping(MethodView):
    def get(self):
        return "pong"


def test_class_based_views_do_not_grow_the_memory_of_plain_functions(comments_file):
    app = create_app({"COMMENTS_FILE": str(comments_file)})
    app.add_url_rule("/ping", view_func=Ping.as_view("ping"))
    client = app.test_client()
    client.get("/ping")
    remembered = len(app._plain)
    for _ in range(50):
        assert client.get("/ping").get_data() == b"pong"
    assert len(app._plain) == remembered
