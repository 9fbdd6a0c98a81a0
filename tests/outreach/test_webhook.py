"""Webhook delivery against a local receiver (127.0.0.1) that fails on purpose: signed,
retried with backoff, never duplicated, and the state survives a restart."""

from __future__ import annotations

import hashlib
import hmac
import http.server
import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import pytest

from kizuki.errors import ConfigError
from kizuki.outreach.webhook import DELIVERIES_TABLE, deliver_queue, sign

SECRET = "s3cret"


class Receiver:
    """A webhook receiver that answers 500 to its first ``fail`` requests (or all while
    ``down``), checks every signature, and keeps what it accepted by idempotency key."""

    def __init__(self, fail: int = 0) -> None:
        self.fail, self.down, self.requests = fail, False, 0
        self.accepted: dict[str, dict[str, Any]] = {}
        self.bad_signatures = 0
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.requests += 1
                want = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
                if not hmac.compare_digest(want, self.headers["X-Kizuki-Signature"]):
                    receiver.bad_signatures += 1
                    self.send_response(401)
                elif receiver.down or receiver.requests <= receiver.fail:
                    self.send_response(500)
                else:
                    key = self.headers["Idempotency-Key"]
                    doc = json.loads(body)
                    assert doc["idempotency_key"] == key
                    receiver.accepted.setdefault(key, doc["item"])
                    self.send_response(200)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver(fail=3)
    yield r
    r.close()


def _queue(n: int = 4) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "customer_id": [f"C{i}" for i in range(n)],
            "cause": ["incident:INC-1"] + ["high_risk"] * (n - 1),
            "triggers": ['["incident", "high_risk"]'] + ['["high_risk"]'] * (n - 1),
            "incident_id": ["INC-1"] + [None] * (n - 1),
            "p_churn": [0.5] * n,
            "value": [1000.0] * n,
            "expected_value_saved": [100.0] * n,
            "reasons_ja": ["エラーが多い"] * n,
            "reasons_en": ["many errors"] * n,
            "channel": ["email"] * n,
            "article": [None] * n,
            "message_ja": ["いつもご利用いただき、誠にありがとうございます。"] * n,
            "message_en": ["Thank you."] * n,
            "idempotency_key": [f"k{i}" for i in range(n)],
            "suppressed": [False] * (n - 1) + [True],
        }
    )


def test_retried_signed_and_sent_once(receiver: Receiver, tmp_path: Path) -> None:
    con = duckdb.connect(str(tmp_path / "s.duckdb"))
    waits: list[float] = []
    report = deliver_queue(con, _queue(), receiver.url, SECRET, sleep=waits.append)
    # 3 unsuppressed items; the first three requests fail with 500 and are retried
    assert (report.sent, report.failed, report.attempts) == (3, 0, 6)
    assert waits == [0.5, 1.0, 2.0]  # exponential backoff on the first item
    assert sorted(receiver.accepted) == ["k0", "k1", "k2"]
    assert receiver.accepted["k0"]["triggers"] == ["incident", "high_risk"]
    assert receiver.accepted["k0"]["message_ja"].startswith("いつもご利用")
    assert receiver.bad_signatures == 0
    # run again (and again after a restart): nothing is sent twice
    again = deliver_queue(con, _queue(), receiver.url, SECRET, sleep=waits.append)
    assert (again.sent, again.already_sent, receiver.requests) == (0, 3, 6)
    con.close()
    reopened = duckdb.connect(str(tmp_path / "s.duckdb"))
    third = deliver_queue(reopened, _queue(), receiver.url, SECRET, sleep=waits.append)
    assert (third.sent, third.already_sent) == (0, 3)
    states = reopened.execute(
        f"SELECT idempotency_key, status, attempts FROM {DELIVERIES_TABLE} ORDER BY 1"
    ).fetchall()
    assert states == [("k0", "sent", 4), ("k1", "sent", 1), ("k2", "sent", 1)]


def test_a_receiver_that_stays_down_loses_nothing(receiver: Receiver, tmp_path: Path) -> None:
    receiver.down = True
    path = tmp_path / "s.duckdb"
    con = duckdb.connect(str(path))
    report = deliver_queue(
        con, _queue(), receiver.url, SECRET, max_attempts=2, sleep=lambda s: None
    )
    assert (report.sent, report.failed) == (0, 3) and not receiver.accepted
    failed = con.execute(f"SELECT count(*) FROM {DELIVERIES_TABLE} WHERE status = 'failed'")
    assert failed.fetchone()[0] == 3
    con.close()
    # the receiver is back, Kizuki restarted: the failed items go out, once each
    receiver.down = False
    con = duckdb.connect(str(path))
    report = deliver_queue(con, _queue(), receiver.url, SECRET, sleep=lambda s: None)
    assert report.sent == 3 and sorted(receiver.accepted) == ["k0", "k1", "k2"]


def test_nobody_listening_and_bad_settings(tmp_path: Path) -> None:
    con = duckdb.connect(str(tmp_path / "s.duckdb"))
    server = http.server.HTTPServer(("127.0.0.1", 0), http.server.BaseHTTPRequestHandler)
    port = server.server_port
    server.server_close()  # a port nobody listens on
    report = deliver_queue(
        con, _queue(2), f"http://127.0.0.1:{port}/", SECRET, max_attempts=2, sleep=lambda s: None
    )
    assert report.failed == 1 and "Error" in report.errors[0]
    with pytest.raises(ConfigError, match="http:// or https://"):
        deliver_queue(con, _queue(), "ftp://x", SECRET)
    with pytest.raises(ConfigError, match="secret"):
        deliver_queue(con, _queue(), "http://127.0.0.1:1/", "")


def test_signature_is_hmac_sha256_of_the_body() -> None:
    body = b'{"a": 1}'
    assert sign(body, "k") == "sha256=" + hmac.new(b"k", body, hashlib.sha256).hexdigest()
