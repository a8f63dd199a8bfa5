"""Dashboard sign-ins, kept by the server: the cookie holds a random id, never the API token.

A sign-in ends after ``LIFETIME_S``, at sign-out, or when the server stops (sign in again with
``lore token``). Each carries the token its forms send back (``csrf``): a page of another site,
or of another port of 127.0.0.1 (browsers share cookies across ports), can make the browser
send the cookie but cannot read a page to learn that token.
"""

from __future__ import annotations

import hmac
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

LIFETIME_S = 12 * 3600
# Sign-ins kept at once; the oldest ends first when more start (a script looping on /login).
MOST = 1000


@dataclass(frozen=True, slots=True)
class Login:
    id: str
    csrf: str
    expires_at: float

    def accepts(self, csrf: str | None) -> bool:
        return bool(csrf) and hmac.compare_digest(self.csrf.encode(), str(csrf).encode())


class Logins:
    def __init__(self, lifetime_s: float = LIFETIME_S, clock: Callable[[], float] = time.time):
        self.lifetime_s = lifetime_s
        self.clock = clock
        self._logins: dict[str, Login] = {}
        self._lock = threading.Lock()

    def start(self) -> Login:
        login = Login(
            secrets.token_urlsafe(32), secrets.token_urlsafe(32), self.clock() + self.lifetime_s
        )
        with self._lock:
            while len(self._logins) >= MOST:
                del self._logins[next(iter(self._logins))]
            self._logins[login.id] = login
        return login

    def find(self, login_id: str | None) -> Login | None:
        """The live sign-in of this id; None for an unknown, empty or expired one."""
        if not login_id:
            return None
        with self._lock:
            login = self._logins.get(login_id)
            if login is not None and login.expires_at <= self.clock():
                del self._logins[login_id]
                return None
        return login

    def end(self, login_id: str | None) -> None:
        with self._lock:
            self._logins.pop(login_id or "", None)
