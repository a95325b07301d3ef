"""public/ is committed: it must be exactly what the sources in ui/ build."""

from __future__ import annotations

import gzip
import subprocess
from pathlib import Path

import brotli
import pytest

from ..conftest import ROOT, require

pytestmark = pytest.mark.build

PUBLIC = ROOT / "public"
VITE = ROOT / "ui" / "node_modules" / ".bin" / "vite"
HOWTO = "Run `make ui` and commit public/ together with your change to ui/."
# Precompressed copies are compared by what they decode to: another Node's zlib or
# brotli may pack the same bytes differently, and either packing serves the same page.
DECODERS = {".gz": gzip.decompress, ".br": brotli.decompress}


def files(folder: Path) -> dict[str, Path]:
    return {str(path.relative_to(folder)): path for path in sorted(folder.rglob("*")) if path.is_file()}


def content(path: Path) -> bytes:
    decode = DECODERS.get(path.suffix)
    return decode(path.read_bytes()) if decode else path.read_bytes()


def differences(built: Path, committed: Path) -> list[str]:
    new, old = files(built), files(committed)
    found = [f"missing from public/: {name}" for name in sorted(new.keys() - old.keys())]
    found += [f"not built any more, delete it: public/{name}" for name in sorted(old.keys() - new.keys())]
    found += [
        f"differs from the build: public/{name}"
        for name in sorted(new.keys() & old.keys())
        if content(new[name]) != content(old[name])
    ]
    found += [
        f"does not decode to its original: public/{name}"
        for name, path in old.items()
        if path.suffix in DECODERS
        and content(path) != PUBLIC.joinpath(name[: -len(path.suffix)]).read_bytes()
    ]
    return found


def test_public_is_what_ui_builds(tmp_path):
    require(VITE.exists(), "the build check needs the UI's packages: make ui/node_modules/.package-lock.json")
    out = tmp_path / "public"
    result = subprocess.run(
        [str(VITE), "build", "--outDir", str(out), "--emptyOutDir", "--logLevel", "error"],
        cwd=ROOT / "ui",
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, f"the page does not build:\n{result.stdout}\n{result.stderr}"
    found = differences(out, PUBLIC)
    assert not found, "public/ is not what ui/ builds:\n  " + "\n  ".join(found) + "\n" + HOWTO


def test_the_build_is_deterministic(tmp_path):
    """Two builds of the same sources give the same bytes, precompressed copies included."""
    require(VITE.exists(), "the build check needs the UI's packages: make ui/node_modules/.package-lock.json")
    outputs = []
    for name in ("one", "two"):
        out = tmp_path / name
        subprocess.run(
            [str(VITE), "build", "--outDir", str(out), "--emptyOutDir", "--logLevel", "error"],
            cwd=ROOT / "ui",
            check=True,
            capture_output=True,
        )
        outputs.append({name: path.read_bytes() for name, path in files(out).items()})
    assert outputs[0] == outputs[1]
    assert any(name.endswith(".js.br") for name in outputs[0])
