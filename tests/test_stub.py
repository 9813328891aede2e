"""The compiled twin's stub (``_codec_c.pyi``) against the modules it describes.

``make typecheck`` runs mypy's ``stubtest`` on the compiled module; this is the part of that check
that needs no mypy, so it runs with every test run: the stub's public names and the parameters
of its functions and methods (names, kinds, defaults) are those of the compiled twin and of the
pure-Python reference.
"""

from __future__ import annotations

import ast
import inspect
from importlib.util import find_spec
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

Params = list[tuple[str, str, str | None]]
_FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef)

_KINDS = {
    "posonly": inspect.Parameter.POSITIONAL_ONLY.name,
    "args": inspect.Parameter.POSITIONAL_OR_KEYWORD.name,
    "vararg": inspect.Parameter.VAR_POSITIONAL.name,
    "kwonly": inspect.Parameter.KEYWORD_ONLY.name,
    "kwarg": inspect.Parameter.VAR_KEYWORD.name,
}


def _stub_tree() -> ast.Module:
    spec = find_spec("ssecodec")
    assert spec is not None and spec.origin is not None
    return ast.parse((Path(spec.origin).parent / "_codec_c.pyi").read_text(encoding="utf-8"))


def _default(node: ast.expr | None) -> str | None:
    if node is None:
        return None
    if isinstance(node, ast.Constant) and node.value is Ellipsis:
        return "..."  # the stub leaves the value out: any default matches
    return repr(ast.literal_eval(node))


def _stub_params(fn: ast.FunctionDef | ast.AsyncFunctionDef) -> Params:
    a = fn.args
    positional = [*a.posonlyargs, *a.args]
    defaults: list[ast.expr | None] = [None] * (len(positional) - len(a.defaults))
    defaults += a.defaults
    out: Params = []
    for i, arg in enumerate(positional):
        kind = "posonly" if i < len(a.posonlyargs) else "args"
        out.append((arg.arg, _KINDS[kind], _default(defaults[i])))
    if a.vararg:
        out.append((a.vararg.arg, _KINDS["vararg"], None))
    for arg, d in zip(a.kwonlyargs, a.kw_defaults, strict=True):
        out.append((arg.arg, _KINDS["kwonly"], _default(d)))
    if a.kwarg:
        out.append((a.kwarg.arg, _KINDS["kwarg"], None))
    return [p for p in out if p[0] != "self"]


def _runtime_params(obj: Any) -> Params | None:
    """The runtime parameters, or None when the runtime does not expose a signature."""
    try:
        sig = inspect.signature(obj)
    except (TypeError, ValueError):
        return None
    out: Params = []
    for p in sig.parameters.values():
        default = None if p.default is inspect.Parameter.empty else repr(p.default)
        out.append((p.name, p.kind.name, default))
    out = [p for p in out if p[0] != "self"]
    if [p[1] for p in out] == ["VAR_POSITIONAL", "VAR_KEYWORD"]:
        return None  # a slot wrapper, e.g. a cdef class's __init__: no signature to compare
    return out


def _same(stub: Params, runtime: Params) -> bool:
    if len(stub) != len(runtime):
        return False
    for (s_name, s_kind, s_def), (r_name, r_kind, r_def) in zip(stub, runtime, strict=True):
        if s_kind == _KINDS["posonly"]:  # the stub may be stricter than the runtime
            if r_kind not in (s_kind, _KINDS["args"]):
                return False
        elif s_name != r_name or s_kind != r_kind:
            return False
        if (s_def is None) != (r_def is None):
            return False
        if s_def not in (None, "...") and s_def != r_def:
            return False
    return True


def _public(names: Any) -> set[str]:
    return {n for n in names if not n.startswith("_")}


def _check(stub: ast.Module, module: ModuleType) -> list[str]:
    problems: list[str] = []
    stub_all: list[str] = []
    for node in stub.body:
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "__all__" for t in node.targets
        ):
            stub_all = list(ast.literal_eval(node.value))
    if sorted(stub_all) != sorted(module.__all__):
        problems.append(f"__all__: stub {sorted(stub_all)} != runtime {sorted(module.__all__)}")

    for node in stub.body:
        if isinstance(node, _FUNCTIONS):
            runtime = _runtime_params(getattr(module, node.name, None))
            if not hasattr(module, node.name):
                problems.append(f"{node.name}: in the stub, not at runtime")
            elif runtime is not None and not _same(_stub_params(node), runtime):
                problems.append(f"{node.name}: stub {_stub_params(node)} != runtime {runtime}")
        elif isinstance(node, ast.ClassDef):
            cls = getattr(module, node.name, None)
            if cls is None:
                problems.append(f"{node.name}: in the stub, not at runtime")
                continue
            members = {m.name: m for m in node.body if isinstance(m, _FUNCTIONS)}
            if _public(members) != _public(dir(cls)):
                problems.append(
                    f"{node.name} members: stub {sorted(_public(members))} "
                    f"!= runtime {sorted(_public(dir(cls)))}"
                )
            for name, member in members.items():
                is_property = any(
                    isinstance(d, ast.Name) and d.id == "property" for d in member.decorator_list
                )
                if is_property or not hasattr(cls, name):
                    continue
                runtime = _runtime_params(getattr(cls, name))
                if runtime is not None and not _same(_stub_params(member), runtime):
                    problems.append(
                        f"{node.name}.{name}: stub {_stub_params(member)} != runtime {runtime}"
                    )
    return problems


def test_stub_matches_the_compiled_twin(c_impl: ModuleType) -> None:
    assert _check(_stub_tree(), c_impl) == []


def test_stub_matches_the_python_reference(py_impl: ModuleType) -> None:
    assert _check(_stub_tree(), py_impl) == []


@pytest.mark.parametrize("bad", ["txt", "positional"])
def test_a_drifted_stub_is_caught(c_impl: ModuleType, bad: str) -> None:
    """The check is not vacuous: a renamed or re-kinded parameter is reported."""
    source = ast.unparse(_stub_tree())
    if bad == "txt":
        source = source.replace("def encode_comment(text: str=", "def encode_comment(txt: str=")
    else:
        source = source.replace("def encode_many(events:", "def encode_many(*, events:")
    assert source != ast.unparse(_stub_tree())
    assert _check(ast.parse(source), c_impl) != []
