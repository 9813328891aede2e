"""Build the optional Cython twin (``ssecodec._codec_c``).

The extension is optional: when the compiler or Cython is missing the build warns and
installs the pure-Python twin. Under ``CIBUILDWHEEL=1`` a failed build is an error (wheels
must carry the extension). ``SSECODEC_NO_EXTENSIONS`` set to a true value skips it.
"""

import os

from setuptools import Extension, setup


def _truthy(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() in {"1", "true", "yes", "on"}


ext_modules = []
if not _truthy("SSECODEC_NO_EXTENSIONS"):
    ext_modules.append(
        Extension(
            "ssecodec._codec_c",
            ["src/ssecodec/_codec_c.pyx"],
            optional=not _truthy("CIBUILDWHEEL"),
            define_macros=[("CYTHON_CCOMPLEX", "0")],
        )
    )
    if not os.path.exists("src/ssecodec/_codec_c.pyx"):
        ext_modules = []

setup(ext_modules=ext_modules)
