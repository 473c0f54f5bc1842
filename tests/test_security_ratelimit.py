"""Rate limiting of log-in and registration with Flask-Limiter.

Each "worker" is a separate Python process running its own app instance against the test
database, as gunicorn workers would: in-memory counts stay per process, a Redis storage URI
(QUIZAPP_RATELIMIT_STORAGE_URL) makes every worker share them. The shared test app has the
limiter switched off, and Flask-Limiter's ``limiter`` object is a module-level singleton, so
building limited apps inside the test process would leak limits into every later test;
subprocesses keep that state out of this process.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import uuid

import pytest
import redis
from conftest import REPO, csrf_token, make_user
from sqlalchemy import select

from quizapp.extensions import db
from quizapp.models import RateLimitCounter

REDIS_URL = os.environ.get("QUIZAPP_TEST_REDIS_URL") or "redis://127.0.0.1:6379/0"

WORKER = r"""
import json, re, sys
from quizapp import create_app
from quizapp.extensions import db

spec = json.loads(sys.argv[1])
app = create_app({"TESTING": True, "SECRET_KEY": "test-secret-key",
                  "SQLALCHEMY_DATABASE_URI": spec["db"], "RATELIMIT_ENABLED": True,
                  "RATELIMIT_KEY_PREFIX": spec["prefix"]})
client = app.test_client()
out = []
for path, data in spec["posts"]:
    with app.app_context():
        page = client.get(path).get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    with app.app_context():
        response = client.post(path, data={**data, "csrf_token": token})
    body = response.get_data(as_text=True)
    out.append({"status": response.status_code, "body": body.replace(token, "TOKEN"),
                "headers": dict(response.headers)})
with app.app_context():
    db.engine.dispose()
print(json.dumps(out))
"""


def worker_env(storage: str | None = None, limit: str | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if k not in ("QUIZAPP_RATELIMIT_STORAGE_URL", "QUIZAPP_LOGIN_RATE_LIMIT")}
    env["PYTHONPATH"] = str(REPO) + os.pathsep + env.get("PYTHONPATH", "")
    if storage:
        env["QUIZAPP_RATELIMIT_STORAGE_URL"] = storage
    if limit:
        env["QUIZAPP_LOGIN_RATE_LIMIT"] = limit
    return env


def run_worker(app, posts, *, storage: str | None = None, limit: str | None = None,
               prefix: str = "") -> list[dict]:
    env = worker_env(storage, limit)
    spec = {"db": app.config["SQLALCHEMY_DATABASE_URI"], "posts": posts, "prefix": prefix}
    done = subprocess.run([sys.executable, "-c", WORKER, json.dumps(spec)], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def bad_login(email="ann@example.org"):
    return ["/auth/login", {"email": email, "password": "wrong-password"}]


def bad_register():
    return ["/auth/register", {"email": "new@example.org", "display_name": "N",
                               "password": "long-enough-1", "confirm": "different-1",
                               "timezone": "UTC"}]


@pytest.fixture
def redis_prefix():
    """A key prefix of this test's own in the shared Redis, deleted afterwards.

    Connecting first makes an unreachable Redis a failure here, not a silent pass."""
    server = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=3)
    assert server.ping()
    prefix = f"quizapp-test-{uuid.uuid4().hex}"
    yield prefix
    for key in server.scan_iter(match=f"*{prefix}*"):
        server.delete(key)
    server.close()


def test_login_is_limited_by_default(app):
    make_user("ann@example.org")
    results = run_worker(app, [bad_login()] * 10 + [bad_login("nobody@example.org")] * 2
                         + [["/auth/login", {"email": "ann@example.org",
                                             "password": "correct-horse-1"}]])
    statuses = [r["status"] for r in results]
    # The shipped default: 10 per minute, whoever the email names, even the right password.
    assert statuses == [400] * 10 + [429] * 3
    # Every limited view's response says how many attempts are left (the limiter's
    # after-request hook runs where a limit was checked).
    assert [r["headers"].get("X-RateLimit-Remaining") for r in results[:10]] == [
        str(left) for left in range(9, -1, -1)]
    limited = results[-1]
    assert "Too many attempts" in limited["body"] and "Error 429" in limited["body"]
    # The styled page says how long to wait, in agreement with the Retry-After header.
    wait = int(re.search(r"Try again in (\d+) seconds?\.", limited["body"]).group(1))
    assert 1 <= wait <= 60
    assert abs(wait - int(limited["headers"]["Retry-After"])) <= 1
    assert 'href="/static/app.css"' in limited["body"]
    assert "frame-ancestors 'none'" in limited["headers"]["Content-Security-Policy"]
    assert limited["headers"]["X-Content-Type-Options"] == "nosniff"


def test_register_is_limited_too(app):
    results = run_worker(app, [bad_register()] * 4, limit="3 per 5 minutes")
    assert [r["status"] for r in results] == [400, 400, 400, 429]


CHECKS_WORKER = r"""
import json, sys
from quizapp import create_app
from quizapp.extensions import limiter
from flask import request

checks = []
check = limiter._check_request_limit
limiter._check_request_limit = lambda *a, **k: (checks.append(request.path), check(*a, **k))[1]
app = create_app({"TESTING": True, "SECRET_KEY": "test-secret-key",
                  "SQLALCHEMY_DATABASE_URI": sys.argv[1], "RATELIMIT_ENABLED": True,
                  "WTF_CSRF_ENABLED": False})
client = app.test_client()
statuses = [client.get("/").status_code, client.get("/auth/login").status_code]
statuses += [client.post("/auth/login", data={"email": "a@example.org", "password": "x"}
                         ).status_code for _ in range(3)]
print(json.dumps({"checks": checks, "statuses": statuses}))
"""


def test_only_limited_views_check_the_limiter(app):
    """A page with no limit (the home page here, every study request in use) runs no
    limiter check at all; the limited log-in form still checks each time and limits."""
    env = worker_env(limit="2 per 5 minutes")
    done = subprocess.run([sys.executable, "-c", CHECKS_WORKER,
                           app.config["SQLALCHEMY_DATABASE_URI"]], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["statuses"][2:] == [400, 400, 429]
    assert result["checks"] == ["/auth/login"] * 4

def test_in_memory_counts_are_per_process(app):
    """The control for the shared tests: memory:// lets each worker count alone."""
    make_user("ann@example.org")
    first = run_worker(app, [bad_login()] * 2, storage="memory://", limit="3 per 5 minutes")
    second = run_worker(app, [bad_login()] * 3, storage="memory://", limit="3 per 5 minutes")
    assert [r["status"] for r in first + second] == [400] * 5


def test_workers_share_the_count_through_the_database_by_default(app):
    """Two processes, no storage setting (as `make serve` runs): one shared count."""
    make_user("ann@example.org")
    limit = "3 per 5 minutes"
    first = run_worker(app, [bad_login()] * 2, limit=limit)
    second = run_worker(app, [bad_login(), bad_login(), bad_register()], limit=limit)
    assert [r["status"] for r in first] == [400, 400]
    assert [r["status"] for r in second] == [400, 429, 400]  # register counts on its own
    rows = db.session.scalars(select(RateLimitCounter)).all()
    assert sorted(r.hits for r in rows) == [1, 4]


def test_parallel_attempts_are_all_counted(app):
    """Eight processes at once against one database: no hit is lost to a race."""
    make_user("ann@example.org")
    env = worker_env(limit="100 per 5 minutes")
    spec = {"db": app.config["SQLALCHEMY_DATABASE_URI"], "posts": [bad_login()] * 3,
            "prefix": ""}
    processes = [subprocess.Popen([sys.executable, "-c", WORKER, json.dumps(spec)], cwd=REPO,
                                  env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                  text=True) for _ in range(8)]
    for process in processes:
        _, errors = process.communicate(timeout=180)
        assert process.returncode == 0, errors[-3000:]
    db.session.expire_all()
    assert [r.hits for r in db.session.scalars(select(RateLimitCounter))] == [24]


def test_workers_share_the_count_through_redis(app, redis_prefix):
    make_user("ann@example.org")
    limit = "3 per 5 minutes"
    first = run_worker(app, [bad_login()] * 2, storage=REDIS_URL, limit=limit,
                       prefix=redis_prefix)
    second = run_worker(app, [bad_login(), bad_login(), bad_register()], storage=REDIS_URL,
                        limit=limit, prefix=redis_prefix)
    assert [r["status"] for r in first] == [400, 400]
    assert [r["status"] for r in second] == [400, 429, 400]  # register counts on its own
    keys = list(redis.Redis.from_url(REDIS_URL).scan_iter(match=f"*{redis_prefix}*"))
    assert keys, "the limiter wrote nothing to Redis"


def test_unknown_email_and_wrong_password_get_the_same_page(client, app):
    make_user("ann@example.org")
    pages = []
    for email in ("ann@example.org", "nobody@example.org"):
        token = csrf_token(client, "/auth/login")
        response = client.post("/auth/login", data={
            "email": email, "password": "wrong-password", "csrf_token": token})
        assert response.status_code == 400
        # The page signs its CSRF token afresh: its timestamp's second may differ.
        body = re.sub(r'(name="csrf_token"[^>]*value=")[^"]+', r"\1TOKEN",
                      response.get_data(as_text=True))
        assert body.count('value="TOKEN"') == body.count('name="csrf_token"') > 0
        pages.append(re.sub(r'value="[^"]*@example\.org"', 'value="EMAIL"', body))
    assert pages[0] == pages[1]
    assert "Wrong email or password." in pages[0]
