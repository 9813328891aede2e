"""Build the optional Cython twin (``ssecodec._codec_c``).

The extension is optional: when Cython or a C compiler is missing, or the build fails, a
warning is printed and the pure-Python twin is installed (same API, slower). Under
``CIBUILDWHEEL=1`` a failed build is an error: wheels must carry the extension.
``SSECODEC_NO_EXTENSIONS`` set to a true value (``1``, ``true``, ``yes``) skips it, and so
does an interpreter other than CPython (the dispatcher would not load it there).
"""

import importlib.util
import os
import sys

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

PYX = "src/ssecodec/_codec_c.pyx"


def _truthy(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() in {"1", "true", "yes"}


REQUIRED = _truthy("CIBUILDWHEEL")


def _warn(reason: str) -> None:
    """Say loudly that the pure-Python twin is being installed.

    pip hides a build's output unless it fails or runs with ``-v``, so the banner also goes
    straight to the terminal when there is one.
    """
    bar = "*" * 78
    text = (
        f"\n{bar}\nWARNING: ssecodec: the C extension (ssecodec._codec_c) was not built:\n"
        f"  {reason}\n"
        "Installing the pure-Python twin instead: same API and behaviour, slower.\n"
        "For the compiled twin, install a C compiler and the Python headers, then\n"
        "  pip install --force-reinstall --no-cache-dir --no-binary ssecodec ssecodec\n"
        "Set SSECODEC_NO_EXTENSIONS=1 to skip the extension (and this warning).\n"
        f"{bar}\n"
    )
    sys.stderr.write(text)
    sys.stderr.flush()
    if not sys.stderr.isatty():
        try:
            with open("/dev/tty", "w") as tty:
                tty.write(text)
        except OSError:
            pass


class optional_build_ext(build_ext):
    """``build_ext`` that turns any failure into a warning unless the extension is required."""

    def run(self) -> None:
        try:
            super().run()
        except Exception as exc:
            if REQUIRED:
                raise
            _warn(f"{type(exc).__name__}: {exc}")

    def build_extension(self, ext: Extension) -> None:
        try:
            super().build_extension(ext)
        except Exception as exc:
            if REQUIRED:
                raise
            _warn(f"{type(exc).__name__}: {exc}")


ext_modules = []
if _truthy("SSECODEC_NO_EXTENSIONS") or sys.implementation.name != "cpython":
    pass  # chosen, or an interpreter on which ssecodec uses the pure-Python twin anyway
elif importlib.util.find_spec("Cython") is None and not REQUIRED:
    # Only a build without isolation gets here (pyproject.toml requires Cython).
    _warn("Cython is not installed (pip installs it unless --no-build-isolation is used)")
elif os.path.exists(PYX):
    ext_modules.append(
        Extension(
            "ssecodec._codec_c",
            [PYX],
            include_dirs=["src/ssecodec"],  # _scan.h, which the .pyx includes
            depends=["src/ssecodec/_scan.h"],  # rebuild when it changes
            define_macros=[("CYTHON_CCOMPLEX", "0")],
            optional=not REQUIRED,
        )
    )

setup(ext_modules=ext_modules, cmdclass={"build_ext": optional_build_ext})
