"""Many machines, one release: the shared state on the release's tracking issue.

- ``records``: what is written there (a stage record per stage, a claim per lock), as
  hidden JSON markers in comments, and how a local event stream becomes records.
- ``thread``: the tracking issue itself — finding (or creating) it, listing its comments
  with ETags, writing marker comments idempotently.
- ``lock``: stage claims with leases (claim / renew / withdraw / steal).
- ``journal``: the remote journal — batched writes of stage records and the body's
  checklist, and reconciliation of the local JSONL journal after working offline.
- ``checklist``: the block of the issue body that mirrors stage status.
- ``shadow``: the read-only watcher (ETag polling, an async stream of what changed).
- ``driver``: how ``cockpit run`` uses all of the above around each stage.

Headless like the rest of ``cockpit/``: no textual here.
"""
