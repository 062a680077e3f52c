"""What the demo's world must go through before the release a driver asked to try.

The sandbox starts as Kubo just after v0.29.0. An RC1 can be released from there, but a
final release follows its release candidate (which moved master to the next -dev
version), an -rc2 follows -rc1, and a patch release follows the final. A driver who
asks ``cockpit demo --version v0.30.0`` gets those earlier releases run first, in the
same sandbox, with a stand-in maintainer doing what the playbook leaves to human hands
(the dependency update of a final release, the fix a patch release ships).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from cockpit.errors import BadInput
from cockpit.model import Version

if TYPE_CHECKING:
    from cockpit.sandbox.inprocess import SandboxHandle

SERIES = (0, 30)
"""The minor series the seeded world (just after v0.29.0) can release."""


class NotInTheDemoWorld(BadInput, ValueError):
    """A version the seeded world cannot reach."""


def releases_before(version: Version) -> list[Version]:
    """The releases to run, in order, before ``version`` in a fresh demo world."""
    if (version.major, version.minor) != SERIES:
        series = f"v{SERIES[0]}.{SERIES[1]}"
        raise NotInTheDemoWorld(
            f"the demo's world is Kubo just after v0.29.0, so it can release the {series} "
            f"series ({series}.0-rc1, {series}.0-rc2, {series}.0, {series}.1, ...), "
            f"not {version.tag}")
    before: list[Version] = []
    if version.patch > 0:
        before += [_v(0, rc=1), _v(0)] + [_v(patch) for patch in range(1, version.patch)]
    if version.rc is not None:
        before += [_v(version.patch, rc=rc) for rc in range(1, version.rc)]
    elif version.patch == 0:
        before.append(_v(0, rc=1))
    return before


def _v(patch: int, rc: int | None = None) -> Version:
    return Version(major=SERIES[0], minor=SERIES[1], patch=patch, rc=rc)


def stand_in_work(handle: SandboxHandle, version: Version) -> str | None:
    """Do, in the sandbox, what the driver of ``version`` does by hand; say what it was.

    Done before the release's first stage: the playbook's manual steps then find the
    work pushed, as they would after a maintainer did it.
    """
    from cockpit.sandbox.hands import improve_release_process, land_patch_fix, update_dependencies

    if version.is_final and version.patch == 0:
        update_dependencies(handle, version.base)
        improve_release_process(handle, version.base)
        return (f"pushed the dependency update (branch update-deps-after-v{version.base}) "
                f"and the release-process notes (release-process-after-v{version.base}) "
                "that prepare-next asks the driver for")
    if version.patch > 0 and version.rc in (None, 1):
        land_patch_fix(handle, f"v{version.base}")
        return (f"landed the fix v{version.base} ships: merged on master, cherry-picked "
                f"onto release-v{version.base}")
    return None
