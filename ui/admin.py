"""Admin sign-in for the web app: password check with back-off, then a short-lived signed session.

The password is only ever checked by `AdminGate.login` (the `/api/admin/login` route). A
success yields a token `<expiry>.<nonce>.<mac>` whose MAC is an HMAC keyed by the admin
password and a per-process random salt, so a token cannot be forged and dies with the
process (a new password needs a restart, so it ends every session too). The nonce is also
kept in a table of live sessions in memory: `logout` takes it out, and from then on the token
is refused everywhere, even though its MAC and expiry are still good. The browser keeps the
token in an HttpOnly, SameSite=Strict cookie; every changing library action and every Gradio
upload checks it. `csrf` derives the session's CSRF token, which a request carrying the cookie
without Origin or Referer must send (`ui.guard.OriginGuard`).

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
CSRF_HEADER = "x-reformqa-csrf"
SESSION_SECONDS = 30 * 60
MAX_SESSIONS = 200
"""Live sessions kept; beyond it the oldest ends (an office has a few admins, not hundreds)."""
EMPTY_PASSWORD = "请输入管理员密码。"
WRONG_PASSWORD = "管理员密码不正确，没有做任何修改。"
ADMIN_OFF = "未设置管理员密码（环境变量 REFORMQA_ADMIN_PASSWORD），资料库为只读。"
LOGGED_OUT = "已退出登录。"
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
        self._sessions: dict[str, int] = {}
        """Live sessions: nonce → expiry (Unix time), oldest first."""
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
        """A new session's token (and the session, in the table of live ones)."""
        expiry = int(time.time()) + SESSION_SECONDS
        nonce = secrets.token_hex(16)
        with self._lock:
            now = time.time()
            for old in [n for n, e in self._sessions.items() if e < now]:
                del self._sessions[old]
            while len(self._sessions) >= MAX_SESSIONS:
                self._sessions.pop(next(iter(self._sessions)))
            self._sessions[nonce] = expiry
        body = f"{expiry}.{nonce}"
        return f"{body}.{self._mac(body)}"

    def _nonce(self, token: str | None) -> str | None:
        """The nonce of a token this process signed and that has not expired (MAC compared
        in constant time), whether or not its session is still live."""
        if not self.enabled or not token or len(token) > 200:
            return None
        body, _, mac = token.rpartition(".")
        expiry, _, nonce = body.partition(".")
        if not expiry.isdigit() or int(expiry) < time.time():
            return None
        return nonce if hmac.compare_digest(mac, self._mac(body)) else None

    def valid(self, token: str | None) -> bool:
        """True for an unexpired token this process issued whose session is still live."""
        nonce = self._nonce(token)
        if nonce is None:
            return False
        with self._lock:
            return nonce in self._sessions

    def logout(self, token: str | None) -> bool:
        """End the session of `token` on the server: the token is refused from now on,
        wherever it is replayed. True if a live session ended."""
        nonce = self._nonce(token)
        if nonce is None:
            return False
        with self._lock:
            ended = self._sessions.pop(nonce, None) is not None
        if ended:
            log.info("admin session ended by logout")
        return ended

    def csrf(self, token: str | None) -> str:
        """The CSRF token of a live session ("" for none): a keyed hash of its nonce."""
        nonce = self._nonce(token) if self.valid(token) else None
        return self._mac(f"csrf.{nonce}") if nonce else ""

    def _mac(self, body: str) -> str:
        return hmac.new(self._key, body.encode(), hashlib.sha256).hexdigest()
