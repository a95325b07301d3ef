"""An automatic backup restores into an empty store of the other kind; a stopped one leaves nothing."""

from __future__ import annotations

import pytest

from comments_app import create_app
from comments_app.jobs.backups import BackupJob
from comments_app.state import app_state
from comments_app.stores.backup import CHUNK, WriteStopped, backups_in, encode_export, write_atomically

from ..conftest import flask_cli, new_schema
from .test_backup import fill

# Runs the flask command line in a process of its own: not in make test-fast.
pytestmark = pytest.mark.commands


def new_store(kind: str, file, request) -> dict[str, str]:
    """The settings of a new, empty store of that kind (file: where the file store would be)."""
    if kind == "file":
        return {"COMMENTS_FILE": str(file)}
    url = new_schema(request.getfixturevalue("database_url"), request.getfixturevalue("schemas_to_drop"))
    return {"COMMENTS_FILE": str(file), "DATABASE_URL": url}


def exported(settings: dict[str, str]) -> bytes:
    """Return the store's export, as export-json writes it."""
    store = app_state(create_app(settings)).store
    try:
        return encode_export(store.export_records())
    finally:
        store.close()


@pytest.mark.parametrize(("source", "target"), [("file", "postgresql"), ("postgresql", "file")])
def test_an_automatic_backup_restores_into_an_empty_store_of_the_other_kind(
    tmp_path, request, source, target
):
    origin = new_store(source, tmp_path / "origin.json", request)
    fill(origin)
    folder = tmp_path / "backups"
    folder.mkdir()
    store = app_state(create_app(origin)).store
    try:
        # One round of the job the workers run, as they run it.
        said = BackupJob(store, folder, every=3600, keep=10).run(lambda: False)
    finally:
        store.close()
    [(_, backup)] = backups_in(folder)
    assert said.startswith(f"backup {backup}: 6 comments")
    assert backup.read_bytes() == exported(origin)

    copy = new_store(target, tmp_path / "copy.json", request)
    restored = flask_cli("import-json", str(backup), **copy)
    assert restored.returncode == 0, restored.stderr
    assert "imported 6 comments" in restored.stdout
    assert exported(copy) == backup.read_bytes()


def test_a_write_stopped_midway_leaves_neither_file_nor_temporary(tmp_path):
    path = tmp_path / "comments-20261203T181500Z.json"
    looks = []

    def stopped() -> bool:
        looks.append(1)
        return len(looks) > 1  # after the first chunk

    with pytest.raises(WriteStopped):
        write_atomically(path, b"x" * (3 * CHUNK), stopped)
    assert list(tmp_path.iterdir()) == []
    write_atomically(path, b"[]\n", lambda: False)
    assert path.read_bytes() == b"[]\n"
    assert [p.name for p in tmp_path.iterdir()] == [path.name]
