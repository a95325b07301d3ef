"""What a pip-only platform does: a clean clone, pip install -r requirements.txt, the Procfile."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import time

import pytest
import requests

from ..conftest import ROOT, free_port, require, server_env

pytestmark = pytest.mark.server


def run(*command: str, **options) -> subprocess.CompletedProcess:
    return subprocess.run(command, check=True, capture_output=True, text=True, **options)


def test_python_version_is_pinned_to_the_one_tested():
    pinned = (ROOT / ".python-version").read_text().strip()
    assert re.fullmatch(r"3\.\d+", pinned), pinned
    assert f"{sys.version_info.major}.{sys.version_info.minor}" == pinned


def test_clean_clone_with_pip_alone_serves_the_page(tmp_path):
    require(shutil.which("git") is not None and (ROOT / ".git").exists(), "needs git and a git checkout")
    head = run("git", "rev-parse", "HEAD", cwd=ROOT).stdout.strip()
    clone = tmp_path / "app"
    run("git", "clone", "--quiet", "--no-checkout", str(ROOT), str(clone))
    run("git", "checkout", "--quiet", head, cwd=clone)
    # A fresh virtualenv holding only what requirements.txt names: no npm, no make, not even
    # pip (this process's pip installs into it from outside: ensurepip took 2-3 s), nor the
    # bytecode of every file of every package (the server compiles the modules it imports).
    venv = tmp_path / "venv"
    run(sys.executable, "-m", "venv", "--without-pip", str(venv))
    run(
        sys.executable,
        "-m",
        "pip",
        "--python",
        str(venv / "bin" / "python"),
        "install",
        "--quiet",
        "--no-compile",
        "-r",
        "requirements.txt",
        cwd=clone,
    )
    [command] = [
        line.split(":", 1)[1].strip()
        for line in (clone / "Procfile").read_text().splitlines()
        if line.startswith("web:")
    ]
    port = free_port()
    env = server_env(PORT=str(port), COMMENTS_FILE=str(tmp_path / "comments.json"))
    env["PATH"] = f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    env.pop("VIRTUAL_ENV", None)
    env.pop("PYTHONPATH", None)
    log = tmp_path / "web.log"
    with open(log, "wb") as output:
        process = subprocess.Popen(
            ["bash", "-c", command],
            cwd=clone,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                if requests.get(url + "/healthz", timeout=2).status_code == 200:
                    break
            except requests.ConnectionError:
                pass
            assert process.poll() is None and time.monotonic() < deadline, log.read_text()
            time.sleep(0.1)
        page = requests.get(url + "/", timeout=10)
        assert page.status_code == 200
        assert "not built yet" not in page.text
        assets = re.findall(r'(?:src|href)="(/assets/[^"]+)"', page.text)
        assert any(path.endswith(".js") for path in assets), page.text
        assert any(path.endswith(".css") for path in assets), page.text
        for path in assets:
            for accept in ("identity", "gzip", "br"):
                response = requests.get(url + path, headers={"Accept-Encoding": accept}, timeout=10)
                assert response.status_code == 200, (path, accept)
                assert response.headers.get("Content-Encoding", "identity") == accept
                assert response.content == (clone / "public" / path.lstrip("/")).read_bytes()
        assert requests.get(url + "/api/comments", timeout=10).json() == []
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(15)
