"""The Matrix client against a real Synapse homeserver on 127.0.0.1."""

from __future__ import annotations

import pytest

from cockpit.context import ReadOnlyViolation
from cockpit.secrets import Redactor
from cockpit.services.http import HttpError, RequestRecord
from cockpit.services.matrix import MatrixClient
from tests.services.synapse_server import SERVER_NAME, Synapse


@pytest.fixture(scope="module")
def room(synapse: Synapse) -> tuple[str, str]:
    """(alias, room id) of a public room #ipfs-chatter created by the announcer."""
    owner = synapse.register("roomowner")
    return f"#ipfs-chatter:{SERVER_NAME}", synapse.create_room(owner, "ipfs-chatter")


async def test_send_and_read_back(synapse: Synapse, room: tuple[str, str]) -> None:
    alias, room_id = room
    announcer = synapse.register("kubo-release")
    reader = synapse.register("reader")
    records: list[RequestRecord] = []
    async with MatrixClient(synapse.url, announcer.token, on_request=records.append) as bot:
        assert await bot.whoami() == announcer.user_id
        assert await bot.resolve_alias(alias) == room_id
        assert await bot.join(alias) == room_id
        event_id = await bot.send_message(alias, "Kubo v0.30.0 is out!",
                                          formatted_body="<b>Kubo v0.30.0</b> is out!")
        assert event_id.startswith("$")
    async with MatrixClient(synapse.url, reader.token) as other:
        await other.join(room_id)
        found = await other.find_message(room_id, "Kubo v0.30.0 is out!")
    assert found is not None and found.event_id == event_id
    assert found.sender == announcer.user_id
    assert found.content["formatted_body"] == "<b>Kubo v0.30.0</b> is out!"
    assert all(announcer.token not in r.manual + r.url for r in records)
    assert any("Authorization: Bearer ***" in r.manual for r in records)


async def test_same_txn_id_posts_once(synapse: Synapse, room: tuple[str, str]) -> None:
    alias, room_id = room
    user = synapse.register("txn-user")
    async with MatrixClient(synapse.url, user.token) as client:
        await client.join(alias)
        first = await client.send_message(room_id, "rc1 ready", txn_id="release-rc1")
        again = await client.send_message(room_id, "rc1 ready", txn_id="release-rc1")
        messages = await client.recent_messages(room_id, limit=50)
    assert first == again
    assert [m.event_id for m in messages if m.body == "rc1 ready"] == [first]


async def test_read_only_never_sends(synapse: Synapse, room: tuple[str, str]) -> None:
    alias, room_id = room
    user = synapse.register("shadow")
    async with MatrixClient(synapse.url, user.token, read_only=True) as client:
        assert await client.resolve_alias(alias) == room_id
        with pytest.raises(ReadOnlyViolation):
            await client.send_message(room_id, "must not arrive")


async def test_bad_token_is_an_actionable_redacted_error(synapse: Synapse) -> None:
    token = "syt_not_a_real_token_0123456789"
    redact = Redactor()
    async with MatrixClient(synapse.url, token, redact=redact) as client:
        with pytest.raises(HttpError) as err:
            await client.whoami()
    assert err.value.status == 401
    assert "M_UNKNOWN_TOKEN" in str(err.value)
    assert "COCKPIT_MATRIX_TOKEN" in err.value.hint
    assert token not in str(err.value)
