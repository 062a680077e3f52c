"""``cockpit sandbox``: serve the sandbox in the foreground until SIGINT/SIGTERM.

It binds first, then prints the base URL and ``export`` lines, so a script can
start it in the background, read a few lines, and point a cockpit at it.
"""

from __future__ import annotations

import argparse
import shlex
import signal
import sys
from pathlib import Path

from cockpit.sandbox.faults import FaultSpec, FaultSpecError


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (0: any free)")
    parser.add_argument("--data", type=Path, default=None,
                        help="data directory (bare repos + world.json); reused if present. "
                             "Default: a temporary directory removed on exit")
    parser.add_argument("--latency-ms", type=int, default=0, help="added to every request")
    parser.add_argument("--faults", default="",
                        help="fault SPEC, e.g. '5xx:0.1,timeout:req=7,ratelimit:req=20,seed=1'")
    parser.add_argument("--workflow-seconds", type=float, default=None,
                        help="every workflow run takes this long")
    parser.add_argument("--time-scale", type=float, default=0.01,
                        help="else runs take their realistic duration times this")
    parser.add_argument("--fail-workflow", action="append", default=[],
                        metavar="OWNER/REPO:FILE.yml", help="runs of this workflow fail")


def main(args: argparse.Namespace) -> int:
    # Imported here so that `cockpit --help` does not pay for starlette/uvicorn.
    from cockpit.sandbox.core import Sandbox, SandboxOptions
    from cockpit.sandbox.server import bind_socket, make_server

    try:
        FaultSpec.parse(args.faults)
    except FaultSpecError as err:
        print(f"cockpit sandbox: --faults: {err}", file=sys.stderr)
        return 2
    sb = Sandbox(SandboxOptions(
        data_dir=args.data, port=args.port, faults=args.faults, latency_ms=args.latency_ms,
        workflow_seconds=args.workflow_seconds, time_scale=args.time_scale,
        fail_workflows=list(args.fail_workflow)))
    try:
        sock = bind_socket("127.0.0.1", args.port)
    except OSError as err:
        print(f"cockpit sandbox: cannot listen on 127.0.0.1:{args.port}: {err}",
              file=sys.stderr)
        sb.cleanup()
        return 1
    server = make_server(sb, sock)
    # A signal that lands between printing the URL and uvicorn taking over still
    # means "shut down cleanly", not "die".
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: setattr(server, "should_exit", True))
    print(f"cockpit sandbox serving on {sb.base_url}")
    print(f"# data: {sb.data_dir}   inspect: {sb.base_url}/_sandbox/state")
    print(f"# read-only token: {sb.readonly_token}")
    for key, value in sb.env().items():
        print(f"export {key}={shlex.quote(value)}")
    sys.stdout.flush()
    try:
        server.run(sockets=[sock])  # uvicorn handles SIGINT/SIGTERM: graceful shutdown
    finally:
        sock.close()
        sb.cleanup()
    print("cockpit sandbox stopped", file=sys.stderr)
    return 0


def run(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="cockpit sandbox", description=__doc__)
    add_arguments(parser)
    return main(parser.parse_args(argv))
