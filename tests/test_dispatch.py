"""The dispatcher (``ssecodec._codec``) and the package surface."""

from __future__ import annotations

import importlib.util
import os
import pickle
import subprocess
import sys
import traceback
from types import ModuleType

import pytest

import ssecodec

PUBLIC = {
    "DEFAULT_MAX_EVENT_SIZE",
    "DEFAULT_MAX_LINE_SIZE",
    "IMPLEMENTATION",
    "Decoder",
    "Event",
    "LimitExceeded",
    "SSEError",
    "SendTimeout",
    "__version__",
    "aiter_events",
    "encode",
    "encode_comment",
    "encode_many",
    "iter_events",
}


def _implementation_with(env_value: str | None) -> str:
    env = dict(os.environ)
    env.pop("SSECODEC_NO_EXTENSIONS", None)
    if env_value is not None:
        env["SSECODEC_NO_EXTENSIONS"] = env_value
    out = subprocess.run(
        [sys.executable, "-c", "import ssecodec; print(ssecodec.IMPLEMENTATION)"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return out.stdout.strip()


def test_public_names() -> None:
    assert set(ssecodec.__all__) == PUBLIC
    for name in PUBLIC:
        assert getattr(ssecodec, name) is not None


def test_twins_export_the_same_names(c_impl: ModuleType, py_impl: ModuleType) -> None:
    """The compiled twin's names are the pure-Python twin's, and every name is defined."""
    assert set(c_impl.__all__) == set(py_impl.__all__)
    for name in py_impl.__all__:
        assert hasattr(c_impl, name), name
        assert hasattr(py_impl, name), name
    assert c_impl.LimitExceeded is py_impl.LimitExceeded
    assert c_impl.SSEError is py_impl.SSEError


@pytest.mark.parametrize("name", ["SSEError", "LimitExceeded", "SendTimeout"])
def test_errors_show_their_public_name(name: str) -> None:
    """Tracebacks name an error as it is imported: ``ssecodec.LimitExceeded``, not the private
    module that defines it."""
    cls = getattr(ssecodec, name)
    assert cls.__module__ == "ssecodec"
    assert traceback.format_exception_only(cls("boom")) == [f"ssecodec.{name}: boom\n"]
    for protocol in range(pickle.HIGHEST_PROTOCOL + 1):  # pickle finds the class by that name
        clone = pickle.loads(pickle.dumps(cls("boom"), protocol=protocol))
        assert type(clone) is cls
        assert str(clone) == "boom"


def test_limit_exceeded_from_a_decoder_shows_and_pickles_by_its_public_name(
    impl: ModuleType,
) -> None:
    with pytest.raises(ssecodec.LimitExceeded) as caught:
        impl.Decoder(max_line_size=10).feed(b"data: a\n\ndata: toolong\n\ndata: b\n\n")
    exc = caught.value
    assert traceback.format_exception_only(exc) == [f"ssecodec.LimitExceeded: {exc}\n"]
    for protocol in range(pickle.HIGHEST_PROTOCOL + 1):
        clone = pickle.loads(pickle.dumps(exc, protocol=protocol))
        assert type(clone) is ssecodec.LimitExceeded
        assert (str(clone), clone.limit_name, clone.limit, clone.size) == (
            str(exc),
            "max_line_size",
            10,
            13,
        )
        assert [e.data for e in clone.events] == ["a", "b"]


@pytest.mark.parametrize("value", ["1", "true", "TRUE", "yes", " Yes "])
def test_env_var_true_selects_python(value: str) -> None:
    assert _implementation_with(value) == "python"


def _compiled_twin_exists() -> bool:
    return importlib.util.find_spec("ssecodec._codec_c") is not None


def test_default_is_cython_when_built(request: pytest.FixtureRequest) -> None:
    built = _compiled_twin_exists()
    if not built and not request.config.getoption("--no-c-extensions"):
        pytest.fail("the compiled twin is missing; build it or pass --no-c-extensions")
    expected = "cython" if built else "python"
    assert _implementation_with(None) == expected
    assert _implementation_with("0") == expected  # "0" is false
    assert _implementation_with("") == expected


def test_package_uses_the_selected_twin() -> None:
    forced_python = os.environ.get("SSECODEC_NO_EXTENSIONS", "").strip().lower() in {
        "1",
        "true",
        "yes",
    }
    if forced_python or not _compiled_twin_exists():
        from ssecodec import _codec_py as selected

        assert ssecodec.IMPLEMENTATION == "python"
    else:
        from ssecodec import _codec_c as selected  # type: ignore[no-redef]

        assert ssecodec.IMPLEMENTATION == "cython"
    assert ssecodec.Decoder is selected.Decoder
    assert ssecodec.Event is selected.Event
    assert ssecodec.encode is selected.encode


def test_errors_are_shared_by_both_twins(impl: object) -> None:
    decoder = impl.Decoder(max_line_size=4)  # type: ignore[attr-defined]
    with pytest.raises(ssecodec.LimitExceeded):
        decoder.feed(b"data: too long\n\n")
    assert issubclass(ssecodec.LimitExceeded, ssecodec.SSEError)
    assert issubclass(ssecodec.LimitExceeded, ValueError)
