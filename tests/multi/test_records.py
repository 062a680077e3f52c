"""Lease ordering, markers, records from events and the checklist merge: pure functions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from cockpit.events import (
    ActionApplying,
    ActionFinished,
    LogLine,
    PromptAnswered,
    StageFinished,
    StageStarted,
    Waiting,
)
from cockpit.model import Outcome
from cockpit.prompts import PromptAnswer
from cockpit.sync.checklist import merge_block
from cockpit.sync.lock import holder
from cockpit.sync.records import (
    ActionResult,
    Claim,
    RecordBuilder,
    StageRecord,
    read_marker,
    records_from_events,
    render_claim,
    render_record,
    session_memory,
)
from cockpit.sync.thread import SeenClaim

T0 = datetime(2026, 11, 25, 12, 0, 0, tzinfo=UTC)
REL = "kubo-v0.30.0-rc1"


def seen(cid: int, by: str, *, created: int = 0, renewed: int | None = None,
         stage: str = "tag", release: str = REL, lease: float = 60,
         claimant_clock: timedelta = timedelta(0)) -> SeenClaim:
    at = T0 + timedelta(seconds=created) + claimant_clock
    claim = Claim(release=release, stage=stage, driver=by, host="h", nonce=f"n{cid}",
                  lease_seconds=lease, claimed=at, expires=at + timedelta(seconds=lease))
    return SeenClaim(cid, T0 + timedelta(seconds=created),
                     T0 + timedelta(seconds=created if renewed is None else renewed), claim)


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def test_the_earliest_unexpired_claim_holds() -> None:
    claims = [seen(12, "bob", created=1), seen(11, "alice", created=1), seen(13, "carol")]
    # Created earlier on the server's clock wins; within one second, the lower id.
    assert holder(claims, REL, "tag", at(5), grace=2).claim.driver == "carol"  # type: ignore[union-attr]
    assert holder(claims[:2], REL, "tag", at(5), grace=2).claim.driver == "alice"  # type: ignore[union-attr]


def test_a_lease_lapses_after_its_length_plus_grace_from_the_last_renewal() -> None:
    dead = seen(10, "alice", created=0, lease=30)
    live = seen(11, "bob", created=5, lease=30)
    assert holder([dead, live], REL, "tag", at(31.9), grace=2) is dead
    assert holder([dead, live], REL, "tag", at(32.1), grace=2) is live
    renewed = seen(10, "alice", created=0, renewed=25, lease=30)
    assert holder([renewed, live], REL, "tag", at(50), grace=2) is renewed


def test_claimant_clock_skew_does_not_matter_only_the_servers_clock_does() -> None:
    # Alice's clock is an hour behind: by her own field the claim expired long ago.
    skewed = seen(10, "alice", created=0, lease=30, claimant_clock=timedelta(hours=-1))
    assert skewed.claim.expires < at(0)
    assert holder([skewed], REL, "tag", at(10), grace=2) is skewed


def test_a_lock_on_one_stage_or_release_never_blocks_another() -> None:
    claims = [seen(10, "alice", stage="tag"), seen(11, "bob", stage="publish-to-npm"),
              seen(12, "carol", release="kubo-v0.30.0-rc2")]
    assert holder(claims, REL, "tag", at(1), grace=2).claim.driver == "alice"  # type: ignore[union-attr]
    assert holder(claims, REL, "publish-to-npm", at(1), grace=2).claim.driver == "bob"  # type: ignore[union-attr]
    assert holder(claims, REL, "promote", at(1), grace=2) is None


def _events() -> list[object]:
    return [
        StageStarted(release=REL, stage="promote", driver="alice", host="h", at=at(0)),
        LogLine(release=REL, stage="promote", action="forum", line="posted <!-- x:y --> ok",
                at=at(1)),
        ActionFinished(release=REL, stage="promote", action="forum", outcome=Outcome.DONE,
                       reason="topic exists", link="https://forum/t/1", at=at(2)),
        PromptAnswered(release=REL, stage="promote", action="tweet", prompt_id="promote/tweet/manual",
                       answer=PromptAnswer(value=True), at=at(3)),
        ActionFinished(release=REL, stage="promote", action="tweet", outcome=Outcome.DONE,
                       reason="done by hand", at=at(4)),
        ActionFinished(release=REL, stage="promote", action="reddit", outcome=Outcome.SKIPPED,
                       reason="skipped: no API access this month", at=at(5)),
        StageFinished(release=REL, stage="promote", outcome=Outcome.DONE, reason="ok", at=at(6)),
        StageStarted(release="other", stage="promote", driver="x", host="h", at=at(7)),
    ]


def test_records_from_events_carry_results_memory_history_and_a_defused_log() -> None:
    records = records_from_events(REL, _events())  # type: ignore[arg-type]
    assert list(records) == ["promote"]
    record = records["promote"]
    assert record.status == "done" and record.finished == at(6)
    assert [(t.status, t.at) for t in record.history] == [("running", at(0)), ("done", at(6))]
    assert record.links == ["https://forum/t/1"]
    assert "<!--" not in "".join(record.log)  # a quoted marker must not count as one
    skipped, manual = session_memory([record])
    assert skipped == {("promote", "reddit"): "skipped: no API access this month"}
    assert manual == {("promote", "tweet")}


def test_markers_round_trip_inside_readable_comments() -> None:
    record = records_from_events(REL, _events())["promote"]  # type: ignore[arg-type]
    body = render_record(record)
    assert "stage **promote**: ✔ done" in body and "| reddit | skipped |" in body
    assert read_marker(body, "journal", StageRecord) == record
    assert read_marker(body, "claim", Claim) is None
    claim = seen(1, "alice").claim
    assert read_marker(render_claim(claim), "claim", Claim) == claim
    assert read_marker("<!-- cockpit:journal {broken -->", "journal", StageRecord) is None


def test_the_checklist_block_is_edited_in_place_and_merges_newer_lines() -> None:
    record = records_from_events(REL, _events())["promote"]  # type: ignore[arg-type]
    body = "Template text\n\n- [ ] Stage 0 - Prerequisites\n"
    once = merge_block(body, REL, "cockpit: v0.30.0-rc1", ["preflight", "promote"],
                       {"promote": record})
    assert once.startswith(body.rstrip())
    assert "- [ ] **preflight** — to do" in once
    assert "- [x] **promote** — done · alice@h" in once
    assert merge_block(once, REL, "cockpit: v0.30.0-rc1", ["preflight", "promote"],
                       {"promote": record}) == once
    # A writer that knows only an older state of "promote" keeps the newer line it finds.
    older = record.model_copy(update={"status": "running", "history": record.history[:1]})
    assert "- [x] **promote** — done" in merge_block(
        once, REL, "cockpit: v0.30.0-rc1", ["preflight", "promote"], {"promote": older})
    other = merge_block(once, "kubo-v0.30.0-rc2", "cockpit: v0.30.0-rc2", ["promote"], {})
    assert other.count("cockpit:checklist") == 4 and once in other
    # A stage the release's kind skips says so before anyone runs it, not "to do".
    rc = merge_block(body, REL, "cockpit: v0.30.0-rc1", ["preflight", "merge-branch"], {},
                     frozenset({"merge-branch"}))
    assert "- [ ] **preflight** — to do" in rc
    assert "- [x] **merge-branch** — not applicable to this release" in rc


def test_a_wait_for_review_is_recorded_once_and_ends_when_the_step_is_applied() -> None:
    reason = "a second maintainer approves with `cockpit review ...`"
    events = [
        StageStarted(release=REL, stage="tag", driver="alice", host="h", at=at(0)),
        *(Waiting(release=REL, stage="tag", action="tag-rc", seconds=10, reason=reason,
                  review=True, at=at(n)) for n in (1, 2, 3)),
    ]
    builder = RecordBuilder(REL)
    changed = [builder.apply(e) for e in events]  # type: ignore[arg-type]
    assert [c is not None for c in changed] == [True, True, False, False]  # said once
    record = builder.records["tag"]
    assert record.status == "awaiting_review"
    assert record.result("tag-rc") == ActionResult(action="tag-rc",
                                                   outcome=Outcome.AWAITING_REVIEW, reason=reason)
    assert "stage **tag**: ◎ waiting for review" in render_record(record)
    line = merge_block("", REL, "cockpit: v0.30.0-rc1", ["tag"], {"tag": record})
    assert "- [ ] **tag** — waiting for review · alice@h" in line
    builder.apply(ActionApplying(release=REL, stage="tag", action="tag-rc", at=at(4)))
    assert [t.status for t in record.history] == ["running", "awaiting_review", "running"]
