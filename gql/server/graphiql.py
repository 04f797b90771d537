"""GraphiQL served by the gateway itself, so it works with no internet access.

Its scripts come from the npm registry once, at setup, into an ignored folder (``.cache/graphiql``
by default), pinned by the lock file next to this module; the page loads them from the gateway,
never from a CDN. The page opens on the overview (``overview_query.graphql``: KPI tiles against the
previous period, a top five with Others, days in a time zone) and sends whatever headers (an
``Authorization`` token, say) the user sets in GraphiQL's header editor. The reference dashboard
(``reference_query.graphql``) is what the benchmarks and the cost tests measure.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import httpx
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, JSONResponse, Response

from gql.server.progress import Step

HERE = Path(__file__).parent
REFERENCE_QUERY = (HERE / "reference_query.graphql").read_text()
OVERVIEW_QUERY = (HERE / "overview_query.graphql").read_text()
ASSETS = {
    "react.js": "react/umd/react.production.min.js",
    "react-dom.js": "react-dom/umd/react-dom.production.min.js",
    "graphiql.js": "graphiql/graphiql.min.js",
    "graphiql.css": "graphiql/graphiql.min.css",
}
MEDIA_TYPES = {".js": "text/javascript", ".css": "text/css"}

_PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Flashback stats GraphQL</title>
<link rel="stylesheet" href="/graphiql/graphiql.css">
<style>body { margin: 0; height: 100vh; } #graphiql { height: 100vh; }</style>
</head>
<body>
<div id="graphiql">Loading GraphiQL...</div>
<script src="/graphiql/react.js"></script>
<script src="/graphiql/react-dom.js"></script>
<script src="/graphiql/graphiql.js"></script>
<script>
  const url = window.location.pathname;
  const http = GraphiQL.createFetcher({ url });
  // A subscription runs over Server-Sent Events (the gateway's graphql-sse transport): each event
  // is a result, shown as it arrives.
  async function* streamed(params, headers) {
    const response = await fetch(url, {
      method: "POST",
      headers: { ...headers, "Content-Type": "application/json", Accept: "text/event-stream" },
      body: JSON.stringify(params),
    });
    if (!response.ok || !response.body) {
      yield await response.json();
      return;
    }
    const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = "";
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      buffer += value;
      let end;
      while ((end = buffer.indexOf("\\n\\n")) >= 0) {
        const event = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const data = event.split("\\n").filter((line) => line.startsWith("data: ")).map((line) => line.slice(6));
        if (event.startsWith("event: next") && data.length) yield JSON.parse(data.join("\\n"));
        if (event.startsWith("event: complete")) return;
      }
    }
  }
  const fetcher = (params, options) =>
    /(^|[}\\s])subscription[\\s{(]/.test(params.query) && !/^\\s*(query|mutation)\\b/.test(params.query)
      ? streamed(params, (options && options.headers) || {})
      : http(params, options);
  ReactDOM.createRoot(document.getElementById("graphiql")).render(
    React.createElement(GraphiQL, {
      fetcher: fetcher,
      defaultQuery: __QUERY__,
      defaultEditorToolsVisibility: true,
      isHeadersEditorEnabled: true,
    })
  );
</script>
</body>
</html>
"""

_MISSING = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Flashback stats GraphQL</title></head>
<body><h1>GraphiQL is not installed</h1>
<p>The API works: POST queries to this URL. To get GraphiQL, install its files once
(needs npm and the npm registry) with <code>flashback-gql install-graphiql</code>.</p></body></html>
"""


def default_folder() -> Path:
    return Path(".cache") / "graphiql"


def installed(folder: Path) -> bool:
    return all((folder / "node_modules" / path).is_file() for path in ASSETS.values())


DEFAULT_REGISTRY = "https://registry.npmjs.org/"
REGISTRY_PROBE_SECONDS = 3.0


def registry_of(npm: str) -> str:  # pragma: no mutate block (runs npm: tested by the slow tests)
    """The registry npm would install from: the user's npm configuration, or npm's default."""
    try:
        found = subprocess.run(
            [npm, "config", "get", "registry"], capture_output=True, text=True, timeout=15, check=False
        ).stdout.strip()
    except (OSError, subprocess.TimeoutExpired):
        found = ""
    return found if found.startswith(("http://", "https://")) else DEFAULT_REGISTRY


def registry_answers(registry: str, seconds: float = REGISTRY_PROBE_SECONDS) -> bool:
    """Whether the registry answers at all within ``seconds``: npm itself would retry for a minute."""
    try:
        httpx.head(registry, timeout=seconds)
    except httpx.HTTPError:
        return False
    return True


def install(folder: Path) -> str | None:  # pragma: no mutate block (runs npm: tested by the slow tests)
    """Install the pinned GraphiQL files with ``npm ci`` unless they are there. None when GraphiQL
    is there; otherwise why it is not, in one sentence for the person starting the server."""
    if installed(folder):
        return None
    npm = shutil.which("npm")
    if npm is None:
        return "npm is not installed"
    registry = registry_of(npm)
    if not registry_answers(registry):
        return f"the npm registry {registry} cannot be reached"
    folder.mkdir(parents=True, exist_ok=True)
    for name in ("package.json", "package-lock.json"):
        shutil.copyfile(HERE / "graphiql" / name, folder / name)
    with Step(f"Installing GraphiQL into {folder}") as step:
        step.tick_while_waiting()
        result = subprocess.run(
            [npm, "ci", "--no-audit", "--no-fund", "--ignore-scripts", "--loglevel=error"],
            cwd=folder,
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
    if result.returncode != 0:
        return f"npm ci failed: {result.stderr.strip()[-500:]}"
    return None if installed(folder) else "npm ci left files missing"


class GraphiQL:
    """The page and its four files."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        query = json.dumps(OVERVIEW_QUERY).replace("</", "<\\/")
        self.page = _PAGE.replace("__QUERY__", query)

    def html(self) -> HTMLResponse:
        return HTMLResponse(self.page if installed(self.folder) else _MISSING)

    async def asset(self, request: Request) -> Response:
        name = request.path_params["name"]
        relative = ASSETS.get(name)
        if relative is None or not installed(self.folder):
            message = f"No GraphiQL file {name!r} here; the page loads {', '.join(sorted(ASSETS))}."
            return JSONResponse({"errors": [{"message": message, "extensions": {"code": "NOT_FOUND"}}]}, 404)
        return FileResponse(
            self.folder / "node_modules" / relative,
            media_type=MEDIA_TYPES[Path(name).suffix],
            headers={"Cache-Control": "public, max-age=86400"},
        )
