"""The ``flashback-gql`` command."""

from __future__ import annotations

import argparse
import contextlib
import functools
import os
import resource
import shutil
import sys
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from local_backend.settings import BackendSettings


def _backend(args: argparse.Namespace) -> int:
    import uvicorn

    from local_backend.app import create_backend_app
    from local_backend.settings import BackendSettings

    settings = BackendSettings.from_env(
        db_path=args.db, seed=args.seed, now=args.now, faults=args.enable_faults
    )
    _prepare_demo_data(settings)
    app = create_backend_app(settings)
    _say_when_serving(
        args.host,
        args.port,
        f"Stats REST API on http://{args.host}:{args.port} (tokens: demo, demo-other-org, demo-workspace-only)",
    )
    uvicorn.run(app, host=args.host, port=args.port, log_level=args.log_level)
    return 0


def _serve(args: argparse.Namespace) -> int:
    import uvicorn

    from gql.live.protocol import MAX_MESSAGE_BYTES
    from gql.server import graphiql
    from gql.server.app import create_app, launch_environment
    from gql.server.server_guard import GuardedProtocol
    from gql.server.settings import GatewaySettings
    from local_backend.settings import BackendSettings

    flags = {
        "FLASHBACK_GQL_HOST": args.host,
        "FLASHBACK_GQL_PORT": args.port,
        "FLASHBACK_GQL_WORKERS": args.workers,
    }
    settings = GatewaySettings.from_env(
        {**os.environ, **{k: str(v) for k, v in flags.items() if v is not None}}
    )
    backend = BackendSettings.from_env(os.environ)
    graphiql_note = "GraphiQL in a browser"
    if not args.no_graphiql_install:
        missing = graphiql.install(settings.graphiql_folder)
        if missing is not None:
            say(f"GraphiQL is unavailable: {missing}. The API is served without it.")
            graphiql_note = "GraphiQL unavailable"
    if settings.api_url is None:
        # Prepare the demo database once here, so that workers open it rather than race to build it.
        _prepare_demo_data(backend)
        upstream = "the local backend, in-process (no token needed: 'demo' is the default)"
    else:
        upstream = settings.api_url
    _say_when_serving(
        settings.host,
        settings.port,
        f"GraphQL on http://{settings.host}:{settings.port}/graphql ({graphiql_note}), upstream: {upstream}",
    )
    several = settings.workers > 1
    # Logs are gql.server.logs' JSON lines, one per request: uvicorn's own access log would repeat them.
    common: dict[str, Any] = {
        "host": settings.host,
        "port": settings.port,
        "log_level": args.log_level,
        "log_config": None,
        "access_log": False,
        "timeout_graceful_shutdown": settings.drain_seconds,
        "timeout_keep_alive": settings.keep_alive_seconds,
        # uvicorn's httptools protocol under the gateway's bounds (gql.server.server_guard).
        "http": functools.partial(
            GuardedProtocol, bounds=settings.server_bounds(resource.getrlimit(resource.RLIMIT_NOFILE)[0])
        ),
        # Live subscriptions' WebSockets (gql.live): a client message is bounded like a request body,
        # and no per-message compression, whose zlib state would cost every idle subscriber more
        # memory than the rest of its connection.
        "ws_max_size": MAX_MESSAGE_BYTES,
        "ws_per_message_deflate": False,
    }
    if several:
        # Worker processes build the app from the settings checked here, not from the environment.
        os.environ.update(launch_environment(settings, backend))
        with _metrics_shared_by_workers():
            uvicorn.run(
                "gql.server.app:launched_app",
                factory=True,
                workers=settings.workers,
                loop="uvloop",
                **common,
            )
    else:
        uvicorn.run(create_app(settings, backend_settings=backend), **common)
    return 0


def say(line: str) -> None:
    """A sentence for the person who started the command, on standard error beside the logs."""
    print(line, file=sys.stderr, flush=True)


def _prepare_demo_data(backend: BackendSettings) -> None:
    """Generate or top up the demo database with progress; on a warm start, say nothing."""
    from gql.server.progress import Step
    from local_backend.store import Store

    store, now = Store(backend.db_path, backend.seed), backend.now()
    work = store.work_for(now)
    if work is None:
        store.ensure(now)
        return
    title = "Generating demo data" if work == "generate" else "Topping up demo data"
    with Step(f"{title} in {backend.db_path}") as step:
        store.ensure(now, step.advance)


def _say_when_serving(host: str, port: int, line: str, seconds: float = 120.0) -> None:
    """Print ``line`` once the server answers on its socket, not before: a newcomer who follows the
    link at once must find it there. Polls ``/healthz`` from a daemon thread."""
    import threading
    import time
    import urllib.request

    probe = {"0.0.0.0": "127.0.0.1", "": "127.0.0.1", "::": "::1"}.get(host, host)
    url = f"http://{f'[{probe}]' if ':' in probe else probe}:{port}/healthz"

    def wait() -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            try:
                # urllib rather than httpx: httpx logs every request, and these are no one's concern.
                with urllib.request.urlopen(url, timeout=1.0) as answer:
                    if answer.status == 200:
                        say(line)
                        return
            except OSError:
                pass
            time.sleep(0.05)

    threading.Thread(target=wait, daemon=True, name="serving-line").start()


@contextlib.contextmanager
def _metrics_shared_by_workers() -> Iterator[None]:
    """``PROMETHEUS_MULTIPROC_DIR`` for the workers (gql/server/metrics.py): the operator's, emptied of an
    earlier run's samples, or a fresh folder removed when the server stops."""
    given = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if given:
        for stale in Path(given).glob("*.db"):
            stale.unlink()
        yield
        return
    folder = tempfile.mkdtemp(prefix="flashback-metrics-")
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = folder
    try:
        yield
    finally:
        del os.environ["PROMETHEUS_MULTIPROC_DIR"]
        shutil.rmtree(folder, ignore_errors=True)


def _export_schema(args: argparse.Namespace) -> int:
    from gql.pipeline.engine import sdl

    text = sdl()
    if args.output:
        with open(args.output, "w", encoding="utf-8") as handle:
            handle.write(text)
    else:
        sys.stdout.write(text)
    return 0


def _install_graphiql(args: argparse.Namespace) -> int:
    from gql.server import graphiql
    from gql.server.settings import GatewaySettings

    missing = graphiql.install(GatewaySettings.from_env(os.environ).graphiql_folder)
    if missing is not None:
        say(f"GraphiQL is not installed: {missing}.")
        return 1
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="flashback-gql", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    backend = commands.add_parser(
        "backend",
        help="serve the local implementation of the Flashback stats REST API",
        description="Serve the local Flashback stats REST API over a generated SQLite database.",
    )
    backend.add_argument("--host", default="127.0.0.1")
    backend.add_argument("--port", type=int, default=8100)
    backend.add_argument(
        "--db", help="database file (env FLASHBACK_BACKEND_DB; default .cache/backend-SEED.sqlite3)"
    )
    backend.add_argument("--seed", type=int, help="data seed (env FLASHBACK_BACKEND_SEED)")
    backend.add_argument(
        "--now", help="pin the clock: ISO-8601 instant or epoch seconds (env FLASHBACK_BACKEND_NOW)"
    )
    backend.add_argument(
        "--enable-faults",
        action="store_true",
        default=None,
        help="enable the /_faults control route for fault-injection tests (env FLASHBACK_BACKEND_FAULTS=1)",
    )
    backend.add_argument("--log-level", default="info")
    backend.set_defaults(run=_backend)

    serve = commands.add_parser(
        "serve",
        help="serve the GraphQL gateway",
        description="Serve the GraphQL gateway. Upstream: FLASHBACK_API_URL, or the local backend in-process"
        " when it is unset (FLASHBACK_BACKEND_* options apply).",
    )
    serve.add_argument("--host", help="address to listen on (env FLASHBACK_GQL_HOST; default 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port to listen on (env FLASHBACK_GQL_PORT; default 8000)")
    serve.add_argument(
        "--workers",
        type=int,
        help="worker processes, uvloop and httptools when more than one (env FLASHBACK_GQL_WORKERS; default 1)",
    )
    serve.add_argument("--log-level", default="info")
    serve.add_argument(
        "--no-graphiql-install",
        action="store_true",
        help="do not install GraphiQL's files with npm if missing",
    )
    serve.set_defaults(run=_serve)

    export = commands.add_parser("export-schema", help="print the GraphQL schema (SDL)")
    export.add_argument("--output", help="write to this file instead of standard output")
    export.set_defaults(run=_export_schema)

    install = commands.add_parser("install-graphiql", help="install GraphiQL's files from the npm registry")
    install.set_defaults(run=_install_graphiql)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run a command; a setting the operator must fix is one line on stderr and exit status 2."""
    from gql.server import logs
    from gql.server.settings import SettingsError

    args = build_parser().parse_args(argv)
    logs.configure(getattr(args, "log_level", "info"))
    try:
        result: int = args.run(args)
    except SettingsError as error:
        print(f"flashback-gql: {error}", file=sys.stderr)
        return 2
    return result


if __name__ == "__main__":
    raise SystemExit(main())
