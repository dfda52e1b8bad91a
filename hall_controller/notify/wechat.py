"""WeChat subscribe messages (订阅消息) through the hall's mini program, over WeChat's HTTP API.

- ``GET /cgi-bin/token`` gives an access token valid ``expires_in`` seconds: cached, renewed five minutes
  early, one renewal at a time; a send refused for a stale token (40001, 42001) renews it and tries once more.
- ``POST /cgi-bin/message/subscribe/send?access_token=…`` sends one message to an openid.
- ``GET /sns/jscode2session`` turns the mini program's ``wx.login`` code into the citizen's openid (the phone
  page registers it for the ticket).

WeChat answers HTTP 200 with an ``errcode``: 0 is success; -1 (busy) and 45009 (quota) may pass later;
43101 (the citizen did not accept the template) and parameter errors are final.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

import httpx

from hall_controller.notify.config import WeChatGateway, read_secret
from hall_controller.notify.gateway import Channel, DeliveryError, Outgoing, error_for_status, error_for_transport
from hall_controller.notify.messages import NoticeKind

TOKEN_MARGIN_S = 300.0
STALE_TOKEN = frozenset({40001, 42001, 40014})
RETRYABLE = frozenset({-1, 45009, 45011})
STATUS_ZH = {
    NoticeKind.PRE_ALERT: "即将叫号",
    NoticeKind.CALLED: "请到窗口",
    NoticeKind.RECALLED: "重呼",
    NoticeKind.RECYCLED: "已重新排队",
    NoticeKind.NO_SHOW: "已过号",
}


class WeChat:
    channel = Channel.WECHAT

    def __init__(self, config: WeChatGateway, *, client: httpx.AsyncClient | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.config = config
        self.name = f"wechat {config.appid}"
        self._secret = read_secret(config.secret_file)
        self._client = client or httpx.AsyncClient(timeout=config.timeout_s)
        self._clock = clock
        self._token = ""
        self._token_until = 0.0
        self._renewing = asyncio.Lock()
        self.token_fetches = 0

    async def _call(self, method: str, path: str, **kw: Any) -> dict[str, Any]:
        try:
            response = await self._client.request(method, self.config.api_base.rstrip("/") + path, **kw)
        except httpx.HTTPError as err:
            raise error_for_transport(err) from err
        if not response.is_success:
            raise error_for_status(response)
        try:
            answer = response.json()
        except ValueError as err:
            raise DeliveryError("not JSON", retryable=True) from err
        if not isinstance(answer, dict):
            raise DeliveryError("not a JSON object", retryable=True)
        return answer

    async def access_token(self, *, renew: bool = False) -> str:
        async with self._renewing:
            if not renew and self._token and self._clock() < self._token_until:
                return self._token
            answer = await self._call("GET", "/cgi-bin/token", params={
                "grant_type": "client_credential", "appid": self.config.appid, "secret": self._secret})
            token = answer.get("access_token")
            if not isinstance(token, str) or not token:
                raise _refusal(answer, "token")
            self.token_fetches += 1
            self._token = token
            self._token_until = self._clock() + max(float(answer.get("expires_in", 7200)) - TOKEN_MARGIN_S, 60.0)
            return token

    async def send(self, message: Outgoing) -> str:
        body = self._body(message)
        for attempt in range(2):
            token = await self.access_token(renew=attempt > 0)
            answer = await self._call("POST", "/cgi-bin/message/subscribe/send", params={"access_token": token},
                                      json=body)
            code = int(answer.get("errcode", 0) or 0)
            if code == 0:
                return str(answer.get("msgid", ""))[:100]
            if code not in STALE_TOKEN:
                raise _refusal(answer, "send")
        raise DeliveryError("access token refused twice", retryable=True)

    async def openid_for_code(self, code: str) -> str:
        """The openid behind a mini program's ``wx.login`` code."""
        answer = await self._call("GET", "/sns/jscode2session", params={
            "appid": self.config.appid, "secret": self._secret, "js_code": code,
            "grant_type": "authorization_code"})
        openid = answer.get("openid")
        if not isinstance(openid, str) or not openid:
            raise _refusal(answer, "login")
        return openid

    def _body(self, message: Outgoing) -> dict[str, Any]:
        n = message.notice
        values = {
            "number": n.number,
            "window": (n.window or "候叫区")[:20],  # a thing.DATA value is at most 20 characters
            "status": STATUS_ZH[n.kind],
            "time": n.local_time,
        }
        data = {key: {"value": values[ours]} for ours, key in self.config.fields.items() if ours in values}
        body: dict[str, Any] = {"touser": message.to, "template_id": self.config.template_id, "data": data,
                                "lang": "zh_CN"}
        if self.config.page:
            body["page"] = self.config.page
        return body

    async def aclose(self) -> None:
        await self._client.aclose()


def _refusal(answer: dict[str, Any], what: str) -> DeliveryError:
    code = int(answer.get("errcode", 0) or 0)
    return DeliveryError(f"wechat {what} refused ({code})", retryable=code in RETRYABLE or code in STALE_TOKEN)
