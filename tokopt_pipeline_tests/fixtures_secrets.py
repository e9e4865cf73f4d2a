"""A CI log with planted secrets of every kind the redactor knows, for reuse in tests.

The values are made up but have the real formats; none is a live credential.
"""

from __future__ import annotations

# (secret value, line template); "{s}" marks where the value goes.
_B64 = "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7VJTUt9Us8cKj"
AWS_ID = "AKIAIOSFODNN7QWERTY7"
AWS_SECRET = "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"
GHP = "ghp_" + "A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8"
GH_PAT = "github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789ab"
GLPAT = "glpat-xY3kP9qR2sT5vW8zA1bC"
SLACK_BOT = "xoxb-2048163264-1234567890123-Zq8Xk2Lm9Np4Rt6Vw1Yb3Cd5"
SLACK_HOOK_PATH = "T01ABCDEF23/B04GHIJKL56/Hq7sJ2kL9mN4pR6tV8wX1yZ3"
BEARER = "9bX2kQ7mZ4pL1vN8rT5wY3cF6hJ0gD"
URL_PASS = "s3cr3t-Pa55word"
DB_PASS = "Tr0ub4dor&3horse"
JSON_PASS = "c0rrect horse battery"
JWT = ("eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkNJIn0"
       ".SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c")
API_KEY = "a8F3kQ9zL2mX7vB4nR6tY1wC5"
SERVICE_TOKEN = "5f2b9c8e1d4a7360b9e2f1c8d7a6b5e4"
CLIENT_SECRET = "hunter22"
STRIPE = "sk_live_4eC39HqLyjWDarjtT1zdp7dcXy"
GOOGLE = "AIzaSyD3-abcdefghijklmnopqrstuvwxyz1234"
NPM = "npm_Ab3De6Gh9Jk2Mn5Pq8St1Vw4Yz7Bc0Ef3Hi"
AZURE = "Zm9vYmFyYmF6cXV4" * 5 + "Zm9vYmFyYmF6cXV4YQ=="[:8]
TWILIO = "SK" + "0123456789abcdef0123456789abcdef"
SENDGRID = "SG." + "aBcDeFgHiJkLmNoPqRsTuV" + "." + "wXyZ0123456789aBcDeFgHiJkLmNoPqRsTuVwXyZ012"
OPENAI = "sk-proj-Xr7Kq2Lm9Zp4Vn8Tb1Wc6Yd3Fg5Hj0Ks"
BASIC = "Y2ktYm90OnMzY3IzdC1QYTU1"
DOCKER_AUTH = "ZGVwbG95OnN1cGVyLXNlY3JldC0xMjM0"
KEY_LINES = [
    "MIIEowIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLezV6ffAt0gun",
    "VTLw7onLRnrq0/IzW7yWR7QkrmBL7jTKEn5u+qKhbwKfBstIs+bMY2Zkp18gnTxK",
    "LxoS2tFczGkPLPgizskuemMghRniWaoLcyehkd3qqGElvW/VDL5AaWTg0nLVkjRo",
]


def planted_secrets_log() -> tuple[str, list[str]]:
    """Return ``(log_text, secrets)``: a realistic CI log and every secret planted in it.

    Covers each kind (several on one line, some inside JSON) and an RSA private key
    block. The key's body lines are among the secrets.
    """
    lines = [
        "2024-05-01T10:00:00Z ##[group]Run actions/checkout@v4",
        "Syncing repository: acme/widgets",
        "git version 2.43.0; HEAD is now at 3f786850e387550fdab836ed7e6dc881de23001b",
        f"export AWS_ACCESS_KEY_ID={AWS_ID}",
        f'aws configure set aws_secret_access_key "{AWS_SECRET}"',
        f"env: GITHUB_TOKEN={GHP} GITLAB_TOKEN={GLPAT}",
        f"Using fine-grained token {GH_PAT} for the release step",
        f"posting to https://hooks.slack.com/services/{SLACK_HOOK_PATH} with SLACK_BOT={SLACK_BOT}",
        f"curl -sS -H 'Authorization: Bearer {BEARER}' https://api.acme.dev/v1/builds",
        f"Cloning into 'deps'... https://ci-bot:{URL_PASS}@git.acme.dev/acme/deps.git",
        f"DB_PASSWORD={DB_PASS} DB_HOST=db.internal DB_USER=app",
        f'{{"user": "deploy", "password": "{JSON_PASS}", "api_key": "{API_KEY}", "retries": 3}}',
        f"request failed: token={JWT} status=401",
        f"SERVICE_TOKEN={SERVICE_TOKEN}",
        f"CLIENT_SECRET={CLIENT_SECRET}",
        f"stripe.api_key = '{STRIPE}'",
        f"maps: key={GOOGLE}",
        f"//registry.npmjs.org/:_authToken={NPM}",
        f"conn=DefaultEndpointsProtocol=https;AccountName=acmestore;AccountKey={AZURE};EndpointSuffix=core.windows.net",
        f"twilio client created with {TWILIO}",
        f"sendgrid: using {SENDGRID}",
        f"OPENAI_API_KEY={OPENAI}",
        f"docker login: Authorization: Basic {BASIC}",
        f'{{"auths": {{"registry.acme.dev": {{"auth": "{DOCKER_AUTH}"}}}}}}',
        "Writing deploy key to ~/.ssh/id_rsa",
        "-----BEGIN RSA PRIVATE KEY-----",
        *KEY_LINES,
        "-----END RSA PRIVATE KEY-----",
        "request 123e4567-e89b-12d3-a456-426614174000 took 12 ms; password_reset_count=3",
        "token_budget=76659 max_tokens=4000 cache hit for 9f86d081884c7d659a2feaa0c55ad015",
        "Cache key: setup-python-Linux-x64-pip-4a1c0e9f2b7d",
        "The payload was base64 encoded as SGVsbG8gV29ybGQ in the sentence above.",
        "FAILED tests/test_api.py::test_login - AssertionError: expected 200, got 401",
        "===== 1 failed, 41 passed in 3.21s =====",
    ]
    secrets = [
        AWS_ID, AWS_SECRET, GHP, GH_PAT, GLPAT, SLACK_BOT, SLACK_HOOK_PATH, BEARER, URL_PASS,
        DB_PASS, JSON_PASS, JWT, API_KEY, SERVICE_TOKEN, CLIENT_SECRET, STRIPE, GOOGLE, NPM,
        AZURE, TWILIO, SENDGRID, OPENAI, BASIC, DOCKER_AUTH, *KEY_LINES,
    ]
    return "\n".join(lines) + "\n", secrets
