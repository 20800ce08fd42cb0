"""Refusals a client can act on; `code` is the protocol's error code (docs/protocol.md)."""


class ChatError(Exception):
    def __init__(self, code: str, detail: str) -> None:
        super().__init__(detail)
        self.code = code
        self.detail = detail
