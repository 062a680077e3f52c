"""``cockpit sandbox``: serve the sandbox in the foreground until SIGINT/SIGTERM.

It binds first, then prints the base URL and ``export`` lines, so a script can
start it in the background, read a few lines, and point a cockpit at it. With ``--tls``
it serves HTTPS and the exports also point ``gh``, git, curl and Python at it (the CA to
trust, ``GH_HOST``, ``GH_ENTERPRISE_TOKEN``).

``--webhook-url`` makes it send GitHub Actions webhooks there (the App hook of
``cockpit.sandbox.webhooks``), signed with ``--webhook-secret`` or
``$COCKPIT_SANDBOX_WEBHOOK_SECRET`` (the environment keeps it out of ``ps``). The
other webhook flags are faults for a CI monitor to survive.
"""

from __future__ import annotations

import argparse
import os
import shlex
import signal
import sys
from pathlib import Path


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (0: any free)")
    parser.add_argument("--data", type=Path, default=None,
                        help="data directory (bare repos + world.json); reused if present. "
                             "Default: a temporary directory removed on exit")
    parser.add_argument("--tls", action="store_true",
                        help="serve HTTPS with a local CA kept in the data directory (what "
                             "`gh` needs); the export lines name the CA to trust")
    parser.add_argument("--latency-ms", type=int, default=0, help="added to every request")
    parser.add_argument("--faults", default="",
                        help="fault SPEC, e.g. '5xx:0.1,timeout:req=7,ratelimit:req=20,seed=1'")
    parser.add_argument("--workflow-seconds", type=float, default=None,
                        help="every workflow run takes this long")
    parser.add_argument("--time-scale", type=float, default=0.01,
                        help="else runs take their realistic duration times this")
    parser.add_argument("--rate-limit", type=int, default=5000, metavar="N",
                        help="GitHub API requests per hour per token (GitHub's primary "
                             "limit; past it: 403 until the hour resets)")
    parser.add_argument("--fail-workflow", action="append", default=[],
                        metavar="OWNER/REPO:FILE.yml", help="runs of this workflow fail")
    hooks = parser.add_argument_group("webhooks (GitHub Actions events, signed)")
    hooks.add_argument("--webhook-url", metavar="URL", default=None,
                       help="send workflow_run/workflow_job deliveries of every repository "
                            "here (a 127.0.0.1 URL)")
    hooks.add_argument("--webhook-secret", metavar="S", default=None,
                       help="sign them (X-Hub-Signature-256) with S; default: "
                            "$COCKPIT_SANDBOX_WEBHOOK_SECRET, else unsigned")
    hooks.add_argument("--queue-spike", action="append", default=[],
                       metavar="OWNER/REPO=FACTOR",
                       help="that repository's jobs wait FACTOR times longer for a runner")
    hooks.add_argument("--creep", action="append", default=[],
                       metavar="OWNER/REPO:FILE.yml[:JOB]=FRACTION",
                       help="those jobs run FRACTION of their timeout-minutes (times "
                            "--time-scale); 1 or more times them out")
    hooks.add_argument("--drop-deliveries", type=int, default=0, metavar="N",
                       help="drop the first N workflow deliveries (recorded as failed)")
    hooks.add_argument("--drop-fraction", type=float, default=0.0, metavar="F",
                       help="drop each workflow delivery with probability F")
    hooks.add_argument("--drop-seed", type=int, default=0, metavar="S",
                       help="seed for --drop-fraction")
    hooks.add_argument("--drop-silently", action="store_true",
                       help="dropped deliveries leave no trace in the deliveries API "
                            "(a webhook GitHub never sent)")


def _pairs(items: list[str], flag: str) -> dict[str, float]:
    out: dict[str, float] = {}
    for item in items:
        key, sep, value = item.rpartition("=")
        try:
            if not sep or not key:
                raise ValueError
            out[key] = float(value)
        except ValueError:
            raise ValueError(f"{flag}: expected KEY=NUMBER, got {item!r}") from None
    return out


def main(args: argparse.Namespace) -> int:
    # Imported here so that `cockpit --help` (and every command: the parser holds this
    # verb's flags) does not pay for starlette/uvicorn or the world's seed.
    from cockpit.sandbox.core import Sandbox, SandboxOptions
    from cockpit.sandbox.faults import FaultSpec, FaultSpecError
    from cockpit.sandbox.http import ApiError
    from cockpit.sandbox.server import bind_socket, make_server
    from cockpit.sandbox.webhooks import check_url

    try:
        FaultSpec.parse(args.faults)
    except FaultSpecError as err:
        print(f"cockpit sandbox: --faults: {err}", file=sys.stderr)
        return 2
    try:
        spikes = _pairs(args.queue_spike, "--queue-spike")
        creep = _pairs(args.creep, "--creep")
        if args.webhook_url:
            check_url(args.webhook_url)
    except ValueError as err:
        print(f"cockpit sandbox: {err}", file=sys.stderr)
        return 2
    except ApiError as err:
        detail = (err.errors or [{}])[0].get("message", err.message)
        print(f"cockpit sandbox: --webhook-url: {detail}", file=sys.stderr)
        return 2
    secret = args.webhook_secret
    if secret is None:
        secret = os.environ.get("COCKPIT_SANDBOX_WEBHOOK_SECRET", "")
    try:
        sb = Sandbox(SandboxOptions(
            data_dir=args.data, port=args.port, tls=args.tls, faults=args.faults,
            latency_ms=args.latency_ms, workflow_seconds=args.workflow_seconds,
            time_scale=args.time_scale, fail_workflows=list(args.fail_workflow),
            webhook_url=args.webhook_url, webhook_secret=secret, queue_spike=spikes,
            creep=creep, drop_deliveries=args.drop_deliveries,
            drop_fraction=args.drop_fraction, drop_seed=args.drop_seed,
            drop_visible=not args.drop_silently, rate_limit=args.rate_limit))
    except ValueError as err:
        print(f"cockpit sandbox: {err}", file=sys.stderr)
        return 2
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
    if sb.tls is not None:
        print(f"# TLS: trust the sandbox's CA {sb.tls.ca_cert} (the exports below do; "
              "gh: GH_HOST, GH_ENTERPRISE_TOKEN)")
    if args.webhook_url:
        print(f"# webhooks: workflow_run, workflow_job -> {args.webhook_url}"
              f" ({'signed' if secret else 'unsigned'})")
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
