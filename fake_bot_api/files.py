"""The file store: every file a simulated user sent or the bot uploaded, re-sendable by
``file_id`` and downloadable by path, within Telegram's size limits."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from pathlib import PurePosixPath

from fake_bot_api.jsontypes import JsonDict

UPLOAD_LIMIT = 50 * 1024 * 1024
DOWNLOAD_LIMIT = 20 * 1024 * 1024
FILE_FOLDERS = {"photo": "photos", "document": "documents"}
PHOTO_BYTES = b"\xff\xd8\xff\xe0 fake jpeg \xff\xd9"
STICKER_BYTES = b"RIFF\x00\x00\x00\x00WEBP fake sticker"
VOICE_BYTES = b"OggS fake voice"


@dataclass(frozen=True, slots=True)
class UploadedFile:
    """A file part of a multipart request, as it appears in :attr:`ApiCall.params`."""

    file_name: str
    content: bytes
    mime_type: str


@dataclass(frozen=True, slots=True)
class StoredFile:
    file_id: str
    file_unique_id: str
    file_path: str
    file_name: str
    mime_type: str
    content: bytes

    def base_json(self) -> JsonDict:
        return {
            "file_id": self.file_id,
            "file_unique_id": self.file_unique_id,
            "file_size": len(self.content),
        }

    def document_json(self) -> JsonDict:
        return {**self.base_json(), "file_name": self.file_name, "mime_type": self.mime_type}

    def photo_sizes(self) -> list[JsonDict]:
        return [{**self.base_json(), "width": 800, "height": 600}]


class FileStore:
    """Every file a user or the bot sent, by file_id (for re-sending) and path (for download)."""

    def __init__(self) -> None:
        self._by_id: dict[str, StoredFile] = {}
        self._by_path: dict[str, StoredFile] = {}
        self._numbers = itertools.count(1)

    def add(self, content: bytes, file_name: str, mime_type: str, folder: str) -> StoredFile:
        number = next(self._numbers)
        path = f"{folder}/file_{number}{PurePosixPath(file_name).suffix}"
        stored = StoredFile(f"fake_{folder}_{number}", f"u{number}", path, file_name, mime_type, content)
        self._by_id[stored.file_id] = self._by_path[path] = stored
        return stored

    def get(self, file_id: str) -> StoredFile | None:
        return self._by_id.get(file_id)

    def at_path(self, path: str) -> StoredFile | None:
        return self._by_path.get(path)

    def attachments(self, message: JsonDict) -> tuple[tuple[str, bytes] | None, bytes | None]:
        """The bytes behind a message's document and photo, for :class:`SentMessage`."""
        document = self._by_id.get(message["document"]["file_id"]) if "document" in message else None
        photo = self._by_id.get(message["photo"][-1]["file_id"]) if "photo" in message else None
        return (
            (document.file_name, document.content) if document else None,
            photo.content if photo else None,
        )


def file_content(kind: str, stored: StoredFile) -> JsonDict:
    """The ``photo`` or ``document`` field of a message carrying that file."""
    return {"photo": stored.photo_sizes()} if kind == "photo" else {"document": stored.document_json()}
