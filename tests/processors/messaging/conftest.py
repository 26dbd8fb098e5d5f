"""Messaging fixtures: a real aiosmtpd server per test (plain, or STARTTLS with AUTH), on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from messaging_helpers import Inbox

from mediamill.db.testing import on_each_database
from mediamill.testing import free_port

# Every messaging test runs on SQLite and, where it is reachable (CI), on PostgreSQL.
settings = pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.external)],
                          name="settings")(on_each_database)


@pytest.fixture
def smtp_server():
    """Factory: `inbox, port = smtp_server()` starts a plain SMTP server on 127.0.0.1 for this test."""
    controllers = []

    def start(inbox: Inbox | None = None, **smtp_kwargs) -> tuple[Inbox, int]:
        inbox = inbox or Inbox()
        port = free_port()
        controller = Controller(inbox, hostname="127.0.0.1", port=port, **smtp_kwargs)
        controller.start()
        controllers.append(controller)
        return inbox, port

    yield start
    for controller in controllers:
        controller.stop()


@pytest.fixture
def smtp_settings(settings, smtp_server):
    """Settings whose email goes to a fresh plain SMTP server; returns (settings, inbox)."""
    inbox, port = smtp_server()
    email_config = settings.email.model_copy(update={
        "smtp_host": "127.0.0.1", "smtp_port": port, "smtp_security": "none",
        "from_address": "noreply@mediamill.test", "from_name": "Mediamill Test",
        "unsubscribe_url": "https://app.example.com/unsubscribe",
    })
    return settings.model_copy(update={"email": email_config}), inbox


@pytest.fixture
def tls_files(tmp_path: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 (cert, key), which the client trusts as its CA."""
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
            .sign(key, hashes.SHA256()))
    cert_path, key_path = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path
