"""tools/system_deps.sh, which ``make test`` runs first: silent when the programs are there,
installs the missing packages with apt-get when it can, and otherwise stops with one line naming
the command. Run with a PATH of stand-ins (a fake apt-get that logs its calls)."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

SCRIPT = Path(__file__).parents[2] / "tools" / "system_deps.sh"
DEPS = ["chromium:chromium,chromium-browser,google-chrome", "redis-server"]
BASH = shutil.which("bash") or "/bin/bash"


def run(path: Path, *, uid: int | None = None) -> subprocess.CompletedProcess[str]:
    env = {"PATH": str(path)}
    if uid is not None:
        env["SYSTEM_DEPS_UID"] = str(uid)
    return subprocess.run(
        [BASH, str(SCRIPT), "make test", *DEPS], env=env, capture_output=True, text=True
    )


def stub(directory: Path, name: str, body: str = "") -> None:
    path = directory / name
    path.write_text(f"#!{BASH}\n{body}\n")
    path.chmod(0o755)


@pytest.fixture
def bin_dir(tmp_path: Path) -> Path:
    directory = tmp_path / "bin"
    directory.mkdir()
    os.symlink(shutil.which("env") or "/usr/bin/env", directory / "env")
    return directory


def fake_apt_get(directory: Path, log: Path, *, fail: bool = False) -> None:
    """An apt-get that logs its arguments and, on install, puts a stand-in of each package
    on PATH (or fails)."""
    chmod = shutil.which("chmod") or "/bin/chmod"
    stub(
        directory,
        "apt-get",
        f'echo "$* DEBIAN_FRONTEND=$DEBIAN_FRONTEND" >> {log}\n'
        + ("exit 100\n" if fail else "")
        + 'if [ "$1" = install ]; then for p in "$@"; do case $p in -*|install) ;; *) '
        + f'printf "#!{BASH}\\n" > {directory}/$p; {chmod} +x {directory}/$p;; esac; done; fi',
    )


def test_silent_when_present(bin_dir: Path) -> None:
    stub(bin_dir, "google-chrome")
    stub(bin_dir, "redis-server")
    done = run(bin_dir, uid=1000)
    assert (done.returncode, done.stdout, done.stderr) == (0, "", "")


def test_not_root_stops_with_the_command(bin_dir: Path, tmp_path: Path) -> None:
    log = tmp_path / "apt.log"
    fake_apt_get(bin_dir, log)
    stub(bin_dir, "redis-server")
    done = run(bin_dir, uid=1000)
    assert done.returncode == 1
    assert done.stderr == (
        "make test needs chromium (not found on PATH): "
        "run `sudo apt-get install -y chromium`, then make test again.\n"
    )
    assert not log.exists()


def test_without_apt_get_names_the_command(bin_dir: Path) -> None:
    done = run(bin_dir, uid=0)
    assert done.returncode == 1
    assert done.stderr.count("\n") == 1
    assert done.stderr.startswith("make test needs chromium and redis-server (not found on PATH)")
    assert "`sudo apt-get install -y chromium redis-server`" in done.stderr


def test_root_installs_the_missing_packages(bin_dir: Path, tmp_path: Path) -> None:
    log = tmp_path / "apt.log"
    fake_apt_get(bin_dir, log)
    done = run(bin_dir, uid=0)
    assert done.returncode == 0, done.stderr
    assert done.stderr == "make test: installing chromium redis-server with apt-get\n"
    assert log.read_text().splitlines() == [
        "update -qq DEBIAN_FRONTEND=",
        "install -y -qq chromium redis-server DEBIAN_FRONTEND=noninteractive",
    ]
    assert run(bin_dir, uid=0).stderr == ""  # now present


def test_failed_install_stops_with_the_command(bin_dir: Path, tmp_path: Path) -> None:
    fake_apt_get(bin_dir, tmp_path / "apt.log", fail=True)
    done = run(bin_dir, uid=0)
    assert done.returncode == 1
    assert done.stderr.splitlines()[-1] == (
        "make test needs chromium and redis-server (not found on PATH) and installing with "
        "apt-get failed (above): run `sudo apt-get install -y chromium redis-server`, "
        "then make test again."
    )
