"""Property tests: whatever bytes a protocol file holds, the loader answers cleanly.

Either a valid TreatmentProtocol comes back, or a DataFileError whose every
problem line starts with the file name. Nothing else (no traceback) escapes.
"""

from __future__ import annotations

import copy
from typing import Any

import tomli_w
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from iastm_coach.errors import DataFileError
from iastm_coach.protocols.files import parse_protocol
from iastm_coach.protocols.library import builtin_path
from iastm_coach.protocols.model import TreatmentProtocol

NAME = "fuzz.toml"
CALF = builtin_path("calf").read_bytes()


def assert_clean(raw: bytes) -> None:
    try:
        protocol = parse_protocol(raw, name=NAME)
    except DataFileError as error:
        assert error.exit_code == 4
        assert error.problems
        assert all(line.startswith(f"{NAME}: ") for line in error.problems)
        assert all("Traceback" not in line for line in error.problems)
    else:
        assert isinstance(protocol, TreatmentProtocol)


@given(st.binary(max_size=400))
def test_arbitrary_bytes(raw: bytes) -> None:
    """Random bytes never crash the loader."""
    assert_clean(raw)


@given(st.text(max_size=400))
def test_arbitrary_text(text: str) -> None:
    """Random text never crashes the loader."""
    assert_clean(text.encode("utf-8", "surrogatepass"))


@given(position=st.integers(min_value=0, max_value=len(CALF) - 1), junk=st.binary(max_size=8))
def test_mutated_builtin_bytes(position: int, junk: bytes) -> None:
    """A real protocol with a few bytes replaced or inserted gives a clean answer."""
    assert_clean(CALF[:position] + junk + CALF[position + len(junk) // 2 :])


toml_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.floats(allow_nan=False),
    st.text(max_size=30),
    st.dates(),
)


def _mutate(document: Any, path: list[Any], value: Any) -> Any:
    node = document
    for step in path[:-1]:
        node = node[step]
    if value is None:
        if isinstance(node, dict):
            node.pop(path[-1], None)
        return document
    node[path[-1]] = value
    return document


def _paths(node: Any, prefix: list[Any]) -> list[list[Any]]:
    found = [prefix] if prefix else []
    if isinstance(node, dict):
        for key, value in node.items():
            found += _paths(value, [*prefix, key])
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found += _paths(value, [*prefix, index])
    return found


BASE = TreatmentProtocol.model_validate(__import__("tomllib").loads(CALF.decode())).model_dump(
    mode="python", exclude_none=True
)
PATHS = _paths(BASE, [])


@settings(suppress_health_check=[HealthCheck.too_slow], max_examples=200)
@given(
    st.lists(st.tuples(st.sampled_from(PATHS), toml_scalars), min_size=1, max_size=4),
    st.text(min_size=1, max_size=12),
)
def test_mutated_documents(edits: list[tuple[list[Any], Any]], new_key: str) -> None:
    """Valid TOML with wrong types, values, missing or unknown keys: clean errors only."""
    document = copy.deepcopy(BASE)
    for path, value in edits:
        try:
            document = _mutate(document, path, value)
        except (KeyError, IndexError, TypeError):
            continue
    document[new_key] = document.get(new_key, 1)
    assert_clean(tomli_w.dumps(document).encode())
