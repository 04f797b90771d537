"""The ``flashback-gql`` command."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence


def _backend(args: argparse.Namespace) -> int:
    import uvicorn

    from local_backend.app import create_backend_app
    from local_backend.settings import BackendSettings

    settings = BackendSettings.from_env(
        db_path=args.db, seed=args.seed, now=args.now, faults=args.enable_faults
    )
    print(
        f"Preparing demo data in {settings.db_path} (seed {settings.seed}) ...", file=sys.stderr, flush=True
    )
    app = create_backend_app(settings)
    info = app.state.backend.info
    print(
        f"Data ready in {info.build_seconds:.1f}s; serving on http://{args.host}:{args.port}"
        " (tokens: demo, demo-other-org, demo-workspace-only)",
        file=sys.stderr,
        flush=True,
    )
    uvicorn.run(app, host=args.host, port=args.port, log_level=args.log_level)
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
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    args = build_parser().parse_args(argv)
    result: int = args.run(args)
    return result


if __name__ == "__main__":
    raise SystemExit(main())
