"""The engine's one exception: a command that is not allowed in the current state."""

from __future__ import annotations

from hall_protocol.errors import ErrorCode, OneVisitError


class EngineError(OneVisitError):
    """A refused command. The state is unchanged; ``message_zh`` is shown to people, ``message`` logged."""

    def __init__(self, code: ErrorCode, message: str, message_zh: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.message_zh = message_zh
