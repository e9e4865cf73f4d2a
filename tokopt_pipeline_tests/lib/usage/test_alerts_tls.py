"""Alert mails through a real SMTP relay on loopback that requires STARTTLS and logs in
only over TLS, with a self-signed certificate made for the test."""

from __future__ import annotations

import datetime as dt
import ipaddress
import shutil
import socket
import ssl
import subprocess
from email import message_from_bytes
from email.policy import default as default_policy

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult

from tokopt_pipeline.lib.store.db import Store
from tokopt_pipeline.lib.usage import alerts
from tokopt_pipeline.lib.usage import ledger as usage


def _self_signed(folder) -> tuple[str, str]:
    """(certificate, key) PEM files for 127.0.0.1, by ``openssl`` or the ``cryptography`` package."""
    cert, key = folder / "relay.crt", folder / "relay.key"
    if shutil.which("openssl"):
        subprocess.run(
            ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
             "-keyout", str(key), "-out", str(cert), "-days", "2", "-subj", "/CN=127.0.0.1",
             "-addext", "subjectAltName=IP:127.0.0.1"],
            check=True, capture_output=True,
        )
        return str(cert), str(key)
    try:
        from cryptography import x509
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import ec
        from cryptography.x509.oid import NameOID
    except ImportError:
        pytest.skip("no openssl command and no cryptography package: cannot make a certificate for the TLS relay")
    pk = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    crt = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(pk.public_key())
        .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=2))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(pk, hashes.SHA256())
    )
    cert.write_bytes(crt.public_bytes(serialization.Encoding.PEM))
    key.write_bytes(pk.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    return str(cert), str(key)


class Inbox:
    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        msg = message_from_bytes(envelope.original_content or envelope.content, policy=default_policy)
        self.messages.append({"tls": session.ssl is not None, "to": list(envelope.rcpt_tos), "msg": msg})
        return "250 OK"


@pytest.fixture
def tls_relay(tmp_path):
    cert, key = _self_signed(tmp_path)
    server_tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_tls.load_cert_chain(cert, key)
    inbox, logins = Inbox(), []

    def authenticator(server, session, envelope, mechanism, auth_data):
        logins.append((auth_data.login, session.ssl is not None))
        return AuthResult(success=auth_data.login == b"alerts" and auth_data.password == b"s3cret")

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    ctl = Controller(inbox, hostname="127.0.0.1", port=port, tls_context=server_tls, require_starttls=True,
                     authenticator=authenticator, auth_require_tls=True)
    ctl.start()
    try:
        yield {"port": port, "cert": cert, "inbox": inbox, "logins": logins}
    finally:
        ctl.stop()


@pytest.fixture
def store(tmp_path, monkeypatch):
    """A store with one critical alert raised and not yet mailed."""
    monkeypatch.chdir(tmp_path)  # no .tokopt/smtp.toml here
    s = Store(tmp_path / "store.duckdb", tmp_path / "pending", lock_timeout=5)
    s.write("usage_monitor", {"enabled": True, "email": "oncall@example.com", "warning": 80, "critical": 95})
    s.write("usage_record", {
        "run_id": "r1", "recorded_at": dt.datetime.utcnow().isoformat(), "log_path": "x.log", "component": "unit",
        "tokens_in": 10, "tokens_in_exact": True, "tokens_out": 99, "budget": 100, "reduction_pct": 0.0,
        "budget_pct": 99.0, "sections": {},
    })
    return s


def settings(relay, **env) -> alerts.SmtpSettings:
    base = {"TOKOPT_SMTP_HOST": "127.0.0.1", "TOKOPT_SMTP_PORT": str(relay["port"]), "TOKOPT_SMTP_FROM": "tokopt@ci.example",
            "TOKOPT_SMTP_USER": "alerts", "TOKOPT_SMTP_PASSWORD": "s3cret"}
    return alerts.load_settings(env={**base, **env})


def pending(store) -> list[dict]:
    with store.connect() as conn:
        return usage.pending_alerts(conn)


def test_an_alert_goes_through_starttls_and_logs_in_over_tls_to_a_relay_with_its_own_ca(tls_relay, store):
    s = settings(tls_relay, TOKOPT_SMTP_STARTTLS="1", TOKOPT_SMTP_CA_FILE=tls_relay["cert"])
    assert (s.starttls, s.ca_file) == (True, tls_relay["cert"])

    assert alerts.deliver_pending(store, s) == 1

    (mail,) = tls_relay["inbox"].messages
    assert mail["tls"] and mail["to"] == ["oncall@example.com"]
    assert mail["msg"]["Subject"].strip().startswith("[tokopt] CRITICAL: unit used 99.0%")
    assert tls_relay["logins"] == [(b"alerts", True)]
    assert pending(store) == []


def test_without_starttls_the_relay_refuses_and_the_alert_stays_pending(tls_relay, store):
    refusals = {
        "no login": ({"TOKOPT_SMTP_USER": ""}, "530, b'Must issue a STARTTLS command first'"),
        "login": ({}, "SMTP AUTH extension not supported by server"),  # AUTH is offered only over TLS
    }
    for env, refusal in refusals.values():
        with pytest.raises(alerts.AlertError, match="could not send the alert mail through 127.0.0.1") as err:
            alerts.deliver_pending(store, settings(tls_relay, **env))
        assert refusal in err.value.message
        (alert,) = pending(store)
        assert alert["error"] == err.value.message
    assert tls_relay["inbox"].messages == [] and tls_relay["logins"] == []  # the password never went in clear

    # The next delivery, with STARTTLS on, sends the alert that waited.
    assert alerts.deliver_pending(store, settings(tls_relay, TOKOPT_SMTP_STARTTLS="true", TOKOPT_SMTP_CA_FILE=tls_relay["cert"])) == 1
    assert len(tls_relay["inbox"].messages) == 1 and pending(store) == []


def test_a_relay_certificate_no_trusted_ca_signed_is_refused_before_login(tls_relay, store):
    with pytest.raises(alerts.AlertError, match="certificate verify failed"):
        alerts.deliver_pending(store, settings(tls_relay, TOKOPT_SMTP_STARTTLS="1"))
    assert tls_relay["inbox"].messages == [] and tls_relay["logins"] == []
    assert len(pending(store)) == 1


def test_a_missing_ca_file_is_named():
    with pytest.raises(alerts.AlertError, match=r"the CA file for SMTP \(TOKOPT_SMTP_CA_FILE\) /nowhere/ca.pem does not exist"):
        alerts.load_settings(env={"TOKOPT_SMTP_HOST": "relay.internal", "TOKOPT_SMTP_CA_FILE": "/nowhere/ca.pem",
                                 "TOKOPT_SMTP_CONFIG": "/nowhere/smtp.toml"})
