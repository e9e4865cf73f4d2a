"""Usage alerts by email, over plain SMTP (optionally STARTTLS and login).

Settings, environment first, then a TOML file (``TOKOPT_SMTP_CONFIG``, default
``.tokopt/smtp.toml``, an ``[smtp]`` table or top-level keys):

=========================  ===========  ==========================================
environment                file key     meaning
=========================  ===========  ==========================================
``TOKOPT_SMTP_HOST``       ``host``     server name (required)
``TOKOPT_SMTP_PORT``       ``port``     port (default 25, or 587 with STARTTLS)
``TOKOPT_SMTP_FROM``       ``from``     sender address (default ``tokopt@<hostname>``)
``TOKOPT_SMTP_USER``       ``user``     login name (optional)
``TOKOPT_SMTP_PASSWORD``   ``password`` login password (prefer the environment)
``TOKOPT_SMTP_STARTTLS``   ``starttls`` ``1``/``true`` to upgrade the connection
``TOKOPT_SMTP_CA_FILE``    ``ca_file``  PEM file of the CA(s) to trust instead of
                                        the system's (an internal relay's CA)
=========================  ===========  ==========================================

With STARTTLS the server's certificate is always verified, and its name must match
the host.

:func:`deliver_pending` mails every alert :mod:`.usage` raised and has not mailed yet,
and marks them sent; an alert whose mail fails stays pending for the next run.

Example:
    settings = load_settings()
    sent = deliver_pending(Store.from_env(), settings)
"""

from __future__ import annotations

import os
import smtplib
import socket
import ssl
import tomllib
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path

from tokopt_pipeline.lib.errors import EXIT_STORE, TokoptError

__all__ = ["AlertError", "SmtpSettings", "build_message", "deliver_pending", "load_settings", "send"]

DEFAULT_CONFIG = Path(".tokopt") / "smtp.toml"


class AlertError(TokoptError):
    """SMTP settings missing or wrong, or the server refused the mail."""

    exit_code = EXIT_STORE


@dataclass
class SmtpSettings:
    host: str
    port: int = 25
    sender: str = ""
    user: str | None = None
    password: str | None = None
    starttls: bool = False
    ca_file: str | None = None
    timeout: float = 20.0


def _truthy(v) -> bool:
    return str(v).strip().lower() in {"1", "true", "yes", "on"} if not isinstance(v, bool) else v


def load_settings(config: str | os.PathLike | None = None, env: dict | None = None) -> SmtpSettings:
    """SMTP settings from the environment, then the config file.

    Raises:
        AlertError: no host configured, a bad port, or an unreadable config file.
    """
    env = os.environ if env is None else env
    path = Path(config or env.get("TOKOPT_SMTP_CONFIG") or DEFAULT_CONFIG)
    data: dict = {}
    if path.is_file():
        try:
            raw = tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise AlertError(f"cannot read SMTP settings from {path}: {exc}") from None
        data = raw.get("smtp", raw)
    elif config:
        raise AlertError(f"SMTP settings file {path} not found")

    def pick(env_key: str, file_key: str, default=None):
        v = env.get(env_key)
        return v if v not in (None, "") else data.get(file_key, default)

    host = pick("TOKOPT_SMTP_HOST", "host")
    if not host:
        raise AlertError(f"no SMTP server configured: set TOKOPT_SMTP_HOST (and TOKOPT_SMTP_PORT, TOKOPT_SMTP_FROM) or write {path}")
    starttls = _truthy(pick("TOKOPT_SMTP_STARTTLS", "starttls", False))
    port_raw = pick("TOKOPT_SMTP_PORT", "port", 587 if starttls else 25)
    try:
        port = int(port_raw)
        if not 0 < port < 65536:
            raise ValueError
    except (TypeError, ValueError):
        raise AlertError(f"SMTP port must be a number from 1 to 65535, got {port_raw!r}") from None
    sender = pick("TOKOPT_SMTP_FROM", "from") or f"tokopt@{socket.gethostname()}"
    ca_file = pick("TOKOPT_SMTP_CA_FILE", "ca_file")
    if ca_file and not Path(ca_file).is_file():
        raise AlertError(f"the CA file for SMTP (TOKOPT_SMTP_CA_FILE) {ca_file} does not exist")
    return SmtpSettings(host=str(host), port=port, sender=str(sender), user=pick("TOKOPT_SMTP_USER", "user"),
                        password=pick("TOKOPT_SMTP_PASSWORD", "password"), starttls=starttls,
                        ca_file=str(ca_file) if ca_file else None)


def build_message(alert: dict, sender: str, to: str) -> EmailMessage:
    """The mail for one alert row (see :func:`.usage.pending_alerts`)."""
    level = str(alert["level"]).upper()
    msg = EmailMessage()
    msg["Subject"] = f"[tokopt] {level}: {alert['component']} used {alert['budget_pct']:.1f}% of its token budget (threshold {alert['threshold']:g}%)"
    msg["From"] = sender
    msg["To"] = to
    msg["Date"] = formatdate(localtime=False)
    msg["Message-ID"] = make_msgid(domain="tokopt.local")
    msg["X-Tokopt-Alert"] = f"{alert['level']} {alert['alert_id']}"
    msg.set_content(
        f"tokopt usage alert: {level}\n\n"
        f"component:  {alert['component']}\n"
        f"budget use: {alert['budget_pct']:.1f}% (threshold {alert['threshold']:g}%)\n"
        f"run:        {alert['run_id']}\n"
        f"raised at:  {alert['created_at']} UTC\n\n"
        "This alert is sent once per crossing; another comes only after use falls back below the threshold.\n"
        "See `tokopt --check-usage` for today, the last 7 days and all time.\n"
    )
    return msg


def send(settings: SmtpSettings, messages: list[EmailMessage]) -> None:
    """Send ``messages`` over one SMTP connection.

    Raises:
        AlertError: connection, STARTTLS, login or delivery failed.
    """
    try:
        with smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout) as smtp:
            smtp.ehlo()
            if settings.starttls:
                smtp.starttls(context=ssl.create_default_context(cafile=settings.ca_file))
                smtp.ehlo()
            if settings.user:
                smtp.login(settings.user, settings.password or "")
            for msg in messages:
                smtp.send_message(msg)
    except (OSError, smtplib.SMTPException, ssl.SSLError) as exc:
        raise AlertError(f"could not send the alert mail through {settings.host}:{settings.port}: {exc}") from None


def deliver_pending(store, settings: SmtpSettings | None, default_to: str | None = None, timeout: float | None = None) -> int:
    """Mail the alerts not yet sent; returns how many were sent.

    Raises:
        AlertError: settings missing or the server refused; the alerts stay pending.
    """
    from tokopt_pipeline.lib.usage import ledger as usage

    with store.connect(timeout=timeout) as conn:
        alerts = usage.pending_alerts(conn)
    if not alerts:
        return 0
    to_send = [(a, a.get("email") or default_to) for a in alerts]
    unaddressed = [a["alert_id"] for a, to in to_send if not to]
    if unaddressed:
        store.write("usage_alert_sent", {"alert_ids": unaddressed, "error": "no --alert-email address"}, timeout=timeout)
    to_send = [(a, to) for a, to in to_send if to]
    if not to_send:
        return 0
    if settings is None:
        settings = load_settings()
    msgs = [build_message(a, settings.sender, to) for a, to in to_send]
    ids = [a["alert_id"] for a, _ in to_send]
    try:
        send(settings, msgs)
    except AlertError as exc:
        store.write("usage_alert_sent", {"alert_ids": ids, "error": exc.message}, timeout=timeout)
        raise
    store.write("usage_alert_sent", {"alert_ids": ids}, timeout=timeout)
    return len(ids)
