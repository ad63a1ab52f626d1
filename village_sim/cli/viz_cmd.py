"""``village-sim viz``: the Mesa browser visualization on 127.0.0.1.

Starts a Solara server (production mode, front end served from the local ``solara-assets``, so it
works offline) in this process and prints the address. The server only listens on the loopback
interface. A port that is taken is refused with exit code 2 before anything starts.
"""

from __future__ import annotations

import argparse
import errno
import os
import socket
import sys
from pathlib import Path

DEFAULT_PORT = 8674
"""The app's own default port (Solara's 8765 is often taken by other apps on a shared machine)."""

HOST = "127.0.0.1"
ALLOWED_HOSTS = [HOST, "localhost"]
"""Host header values the server answers (any other: 400 Bad Request)."""


class PortInUseError(Exception):
    """The port cannot be bound on the loopback interface."""


EXAMPLES = (
    "village-sim viz",
    "village-sim viz scenarios/talent.yaml --port 0 --seed 3",
)
"""Shown under ``village-sim viz --help``."""


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``viz`` command."""
    p = sub.add_parser(
        "viz",
        help="browser visualization (Mesa SolaraViz) on 127.0.0.1",
        description="Serve the village market in the browser: step it, pull governance levers, "
        "watch traffic-grabbing and technology suspension. Listens on 127.0.0.1 only.",
    )
    p.add_argument(
        "scenario",
        nargs="?",
        default=None,
        help="scenario YAML file to start with (default: scenarios/baseline.yaml)",
    )
    p.add_argument(
        "--port",
        type=int,
        default=DEFAULT_PORT,
        help=f"TCP port on 127.0.0.1 (default {DEFAULT_PORT}; 0: any free port, printed)",
    )
    p.add_argument("--seed", type=int, default=0, help="seed the page starts with (default 0)")
    p.set_defaults(handler=handle)


def bind(port: int, host: str = HOST) -> socket.socket:
    """Bind and listen on ``host:port`` (the socket the server then uses: no race for the port).

    Raises:
        PortInUseError: The port is taken (or not allowed).
    """
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
        sock.listen(128)
    except OSError as exc:
        sock.close()
        if exc.errno == errno.EADDRINUSE:
            raise PortInUseError(
                f"port {port} on {host} is already in use; expected a free port "
                f"(choose another with --port N)"
            ) from None
        raise PortInUseError(
            f"cannot listen on {host}:{port}: {exc.strerror or exc}; expected a "
            "free port you may use (choose another with --port N)"
        ) from None
    return sock


def _configure_solara(app: str) -> None:
    """Settings of ``solara run ... --production --no-check-version`` without its CLI."""
    os.environ.setdefault("SOLARA_TELEMETRY_MIXPANEL_ENABLE", "False")
    os.environ["SOLARA_APP"] = app
    os.environ.setdefault("SOLARA_MODE", "production")
    from solara.server import settings

    settings.telemetry.mixpanel_enable = False
    settings.main.mode = "production"


def handle(args: argparse.Namespace) -> int:
    """Check the scenario and the port, then serve the app until interrupted.

    Returns:
        0 after a clean stop (Ctrl-C); 2 for an invalid scenario, port or seed (with a message).
    """
    from village_sim.run import load_scenario
    from village_sim.scenario.errors import ScenarioError
    from village_sim.viz import levers

    scenario = Path(args.scenario) if args.scenario else levers.scenario_dir() / "baseline.yaml"
    if not 0 <= args.port < 65536:
        print(
            f"village-sim viz: --port {args.port}: expected a port number from 1 to 65535 "
            "(or 0 for any free port)",
            file=sys.stderr,
        )
        return 2
    if args.seed < 0:
        print(
            f"village-sim viz: --seed {args.seed}: expected a non-negative integer", file=sys.stderr
        )
        return 2
    try:
        config = load_scenario(scenario)
    except ScenarioError as exc:
        print(f"village-sim viz: {exc}", file=sys.stderr)
        return 2
    try:
        sock = bind(args.port)
    except PortInUseError as exc:
        print(f"village-sim viz: {exc}", file=sys.stderr)
        return 2
    os.environ[levers.SCENARIO_ENV] = str(scenario.resolve())
    os.environ[levers.SEED_ENV] = str(args.seed)
    _configure_solara("village_sim.viz.app:Page")
    url = f"http://{HOST}:{sock.getsockname()[1]}"
    print(
        f"village-sim viz: scenario '{config.name}' ({scenario}), seed {args.seed}\n"
        f"village-sim viz: serving on {url}  (Ctrl-C to stop)",
        flush=True,
    )
    try:
        return serve(sock)
    except KeyboardInterrupt:
        return 0
    finally:
        sock.close()


def serve(sock: socket.socket) -> int:
    """Run the Solara (Starlette) app with uvicorn on an already bound socket until stopped."""
    import warnings

    import uvicorn

    # Solara asks for SameSite=None cookies and warns that plain http (loopback) cannot have them
    warnings.filterwarnings("ignore", message="Cookies with samesite=none", category=UserWarning)
    from solara.server.starlette import app
    from starlette.middleware.trustedhost import TrustedHostMiddleware

    host, port = sock.getsockname()[:2]
    config = uvicorn.Config(
        # only requests addressed to this machine's loopback names: a web page elsewhere cannot
        # reach the server through a name of its own that resolves to 127.0.0.1 (DNS rebinding)
        TrustedHostMiddleware(app, allowed_hosts=ALLOWED_HOSTS),
        host=host,
        port=port,
        log_level="warning",
        access_log=False,
        lifespan="on",
    )
    server = uvicorn.Server(config)
    server.run(sockets=[sock])
    return 0


def main(argv: list[str] | None = None) -> int:
    """The ``viz`` command on its own (same options): ``village-sim viz`` without the others."""
    parser = argparse.ArgumentParser(
        prog="village-sim", description="village_sim browser visualization"
    )
    sub = parser.add_subparsers(dest="command", required=True)
    register(sub)
    try:
        args = parser.parse_args(["viz", *(sys.argv[1:] if argv is None else argv)])
    except SystemExit as exc:
        return 0 if exc.code is None else (exc.code if isinstance(exc.code, int) else 2)
    return handle(args)
