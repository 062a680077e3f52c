"""GitHub's webhooks, from the sandbox: hooks, signed deliveries, the deliveries API.

A CI monitor (``cockpit ci serve``) is only trustworthy if it has been fed what GitHub
sends, including what GitHub gets wrong. So the workflow simulator's runs produce
GitHub Actions webhooks: ``workflow_run`` (requested → in_progress → completed) and
``workflow_job`` (queued → in_progress → completed, per job), plus ``ping`` when a hook
is created, with GitHub's headers (``X-GitHub-Event``, ``X-GitHub-Delivery``,
``X-GitHub-Hook-ID``, ``X-GitHub-Hook-Installation-Target-Type``/``-ID``,
``X-Hub-Signature-256``: HMAC-SHA256 of the raw body with the hook's secret) and
payloads that validate against ``@octokit/webhooks-schemas`` (tests/sandbox).

Three kinds of hook, as on GitHub:

- a repository hook, ``POST /repos/{owner}/{repo}/hooks``;
- an organization hook, ``POST /orgs/{org}/hooks`` (every repository of the owner: how a
  team receives all its events);
- the App hook: ``SandboxOptions.webhook_url``/``webhook_secret`` (``cockpit sandbox
  --webhook-url URL --webhook-secret S``), ``PATCH /app/hook/config`` or
  ``Webhooks.set_app_hook``: every repository, the Actions events, payloads carry an
  ``installation``. GitHub only lets a JSON Web Token signed with the App's private key
  read ``/app/hook/*``; the sandbox has no App and no key, so there it accepts its own
  seeded admin token instead. That is the one place the sandbox is knowingly laxer than
  GitHub.

When: a transition is due when the simulator's clock says so (a run's and a job's
phases are pure functions of the wall clock). The server's ticker (``server.py``,
every 0.25 s) calls ``scan``, which turns each due transition into one delivery per
subscribed hook: it writes the delivery to ``DATA/webhook-deliveries.jsonl`` first, then
marks the transition in the run (``hook_events`` in world.json). A restart from the same
data directory re-sends what was written but never attempted, and a transition written
but not yet marked is found again and matched to its deliveries, so each transition is
delivered once. Sending happens on one sender thread (a queue, in transition order;
never under the world lock nor in a request handler), with a 10 s timeout like GitHub's;
GitHub does not retry, nor do we. Every attempt is recorded (status code, duration,
time, redelivery) and served like GitHub: ``GET …/hooks/{id}/deliveries`` (newest first,
cursor pagination), ``GET …/deliveries/{id}`` (with request and response), ``POST
…/deliveries/{id}/attempts`` (a redelivery: a new attempt with the same
``X-GitHub-Delivery``).

Faults for monitors to survive (``drop_next``, ``SandboxOptions.drop_deliveries`` /
``drop_fraction``): a dropped delivery is not sent; it is recorded as a failed attempt
(status code 0, "failed to connect"), so gap repair and redelivery have something to
repair; ``visible=False`` drops it without a trace in the API, like the webhook GitHub
never sent. Pings and redeliveries are never dropped.

Hooks only deliver to loopback addresses: the sandbox never sends anything off the
machine. Secrets are kept in world.json (like the tokens) and shown nowhere: the API
answers ``********`` as GitHub does, and ``/_sandbox/state`` leaves them out.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import logging
import queue
import random
import threading
import time
import uuid
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode, urlsplit

from cockpit.sandbox.http import ApiError
from cockpit.sandbox.objects import node_id
from cockpit.sandbox.world import Json

if TYPE_CHECKING:
    import httpx

    from cockpit.sandbox.core import Sandbox

log = logging.getLogger(__name__)

APP_ID = 424242
"""The App the sandbox pretends to be installed as (the App hook's target)."""
APP_SLUG = "cockpit-ci"
ACTIONS_EVENTS = ["workflow_run", "workflow_job"]
DELIVERY_LOG = "webhook-deliveries.jsonl"
TIMEOUT_SECONDS = 10.0
"""GitHub gives a receiver 10 s to answer a delivery."""
USER_AGENT = "GitHub-Hookshot/sandbox"
MASK = "********"
LOOPBACK = {"127.0.0.1", "localhost", "::1"}
MAX_RESPONSE_BODY = 64 * 1024
ZEN = ["Keep it logically awesome.", "Design for failure.", "Speak like a human.",
       "Practicality beats purity.", "Anything added dilutes everything else."]

# Order of transitions due at the same instant (GitHub's usual order).
_RANK = {("run", "requested"): 0, ("job", "queued"): 1, ("job", "in_progress"): 2,
         ("run", "in_progress"): 3, ("job", "completed"): 4, ("run", "completed"): 5}


def _stamp(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def sign(secret: str, body: bytes) -> str:
    """``X-Hub-Signature-256``: ``sha256=`` + HMAC-SHA256(secret, raw body), hex."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def check_url(url: object) -> str:
    """A hook URL: http(s) on a loopback host (the sandbox sends nothing off the machine)."""
    if not isinstance(url, str) or not url:
        raise ApiError(422, "Validation Failed", [
            {"resource": "Hook", "field": "url", "code": "missing_field"}])
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ApiError(422, "Validation Failed", [
            {"resource": "Hook", "code": "custom", "field": "url",
             "message": "url is not supported because it isn't a valid http(s) URL"}])
    if parts.hostname not in LOOPBACK:
        raise ApiError(422, "Validation Failed", [
            {"resource": "Hook", "code": "custom", "field": "url",
             "message": "the sandbox only delivers to 127.0.0.1"}])
    return url


class Webhooks:
    """The hook registry (in world.json), the delivery log and the sender thread."""

    def __init__(self, sb: Sandbox) -> None:
        self.sb = sb
        self.lock = threading.RLock()
        """Guards the deliveries and the log file; never held while sending. The world
        lock may be held when taking it, never the other way round."""
        self.deliveries: dict[int, Json] = {}
        self.by_key: dict[tuple[int, str], int] = {}
        self.guids: dict[str, str] = {}
        self.queue: queue.Queue[int | None] = queue.Queue()
        self.sender: threading.Thread | None = None
        self.stopping = threading.Event()
        self.log_path = sb.data_dir / DELIVERY_LOG
        self.next_id = 30_000_000_000
        opts = sb.options
        self.random = random.Random(opts.drop_seed)
        self._load()
        with sb.world.lock:
            state = self._state()
            state["drop_fraction"] = float(opts.drop_fraction)
            if opts.drop_deliveries:
                state["drop_next"] = int(opts.drop_deliveries)
                state["drop_visible"] = bool(opts.drop_visible)
        self._ping_app = False
        if opts.webhook_url:
            # Pinged once the server is bound (``start``): a payload's URLs need its address.
            self._ping_app = self.set_app_hook(opts.webhook_url, opts.webhook_secret,
                                               ping=False) is not None

    # -- persistence ---------------------------------------------------------------

    def _state(self) -> Json:
        state: Json = self.sb.world.data.setdefault("webhooks", {})
        state.setdefault("hooks", [])
        state.setdefault("drop_next", 0)
        state.setdefault("drop_visible", True)
        state.setdefault("drop_fraction", 0.0)
        return state

    def _load(self) -> None:
        if not self.log_path.exists():
            return
        text = self.log_path.read_text()
        if text and not text.endswith("\n"):  # end a torn line, or the next write joins it
            with self.log_path.open("a") as f:
                f.write("\n")
        for line in text.splitlines():
            try:
                entry = json.loads(line)
            except ValueError:  # a torn last line from a crash: that write never happened
                continue
            if "update" in entry:
                d = self.deliveries.get(int(entry["update"]))
                if d is not None:
                    d.update(entry["fields"])
                continue
            self.deliveries[entry["id"]] = entry
            if entry.get("key"):
                self.by_key[(entry["hook_id"], entry["key"])] = entry["id"]
                self.guids[entry["key"]] = entry["guid"]
            self.next_id = max(self.next_id, entry["id"] + 1)

    def _append(self, entry: Json) -> None:
        with self.lock, self.log_path.open("a") as f:
            f.write(json.dumps(entry, separators=(",", ":")) + "\n")

    def _update(self, delivery: Json, **fields: Any) -> None:
        with self.lock:
            delivery.update(fields)
            with contextlib.suppress(OSError):  # the data directory is gone: we stopped
                self._append({"update": delivery["id"], "fields": fields})

    # -- the sender ------------------------------------------------------------------

    def start(self) -> None:
        """Start the sender and queue what a previous run wrote but never attempted."""
        if self.sender is not None:
            return
        self.queue = queue.Queue()
        with self.lock:
            pending = sorted(i for i, d in self.deliveries.items() if d["state"] == "pending")
        for i in pending:
            self.queue.put(i)
        self.stopping = threading.Event()
        self.sender = threading.Thread(target=self._send_loop, args=(self.queue,
                                                                     self.stopping),
                                       name="sandbox-webhooks", daemon=True)
        self.sender.start()
        hook = self.app_hook()
        if self._ping_app and hook is not None and hook["active"]:
            self._ping_app = False
            self.ping(hook, None)

    def stop(self, timeout: float = 2.0) -> None:
        """Stop the sender after the delivery in flight (if any); what it had not
        attempted stays pending, for a restart to send."""
        if self.sender is None:
            return
        self.stopping.set()
        self.queue.put(None)
        self.sender.join(timeout)
        self.sender = None

    def wait_idle(self, timeout: float = 10.0) -> bool:
        """True once every written delivery has been attempted (tests)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                if not any(d["state"] == "pending" for d in self.deliveries.values()):
                    return True
            time.sleep(0.02)
        return False

    def _send_loop(self, todo: queue.Queue[int | None], stopping: threading.Event) -> None:
        import httpx  # here: `cockpit sandbox` starts without paying for it

        with httpx.Client(timeout=TIMEOUT_SECONDS, follow_redirects=False,
                          trust_env=False) as client:
            while True:
                ident = todo.get()
                if ident is None or stopping.is_set():
                    return
                with self.lock:
                    delivery = self.deliveries.get(ident)
                if delivery is None or delivery["state"] != "pending":
                    continue
                try:
                    self._send(client, delivery)
                except Exception:  # never let one delivery stop the sender
                    log.exception("webhook delivery %s failed", ident)

    def _hook(self, hook_id: int) -> Json | None:
        with self.sb.world.lock:
            for hook in self._state()["hooks"]:
                if hook["id"] == hook_id:
                    return dict(hook, config=dict(hook["config"]))
        return None

    def _send(self, client: httpx.Client, delivery: Json) -> None:
        hook = self._hook(delivery["hook_id"])
        if hook is None:  # deleted since: nothing to deliver to
            self._update(delivery, state="cancelled")
            return
        config = hook["config"]
        body = delivery["body"].encode()
        content_type = "application/json"
        if config.get("content_type") == "form":
            body = urlencode({"payload": delivery["body"]}).encode()
            content_type = "application/x-www-form-urlencoded"
        headers = {
            "Accept": "*/*", "Content-Type": content_type, "User-Agent": USER_AGENT,
            "X-GitHub-Delivery": delivery["guid"], "X-GitHub-Event": delivery["event"],
            "X-GitHub-Hook-ID": str(hook["id"]),
            "X-GitHub-Hook-Installation-Target-ID": str(delivery["target_id"]),
            "X-GitHub-Hook-Installation-Target-Type": delivery["target_type"],
        }
        secret = config.get("secret") or ""
        if secret:
            headers["X-Hub-Signature"] = "sha1=" + hmac.new(
                secret.encode(), body, hashlib.sha1).hexdigest()
            headers["X-Hub-Signature-256"] = sign(secret, body)
        started = time.time()
        fields: Json = {"state": "done", "delivered_at": _stamp(started),
                        "url": config["url"], "request_headers": headers}
        if delivery.get("drop"):
            fields.update(status_code=0, status="failed to connect", duration=0.01,
                          response_headers={}, response_body=None,
                          state="done" if delivery["drop"] == "failed" else "lost")
            self._update(delivery, **fields)
            return
        import httpx

        try:
            response = client.post(config["url"], content=body, headers=headers)
        except httpx.TimeoutException:
            fields.update(status_code=0, status="timed out", response_headers={},
                          response_body=None)
        except httpx.HTTPError:
            fields.update(status_code=0, status="failed to connect", response_headers={},
                          response_body=None)
        else:
            code = response.status_code
            fields.update(status_code=code,
                          status="OK" if 200 <= code < 300 else f"Invalid HTTP Response: {code}",
                          response_headers=dict(response.headers),
                          response_body=response.text[:MAX_RESPONSE_BODY])
        fields["duration"] = round(time.time() - started, 3)
        self._update(delivery, **fields)
        with self.sb.world.lock:
            for h in self._state()["hooks"]:
                if h["id"] == hook["id"]:
                    h["last_response"] = {
                        "code": fields["status_code"] or None,
                        "status": "active" if fields["status"] == "OK" else "failed",
                        "message": fields["status"]}

    # -- creating deliveries ---------------------------------------------------------

    def _new(self, hook: Json, event: str, action: str | None, guid: str, payload: Json,
             key: str | None, repository_id: int | None, redelivery: bool = False,
             body: str | None = None, droppable: bool = True) -> Json:
        """Write one delivery (pending) and queue it for the sender."""
        target_type, target_id = self._target(hook)
        if hook["kind"] == "app" and body is None:
            owner = payload.get("repository", {}).get("owner", {}).get("login")
            if owner:
                payload = {**payload, "installation": self._installation(owner)}
        drop = self._drop() if droppable and not redelivery else None
        with self.lock:
            ident = self.next_id
            self.next_id += 1
            delivery: Json = {
                "id": ident, "guid": guid, "hook_id": hook["id"], "event": event,
                "action": action, "key": key, "repository_id": repository_id,
                "installation_id": payload.get("installation", {}).get("id")
                if hook["kind"] == "app" else None,
                "target_type": target_type, "target_id": target_id,
                "redelivery": redelivery, "state": "pending", "drop": drop,
                "created": time.time(),
                "body": body if body is not None else json.dumps(payload,
                                                                 separators=(",", ":")),
            }
            self.deliveries[ident] = delivery
            if key:
                self.by_key[(hook["id"], key)] = ident
                self.guids[key] = guid
            self._append(delivery)
        self.queue.put(ident)
        return delivery

    def _drop(self) -> str | None:
        with self.sb.world.lock:
            state = self._state()
            if state["drop_next"] > 0:
                state["drop_next"] -= 1
                return "failed" if state["drop_visible"] else "lost"
            if state["drop_fraction"] and self.random.random() < state["drop_fraction"]:
                return "failed" if state["drop_visible"] else "lost"
        return None

    def drop_next(self, count: int, visible: bool = True) -> None:
        """Drop the next ``count`` event deliveries (not pings, not redeliveries):
        recorded as failed attempts, or (``visible=False``) as if never sent."""
        with self.sb.world.lock:
            state = self._state()
            state["drop_next"] = max(0, int(count))
            state["drop_visible"] = visible
        self.sb.world.save()

    def set_drop_fraction(self, fraction: float, seed: int | None = None) -> None:
        with self.sb.world.lock:
            self._state()["drop_fraction"] = max(0.0, min(1.0, float(fraction)))
        if seed is not None:
            self.random = random.Random(seed)
        self.sb.world.save()

    def _target(self, hook: Json) -> tuple[str, int]:
        if hook["kind"] == "app":
            return "integration", APP_ID
        if hook["kind"] == "org":
            return "organization", int(self.sb.world.user(hook["target"])["id"])
        r = self.sb.world.repo(hook["target"])
        return "repository", int(r["id"]) if r else 0

    def _installation(self, owner: str) -> Json:
        ident = 50_000_000 + int(self.sb.world.user(owner)["id"])
        return {"id": ident, "node_id": node_id("MDIzOkludGVncmF0aW9uSW5zdGFsbGF0aW9u", ident)}

    def subscribed(self, full: str, event: str) -> list[Json]:
        owner = full.split("/")[0]
        out = []
        with self.sb.world.lock:
            for hook in self._state()["hooks"]:
                if not hook["active"]:
                    continue
                if event not in hook["events"] and "*" not in hook["events"]:
                    continue
                if hook["kind"] == "app" or (hook["kind"] == "org" and hook["target"] == owner) \
                        or (hook["kind"] == "repo" and hook["target"] == full):
                    out.append(dict(hook))
        return out

    # -- transitions -----------------------------------------------------------------

    def scan(self, now: float | None = None) -> int:
        """Deliver every transition that is due and not yet delivered; how many deliveries
        were written. Called by the server's ticker; cheap when nothing is due."""
        now = time.time() if now is None else now
        written = 0
        changed = False
        with self.sb.world.lock:
            for full, r in self.sb.world.data["repos"].items():
                for run in r["runs"]:
                    if "hook_events" not in run:  # a run from before webhooks existed
                        continue
                    if f"{run['run_attempt']}:run:completed" in run["hook_events"]:
                        continue
                    n, marked = self._scan_run(full, r, run, now)
                    written += n
                    changed = changed or marked
        if changed:
            self.sb.world.save()
        return written

    def flush_run(self, full: str, run: Json) -> None:
        """Deliver what is due for ``run``'s current attempt now (before a re-run replaces
        it), whatever the ticker has not reached yet."""
        if "hook_events" in run:
            with self.sb.world.lock:
                r = self.sb.world.data["repos"][full]
                self._scan_run(full, r, run, time.time())

    def _scan_run(self, full: str, r: Json, run: Json, now: float) -> tuple[int, bool]:
        sim = self.sb.sim
        attempt = run["run_attempt"]
        created = run["created_ts"]
        due: list[tuple[float, int, int, str, str, Json | None]] = [
            (created, 0, 0, "run", "requested", None),
            (created + sim.run_start(run), 3, 0, "run", "in_progress", None),
            (created + run["duration"], 5, 0, "run", "completed", None)]
        for i, job in enumerate(run["jobs"]):
            start, end = sim.job_window(run, job)
            due += [(created, 1, i, "job", "queued", job),
                    (created + start, 2, i, "job", "in_progress", job),
                    (created + end, 4, i, "job", "completed", job)]
        due.sort(key=lambda t: (t[0], t[1], t[2]))
        written = 0
        marked = False
        for at, _rank, _i, kind, action, job in due:
            if at > now:
                break
            key = f"{attempt}:run:{action}" if kind == "run" else \
                f"{attempt}:job:{job['id'] if job else 0}:{action}"
            if key in run["hook_events"]:
                continue
            event = "workflow_run" if kind == "run" else "workflow_job"
            hooks = self.subscribed(full, event)
            if hooks:
                payload = self._run_payload(r, run, action) if kind == "run" else \
                    self._job_payload(r, run, job or {}, action)
                unique = f"{full}:{run['id']}:{key}"
                # One GUID per event, shared by every hook's delivery (GitHub's ``guid``).
                with self.lock:
                    guid = self.guids.get(unique) or str(uuid.uuid4())
                for hook in hooks:
                    if (hook["id"], unique) in self.by_key:
                        continue  # written before a crash, not yet marked: once is enough
                    self._new(hook, event, action, guid, payload, unique, r["id"])
                    written += 1
            run["hook_events"].append(key)
            marked = True
        return written, marked

    # -- payloads ----------------------------------------------------------------------

    def user(self, login: str) -> Json:
        """GitHub's user in a webhook (the REST shape minus what the schemas do not have)."""
        u = dict(self.sb.shapes.simple_user(login))
        u.pop("user_view_type", None)
        return u

    def organization(self, login: str) -> Json:
        """The REST ``organization-simple``, which is what payloads carry."""
        return self.sb.shapes.organization(login)

    def repo_lite(self, r: Json) -> Json:
        out = self.sb.shapes.repo(r, full=False)
        out["owner"] = self.user(r["owner"])
        return out

    def repository(self, r: Json) -> Json:
        """The full repository of a webhook payload."""
        out = self.sb.shapes.repo(r, full=True)
        for key in ("network_count", "subscribers_count"):
            out.pop(key, None)
        out.update(owner=self.user(r["owner"]), web_commit_signoff_required=False,
                   custom_properties={})
        return out

    def _common(self, r: Json, actor: str) -> Json:
        return {"repository": self.repository(r), "sender": self.user(actor),
                "organization": self.organization(r["owner"])}

    def _run_payload(self, r: Json, run: Json, action: str) -> Json:
        sim = self.sb.sim
        phase = {"requested": "queued"}.get(action, action)
        wr = sim.run_json(r, run, phase=phase)
        full = r["full_name"]
        wr.update(actor=self.user(run["actor"]), triggering_actor=self.user(run["actor"]),
                  repository=self.repo_lite(r), head_repository=self.repo_lite(r),
                  head_branch=run["head_branch"] or "",
                  check_suite_node_id=node_id("CS", run["id"] + 1), referenced_workflows=[],
                  previous_attempt_url=(
                      f"{self.sb.api_url}/repos/{full}/actions/runs/{run['id']}/attempts/"
                      f"{run['run_attempt'] - 1}" if run["run_attempt"] > 1 else None))
        if wr["head_commit"] is None:
            wr["head_commit"] = {"id": run["head_sha"], "tree_id": run["head_sha"],
                                 "message": run["display_title"], "timestamp": wr["created_at"],
                                 "author": {"name": run["actor"], "email": None},
                                 "committer": {"name": run["actor"], "email": None}}
        meta = r["workflows"].get(run["workflow_path"], {})
        workflow = sim.workflow_json(r, {
            "id": run["workflow_id"], "name": run["workflow_name"],
            "path": run["workflow_path"], "created_at": meta.get("created_at",
                                                                 r["created_at"])})
        return {"action": action, "workflow_run": wr, "workflow": workflow,
                **self._common(r, run["actor"])}

    def _job_payload(self, r: Json, run: Json, job: Json, action: str) -> Json:
        return {"action": action, "workflow_job": self.sb.sim.job_json(r, run, job, action),
                **self._common(r, run["actor"])}

    # -- hooks ---------------------------------------------------------------------------

    def create_hook(self, kind: str, target: str | None, config: Json, events: list[str],
                    active: bool = True, sender: str | None = None, ping: bool = True
                    ) -> Json:
        """A new hook (``kind`` repo, org or app); GitHub pings it at once."""
        now = _stamp(time.time())
        with self.sb.world.lock:
            hook = {"id": self.sb.world.new_id() + 400_000_000, "kind": kind,
                    "target": target, "name": "web", "active": active,
                    "events": list(events), "config": self._config(config),
                    "created_at": now, "updated_at": now,
                    "last_response": {"code": None, "status": "unused", "message": None}}
            self._state()["hooks"].append(hook)
        self.sb.world.save()
        if active and ping:
            self.ping(hook, sender)
        return hook

    @staticmethod
    def _config(config: Json) -> Json:
        out = {"url": check_url(config.get("url")),
               "content_type": str(config.get("content_type") or "form"),
               "insecure_ssl": str(config.get("insecure_ssl", "0"))}
        if out["content_type"] not in ("json", "form"):
            raise ApiError(422, "Validation Failed", [
                {"resource": "Hook", "code": "invalid", "field": "content_type"}])
        if config.get("secret"):
            out["secret"] = str(config["secret"])
        return out

    def set_app_hook(self, url: str, secret: str = "", active: bool = True,
                     ping: bool = True) -> Json | None:
        """Create or point the App hook (every repository, the Actions events); it is
        pinged when new or changed. Returns the hook if it is new or changed."""
        config = {"url": url, "content_type": "json", "secret": secret}
        hook = self.app_hook()
        if hook is None:
            return self.create_hook("app", None, config, ACTIONS_EVENTS, active, ping=ping)
        new = self._config(config)
        with self.sb.world.lock:
            same = hook["config"] == new and hook["active"] == active
            hook.update(config=new, active=active, updated_at=_stamp(time.time()))
        self.sb.world.save()
        if same:
            return None
        if ping and active:
            self.ping(hook, None)
        return hook

    def app_hook(self) -> Json | None:
        with self.sb.world.lock:
            return next((h for h in self._state()["hooks"] if h["kind"] == "app"), None)

    def ping(self, hook: Json, sender: str | None) -> Json:
        payload: Json = {"zen": random.choice(ZEN), "hook_id": hook["id"],
                         "hook": self._ping_hook(hook)}
        repository_id = None
        if hook["kind"] == "repo":
            r = self.sb.world.repo(hook["target"])
            if r is not None:
                payload["repository"] = self.repository(r)
                payload["organization"] = self.organization(r["owner"])
                repository_id = r["id"]
        elif hook["kind"] == "org":
            payload["organization"] = self.organization(hook["target"])
        if sender:
            payload["sender"] = self.user(sender)
        return self._new(hook, "ping", None, str(uuid.uuid4()), payload, None, repository_id,
                         droppable=False)

    def _ping_hook(self, hook: Json) -> Json:
        out = self.hook_json(hook)
        out.pop("last_response", None)
        out.update(type={"repo": "Repository", "org": "Organization", "app": "App"}[
            hook["kind"]], last_response={"code": None, "status": "unused", "message": None})
        out.setdefault("test_url", out["url"] + "/test")
        out["config"] = {k: v for k, v in out["config"].items()
                         if k in ("content_type", "secret", "url", "insecure_ssl")}
        if hook["kind"] == "app":
            out["app_id"] = APP_ID
        return out

    def hook_urls(self, hook: Json) -> tuple[str, str]:
        """(the hook's API URL, its deliveries URL)."""
        api = self.sb.api_url
        if hook["kind"] == "app":
            return f"{api}/app/hook/config", f"{api}/app/hook/deliveries"
        base = f"{api}/repos/{hook['target']}/hooks/{hook['id']}" if hook["kind"] == "repo" \
            else f"{api}/orgs/{hook['target']}/hooks/{hook['id']}"
        return base, f"{base}/deliveries"

    def hook_json(self, hook: Json) -> Json:
        """GitHub's webhook shape; the secret masked."""
        url, deliveries = self.hook_urls(hook)
        out: Json = {
            "type": {"repo": "Repository", "org": "Organization", "app": "App"}[hook["kind"]],
            "id": hook["id"], "name": hook["name"], "active": hook["active"],
            "events": list(hook["events"]), "config": self.config_json(hook),
            "updated_at": hook["updated_at"], "created_at": hook["created_at"], "url": url,
            "ping_url": f"{url}/pings", "deliveries_url": deliveries,
        }
        if hook["kind"] == "repo":
            out["test_url"] = f"{url}/test"
            out["last_response"] = dict(hook["last_response"])
        return out

    @staticmethod
    def config_json(hook: Json) -> Json:
        config = {k: v for k, v in hook["config"].items() if k != "secret"}
        if hook["config"].get("secret"):
            config["secret"] = MASK
        return config

    def hooks(self, kind: str, target: str | None) -> list[Json]:
        with self.sb.world.lock:
            return [h for h in self._state()["hooks"]
                    if h["kind"] == kind and h["target"] == target]

    def find(self, kind: str, target: str | None, hook_id: int) -> Json:
        for h in self.hooks(kind, target):
            if h["id"] == hook_id:
                return h
        raise ApiError(404, "Not Found")

    def update_hook(self, hook: Json, body: Json, whole_config: bool) -> Json:
        """PATCH a hook (``whole_config``: the config is replaced, so a secret left out is
        removed, as GitHub does) or its config (fields merge)."""
        with self.sb.world.lock:
            if "config" in body:
                if not isinstance(body["config"], dict):
                    raise ApiError(422, "Validation Failed")
                merged = dict(body["config"]) if whole_config else \
                    {**hook["config"], **body["config"]}
                merged.setdefault("url", hook["config"]["url"])
                merged.setdefault("content_type", hook["config"]["content_type"])
                hook["config"] = self._config(merged)
            events = list(hook["events"])
            if isinstance(body.get("events"), list):
                events = [str(e) for e in body["events"]]
            for e in body.get("add_events") or []:
                if str(e) not in events:
                    events.append(str(e))
            events = [e for e in events if e not in [str(x) for x in
                                                     body.get("remove_events") or []]]
            hook["events"] = events
            if "active" in body:
                hook["active"] = bool(body["active"])
            hook["updated_at"] = _stamp(time.time())
        self.sb.world.save()
        return hook

    def delete_hook(self, hook: Json) -> None:
        with self.sb.world.lock:
            self._state()["hooks"][:] = [h for h in self._state()["hooks"]
                                         if h["id"] != hook["id"]]
        self.sb.world.save()

    # -- deliveries -------------------------------------------------------------------------

    def attempts(self, hook_id: int) -> list[Json]:
        """The hook's attempted deliveries, newest first (pending and lost ones are not
        GitHub's to show)."""
        with self.lock:
            out = [d for d in self.deliveries.values()
                   if d["hook_id"] == hook_id and d["state"] == "done"]
        return sorted(out, key=lambda d: -int(d["id"]))

    def all_deliveries(self) -> list[Json]:
        """Every delivery the sandbox wrote, lost ones too, oldest first (inspection)."""
        with self.lock:
            return [dict(d) for d in sorted(self.deliveries.values(), key=lambda d: d["id"])]

    @staticmethod
    def delivery_item(d: Json) -> Json:
        return {"id": d["id"], "guid": d["guid"], "delivered_at": d["delivered_at"],
                "redelivery": d["redelivery"], "duration": d["duration"],
                "status": d["status"], "status_code": d["status_code"], "event": d["event"],
                "action": d["action"], "installation_id": d["installation_id"],
                "repository_id": d["repository_id"], "throttled_at": None}

    def delivery_json(self, d: Json) -> Json:
        return {**self.delivery_item(d), "url": d["url"],
                "request": {"headers": d["request_headers"], "payload": json.loads(d["body"])},
                "response": {"headers": d["response_headers"], "payload": d["response_body"]}}

    def redeliver(self, hook: Json, delivery: Json) -> Json:
        """A new attempt of ``delivery``: same GUID, same body, ``redelivery`` true."""
        return self._new(hook, delivery["event"], delivery["action"], delivery["guid"], {},
                         None, delivery["repository_id"], redelivery=True,
                         body=delivery["body"])
