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

What goes into a header is checked first: an address (:func:`check_address`) is one
``addr-spec``, optionally with a display name, parsed by the ``email`` package's own
header parser, with no control character; a suite name (:func:`check_label`) has no
control character. The command refuses bad values at the option (exit 2), so they are
never stored. The message is built by :class:`email.message.EmailMessage` with the
``email.policy.SMTP`` policy and :class:`~email.headerregistry.Address` objects, so a
value cannot add a header. An alert stored by an older version with a bad address is
skipped with a warning (once); a stored suite name with control characters is shown
escaped (``\\n``).

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
import sys
import tomllib
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from email import policy
from email.errors import HeaderParseError
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tokopt_pipeline.lib.errors import EXIT_STORE, TokoptError

if TYPE_CHECKING:
    from tokopt_pipeline.lib.store.db import Store
    from tokopt_pipeline.lib.usage.ledger import Alert

__all__ = ["AlertError", "SmtpSettings", "build_message", "check_address", "check_label", "deliver_pending",
           "escape_label", "load_settings", "send"]

#: The longest suite name or address taken (a header line stays readable).
MAX_LABEL = 200

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


def _truthy(v: object) -> bool:
    return str(v).strip().lower() in {"1", "true", "yes", "on"} if not isinstance(v, bool) else v


def load_settings(config: str | os.PathLike[str] | None = None, env: Mapping[str, str] | None = None) -> SmtpSettings:
    """SMTP settings from the environment, then the config file.

    Raises:
        AlertError: no host configured, a bad port, or an unreadable config file.
    """
    env = os.environ if env is None else env
    path = Path(config or env.get("TOKOPT_SMTP_CONFIG") or DEFAULT_CONFIG)
    data: dict[str, Any] = {}
    if path.is_file():
        try:
            raw = tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise AlertError(f"cannot read SMTP settings from {path}: {exc}") from None
        data = raw.get("smtp", raw)
    elif config:
        raise AlertError(f"SMTP settings file {path} not found")

    def pick(env_key: str, file_key: str, default: Any = None) -> Any:
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


def _control(text: str) -> str | None:
    """The first control, format, unassigned or line-separator character of ``text``
    (as ``U+XXXX``), if any."""
    for ch in text:
        if _is_control(ch):
            return f"U+{ord(ch):04X}"
    return None


def _is_control(ch: str) -> bool:
    cat = unicodedata.category(ch)
    return cat[0] == "C" or cat in ("Zl", "Zp")


def check_label(value: str, what: str = "--suite") -> str:
    """``value`` if it can name a suite (in a mail's subject, in the store).

    Raises:
        ValueError: empty, longer than :data:`MAX_LABEL`, or a control character
            (a newline, a tab, an escape...) in it.
    """
    if not value.strip():
        raise ValueError(f"{what} is empty")
    bad = _control(value)
    if bad:
        raise ValueError(f"{what} may not hold a control character (found {bad}, e.g. a newline)")
    if len(value) > MAX_LABEL:
        raise ValueError(f"{what} is longer than {MAX_LABEL} characters")
    return value


def escape_label(value: object) -> str:
    """A stored label made safe to show: control characters escaped (``\\n``, ``\\x1b``)."""
    text = str(value)
    if _control(text) is None:
        return text
    return "".join(ch.encode("unicode_escape").decode("ascii") if _is_control(ch) else ch for ch in text)


def check_address(value: str, what: str = "--alert-email") -> Address:
    """The one mail address ``value`` names (``oncall@example.com`` or ``On call
    <oncall@example.com>``), parsed by the ``email`` package's header parser.

    Raises:
        ValueError: a control character, not exactly one address, no ``user@domain``,
            or anything the parser finds wrong (its defects).
    """
    bad = _control(value)
    if bad:
        raise ValueError(f"{what} may not hold a control character (found {bad}, e.g. a newline)")
    if len(value) > MAX_LABEL or not value.strip():
        raise ValueError(f"{what} {value!r} is not a mail address")
    try:
        header = policy.SMTP.header_factory("To", value)
        addresses = header.addresses
    except (HeaderParseError, ValueError, IndexError, TypeError):
        raise ValueError(f"{what} {value!r} is not a mail address (expected user@domain)") from None
    if header.defects:
        raise ValueError(f"{what} {value!r} is not a mail address ({header.defects[0]})")
    if len(addresses) != 1:
        raise ValueError(f"{what} takes one mail address, got {len(addresses)} in {value!r}")
    addr = addresses[0]
    if not addr.username or not addr.domain or "@" not in addr.addr_spec:
        raise ValueError(f"{what} {value!r} is not a mail address (expected user@domain)")
    return Address(display_name=addr.display_name, username=addr.username, domain=addr.domain)


def build_message(alert: Alert, sender: str, to: str) -> EmailMessage:
    """The mail for one alert row (see :func:`.usage.pending_alerts`).

    Raises:
        ValueError: ``sender`` or ``to`` is not one mail address (:func:`check_address`).
    """
    level = escape_label(alert["level"]).upper()
    component = escape_label(alert["component"])
    msg = EmailMessage(policy=policy.SMTP)
    msg["Subject"] = f"[tokopt] {level}: {component} used {alert['budget_pct']:.1f}% of its token budget (threshold {alert['threshold']:g}%)"
    msg["From"] = check_address(sender, "the sender (TOKOPT_SMTP_FROM)")
    msg["To"] = check_address(to, "the alert address")
    msg["Date"] = formatdate(localtime=False)
    msg["Message-ID"] = make_msgid(domain="tokopt.local")
    msg["X-Tokopt-Alert"] = f"{level.lower()} {escape_label(alert['alert_id'])}"
    msg.set_content(
        f"tokopt usage alert: {level}\n\n"
        f"component:  {component}\n"
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


def _warn(message: str) -> None:
    print(f"tokopt: warning: {message}", file=sys.stderr)


def deliver_pending(store: Store, settings: SmtpSettings | None, default_to: str | None = None, timeout: float | None = None,
                    warn: Callable[[str], None] | None = None) -> int:
    """Mail the alerts not yet sent; returns how many were sent.

    An alert whose address is not a mail address (stored by an older version) is not
    mailed: ``warn`` (default: a line on stderr) says so the first time, and the alert
    keeps the reason as its error.

    Raises:
        AlertError: settings missing or the server refused; the alerts stay pending.
    """
    warn = warn or _warn
    from tokopt_pipeline.lib.usage import ledger as usage

    with store.connect(timeout=timeout) as conn:
        alerts = usage.pending_alerts(conn)
    if not alerts:
        return 0
    to_send = [(a, a.get("email") or default_to) for a in alerts]
    unaddressed = [a["alert_id"] for a, to in to_send if not to]
    if unaddressed:
        store.write("usage_alert_sent", {"alert_ids": unaddressed, "error": "no --alert-email address"}, timeout=timeout)
    addressed = [(a, to) for a, to in to_send if to]
    if not addressed:
        return 0
    if settings is None:
        settings = load_settings()
    try:
        check_address(settings.sender, "the sender (TOKOPT_SMTP_FROM)")
    except ValueError as exc:
        raise AlertError(str(exc)) from None
    msgs: list[EmailMessage] = []
    ids: list[str] = []
    refused: dict[str, list[str]] = {}
    for a, to in addressed:
        try:
            msgs.append(build_message(a, settings.sender, to))
            ids.append(a["alert_id"])
        except ValueError as exc:
            reason = f"not mailed: {exc}"
            if a.get("error") != reason:
                warn(f"usage alert {escape_label(a['alert_id'])} not mailed: {exc}; set a good one with "
                     "tokopt usage monitor --alert-email ADDR")
            refused.setdefault(reason, []).append(a["alert_id"])
    for reason, bad_ids in refused.items():
        store.write("usage_alert_sent", {"alert_ids": bad_ids, "error": reason}, timeout=timeout)
    if not msgs:
        return 0
    try:
        send(settings, msgs)
    except AlertError as exc:
        store.write("usage_alert_sent", {"alert_ids": ids, "error": exc.message}, timeout=timeout)
        raise
    store.write("usage_alert_sent", {"alert_ids": ids}, timeout=timeout)
    return len(ids)
