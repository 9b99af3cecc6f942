"""Refuse an upload as soon as it passes its size limit, instead of after reading it all."""

from __future__ import annotations

from typing import Any

from django.core.files.uploadhandler import FileUploadHandler, StopUpload
from django.http import HttpRequest


class TooLarge(Exception):
    pass


class QuotaUploadHandler(FileUploadHandler):
    def __init__(self, limit: int, request: HttpRequest | None = None) -> None:
        super().__init__(request)
        self.limit = limit
        self.received = 0
        self.exceeded = False

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes | None:
        self.received += len(raw_data)
        if self.received > self.limit:
            self.exceeded = True
            # Read and drop the rest (bounded memory) so the person still gets an answer.
            raise StopUpload(connection_reset=False)
        return raw_data

    def file_complete(self, file_size: int) -> Any:
        return None

    def upload_complete(self) -> None:
        if self.exceeded:
            raise TooLarge
