"""A small Server-Sent Events client for the tests: http.client, a line at a time.

EventStream(url, "/api/comments/events?thread=/a") connects; .status and .headers are the
answer's; .next(timeout) returns the next event (a dict with id, event, data, and
comments: the ": ..." lines before it), or raises TimeoutError. A reader thread keeps
parsing as the bytes come, so each event carries the time it arrived.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import queue
import socket
import threading
import time
from urllib.parse import urlsplit

CLOSED = {"event": "closed"}


class EventStream:
    def __init__(
        self, url: str, path: str, headers: dict[str, str] | None = None, timeout: float = 10
    ) -> None:
        parts = urlsplit(url)
        self.connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout)
        self.connection.connect()
        self.sock = self.connection.sock
        self.connection.request("GET", path, headers={"Accept": "text/event-stream", **(headers or {})})
        self.response = self.connection.getresponse()
        self.status = self.response.status
        self.headers = self.response.headers
        self.events: queue.Queue[dict] = queue.Queue()
        self._pushed_back: list[dict] = []
        self.retry: int | None = None
        if self.status == 200:
            self._thread = threading.Thread(target=self._read, daemon=True)
            self._thread.start()
        else:
            self.body = self.response.read()

    def _read(self) -> None:
        current: dict = {"data": [], "comments": []}
        try:
            while line := self.response.readline():
                line = line.decode().rstrip("\n")
                if not line:
                    if current["data"] or "id" in current or "event" in current:
                        self.events.put(self._finish(current))
                    elif current["comments"]:
                        self.events.put({**self._finish(current), "event": "comment"})
                    current = {"data": [], "comments": []}
                elif line.startswith(":"):
                    current["comments"].append(line[1:].strip())
                else:
                    name, _, value = line.partition(":")
                    value = value[1:] if value.startswith(" ") else value
                    if name == "data":
                        current["data"].append(value)
                    elif name == "retry":
                        self.retry = int(value)
                    else:
                        current[name] = value
        # Hung up on, by either side (http.client's chunked reader, closed under it, may
        # raise anything).
        except Exception:
            pass
        self.events.put(dict(CLOSED, at=time.monotonic()))

    @staticmethod
    def _finish(current: dict) -> dict:
        event = {
            "id": current.get("id"),
            "event": current.get("event", "message"),
            "comments": current["comments"],
            "at": time.monotonic(),
        }
        if current["data"]:
            event["data"] = json.loads("\n".join(current["data"]))
        return event

    def next(self, timeout: float = 10, skip_pings: bool = True) -> dict:
        """Return the next event (pings passed over unless skip_pings is False)."""
        deadline = time.monotonic() + timeout
        while True:
            if self._pushed_back:
                return self._pushed_back.pop()
            try:
                event = self.events.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                raise TimeoutError(f"no event within {timeout} s") from None
            if skip_pings and event["event"] == "comment":
                continue
            return event

    def nothing_within(self, seconds: float) -> bool:
        """Tell whether no event but pings comes within seconds."""
        try:
            event = self.next(seconds)
        except TimeoutError:
            return True
        self._pushed_back.append(event)
        return False

    def close(self) -> None:
        """Hang up (which also ends the reader thread's wait)."""
        with contextlib.suppress(OSError):
            self.sock.shutdown(socket.SHUT_RDWR)
        self.connection.close()

    def __enter__(self) -> EventStream:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
