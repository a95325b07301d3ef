"""The JSON file store: a site's comments in JSON files that many processes share safely.

site.py routes by thread: the default thread is COMMENTS_FILE itself, each named thread
a file in the folder beside it; store.py keeps one thread's file (group commit, atomic
replace, a hint in the lock file), batch.py makes a batch's changes to it, version.py
holds one version of it, names.py names versions (ETags, sealed times); ids.py gives out
the ids and says which thread holds each; registry.py keeps which threads are closed;
journal.py remembers which comments each version changed, for ?since=; keyfile.py keeps
the store's secret key beside it; idempotency.py keeps Idempotency-Key records in a
SQLite file beside it.
"""

from .site import JsonFileStore

__all__ = ["JsonFileStore"]
