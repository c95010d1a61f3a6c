"""Signing in to the library's admin actions, showing who is signed in, and signing out.

The password goes from the browser straight to `/api/admin/login`, which sets the HttpOnly
session cookie; signing out goes to `/api/admin/logout`, the one place that ends a session
(only a response can clear an HttpOnly cookie). The Python handlers here run after those
routes answered and only read the cookie, so the page shows the same view after a sign-in,
a sign-out and a reload.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import gradio as gr

from ui.admin import COOKIE, NOT_SIGNED_IN, AdminGate
from ui.html import notice

LOGIN_JS = """
async (password) => {
  try {
    const r = await fetch('api/admin/login', {method: 'POST', credentials: 'same-origin',
      headers: {'content-type': 'application/json'}, body: JSON.stringify({password: password || ''})});
    const body = await r.json();
    return body.ok ? '' : (body.error || '登录失败。');
  } catch (e) {
    return '无法连接服务器，请稍后再试。';
  }
}
"""

LOGOUT_JS = """
async () => {
  try { await fetch('api/admin/logout', {method: 'POST', credentials: 'same-origin'}); } catch (e) { /* shown below */ }
  return [];
}
"""

SIGNED_IN = (
    "<p class='rq-who'>已登录：<strong>管理员</strong>（30 分钟内有效），可以上传、修改、重新索引和删除报告。</p>"
)


def session_token(request: Any) -> str | None:
    """The admin session cookie of a Gradio request (None outside a request, e.g. in tests)."""
    cookies = getattr(request, "cookies", None) or {}
    token = cookies.get(COOKIE)
    return token if isinstance(token, str) else None


class SessionHandlers:
    """The sign-in view's handlers (tested directly)."""

    def __init__(self, gate: AdminGate) -> None:
        self.gate = gate

    def view(self, token: str | None) -> tuple[Any, ...]:
        """Who is signed in. Outputs: access notice, password row, signed-in row, admin panel."""
        signed = self.gate.valid(token)
        return (
            gr.update(visible=not signed),
            gr.update(visible=not signed),
            gr.update(visible=signed),
            gr.update(visible=signed),
        )

    def after_login(self, message: str, token: str | None) -> tuple[Any, ...]:
        """Outputs: status, password box, then `view`'s (the sign-in route already answered)."""
        if self.gate.valid(token):  # the signed-in row says so
            return "", "", *self.view(token)
        return notice("error", message or NOT_SIGNED_IN), gr.skip(), *self.view(token)

    def after_logout(self, token: str | None) -> tuple[Any, ...]:
        """After the sign-out route answered. Outputs: status, then `view`'s."""
        if self.gate.valid(token):  # the route could not be reached: the session is still on
            return notice("error", "没有退出登录", "无法连接服务器，请稍后再试。"), *self.view(token)
        return notice("ok", "已退出登录"), *self.view(token)


@dataclass
class SessionRows:
    """The password row and the signed-in row (only one of them is shown)."""

    password: gr.Textbox
    login: gr.Button
    login_row: gr.Row
    signed_row: gr.Row
    logout: gr.Button


def build_rows() -> SessionRows:
    """Both rows, inside the current layout block; `wire` connects them."""
    with gr.Row(elem_id="rq-login-row") as login_row:
        password = gr.Textbox(label="管理员密码", type="password", elem_id="rq-password", max_lines=1, scale=3)
        login = gr.Button("登录", scale=0, min_width=100, elem_id="rq-login")
    with gr.Row(visible=False, elem_id="rq-signed-in") as signed_row:
        gr.HTML(SIGNED_IN, padding=False, elem_id="rq-who")
        logout = gr.Button("退出登录", scale=0, min_width=110, elem_id="rq-logout")
    return SessionRows(password, login, login_row, signed_row, logout)


def wire(h: SessionHandlers, rows: SessionRows, status: Any, access: Any, panel: Any) -> tuple[list[Any], Any]:
    """The sign-in, sign-out and page-load events. Returns the sign-in events (to chain what a
    signed-in admin needs next) and the (function, inputs, outputs) of the page-load check."""

    def login_fn(message: str, request: gr.Request) -> tuple[Any, ...]:
        return h.after_login(message, session_token(request))

    def logout_fn(request: gr.Request) -> tuple[Any, ...]:
        return h.after_logout(session_token(request))

    def view_fn(request: gr.Request) -> tuple[Any, ...]:
        return h.view(session_token(request))

    view = [access, rows.login_row, rows.signed_row, panel]
    login_io = ([rows.password], [status, rows.password, *view])
    signed = [
        rows.login.click(login_fn, *login_io, js=LOGIN_JS, api_visibility="private"),
        rows.password.submit(login_fn, *login_io, js=LOGIN_JS, api_visibility="private"),
    ]
    rows.logout.click(logout_fn, None, [status, *view], js=LOGOUT_JS, api_visibility="private")
    return signed, (view_fn, [], view)
