from __future__ import annotations

import pytest

from cockpit.model import Condition, ReleaseKind, Version, VersionError, applies


@pytest.mark.parametrize(
    ("text", "kind", "kinds"),
    [
        ("v0.30.0-rc1", ReleaseKind.RC, {ReleaseKind.RC}),
        ("v0.30.0", ReleaseKind.FINAL, {ReleaseKind.FINAL}),
        ("v0.30.1", ReleaseKind.PATCH, {ReleaseKind.FINAL, ReleaseKind.PATCH}),
        ("v0.30.2-rc2", ReleaseKind.RC, {ReleaseKind.RC, ReleaseKind.PATCH}),
    ],
)
def test_version_kinds(text: str, kind: ReleaseKind, kinds: set[ReleaseKind]) -> None:
    version = Version.parse(text)
    assert version.kind is kind
    assert version.kinds == kinds
    assert version.tag == text


def test_version_derived_names() -> None:
    version = Version.parse("v0.30.0-rc2")
    assert version.number == "0.30.0-rc2"
    assert version.base == "0.30.0"
    assert version.minor_series == "0.30"
    assert version.next_dev == "0.31.0-dev"
    assert version.previous_patch is None
    previous = Version.parse("v1.2.3").previous_patch
    assert previous is not None and previous.tag == "v1.2.2"


def test_version_order_puts_final_after_its_candidates() -> None:
    ordered = sorted(Version.parse(v) for v in ["v0.30.0", "v0.30.0-rc2", "v0.29.9", "v0.30.0-rc1"])
    assert [v.tag for v in ordered] == ["v0.29.9", "v0.30.0-rc1", "v0.30.0-rc2", "v0.30.0"]


@pytest.mark.parametrize(
    "bad",
    ["banana", "0.30.0", "v0.30", "v0.30.0-rc0", "v0.30.0-beta1", "v01.2.3", " ", "v1.2.3-rc"],
)
def test_version_rejects_everything_else_naming_the_accepted_forms(bad: str) -> None:
    with pytest.raises(VersionError) as error:
        Version.parse(bad)
    assert "vX.Y.Z" in str(error.value) and "vX.Y.Z-rcN" in str(error.value)


def test_conditions() -> None:
    rc, final, patch = (Version.parse(v) for v in ("v1.2.0-rc1", "v1.2.0", "v1.2.3"))
    assert applies([Condition.RC], rc) and not applies([Condition.RC], final)
    assert applies([Condition.FINAL, Condition.NOT_PATCH], final)
    assert not applies([Condition.FINAL, Condition.NOT_PATCH], patch)
    assert applies([Condition.FINAL], patch)
    assert applies([], rc)
