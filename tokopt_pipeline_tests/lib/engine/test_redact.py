"""Secret redaction: nothing secret survives, ordinary log content does."""

from __future__ import annotations

import pytest
from detect_secrets.plugins.private_key import PrivateKeyDetector
from hypothesis import given, settings
from hypothesis import strategies as st

from tokopt_pipeline.lib.engine import redact
from tokopt_pipeline.lib.engine.redact import RedactionStats, Redactor, redact_text
from tokopt_pipeline_tests.fixtures_secrets import KEY_LINES, planted_secrets_log
from tokopt_pipeline_tests.secrets_corpus import KINDS, leaks, ordinary_lines, planted_log


def _leaks(text: str, secrets: list[str]) -> list[str]:
    """Secrets of which the whole value, or either half, is still in `text`."""
    out = []
    for s in secrets:
        half = len(s) // 2
        if s in text or s[:half] in text or s[half:] in text:
            out.append(s)
    return out


def _redact_in_batches(text: str, size: int) -> tuple[str, Redactor]:
    lines = text.split("\n")
    r = Redactor()
    out: list[str] = []
    for i in range(0, len(lines), size):
        out += r.redact_lines(lines[i : i + size])
    return "\n".join(out), r


@pytest.mark.parametrize("batch", [1, 7, 10_000])
def test_no_planted_secret_survives_at_any_batch_size(batch):
    text, secrets = planted_secrets_log()
    assert not _leaks(text, []) and _leaks(text, secrets) == secrets  # the fixture plants them
    out, _ = _redact_in_batches(text, batch)
    assert _leaks(out, secrets) == []


def test_vectorized_prefilter_agrees_with_small_batch_path():
    text, _ = planted_secrets_log()
    lines = text.split("\n") * 3  # above the small-batch threshold
    assert len(lines) >= redact._SMALL_BATCH
    big = Redactor().redact_lines(lines)
    r = Redactor()
    small = [line for i in range(0, len(lines), 5) for line in r.redact_lines(lines[i : i + 5])]
    assert big == small


def test_context_survives():
    out = redact_text(planted_secrets_log()[0])
    for context in [
        "export AWS_ACCESS_KEY_ID=[REDACTED:aws-access-key]",
        "aws_secret_access_key \"[REDACTED:aws-secret-key]\"",
        "GITHUB_TOKEN=[REDACTED:github-token] GITLAB_TOKEN=[REDACTED:gitlab-token]",
        "https://hooks.slack.com/services/[REDACTED:slack-webhook]",
        "'Authorization: Bearer [REDACTED:bearer-token]' https://api.acme.dev/v1/builds",
        "https://ci-bot:[REDACTED:url-password]@git.acme.dev/acme/deps.git",
        "DB_PASSWORD=[REDACTED:password] DB_HOST=db.internal DB_USER=app",
        '{"user": "deploy", "password": "[REDACTED:password]", "api_key": "[REDACTED:api-key]", "retries": 3}',
        "token=[REDACTED:jwt] status=401",
        "CLIENT_SECRET=[REDACTED:secret]",
        "//registry.npmjs.org/:_authToken=[REDACTED:npm-token]",
        "AccountName=acmestore;AccountKey=[REDACTED:azure-storage-key];EndpointSuffix=core.windows.net",
        "Authorization: Basic [REDACTED:basic-auth]",
        '"auth": "[REDACTED:credential]"',
        "Writing deploy key to ~/.ssh/id_rsa",
    ]:
        assert context in out


def test_ordinary_content_is_untouched():
    lines = [
        "HEAD is now at 3f786850e387550fdab836ed7e6dc881de23001b",
        "request 123e4567-e89b-12d3-a456-426614174000 took 12 ms; password_reset_count=3",
        "token_budget=76659 max_tokens=4000 cache hit for 9f86d081884c7d659a2feaa0c55ad015",
        "Cache key: setup-python-Linux-x64-pip-4a1c0e9f2b7d",
        "The payload was base64 encoded as SGVsbG8gV29ybGQ in the sentence above.",
        "Bad activity token: android.os.BinderProxy@8bd84ce",
        "pam_unix(sshd:auth): authentication failure; (auth:SIMPLE)",
        "enqueueNotificationInternal: n.getKey = 6|com.tencent.mm|1957|null|52925",
        "PWD=/home/runner/work/acme OLDPWD=/home/runner",
        "Bearer authentication is required for this endpoint",
        "sk-learn-compatible-estimator-wrapper-2023 installed",
        "task-abcdefghijklmnopqrstuvwxyz0123 finished; disk-0123456789abcdefghijk ok",
        "pass: 120, fail: 3, bypass=1, primary_key=9f8e7d6c5b4a3928",
        "next_page_token=CiAKGjBpNDd2Nmp2Zml2cXRwYjBpOXA3bzVpZTgSDAgA",
        "password: ***  GITHUB_TOKEN=*** secret=${{ secrets.DEPLOY }}",
        "0xdeadbeef 0x7ffee4b8c9a0 sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
    ]
    r = Redactor()
    assert r.redact_lines(lines) == lines
    assert r.stats == RedactionStats(total=0, by_kind={})


def test_stats_count_each_secret_once():
    text, _ = planted_secrets_log()
    _, r = _redact_in_batches(text, 3)
    assert r.stats.by_kind == {
        "aws-access-key": 1, "aws-secret-key": 1, "github-token": 2, "gitlab-token": 1,
        "slack-token": 1, "slack-webhook": 1, "bearer-token": 1, "url-password": 1,
        "password": 2, "api-key": 1, "jwt": 1, "token": 1, "secret": 1, "stripe-key": 1,
        "google-api-key": 1, "npm-token": 1, "azure-storage-key": 1, "twilio-key": 1,
        "sendgrid-key": 1, "openai-key": 1, "basic-auth": 1, "credential": 1, "private-key": 1,
    }
    assert r.stats.total == sum(r.stats.by_kind.values()) == 25


def test_private_key_block_split_across_batches():
    r = Redactor()
    first = r.redact_lines(["deploying", "  key: -----BEGIN OPENSSH PRIVATE KEY-----", KEY_LINES[0]])
    second = r.redact_lines([KEY_LINES[1], KEY_LINES[2]])
    third = r.redact_lines(["-----END OPENSSH PRIVATE KEY----- ok", "deploy done"])
    assert first == ["deploying", "  key: [REDACTED:private-key]", "[REDACTED:private-key]"]
    assert second == ["[REDACTED:private-key]"] * 2
    assert third == ["[REDACTED:private-key] ok", "deploy done"]
    assert r.stats == RedactionStats(total=1, by_kind={"private-key": 1})


def test_private_key_on_one_line_and_every_detect_secrets_marker():
    line = '"private_key": "-----BEGIN PRIVATE KEY-----\\nMIIEvQIBADANBg\\n-----END PRIVATE KEY-----\\n", "id": 7'
    assert redact_text(line) == '"private_key": "[REDACTED:private-key]\\n", "id": 7'
    for marker in PrivateKeyDetector.denylist:
        text = f"-----{marker.pattern}-----" if "BEGIN" in marker.pattern else f"{marker.pattern}: ssh-rsa"
        assert redact_text(text + "\nAAAAB3NzaC1yc2EAAAADAQABAAABAQ") == "[REDACTED:private-key]\n[REDACTED:private-key]"


def test_truncated_key_block_does_not_swallow_the_log():
    r = Redactor()
    tail = [f"ERROR step {i} failed" for i in range(40)]
    out = r.redact_lines(["-----BEGIN EC PRIVATE KEY-----", KEY_LINES[0], *tail])
    assert out[:2] == ["[REDACTED:private-key]"] * 2
    assert out[-10:] == tail[-10:]


def test_disabled_passes_lines_through():
    text, _ = planted_secrets_log()
    lines = text.split("\n")
    r = Redactor(enabled=False)
    assert r.redact_lines(lines) == lines and r.stats.total == 0


def test_redact_text_keeps_line_breaks():
    assert redact_text("a\n\npassword=hunter22\n") == "a\n\npassword=[REDACTED:password]\n"


def test_every_trigger_covers_its_rule():
    """The prefilter may only skip lines no rule would change."""
    text, _ = planted_secrets_log()
    lines = text.split("\n")
    trig = redact._TRIGGER_RE
    for line in lines:
        if redact_text(line) != line:
            assert trig.search(line), line


_PIECES = list("abcXYZ019 =:_-./@\"'[]{}&") + [
    "key", "password", "ghp_", "token", "Bearer ", "://u:p@", "AKIA", "eyJ", "sk-", "secret",
    "-----BEGIN RSA PRIVATE KEY-----", "-----END RSA PRIVATE KEY-----", "a8F3kQ9zL2mX7vB4",
]
_LOGGY = st.lists(st.sampled_from(_PIECES), max_size=25).map("".join)


@pytest.mark.slow
@settings(max_examples=300, deadline=None)
@given(st.lists(_LOGGY, max_size=30), st.integers(min_value=1, max_value=10))
def test_line_count_kept_and_idempotent(lines, batch):
    def run(src):
        r = Redactor()
        out = []
        for i in range(0, len(src), batch):
            out += r.redact_lines(src[i : i + batch])
        return out

    once = run(lines)
    assert len(once) == len(lines)
    assert run(once) == once


# --- the planted corpus: every kind, each in its contexts -------------------------


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("batch", [1, 64, 100_000])
def test_every_planted_kind_is_redacted(seed, batch):
    log = planted_log(seed)
    assert len(KINDS) >= 60 and not leaks(log.text, []) and len(leaks(log.text, log.secrets)) == len(log.secrets)
    out, r = _redact_in_batches(log.text.rstrip("\n"), batch)
    assert leaks(out, log.secrets, log.kinds) == []
    assert r.stats.total >= len(set(log.kinds))


def test_the_prefilter_lets_through_every_line_a_rule_changes():
    """Python's re and polars' Rust engine agree on the triggers, and no rule changes a
    line the triggers skip (a key block's body aside: the block carries over)."""
    lines = planted_log(3).text.split("\n") + ordinary_lines(__import__("random").Random(1), 300)
    vectorized = set(redact._candidates(lines))
    assert vectorized == {i for i, line in enumerate(lines) if redact._TRIGGER_RE.search(line)}
    for i, line in enumerate(lines):
        if redact_text(line) != line:
            assert i in vectorized, line


def test_ordinary_lines_that_look_secret_are_untouched():
    """Shas, uuids, image digests, cache keys, test ids named after tokens, budgets."""
    import random

    lines = ordinary_lines(random.Random(7), 2000) + [
        "tests/test_auth.py::test_token_refresh PASSED",
        "FAILED tests/test_auth.py::test_password_reset - AssertionError: assert 3 == 4",
        "--- PASS: TestTokenRotation (0.01s)",
        "token_budget=4000 --token-budget 4000 --max-tokens 512",
        "Run actions/checkout@v4 with token: *** and ssh-key: ***",
        "  password: ${{ secrets.DB_PASSWORD }}",
        "  + password = (sensitive value)",
        "Authorization header missing; retrying",
        "authorization failed for user admin",
        "mkdir -p /home/runner/.ssh && docker run -p 8080:80 -u 1000:1000 nginx",
        "ssh -i ~/.ssh/id_ed25519 --key-file /etc/app.key deploy@host",
        "https://docs.github.com/en/webhooks/about-webhooks",
        "Cookie: theme=dark",
        "Accepted password for root from 10.0.0.1 port 22 ssh2",
        "cache key: Linux-node-modules-4a1c0e9f2b7d8c3e",
        "akka.tcp://sparkExecutorActorSystem@mesos-slave-07:55904",
        "Could not get event name for stream/token: com.apple.xpc.activity/4505: 132",
        "https://github.com/acme/widgets/pull/42?diff=split&w=1",
        'echo -n "$(date -u +%Y-%m-%dT%H:%M:%SZ)" > /tmp/.commit_date',
        '-e "MYSQL_ALLOW_EMPTY_PASSWORD=yes" -e "MYSQL_DATABASE=pandas"',
        "git config --local http.https://github.com/.extraheader AUTHORIZATION: basic ***",
    ]
    r = Redactor()
    out = r.redact_lines(lines)
    assert [(a, b) for a, b in zip(lines, out, strict=True) if a != b] == []


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("+ curl -fsS -u deploy:Maple42!orbit https://nexus.acme.dev/x",
         "+ curl -fsS -u deploy:[REDACTED:password] https://nexus.acme.dev/x"),
        ("curl --user 'api:key-0123456789abcdef0123456789abcdef' https://api.mailgun.net",
         "curl --user 'api:[REDACTED:mailgun-key]' https://api.mailgun.net"),
        ("+ mysql -h db -u root -pS3cr3t-pw -e 'SHOW DATABASES'",
         "+ mysql -h db -u root -p[REDACTED:password] -e 'SHOW DATABASES'"),
        ("+ docker login -u ci -p hunter22 registry.acme.dev",
         "+ docker login -u ci -p [REDACTED:password] registry.acme.dev"),
        ("kubeadm join 10.0.0.10:6443 --token abcdef.0123456789abcdef --discovery-token-ca-cert-hash sha256:8d6f",
         "kubeadm join 10.0.0.10:6443 --token [REDACTED:token] --discovery-token-ca-cert-hash sha256:8d6f"),
        ("> Authorization: Token 908e9872826d2eb04018ddd17e23c8260b9e4bd6",
         "> Authorization: Token [REDACTED:authorization]"),
        ('Authorization: Digest username="svc", response="93e64fa0def636ab5b994f10b7e8ba1c"',
         "Authorization: Digest [REDACTED:authorization]"),
        ("REDIS_URL=redis://:pw0rd-Xy9@cache.internal:6379/0",
         "REDIS_URL=redis://:[REDACTED:url-password]@cache.internal:6379/0"),
        ("GET https://api.acme.dev/export?token=Zq8Xk2Lm9Np4Rt6Vw1Yb3Cd5&format=csv",
         "GET https://api.acme.dev/export?token=[REDACTED:url-secret]&format=csv"),
        ("POST https://discord.com/api/webhooks/123456789012345678/AbCdEf0123456789-_GhIjKlMnOpQrStUvWxYz",
         "POST https://discord.com/api/webhooks/[REDACTED:webhook]"),
        ("+ TOKEN=Zq8Xk2Lm9Np4Rt6Vw1Yb3Cd5Ef7Gh9", "+ TOKEN=[REDACTED:token]"),
        ("machine github.com login ci-bot password falcon12", "machine github.com login ci-bot password [REDACTED:password]"),
        ("> Cookie: sessionid=hjwm23mqss677co9eogw0pvfl6idj1f7; theme=dark",
         "> Cookie: sessionid=[REDACTED:cookie]; theme=dark"),
        ("password   = 'hunter2'", "password   = '[REDACTED:password]'"),
        ("E         {'pass': 'falcon12'} != {'pass': '***'}", "E         {'pass': '[REDACTED:password]'} != {'pass': '***'}"),
        ('  "private_key_id": "4f1c0e9f2b7d8c3e4f1c0e9f2b7d8c3e4f1c0e9f",', '  "private_key_id": "[REDACTED:private-key-id]",'),
        ("SECRET_KEY=django-insecure-&df19l2y!o00w_r%_h%%xmo", "SECRET_KEY=[REDACTED:secret]"),
        ('{"msg": "{\\"password\\": \\"hunter22\\"}"}', '{"msg": "{\\"password\\": \\"[REDACTED:password]\\"}"}'),
    ],
)
def test_context_rules_keep_the_context_readable(line, expected):
    assert redact_text(line) == expected


def test_a_secret_env_entry_split_over_two_lines_and_two_batches():
    r = Redactor()
    first = r.redact_lines(["      env:", "        - name: API_TOKEN"])
    second = r.redact_lines(["          value: Zq8Xk2Lm9Np4Rt6Vw1Yb3Cd5", "        - name: LOG_LEVEL", "          value: debug"])
    assert first == ["      env:", "        - name: API_TOKEN"]
    assert second == ["          value: [REDACTED:credential]", "        - name: LOG_LEVEL", "          value: debug"]


@pytest.mark.parametrize(
    ("line", "secret"),
    [
        ("openssl enc -aes-256-cbc -pass pass:Tr0ub4dor3x -in a -out b", "Tr0ub4dor3x"),
        ("java -Dspring.datasource.password=Pa55w0rd!x -jar app.jar", "Pa55w0rd!x"),
        ("< X-Auth-Token: 7f3a9c1e5b2d8f4a6c0e9b3d1f5a7c2e", "7f3a9c1e5b2d8f4a6c0e9b3d1f5a7c2e"),
        ('conn = {:host=>"db", :password=>"Hunter2Hunter2"}', "Hunter2Hunter2"),
        ("config: {User:app Password:Qw3rtyUiop99 Host:db}", "Qw3rtyUiop99"),
        ("smtp://user%40acme.dev:s3cr3tP4ss@smtp.acme.dev:587", "s3cr3tP4ss"),
        ('{"log":"POST /login body={\\"user\\":\\"a\\",\\"password\\":\\"Zx9qwerty77\\"}"}', "Zx9qwerty77"),
        ("curl -d 'grant_type=client_credentials&client_secret=Zq8Xk2Lm9Np4Rt6Vw1Yb3' https://auth", "Zq8Xk2Lm9Np4Rt6Vw1Yb3"),
        ("fatal: unable to access 'https://oauth2:glpat-Zq8Xk2Lm9Np4Rt6Vw1Yb@gitlab.com/a/b.git/'", "glpat-Zq8Xk2Lm9Np4Rt6Vw1Yb"),
        ("KeyError: 'DATABASE_PASSWORD' env={'DATABASE_PASSWORD': 'Sup3rS3cret99'}", "Sup3rS3cret99"),
        ('{"AccessKeyId": "ASIAZQ8XK2LM9NP4RT6V", "SecretAccessKey": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"}',
         "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"),
        ("+ helm repo add acme https://charts.acme.dev --username ci --password Sup3rS3cret99", "Sup3rS3cret99"),
        ("AxiosError: 401 config: { headers: { 'x-api-key': 'Zq8Xk2Lm9Np4Rt6Vw1Yb3Cd5' } }", "Zq8Xk2Lm9Np4Rt6Vw1Yb3Cd5"),
        ('Config { user: "app", password: "Sup3rS3cret99", host: "db" }', "Sup3rS3cret99"),
        ("map[password:Sup3rS3cret99 user:app]", "Sup3rS3cret99"),
        ("vault write auth/approle/login role_id=abc secret_id=4f1c0e9f-2b7d-4c3e-9f1c-0e9f2b7d8c3e",
         "4f1c0e9f-2b7d-4c3e-9f1c-0e9f2b7d8c3e"),
        ("send: b'GET / HTTP/1.1\\r\\nAuthorization: Bearer Zq8Xk2Lm9Np4Rt6Vw1Yb3Cd5\\r\\n'", "Zq8Xk2Lm9Np4Rt6Vw1Yb3Cd5"),
        ('    "identitytoken": "Zq8Xk2Lm9Np4Rt6Vw1Yb3Cd5Ef7Gh9Ij1"', "Zq8Xk2Lm9Np4Rt6Vw1Yb3Cd5Ef7Gh9Ij1"),
    ],
)
def test_forms_outside_the_corpus_are_held(line, secret):
    """Kinds and payloads the planted corpus does not make: the rules hold on the kind."""
    assert secret not in redact_text(line)
