"""The webhook signature alone: GitHub's documented test vector, and what must not verify."""

from __future__ import annotations

from cockpit.ci.signature import sign, verify

# https://docs.github.com/en/webhooks/using-webhooks/validating-webhook-deliveries#testing-the-webhook-payload-validation
SECRET = "It's a Secret to Everybody"
PAYLOAD = b"Hello, World!"
EXPECTED = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"


def test_githubs_documented_test_vector() -> None:
    assert sign(SECRET, PAYLOAD) == EXPECTED
    assert sign(SECRET.encode(), PAYLOAD) == EXPECTED
    assert verify(SECRET, PAYLOAD, EXPECTED)
    assert verify(SECRET, PAYLOAD, EXPECTED.upper().replace("SHA256=", "sha256="))


def test_what_does_not_verify() -> None:
    assert not verify(SECRET, PAYLOAD, None)
    assert not verify(SECRET, PAYLOAD, "")
    assert not verify(SECRET, PAYLOAD + b" ", EXPECTED)  # the raw bytes, not their meaning
    assert not verify("another secret", PAYLOAD, EXPECTED)
    assert not verify(SECRET, PAYLOAD, EXPECTED.removeprefix("sha256="))
    assert not verify(SECRET, PAYLOAD, "sha1=" + EXPECTED.removeprefix("sha256="))
    assert not verify(SECRET, PAYLOAD, EXPECTED[:-1])
    assert not verify(SECRET, PAYLOAD, EXPECTED[:-1] + "g")
    assert not verify(SECRET, PAYLOAD, EXPECTED[:-1] + "é")
    assert not verify(SECRET, b"", sign(SECRET, b"x"))
