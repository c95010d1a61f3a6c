"""Admin sign-in for the web app: password check with back-off, then a short-lived signed session.

The password is only ever checked by `AdminGate.login` (the `/api/admin/login` route). A
success yields a token `<expiry>.<nonce>.<mac>` whose MAC is an HMAC keyed by the admin
password and a per-process random salt, so a token cannot be forged, dies with the process
and never needs to be stored. The browser keeps it in an HttpOnly cookie; every changing
library action and every Gradio upload checks that cookie.

Guessing is slowed without sleeping a thread: after `n` failures a client is refused for
`base · 2^(n-1)` seconds (capped), and each failure is logged without the attempted password.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum

from assistant.facade import Assistant

log = logging.getLogger("reformqa.admin")

COOKIE = "rq_admin"
SESSION_SECONDS = 30 * 60
EMPTY_PASSWORD = "请输入管理员密码。"
WRONG_PASSWORD = "管理员密码不正确，没有做任何修改。"
ADMIN_OFF = "未设置管理员密码（环境变量 REFORMQA_ADMIN_PASSWORD），资料库为只读。"
NOT_SIGNED_IN = "请先输入管理员密码并登录（登录 30 分钟内有效）。"


class Outcome(Enum):
    OK = "ok"
    EMPTY = "empty"
    WRONG = "wrong"
    LOCKED = "locked"
    OFF = "off"


@dataclass(frozen=True)
class Verdict:
    outcome: Outcome
    token: str = ""
    retry_after: float = 0.0

    @property
    def message(self) -> str:
        if self.outcome is Outcome.LOCKED:
            return f"密码错误次数过多，请 {max(1, round(self.retry_after))} 秒后再试。"
        return {
            Outcome.OK: "已登录，30 分钟内有效。",
            Outcome.EMPTY: EMPTY_PASSWORD,
            Outcome.WRONG: WRONG_PASSWORD,
            Outcome.OFF: ADMIN_OFF,
        }[self.outcome]


@dataclass
class _Failures:
    count: int = 0
    locked_until: float = 0.0


class AdminGate:
    """Password check with per-client back-off, and the signed session tokens."""

    def __init__(
        self,
        assistant: Assistant,
        *,
        base_delay: float = 1.0,
        max_delay: float = 300.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.assistant = assistant
        self.base_delay = base_delay
        self.max_delay = max_delay
        self._clock = clock
        self._failures: dict[str, _Failures] = {}
        self._lock = threading.Lock()
        secret = assistant.settings.admin_password.get_secret_value().encode()
        # Keyed by the password and a salt that lives only in this process: no key on disk.
        self._key = hmac.new(secret, b"reformqa-admin-session" + secrets.token_bytes(16), hashlib.sha256).digest()

    @property
    def enabled(self) -> bool:
        return self.assistant.admin_enabled

    def login(self, password: str, client: str) -> Verdict:
        """Check a password for `client` (an IP); a token on success."""
        if not self.enabled:
            return Verdict(Outcome.OFF)
        if not password:
            return Verdict(Outcome.EMPTY)
        with self._lock:
            wait = self._failures.get(client, _Failures()).locked_until - self._clock()
        if wait > 0:
            log.warning("admin login refused for %s: locked for %.0f s after repeated failures", client, wait)
            return Verdict(Outcome.LOCKED, retry_after=wait)
        if self.assistant.check_admin(password):
            with self._lock:
                self._failures.pop(client, None)
            return Verdict(Outcome.OK, token=self.issue())
        with self._lock:
            f = self._failures.setdefault(client, _Failures())
            f.count += 1
            delay = min(self.max_delay, self.base_delay * 2 ** (f.count - 1))
            f.locked_until = self._clock() + delay
            if len(self._failures) > 10_000:  # bounded memory under a spray of addresses
                self._failures.pop(next(iter(self._failures)))
        log.warning("admin login failed for %s (failure %d; next try in %.0f s)", client, f.count, delay)
        return Verdict(Outcome.WRONG, retry_after=delay)

    def issue(self) -> str:
        expiry = int(time.time()) + SESSION_SECONDS
        body = f"{expiry}.{secrets.token_hex(8)}"
        return f"{body}.{self._mac(body)}"

    def valid(self, token: str | None) -> bool:
        """True for an unexpired token this process issued (constant-time MAC compare)."""
        if not self.enabled or not token or len(token) > 200:
            return False
        body, _, mac = token.rpartition(".")
        expiry, _, _nonce = body.partition(".")
        if not expiry.isdigit() or int(expiry) < time.time():
            return False
        return hmac.compare_digest(mac, self._mac(body))

    def _mac(self, body: str) -> str:
        return hmac.new(self._key, body.encode(), hashlib.sha256).hexdigest()
