"""HTTPS for the sandbox: a local certificate authority and a server certificate for
127.0.0.1, made once per data directory with ``cryptography``'s X.509 builder.

Why: the GitHub CLI (and any client that treats a host other than github.com as GitHub
Enterprise) speaks only HTTPS. A client trusts the sandbox by trusting its CA file
(``SSL_CERT_FILE``, ``REQUESTS_CA_BUNDLE``, ``GIT_SSL_CAINFO``), so the CA must outlive a
restart: it is written under ``DATA/tls/`` and reused while it is valid, and the server
certificate is reissued from it when it is about to expire. Nothing here is a secret
worth guarding (the key signs only for 127.0.0.1), but the keys are written 0600 anyway.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

TLS_DIR = "tls"
CA_DAYS = 3650
SERVER_DAYS = 825
"""Below Apple's and Go's 825-day ceiling for a leaf certificate."""
RENEW_BEFORE = dt.timedelta(days=7)
"""A certificate this close to expiry is replaced on start."""


@dataclass(frozen=True)
class TlsFiles:
    """Where a sandbox's TLS material lives (PEM files)."""

    ca_cert: Path
    """What a client trusts (``SSL_CERT_FILE``)."""
    ca_key: Path
    cert: Path
    """The server's certificate (127.0.0.1 and localhost), signed by the CA."""
    key: Path


def files_in(data_dir: Path) -> TlsFiles:
    base = data_dir / TLS_DIR
    return TlsFiles(base / "ca.pem", base / "ca-key.pem", base / "server.pem",
                    base / "server-key.pem")


def ensure_certificates(data_dir: Path) -> TlsFiles:
    """The CA and server certificate of ``data_dir``, made (or renewed) if needed."""
    files = files_in(data_dir)
    files.ca_cert.parent.mkdir(parents=True, exist_ok=True)
    if not _valid(files.ca_cert) or not files.ca_key.exists():
        ca_key = ec.generate_private_key(ec.SECP256R1())
        _write(files.ca_key, _key_pem(ca_key), private=True)
        _write(files.ca_cert, _ca_certificate(ca_key).public_bytes(serialization.Encoding.PEM))
        files.cert.unlink(missing_ok=True)
    if not _valid(files.cert) or not files.key.exists():
        ca_key = _load_key(files.ca_key)
        ca = x509.load_pem_x509_certificate(files.ca_cert.read_bytes())
        key = ec.generate_private_key(ec.SECP256R1())
        _write(files.key, _key_pem(key), private=True)
        _write(files.cert, _server_certificate(key, ca, ca_key)
               .public_bytes(serialization.Encoding.PEM))
    return files


def _valid(path: Path) -> bool:
    if not path.exists():
        return False
    try:
        cert = x509.load_pem_x509_certificate(path.read_bytes())
    except ValueError:
        return False
    return cert.not_valid_after_utc - RENEW_BEFORE > dt.datetime.now(dt.UTC)


def _load_key(path: Path) -> ec.EllipticCurvePrivateKey:
    key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(key, ec.EllipticCurvePrivateKey):
        raise ValueError(f"{path}: not the sandbox's EC key")
    return key


def _key_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


def _write(path: Path, data: bytes, private: bool = False) -> None:
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600 if private else 0o644)
    with os.fdopen(fd, "wb") as out:
        out.write(data)
    tmp.replace(path)


def _name(common: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "cockpit sandbox"),
                      x509.NameAttribute(NameOID.COMMON_NAME, common)])


def _ca_certificate(key: ec.EllipticCurvePrivateKey) -> x509.Certificate:
    now = dt.datetime.now(dt.UTC)
    name = _name("cockpit sandbox local CA")
    public = key.public_key()
    return (x509.CertificateBuilder()
            .subject_name(name).issuer_name(name).public_key(public)
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=5))
            .not_valid_after(now + dt.timedelta(days=CA_DAYS))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(x509.KeyUsage(
                digital_signature=True, key_cert_sign=True, crl_sign=True,
                content_commitment=False, key_encipherment=False, data_encipherment=False,
                key_agreement=False, encipher_only=False, decipher_only=False), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(public), critical=False)
            .sign(key, hashes.SHA256()))


def _server_certificate(key: ec.EllipticCurvePrivateKey, ca: x509.Certificate,
                        ca_key: ec.EllipticCurvePrivateKey) -> x509.Certificate:
    now = dt.datetime.now(dt.UTC)
    names: list[x509.GeneralName] = [
        x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
        x509.IPAddress(ipaddress.ip_address("::1")),
        x509.DNSName("localhost")]
    ca_ski = ca.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
    return (x509.CertificateBuilder()
            .subject_name(_name("127.0.0.1")).issuer_name(ca.subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=5))
            .not_valid_after(min(now + dt.timedelta(days=SERVER_DAYS), ca.not_valid_after_utc))
            .add_extension(x509.SubjectAlternativeName(names), critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(
                digital_signature=True, key_encipherment=False, key_cert_sign=False,
                crl_sign=False, content_commitment=False, data_encipherment=False,
                key_agreement=False, encipher_only=False, decipher_only=False), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]),
                           critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(
                ca_ski), critical=False)
            .sign(ca_key, hashes.SHA256()))
