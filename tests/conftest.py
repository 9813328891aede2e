"""Test configuration: every behavioural test runs on both twins through the ``impl`` fixture.

``impl`` is the twin's module (``ssecodec._codec_c`` with id ``c``, ``ssecodec._codec_py`` with
id ``py``). A missing compiled twin FAILS the run unless ``--no-c-extensions`` is given
(propcache/multidict style), in which case only ``py`` is collected.
"""

from __future__ import annotations

import importlib
import os
from types import ModuleType

import pytest
from hypothesis import HealthCheck, settings

settings.register_profile("default", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.register_profile(
    "ci", deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=True
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--no-c-extensions",
        action="store_true",
        default=False,
        help="test only the pure-Python twin (the compiled one is not required)",
    )


def _impl_ids(config: pytest.Config) -> list[str]:
    return ["py"] if config.getoption("--no-c-extensions") else ["c", "py"]


_MODULES = {"c": "ssecodec._codec_c", "py": "ssecodec._codec_py"}


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "impl" in metafunc.fixturenames:
        ids = _impl_ids(metafunc.config)
        metafunc.parametrize("impl", ids, ids=ids, indirect=True, scope="session")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Under --no-c-extensions, leave out the tests that compare the two twins."""
    if not config.getoption("--no-c-extensions"):
        return
    kept: list[pytest.Item] = []
    deselected: list[pytest.Item] = []
    for item in items:
        (deselected if "c_impl" in getattr(item, "fixturenames", ()) else kept).append(item)
    if deselected:
        config.hook.pytest_deselected(items=deselected)
        items[:] = kept


@pytest.fixture(scope="session")
def impl(request: pytest.FixtureRequest) -> ModuleType:
    """The twin under test: a module with Event, Decoder, encode, encode_many, ..."""
    name = _MODULES[request.param]
    try:
        return importlib.import_module(name)
    except ImportError as exc:  # a missing extension is a failure, not a skip
        pytest.fail(f"{name} is not importable ({exc}); build it or pass --no-c-extensions")


@pytest.fixture(scope="session")
def c_impl(request: pytest.FixtureRequest) -> ModuleType:
    """The compiled twin, for differential tests (fails when it is missing)."""
    if request.config.getoption("--no-c-extensions"):
        pytest.fail("differential tests need the compiled twin; deselect them instead")
    return importlib.import_module("ssecodec._codec_c")


@pytest.fixture(scope="session")
def py_impl() -> ModuleType:
    """The pure-Python reference twin."""
    return importlib.import_module("ssecodec._codec_py")
