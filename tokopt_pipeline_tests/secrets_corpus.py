"""Planted credentials: fake secrets of many kinds, embedded the way real logs carry them.

Each :class:`Kind` makes a secret with the real shape of its kind (prefix, alphabet,
length: ``ghp_`` + 36, ``AKIA`` + 16, ``xoxb-`` with its numeric parts, JWTs of three
base64url parts...) from a seeded generator, and lists the log lines that carry it: a CI
step, a curl or ``set -x`` echo, a pytest locals dump or assertion diff, a docker or kube
command, a Terraform plan, a JSON log line, a Java stack. Self-identifying tokens are also
planted in the generic contexts (:data:`GENERIC_CONTEXTS`), some of them error lines, so
that templating cannot hide a leak: a critical line is shown verbatim.

None of the values is a live credential: they are random, made here.

    >>> log = planted_log(seed=1)
    >>> len(log.kinds) >= 60 and all(s in log.text for s in log.secrets)
    True
"""

from __future__ import annotations

import base64
import json
import random
import string
from collections.abc import Callable
from dataclasses import dataclass, field

__all__ = ["KINDS", "GENERIC_CONTEXTS", "Kind", "PlantedLog", "planted_log", "leaks", "ordinary_lines"]

_LOWER = string.ascii_lowercase
_UPPER = string.ascii_uppercase
_DIGITS = string.digits
_ALNUM = _LOWER + _UPPER + _DIGITS
_HEX = "0123456789abcdef"
_B64 = _ALNUM + "+/"
_B64URL = _ALNUM + "-_"
_WORDS = ("maple", "orbit", "falcon", "copper", "tundra", "saffron", "quartz", "harbor", "velvet",
          "cobalt", "ember", "juniper", "lantern", "meadow", "nimbus", "pebble", "raven", "sierra")


def _r(rng: random.Random, alphabet: str, n: int) -> str:
    """`n` characters of `alphabet`; base62 runs get a digit, a lower and an upper case letter."""
    while True:
        s = "".join(rng.choice(alphabet) for _ in range(n))
        if alphabet != _ALNUM or (any(c.isdigit() for c in s) and any(c.islower() for c in s) and any(c.isupper() for c in s)):
            return s


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


def _b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _uuid(rng: random.Random) -> str:
    return "-".join(_r(rng, _HEX, n) for n in (8, 4, 4, 4, 12))


def _password(rng: random.Random) -> str:
    """What people choose: a word, digits and a symbol, or a random string."""
    style = rng.randrange(3)
    if style == 0:
        return f"{rng.choice(_WORDS).title()}{rng.randrange(10, 99)}{rng.choice('!#%*@')}{rng.choice(_WORDS)}"
    if style == 1:
        return _r(rng, _ALNUM + "!#%*@^", 14)
    return f"{rng.choice(_WORDS)}-{rng.choice(_WORDS)}-{rng.randrange(100, 999)}"


def _weak_password(rng: random.Random) -> str:
    """A weak one (``hunter2``-like): the context alone says it is a secret."""
    return f"{rng.choice(_WORDS)}{rng.randrange(10, 99)}"


def _jwt(rng: random.Random) -> str:
    head = _b64url(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    body = _b64url(json.dumps({"sub": str(rng.randrange(10**9)), "iat": 1714550400 + rng.randrange(10**6),
                               "scope": "deploy"}).encode())
    return f"{head}.{body}.{_r(rng, _B64URL, 43)}"


def _pem(rng: random.Random, label: str = "RSA PRIVATE KEY", lines: int = 6) -> list[str]:
    body = [_r(rng, _B64, 64) for _ in range(lines)]
    return [f"-----BEGIN {label}-----", *body, f"-----END {label}-----"]


@dataclass(frozen=True)
class Kind:
    """One kind of credential.

    Attributes:
        name: what it is (``github-pat``, ``mysql-p-flag``...).
        make: returns the secret value, or several values for a multi-line secret
            (a key block: every body line is a secret).
        contexts: line templates; ``{s}`` is where the value goes (a template may hold
            ``\\n`` for several lines).
        generic: a self-identifying token, also planted in :data:`GENERIC_CONTEXTS`.
    """

    name: str
    make: Callable[[random.Random], str | list[str]]
    contexts: tuple[str, ...]
    generic: bool = False


def _token(name: str, make: Callable[[random.Random], str], *contexts: str) -> Kind:
    return Kind(name, make, contexts, generic=True)


def _ctx(name: str, make: Callable[[random.Random], str], *contexts: str) -> Kind:
    return Kind(name, make, contexts)


# Contexts any self-identifying token shows up in; those marked critical are error lines
# (a summary shows them verbatim). "{s}" is the token.
GENERIC_CONTEXTS: tuple[str, ...] = (
    "2024-05-01T10:00:03.1234567Z ##[error]Deploy failed: the registry rejected {s} (401 Unauthorized)",
    '{{"level":"error","ts":"2024-05-01T10:00:04Z","logger":"deployer","msg":"upstream rejected credentials {s}","status":401}}',
    "java.lang.IllegalStateException: invalid credentials {s} for tenant acme\n\tat com.acme.auth.TokenClient.login(TokenClient.java:88)\n\tat com.acme.Main.main(Main.java:12)",
    "    raise AuthError(f\"bad token {{token}}\")\nE   tokopt_app.errors.AuthError: bad token {s}",
    "+ ./scripts/publish.sh {s}",
    "[2024-05-01 10:00:05] worker.1 INFO using {s} for the nightly sync",
    "docker run --rm -e CI=true acme/tools:1.4 sync --with {s}",
    "tests/test_clients.py::test_client_login[{s}] PASSED",
)

# Fixed parts of the contexts below.
_HOST = "api.acme.dev"

KINDS: tuple[Kind, ...] = (
    # --- provider tokens (self-identifying) --------------------------------------
    _token("aws-access-key-id", lambda r: "AKIA" + _r(r, _UPPER + "234567", 16),
           "export AWS_ACCESS_KEY_ID={s}", "aws_access_key_id = {s}"),
    _token("aws-temporary-key-id", lambda r: "ASIA" + _r(r, _UPPER + "234567", 16),
           "AWS_ACCESS_KEY_ID: {s}"),
    _token("github-classic-pat", lambda r: "ghp_" + _r(r, _ALNUM, 36),
           "env: GITHUB_TOKEN={s}", "git clone https://{s}@github.com/acme/widgets.git"),
    _token("github-oauth", lambda r: "gho_" + _r(r, _ALNUM, 36), "gh auth status: token {s}"),
    _token("github-app-installation", lambda r: "ghs_" + _r(r, _ALNUM, 36),
           "remote: https://x-access-token:{s}@github.com/acme/widgets"),
    _token("github-fine-grained-pat", lambda r: "github_pat_" + _r(r, _ALNUM, 22) + "_" + _r(r, _ALNUM, 59),
           "Using fine-grained token {s} for the release step"),
    _token("gitlab-pat", lambda r: "glpat-" + _r(r, _ALNUM + "-_", 20), "PRIVATE-TOKEN: {s}"),
    _token("gitlab-runner-token", lambda r: "glrt-" + _r(r, _ALNUM + "-_", 20),
           "gitlab-runner register --non-interactive --url https://gitlab.acme.dev --token {s}"),
    _token("slack-bot-token", lambda r: f"xoxb-{r.randrange(10**11, 10**12)}-{r.randrange(10**12, 10**13)}-{_r(r, _ALNUM, 24)}",
           "SLACK_BOT_TOKEN={s}"),
    _token("slack-user-token", lambda r: f"xoxp-{r.randrange(10**11, 10**12)}-{r.randrange(10**11, 10**12)}-{r.randrange(10**12, 10**13)}-{_r(r, _HEX, 32)}",
           "slack_sdk.errors.SlackApiError: token {s} is not allowed"),
    _token("stripe-live-secret", lambda r: "sk_live_" + _r(r, _ALNUM, 24), "stripe.api_key = '{s}'"),
    _token("stripe-restricted", lambda r: "rk_live_" + _r(r, _ALNUM, 24), "STRIPE_KEY={s}"),
    _token("stripe-webhook-secret", lambda r: "whsec_" + _r(r, _ALNUM, 32), "STRIPE_WEBHOOK_SECRET={s}"),
    _token("google-api-key", lambda r: "AIza" + _r(r, _ALNUM + "-_", 35), "maps: key={s}"),
    _token("google-oauth-client-secret", lambda r: "GOCSPX-" + _r(r, _ALNUM + "-_", 28), "client_secret: {s}"),
    _token("npm-token", lambda r: "npm_" + _r(r, _ALNUM, 36), "//registry.npmjs.org/:_authToken={s}"),
    _token("pypi-token", lambda r: "pypi-AgEIcHlwaS5vcmc" + _r(r, _B64URL, 150),
           "twine upload -u __token__ -p {s} dist/*", "TWINE_PASSWORD={s}"),
    _token("jwt", _jwt, "request failed: token={s} status=401"),
    _token("openai-project-key", lambda r: "sk-proj-" + _r(r, _ALNUM + "-_", 48), "OPENAI_API_KEY={s}"),
    _token("anthropic-key", lambda r: "sk-ant-api03-" + _r(r, _ALNUM + "-_", 93) + "AA", "ANTHROPIC_API_KEY={s}"),
    _token("sendgrid-key", lambda r: "SG." + _r(r, _ALNUM + "-_", 22) + "." + _r(r, _ALNUM + "-_", 43), "sendgrid: using {s}"),
    _token("twilio-api-key", lambda r: "SK" + _r(r, _HEX, 32), "twilio client created with {s}"),
    _token("digitalocean-pat", lambda r: "dop_v1_" + _r(r, _HEX, 64), "doctl auth init --access-token {s}"),
    _token("vault-service-token", lambda r: "hvs." + _r(r, _ALNUM + "-_", 90), "VAULT_TOKEN={s}"),
    _token("terraform-cloud-token", lambda r: _r(r, _ALNUM, 14) + ".atlasv1." + _r(r, _ALNUM, 67),
           'credentials "app.terraform.io" {{\n  token = "{s}"\n}}'),
    _token("huggingface-token", lambda r: "hf_" + _r(r, _ALNUM, 34), "HF_TOKEN={s}"),
    _token("shopify-access-token", lambda r: "shpat_" + _r(r, _HEX, 32), "X-Shopify-Access-Token: {s}"),
    _token("databricks-token", lambda r: "dapi" + _r(r, _HEX, 32), "databricks configure --token {s}"),
    _token("doppler-token", lambda r: "dp.st.prd." + _r(r, _ALNUM, 43), "DOPPLER_TOKEN={s}"),
    _token("grafana-service-account", lambda r: "glsa_" + _r(r, _ALNUM, 32) + "_" + _r(r, _HEX, 8), "grafana: {s}"),
    _token("newrelic-user-key", lambda r: "NRAK-" + _r(r, _UPPER + _DIGITS, 27), "NEW_RELIC_API_KEY={s}"),
    _token("linear-api-key", lambda r: "lin_api_" + _r(r, _ALNUM, 40), "LINEAR_API_KEY={s}"),
    _token("postman-api-key", lambda r: "PMAK-" + _r(r, _HEX, 24) + "-" + _r(r, _HEX, 34), "postman: {s}"),
    _token("atlassian-api-token", lambda r: "ATATT3xFfGF0" + _r(r, _ALNUM + "-_", 170) + "=" + _r(r, _HEX.upper(), 8),
           "JIRA_API_TOKEN={s}"),
    _token("telegram-bot-token", lambda r: f"{r.randrange(10**8, 10**10)}:AA{_r(r, _ALNUM + '-_', 33)}",
           "https://api.telegram.org/bot{s}/sendMessage"),
    _token("mailgun-key", lambda r: "key-" + _r(r, _HEX, 32),
           "curl -s --user 'api:{s}' https://api.mailgun.net/v3/mg.acme.dev/messages"),
    _token("age-secret-key", lambda r: "AGE-SECRET-KEY-1" + _r(r, _UPPER + _DIGITS, 58), "age identity: {s}"),
    _token("azure-ad-client-secret", lambda r: _r(r, _ALNUM, 3) + "8Q~" + _r(r, _ALNUM + "-_.~", 34),
           "AZURE_CLIENT_SECRET={s}"),
    # --- context-only secrets: the words around them make them secrets -----------
    _ctx("aws-secret-access-key", lambda r: _r(r, _ALNUM + "+/", 40),
         'aws configure set aws_secret_access_key "{s}"', "AWS_SECRET_ACCESS_KEY={s}",
         "    aws_secret_access_key = {s}"),
    _ctx("aws-session-token", lambda r: "FwoGZXIvYXdzE" + _r(r, _B64, 200),
         "export AWS_SESSION_TOKEN={s}"),
    _ctx("slack-webhook", lambda r: f"T{_r(r, _UPPER + _DIGITS, 10)}/B{_r(r, _UPPER + _DIGITS, 10)}/{_r(r, _ALNUM, 24)}",
         "posting to https://hooks.slack.com/services/{s} returned 404",
         "ERROR: notify failed: POST https://hooks.slack.com/services/{s}: timeout"),
    _ctx("discord-webhook", lambda r: f"{r.randrange(10**17, 10**18)}/{_r(r, _ALNUM + '-_', 68)}",
         "POST https://discord.com/api/webhooks/{s} -> 429 Too Many Requests"),
    _ctx("teams-webhook", lambda r: _r(r, _HEX, 32) + "/IncomingWebhook/" + _r(r, _HEX, 32) + "/" + _r(r, _HEX, 8),
         "ERROR webhook https://acme.webhook.office.com/webhookb2/{s} failed"),
    _ctx("curl-u-user-password", _password,
         "+ curl -fsS -u deploy:{s} https://nexus.acme.dev/repository/raw/",
         "curl --user admin:{s} -X POST http://localhost:8080/api/reload"),
    _ctx("curl-user-quoted-api-key", lambda r: "key-" + _r(r, _HEX, 32),
         "curl -s --user 'api:{s}' https://api.mailgun.net/v3/acme.dev/messages -F to=ops@acme.dev"),
    _ctx("authorization-bearer", lambda r: _r(r, _ALNUM, 40),
         "curl -sS -H 'Authorization: Bearer {s}' https://api.acme.dev/v1/builds",
         "> Authorization: Bearer {s}"),
    _ctx("authorization-basic", lambda r: _b64(f"ci-bot:{_password(r)}".encode()),
         "docker login: Authorization: Basic {s}", "< GET /v2/ HTTP/1.1\n> Authorization: Basic {s}"),
    _ctx("authorization-token-scheme", lambda r: _r(r, _HEX, 40),
         "> Authorization: Token {s}", "requests.exceptions.HTTPError: 403 for url (headers: {{'Authorization': 'Token {s}'}})"),
    _ctx("authorization-digest", lambda r: _r(r, _HEX, 32),
         'Authorization: Digest username="svc", realm="acme", nonce="dcd98b7102dd2f0e", uri="/dir/index.html", response="{s}", qop=auth'),
    _ctx("authorization-aws-sigv4", lambda r: _r(r, _HEX, 64),
         "Authorization: AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20240501/us-east-1/s3/aws4_request, SignedHeaders=host;x-amz-date, Signature={s}"),
    _ctx("authorization-negotiate", lambda r: "YII" + _r(r, _B64, 120) + "==",
         "> Authorization: Negotiate {s}"),
    _ctx("authorization-custom-scheme", lambda r: "00" + _r(r, _ALNUM + "-_", 40),
         "Authorization: SSWS {s}", "headers={{'authorization': 'ApiKey {s}', 'accept': 'application/json'}}"),
    _ctx("x-api-key-header", lambda r: _r(r, _ALNUM, 32),
         "+ curl -H 'X-Api-Key: {s}' https://api.acme.dev/v2/items", "x-api-key: {s}"),
    _ctx("mysql-p-flag", _password,
         "+ mysql -h db.internal -u root -p{s} -e 'SHOW DATABASES'", "mysqldump --user=app --password={s} shop > shop.sql"),
    _ctx("docker-login-p", _password,
         "+ docker login -u ci-bot -p {s} registry.acme.dev",
         "docker login registry.acme.dev --username ci --password {s}"),
    _ctx("sshpass", _password, "+ sshpass -p '{s}' ssh deploy@10.0.3.7 ./restart.sh"),
    _ctx("password-flag-generic", _weak_password,
         "+ ./manage.py createsuperuser --username admin --password {s}",
         "helm install db bitnami/postgresql --set auth.postgresPassword={s}"),
    _ctx("token-flag", lambda r: _r(r, _ALNUM, 32),
         "+ vault login -no-print --token {s}", "./bin/agent --api-key={s} --verbose"),
    _ctx("kubeadm-join-token", lambda r: _r(r, _LOWER + _DIGITS, 6) + "." + _r(r, _LOWER + _DIGITS, 16),
         "kubeadm join 10.0.0.10:6443 --token {s} --discovery-token-ca-cert-hash sha256:" + "8d6f0c2b" * 8),
    _ctx("url-userinfo-password", _password,
         "Cloning into 'deps'... https://ci-bot:{s}@git.acme.dev/acme/deps.git",
         "sqlalchemy.exc.OperationalError: could not connect to postgresql://app:{s}@db.internal:5432/shop"),
    _ctx("redis-empty-user", lambda r: _r(r, _ALNUM, 20),
         "REDIS_URL=redis://:{s}@cache.internal:6379/0", "Error 111 connecting to rediss://:{s}@cache:6380/1"),
    _ctx("mongodb-srv", _password, "MONGO_URI=mongodb+srv://svc:{s}@cluster0.ab1cd.mongodb.net/app?retryWrites=true"),
    _ctx("amqp-url", _password, "celery worker: broker amqp://guest:{s}@rabbit:5672// unreachable"),
    _ctx("jdbc-password-param", _password,
         "Caused by: java.sql.SQLException: jdbc:mysql://db:3306/shop?user=app&password={s}&useSSL=false"),
    _ctx("url-token-param", lambda r: _r(r, _ALNUM, 32),
         "GET https://api.acme.dev/v1/export?token={s}&format=csv -> 500",
         "ERROR fetch failed: https://cdn.acme.dev/a.tgz?access_token={s}"),
    _ctx("azure-sas-sig", lambda r: _r(r, _B64, 43) + "=",
         "https://acmestore.blob.core.windows.net/logs/a.txt?sv=2022-11-02&ss=b&srt=o&sp=r&se=2024-06-01T00:00:00Z&sig={s}"),
    _ctx("s3-presigned-signature", lambda r: _r(r, _HEX, 64),
         "Downloading https://acme-art.s3.amazonaws.com/b.zip?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIDEXAMPLE%2F20240501%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20240501T000000Z&X-Amz-Expires=3600&X-Amz-SignedHeaders=host&X-Amz-Signature={s}"),
    _ctx("api-key-query-param", lambda r: _r(r, _ALNUM, 32),
         "requests.exceptions.ConnectionError: https://maps.acme.dev/geo?q=paris&api_key={s}"),
    _ctx("set-x-token", lambda r: _r(r, _ALNUM, 40), "+ TOKEN={s}", "++ DEPLOY_TOKEN={s} ./deploy.sh"),
    _ctx("set-x-export-api-key", lambda r: _r(r, _ALNUM, 32), "+ export API_KEY={s}", "+ export SENTRY_AUTH_TOKEN={s}"),
    _ctx("env-password", _password, "DB_PASSWORD={s} DB_HOST=db.internal DB_USER=app", "  POSTGRES_PASSWORD: {s}"),
    _ctx("gcp-private-key-id", lambda r: _r(r, _HEX, 40),
         '  "private_key_id": "{s}",', '{{"type": "service_account", "project_id": "acme-ci", "private_key_id": "{s}", "client_email": "ci@acme-ci.iam.gserviceaccount.com"}}'),
    _ctx("dockerconfigjson-auth", lambda r: _b64(f"ci-bot:{_password(r)}".encode()),
         '{{"auths": {{"registry.acme.dev": {{"auth": "{s}"}}}}}}', '            "auth": "{s}"'),
    _ctx("dockerconfigjson-secret-data", lambda r: _b64(json.dumps({"auths": {"ghcr.io": {"auth": _b64(f"bot:{_password(r)}".encode())}}}).encode()),
         "  .dockerconfigjson: {s}", 'kubectl create secret generic regcred --from-literal=.dockerconfigjson={s}'),
    _ctx("kubeconfig-client-key-data", lambda r: _b64(("\n".join(_pem(r, "EC PRIVATE KEY", 3)) + "\n").encode()),
         "    client-key-data: {s}"),
    _ctx("kubeconfig-token", lambda r: _r(r, _LOWER + _DIGITS, 6) + "." + _r(r, _LOWER + _DIGITS, 16),
         "    token: {s}"),
    _ctx("terraform-credentials-block", lambda r: _r(r, _ALNUM, 14) + "." + _r(r, _ALNUM, 50),
         'credentials "app.terraform.io" {{\n  token = "{s}"\n}}'),
    _ctx("terraform-plan-password", _password,
         '      + master_password        = "{s}"', '  + administrator_login_password = "{s}"'),
    _ctx("django-secret-key", lambda r: "django-insecure-" + _r(r, _LOWER + _DIGITS + "!@#%^&*(-_=+)", 50),
         "SECRET_KEY={s}", "DJANGO_SECRET_KEY='{s}'"),
    _ctx("netrc-password", _password, "machine github.com login ci-bot password {s}",
         "machine api.heroku.com\n  login ops@acme.dev\n  password {s}"),
    _ctx("session-cookie", lambda r: _r(r, _LOWER + _DIGITS, 32),
         "> Cookie: sessionid={s}; csrftoken=abc", "< Set-Cookie: session={s}; Path=/; HttpOnly; Secure"),
    _ctx("jsessionid-cookie", lambda r: _r(r, _HEX.upper(), 32),
         "Set-Cookie: JSESSIONID={s}; Path=/app; HttpOnly"),
    _ctx("pytest-locals-password", _weak_password,
         "password   = '{s}'", "E       AssertionError: login failed for password='{s}'"),
    _ctx("pytest-locals-dict-token", lambda r: _r(r, _ALNUM, 24),
         "headers    = {{'Accept': 'application/json', 'token': '{s}'}}",
         "E   AssertionError: assert {{'api_key': '{s}', 'user': 'ci'}} == {{'user': 'ci'}}"),
    _ctx("pytest-dict-pass", _weak_password,
         "creds      = {{'user': 'admin', 'pass': '{s}'}}", "E         {{'pass': '{s}'}} != {{'pass': '***'}}"),
    _ctx("yaml-client-secret", lambda r: _r(r, _ALNUM + "-_", 36),
         "  client_secret: {s}", "oauth:\n  clientSecret: \"{s}\""),
    _ctx("json-password", _password,
         '{{"user": "deploy", "password": "{s}", "retries": 3}}', "  'db_password': '{s}',"),
    _ctx("hcl-api-key", lambda r: _r(r, _ALNUM, 32), '  api_key = "{s}"'),
    _ctx("azure-storage-account-key", lambda r: _r(r, _B64, 86) + "==",
         "conn=DefaultEndpointsProtocol=https;AccountName=acmestore;AccountKey={s};EndpointSuffix=core.windows.net"),
    _ctx("azure-servicebus-key", lambda r: _r(r, _B64, 43) + "=",
         "Endpoint=sb://acme.servicebus.windows.net/;SharedAccessKeyName=RootManageSharedAccessKey;SharedAccessKey={s}"),
    _ctx("ldap-bind-password", _password, "+ ldapsearch -x -H ldap://ldap.acme.dev -D cn=admin,dc=acme -w {s} -b dc=acme"),
    _ctx("gcs-signed-url", lambda r: _r(r, _HEX, 64),
         "gsutil: GET https://storage.googleapis.com/acme-ci/a.tgz?X-Goog-Algorithm=GOOG4-RSA-SHA256&X-Goog-Signature={s} 403"),
    _ctx("personal-access-token-env", lambda r: _r(r, _LOWER + _DIGITS, 52), "AZURE_DEVOPS_EXT_PAT={s}", "  GH_PAT: {s}"),
    _ctx("aws-configure-set", lambda r: _r(r, _ALNUM + "+/", 40),
         "+ aws configure set aws_secret_access_key {s} --profile ci"),
    _ctx("actions-add-mask", lambda r: _r(r, _ALNUM, 28), "::add-mask::{s}"),
    _ctx("openssl-pass-arg", _password, "+ openssl enc -aes-256-cbc -pass pass:{s} -in backup.tar -out backup.enc"),
    _ctx("java-system-property", _password, "+ java -Dspring.datasource.password={s} -jar app.jar"),
    _ctx("ruby-hash-password", _password, 'ActiveRecord::ConnectionNotEstablished: {{:host=>"db", :password=>"{s}"}}'),
    _ctx("go-struct-dump", _password, "config loaded: &{{User:app Password:{s} Host:db.internal Port:5432}}"),
    _ctx("k8s-env-list", lambda r: _r(r, _ALNUM, 32),
         "      env:\n        - name: API_TOKEN\n          value: {s}", '    - name: "DB_PASSWORD"\n      value: "{s}"'),
    _ctx("sql-password", _password, "psql:init.sql:3: NOTICE: ALTER USER app WITH PASSWORD '{s}';",
         "mysql> CREATE USER 'app'@'%' IDENTIFIED BY '{s}';"),
    _ctx("keystore-pass", _password, "+ keytool -importkeystore -srcstorepass {s} -deststorepass {s} -noprompt"),
    _ctx("gpg-passphrase", _password, "+ gpg --batch --yes --passphrase '{s}' -d secrets.tar.gpg"),
    _ctx("python-secretstr", lambda r: _r(r, _ALNUM, 32),
         "E   pydantic_core.ValidationError: Settings(db_host='db', api_secret=SecretStr('{s}'))"),
    _ctx("xml-settings-password", _password,
         "[DEBUG] settings.xml: <server><id>nexus</id><username>ci</username><password>{s}</password></server>",
         '    <add key="ClearTextPassword" value="{s}" />'),
    _ctx("docker-identitytoken", lambda r: _r(r, _ALNUM + "-_.", 48), '    "identitytoken": "{s}"'),
    _ctx("private-key-rsa", lambda r: _pem(r)[1:-1], "Writing deploy key\n-----BEGIN RSA PRIVATE KEY-----\n{s}\n-----END RSA PRIVATE KEY-----"),
    _ctx("private-key-openssh", lambda r: _pem(r, "OPENSSH PRIVATE KEY")[1:-1],
         "-----BEGIN OPENSSH PRIVATE KEY-----\n{s}\n-----END OPENSSH PRIVATE KEY-----"),
    _ctx("private-key-json-escaped", lambda r: _r(r, _B64, 64),
         '{{"private_key": "-----BEGIN PRIVATE KEY-----\\n{s}\\n-----END PRIVATE KEY-----\\n", "client_id": "1234"}}'),
    # CI services' tokens and the CLIs that take them.
    _token("sonarqube-token", lambda r: r.choice(("squ_", "sqp_", "sqa_")) + _r(r, _HEX, 40),
           "+ mvn -B verify sonar:sonar -Dsonar.token={s}", "sonar: analysis token {s} rejected"),
    _ctx("sonarqube-legacy-login", lambda r: _r(r, _HEX, 40), "[INFO] mvn sonar:sonar -Dsonar.host.url=https://sonar.acme.dev -Dsonar.login={s}"),
    _ctx("codecov-upload-token", _uuid, "+ ./codecov -t {s} -f coverage.xml", "codecovcli upload-process -t {s} --fail-on-error"),
    _ctx("vault-login-token", lambda r: "s." + _r(r, _ALNUM, 24), "+ vault login {s}"),
    _ctx("snyk-auth-token", _uuid, "+ snyk auth {s}"),
    _token("buildkite-api-token", lambda r: "bkua_" + _r(r, _HEX, 40), "buildkite: using API token {s}"),
    _token("supabase-token", lambda r: "sbp_" + _r(r, _HEX, 40), "SUPABASE_ACCESS_TOKEN: {s}"),
    _token("heroku-api-key", lambda r: "HRKU-AA" + _r(r, _ALNUM + "-_", 58), "heroku: authenticated with {s}"),
    _token("bitbucket-app-password", lambda r: "ATBB" + _r(r, _ALNUM, 32), "git push https://ci:{s}@bitbucket.org/acme/app.git"),
    _token("dynatrace-token", lambda r: "dt0c01." + _r(r, _UPPER + _DIGITS, 24) + "." + _r(r, _UPPER + _DIGITS, 64),
           "dynatrace: api-token {s}"),
    _token("alibaba-access-key-id", lambda r: "LTAI" + _r(r, _ALNUM, 20), "aliyun configure --access-key-id {s}"),
    # Clients with a password syntax of their own.
    _ctx("openssl-passin", _password, "+ openssl pkcs12 -in cert.p12 -nodes -passin pass:{s} -out cert.pem",
         "+ openssl pkcs12 -export -passout pass:{s} -out bundle.p12"),
    _ctx("archive-password", _password, "+ zip -r -P {s} artifacts.zip dist/", "+ 7z a -p{s} -mhe=on backup.7z data/",
         "+ unzip -o -P {s} fixtures.zip"),
    _ctx("htpasswd-batch", _password, "+ htpasswd -b -c /etc/nginx/.htpasswd admin {s}", "+ htpasswd -nbB ci {s}"),
    _ctx("subscript-assignment", lambda r: _r(r, _ALNUM, 32), "    os.environ['API_KEY'] = '{s}'",
         'E       ENV["DB_PASSWORD"] = "{s}"'),
    _ctx("php-define", _password, "PHP Warning:  Constant DB_PASSWORD already defined: define('DB_PASSWORD', '{s}');"),
    _ctx("password-stdin", lambda r: _r(r, _ALNUM, 36), "+ echo {s} | docker login ghcr.io -u ci-bot --password-stdin",
         "+ echo '{s}' | helm registry login registry.acme.dev --username ci --password-stdin"),
    _ctx("lftp-user", _password, "+ lftp -u deploy,{s} sftp://files.acme.dev -e 'mirror -R dist /www; quit'"),
    _ctx("smb-user", _password, "+ smbclient //nas/builds -U ci%{s} -c 'put app.tar.gz'", "net use Z: \\\\nas\\builds /user:ci {s}"),
    _ctx("sqlcmd-password", _password, "+ sqlcmd -S db.acme.dev -U sa -P {s} -i migrate.sql"),
    _ctx("gh-secret-set", lambda r: _r(r, _ALNUM, 40), "+ gh secret set DEPLOY_TOKEN --body {s} --repo acme/widgets"),
    _ctx("sshpass-env", _password, "+ SSHPASS={s} sshpass -e ssh deploy@web-1 'systemctl restart app'"),
)


@dataclass
class PlantedLog:
    """A log with secrets planted in it.

    Attributes:
        text: the log.
        secrets: every planted value (a key block contributes each body line).
        kinds: the kind of each secret, index for index.
    """

    text: str
    secrets: list[str] = field(default_factory=list)
    kinds: list[str] = field(default_factory=list)


def ordinary_lines(rng: random.Random, n: int) -> list[str]:
    """Ordinary CI output that holds no secret but looks like it might: shas, uuids,
    cache keys, base64 payloads, test ids with secret-like names."""
    out = []
    for i in range(n):
        k = i % 10
        if k == 0:
            out.append(f"2024-05-01T10:{i // 60 % 60:02d}:{i % 60:02d}Z step {i} finished in {rng.randrange(900)} ms")
        elif k == 1:
            out.append(f"HEAD is now at {_r(rng, _HEX, 40)} Merge pull request #{rng.randrange(9000)}")
        elif k == 2:
            out.append(f"request {rng.randbytes(16).hex()[:8]}-{_r(rng, _HEX, 4)}-4{_r(rng, _HEX, 3)}-a{_r(rng, _HEX, 3)}-{_r(rng, _HEX, 12)} took {rng.randrange(90)} ms")
        elif k == 3:
            out.append(f"tests/test_auth.py::test_token_refresh[case{i}] PASSED")
        elif k == 4:
            out.append(f"Cache restored from key: Linux-pip-{_r(rng, _HEX, 64)}")
        elif k == 5:
            out.append(f"#{i} sha256:{_r(rng, _HEX, 64)} {rng.randrange(100)}.{rng.randrange(10)}MB / 52.4MB")
        elif k == 6:
            out.append(f"token_budget={rng.randrange(9000)} max_tokens=4000 password_reset_count={rng.randrange(5)}")
        elif k == 7:
            out.append("Run actions/checkout@v4 with: token: ***, ssh-strict: true, persist-credentials: true")
        elif k == 8:
            out.append(f"  Downloading numpy-1.26.{rng.randrange(5)}-cp311-cp311-manylinux_2_17_x86_64.whl (18.2 MB)")
        else:
            out.append(f"[INFO] Building jar: /home/runner/work/acme/target/acme-{rng.randrange(9)}.{rng.randrange(9)}.jar")
    return out



#: A pytest run's failing end: the failure a planted log must still report.
PYTEST_TAIL = [
    "============================= test session starts ==============================",
    "tests/test_api.py::test_login FAILED",
    "=================================== FAILURES ===================================",
    "_________________________________ test_login __________________________________",
    "E   AssertionError: expected 200, got 401",
    "FAILED tests/test_api.py::test_login - AssertionError: expected 200, got 401",
    "========================= 1 failed, 41 passed in 3.21s =========================",
]

def planted_log(seed: int = 0, noise_every: int = 3, kinds: tuple[Kind, ...] = KINDS) -> PlantedLog:
    """Every kind in each of its contexts, self-identifying tokens also in every generic
    context, a fresh value each time, between ordinary lines; a failing pytest run at the
    end so the summary has a failure to report."""
    rng = random.Random(seed)
    log = PlantedLog(text="")
    lines: list[str] = ["2024-05-01T10:00:00.0000000Z ##[group]Run ./ci/deploy.sh", "+ set -x"]

    def plant(kind: Kind, template: str) -> None:
        value = kind.make(rng)
        values = value if isinstance(value, list) else [value]
        text = template.replace("{s}", "\n".join(values)).replace("{{", "{").replace("}}", "}")
        lines.extend(text.split("\n"))
        log.secrets.extend(values)
        log.kinds.extend([kind.name] * len(values))
        if noise_every and len(lines) % noise_every == 0:
            lines.extend(ordinary_lines(rng, 2))

    for kind in kinds:
        for template in kind.contexts:
            plant(kind, template)
        if kind.generic:
            for template in GENERIC_CONTEXTS:
                plant(kind, template)
    lines += PYTEST_TAIL
    log.text = "\n".join(lines) + "\n"
    return log


def leaks(text: str, secrets: list[str], kinds: list[str] | None = None) -> list[str]:
    """The planted secrets still in `text`: the whole value, or, for a value of 16
    characters or more, either half of it (a rule that stops short leaks the rest).
    With `kinds`, each entry reads ``kind: value``."""
    out = []
    for i, s in enumerate(secrets):
        half = len(s) // 2
        if s in text or (len(s) >= 16 and (s[:half] in text or s[half:] in text)):
            out.append(f"{kinds[i]}: {s}" if kinds else s)
    return out
