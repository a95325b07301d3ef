"""A throwaway PostgreSQL cluster on 127.0.0.1 and a free port, for tests and benchmarks.

python -m tests.pgcluster start DIR   # prints a database URL; the cluster keeps running
python -m tests.pgcluster stop DIR
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import sys
import tempfile
from pathlib import Path


def bindir() -> Path | None:
    """Return the folder of PostgreSQL's server programs, or None when none is installed."""
    found = shutil.which("pg_ctl")
    if found:
        return Path(found).resolve().parent
    versions = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"), key=lambda p: int(p.split("/")[4]))
    return Path(versions[-1]).parent if versions else None


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Cluster:
    """initdb, start and stop a cluster in a folder of its own (as user postgres when root)."""

    def __init__(self, folder: Path | None = None, fsync: bool = False) -> None:
        programs = bindir()
        if programs is None:
            raise RuntimeError("PostgreSQL is not installed: apt-get install postgresql")
        self.bin = programs
        self.folder = Path(folder or tempfile.mkdtemp(prefix="comments-pg-"))
        self.folder.mkdir(parents=True, exist_ok=True)
        self.data = self.folder / "data"
        self.port_file = self.folder / "port"
        self.fsync = fsync
        self.port = int(self.port_file.read_text()) if self.port_file.exists() else free_port()

    def _run(self, *args: str) -> subprocess.CompletedProcess:
        command = [str(self.bin / args[0]), *args[1:]]
        if os.geteuid() == 0:
            # PostgreSQL refuses to run as root.
            command = ["runuser", "-u", "postgres", "--", *command]
        return subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)

    def _check(self, result: subprocess.CompletedProcess, what: str) -> None:
        if result.returncode != 0:
            raise RuntimeError(f"{what} failed:\n{result.stdout}\n{result.stderr}")

    def init(self) -> Cluster:
        if os.geteuid() == 0:
            os.chmod(self.folder, 0o755)
            user = pwd.getpwnam("postgres")
            os.chown(self.folder, user.pw_uid, user.pw_gid)
        if not self.data.exists():
            self._check(
                self._run(
                    "initdb",
                    "-D",
                    str(self.data),
                    "-U",
                    "postgres",
                    "--auth=trust",
                    "-E",
                    "UTF8",
                    "--no-sync",
                ),
                "initdb",
            )
        self.port_file.write_text(str(self.port))
        return self

    def start(self) -> Cluster:
        options = (
            f"-p {self.port} -c listen_addresses=127.0.0.1 -c unix_socket_directories='' "
            f"-c fsync={'on' if self.fsync else 'off'} -c max_connections=200"
        )
        self._check(
            self._run(
                "pg_ctl",
                "-D",
                str(self.data),
                "-l",
                str(self.folder / "server.log"),
                "-o",
                options,
                "-w",
                "-t",
                "60",
                "start",
            ),
            "pg_ctl start",
        )
        return self

    def stop(self, mode: str = "fast") -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "stop")

    def remove(self) -> None:
        self.stop("immediate")
        shutil.rmtree(self.folder, ignore_errors=True)

    def url(self, database: str = "postgres", password: str | None = None) -> str:
        auth = f"postgres:{password}" if password else "postgres"
        return f"postgresql://{auth}@127.0.0.1:{self.port}/{database}"


def main(argv: list[str]) -> int:
    if len(argv) != 2 or argv[0] not in ("start", "stop"):
        print(__doc__, file=sys.stderr)
        return 2
    cluster = Cluster(Path(argv[1]))
    if argv[0] == "stop":
        cluster.stop()
        return 0
    cluster.init().start()
    print(cluster.url())
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
