"""Wiring: gateways from ``notify.toml``, the notifier's store beside the hall database, the sealing key."""

from __future__ import annotations

from pathlib import Path

from hall_controller.core import ControllerCore
from hall_controller.notify.config import GatewayConfig, NotifyConfig, SimulatorGateway, SmsHttpGateway
from hall_controller.notify.gateway import Gateway
from hall_controller.notify.keys import sealing_key
from hall_controller.notify.service import NotificationService
from hall_controller.notify.simulator import Simulator
from hall_controller.notify.sms_http import SmsHttp
from hall_controller.notify.store import NotifyStore
from hall_controller.notify.wechat import WeChat
from hall_controller.store import Store


def gateway_for(config: GatewayConfig) -> Gateway:
    if isinstance(config, SmsHttpGateway):
        return SmsHttp(config)
    if isinstance(config, SimulatorGateway):
        return Simulator(config)
    return WeChat(config)


def notify_paths(db_path: Path, config: NotifyConfig) -> tuple[Path, Path]:
    """(the notifier's database, its key file): beside the hall database unless the config says where."""
    db = db_path.with_name(f"{db_path.stem}-notify.db")
    keys = Path(config.key_file) if config.key_file else db_path.with_name(f"{db_path.stem}-contacts.key")
    return db, keys


async def open_notifications(config: NotifyConfig, core: ControllerCore, store: Store, db_path: Path,
                             gateways: list[Gateway] | None = None) -> NotificationService:
    """The notifier for ``core``'s hall; publishes its sealing key in the hall state (``core.contact_key``)."""
    db, keys = notify_paths(db_path, config)
    notify_store = await NotifyStore.open(db, keys)
    service = NotificationService(
        config, gateways if gateways is not None else [gateway_for(g) for g in config.gateways], notify_store,
        state=lambda: core.state, seal_key=sealing_key(await store.hall_secret()),
        status_base_url=core.config.hall.status_base_url,
    )
    core.contact_key = service.contact_key
    return service
