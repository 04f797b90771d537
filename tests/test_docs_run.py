"""README and the docs, run as a reader would run them: every curl command against a live gateway and
local backend, every JavaScript snippet with the pinned clients (Apollo Client 4 and 3, urql), every
JSON example against what the gateway answers, and the error table against the codes the code can
emit."""

from __future__ import annotations

import ast
import json
import os
import re
import shutil
import subprocess
from collections.abc import Iterator

import httpx
import pytest
from starlette.applications import Starlette

from gql.pipeline.codes import NAMES, REASON_NAMES, reference_table
from gql.pipeline.engine import schema
from gql.server.app import create_app
from gql.server.settings import GatewaySettings
from tests import node
from tests.conftest import ROOT, per_module
from tests.servers import serve

DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
GATEWAY_URL, BACKEND_URL = "http://127.0.0.1:8000", "http://127.0.0.1:8100"


def _blocks(language: str) -> list[tuple[str, str]]:
    """(file name, text) of every fenced block of ``language`` in README and docs/."""
    found = []
    for path in DOCS:
        for block in re.findall(rf"```{language}\n(.*?)\n```", path.read_text(), flags=re.S):
            found.append((path.name, block))
    return found


@pytest.fixture(scope=per_module)
def live(backend_app: Starlette) -> Iterator[tuple[str, str]]:
    """The gateway and the local backend on loopback ports, as README's commands start them."""
    gateway = create_app(GatewaySettings(), transport=httpx.ASGITransport(app=backend_app))
    with serve(gateway) as gateway_url, serve(backend_app) as backend_url:
        yield gateway_url, backend_url


def _local(text: str, live: tuple[str, str]) -> str:
    return text.replace(GATEWAY_URL, live[0]).replace(BACKEND_URL, live[1])


CURL_BLOCKS = [(name, block) for name, block in _blocks("sh") if block.lstrip().startswith("curl")]


@pytest.mark.parametrize(
    ("name", "block"), CURL_BLOCKS, ids=[f"{n}:{i}" for i, (n, _) in enumerate(CURL_BLOCKS)]
)
def test_every_curl_command_answers_what_its_text_says(live: tuple[str, str], name: str, block: str) -> None:
    """Each answer is JSON; where the block shows the code it expects (a comment), that code."""
    if shutil.which("curl") is None:
        pytest.skip("curl is not installed")
    done = subprocess.run(
        ["bash", "-c", _local(block, live)], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr
    decoder, text, answers = json.JSONDecoder(), done.stdout.strip(), []
    while text:
        answer, end = decoder.raw_decode(text)
        answers.append(answer)
        text = text[end:].strip()
    assert answers and len(answers) == block.count("curl ")
    expected = re.findall(r'"code":"([A-Z_]+)"', block)
    for answer in answers:
        if expected:
            assert [e["extensions"]["code"] for e in answer["errors"]] == expected, answer
        else:
            assert "errors" not in answer and (answer.get("data") or answer.get("success")), str(answer)[:300]


JS_BLOCKS = _blocks("js")


@pytest.mark.slow
@pytest.mark.parametrize(("name", "block"), JS_BLOCKS, ids=[f"{n}:{i}" for i, (n, _) in enumerate(JS_BLOCKS)])
def test_every_javascript_snippet_runs_as_written(live: tuple[str, str], name: str, block: str) -> None:
    """Run with node against the live gateway; the Apollo Client 3 snippet with Apollo Client 3
    (installed beside 4 as ``apollo-client-3``). It must print one number, the data it fetched."""
    folder = node.install("clients")
    text = _local(block, live)
    if "createPersistedQueryLink" in text:
        # Apollo Client 3, under its alias; bundlers resolve its directory imports, Node's ESM
        # loader needs the files named.
        text = text.replace(
            'from "@apollo/client/link/persisted-queries"',
            'from "apollo-client-3/link/persisted-queries/index.js"',
        )
        text = text.replace('from "@apollo/client/core"', 'from "apollo-client-3/core/index.js"')
    script = folder / f"snippet_{abs(hash(block))}.mjs"
    script.write_text(text)
    try:
        printed = node.run(folder, script.name)
    finally:
        script.unlink()
    assert isinstance(printed, int) and printed > 0, printed


def test_the_json_error_example_is_what_the_gateway_answers(live: tuple[str, str]) -> None:
    """README's example of an upstream refusal: the organization without credits."""
    example = next(json.loads(b) for _, b in _blocks("json") if '"upstreamCode"' in b)
    answer = httpx.post(
        f"{live[0]}/graphql",
        json={"query": "{ stats(window: LAST_7D) { credits { timeSeries { summary { total } } } } }"},
        headers={"Authorization": "Bearer demo-other-org"},
    ).json()
    error = answer["errors"][0]
    assert error["message"] == example["message"] and error["path"] == example["path"]
    assert {k: v for k, v in error["extensions"].items() if k != "requestId"} == example["extensions"]


def test_the_error_table_is_the_table_of_codes() -> None:
    assert reference_table() in (ROOT / "README.md").read_text()


def _code_literals() -> set[str]:
    """Every string in gql/ and resolvers/ shaped like an error code: words in capitals, not a
    setting's name, a GraphQL enum value, or an HTTP method."""
    enum_values = {
        value for t in schema._schema.type_map.values() for value in getattr(t, "values", {}) or {}
    }
    found = set()
    sources = [*(ROOT / "gql").glob("**/*.py"), *(ROOT / "resolvers").glob("*.py")]
    for path in [p for p in sources if p.name != "codes.py"]:
        for node_ in ast.walk(ast.parse(path.read_text())):
            if isinstance(node_, ast.Constant) and isinstance(node_.value, str):
                value = node_.value
                if re.fullmatch(r"[A-Z][A-Z0-9]*(_[A-Z0-9]+)+|[A-Z]{6,}", value) and not value.startswith(
                    ("FLASHBACK_", "OTEL_", "PROMETHEUS_")
                ):
                    found.add(value)
    return found - enum_values - {"DELETE", "OPTIONS"}


@pytest.mark.skipif(
    "MUTANT_UNDER_TEST" in os.environ, reason="a mutation run's source holds every mutant's strings"
)
def test_every_code_the_gateway_can_emit_is_in_the_table_and_every_code_listed_is_emitted() -> None:
    literals = _code_literals()
    assert literals - NAMES - REASON_NAMES == set(), "codes emitted but not in gql/pipeline/codes.py"
    assert NAMES - literals == set(), "codes listed in gql/pipeline/codes.py that nothing emits"
    assert REASON_NAMES - literals == set(), "reasons listed in gql/pipeline/codes.py that nothing emits"
