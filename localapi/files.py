"""Files on the local Bot API server: what the bot uploads (sendDocument, sendPhoto) and what
users send it (a document, fetched with getFile and a download), kept in memory."""

from __future__ import annotations

import hashlib
import struct
from dataclasses import dataclass, field

from localapi.faults import ApiError
from localapi.objects import JSON

MAX_UPLOAD = 50 << 20  # Telegram's limit for documents a bot sends
MAX_PHOTO = 10 << 20
MAX_DOWNLOAD = 20 << 20  # getFile refuses larger files
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@dataclass(frozen=True, slots=True)
class Upload:
    """A file field of a multipart request."""

    filename: str
    content_type: str
    data: bytes


@dataclass(slots=True)
class FileStore:
    files: dict[str, tuple[bytes, str]] = field(default_factory=dict)  # id -> data, path

    def add(self, data: bytes, filename: str) -> tuple[str, str]:
        """Keep `data`; its file_id and file_unique_id."""
        unique = hashlib.sha256(data).hexdigest()[:16]
        file_id = f"file-{len(self.files) + 1}-{unique}"
        self.files[file_id] = (data, f"documents/{file_id}/{filename}")
        return file_id, unique

    def document(self, data: bytes, filename: str, mime_type: str) -> JSON:
        file_id, unique = self.add(data, filename)
        return {
            "file_id": file_id,
            "file_unique_id": unique,
            "file_name": filename,
            "mime_type": mime_type,
            "file_size": len(data),
        }

    def photo(self, data: bytes) -> list[JSON]:
        width, height = png_size(data)
        file_id, unique = self.add(data, "photo.png")
        return [
            {"file_id": file_id, "file_unique_id": unique, "width": width, "height": height,
             "file_size": len(data)}
        ]  # fmt: skip

    def get_file(self, file_id: str) -> JSON:
        if file_id not in self.files:
            raise ApiError.bad_request("invalid file_id")
        data, path = self.files[file_id]
        if len(data) > MAX_DOWNLOAD:
            raise ApiError.bad_request("file is too big")
        unique = hashlib.sha256(data).hexdigest()[:16]
        return {"file_id": file_id, "file_unique_id": unique, "file_size": len(data),
                "file_path": path}  # fmt: skip

    def download(self, path: str) -> bytes | None:
        for data, stored in self.files.values():
            if stored == path:
                return data
        return None


def upload(params: JSON, name: str, limit: int) -> Upload:
    """The file a send method carries in field `name`: a multipart upload, in that field or
    in the one it names as `attach://<field>` (as aiogram sends it)."""
    value = params.get(name)
    if isinstance(value, str) and value.startswith("attach://"):
        value = params.get(value.removeprefix("attach://"))
    if not isinstance(value, Upload):
        raise ApiError.bad_request(f"there is no {name} in the request")
    if not value.data:
        raise ApiError.bad_request("file must be non-empty")
    if len(value.data) > limit:
        raise ApiError(413, "Request Entity Too Large")
    return value


def png_header(width: int, height: int) -> bytes:
    """The start of a PNG of that size: all a channel's photo needs here (png_size reads it)."""
    return PNG_SIGNATURE + struct.pack(">I4sII", 13, b"IHDR", width, height) + bytes(9)


def png_size(data: bytes) -> tuple[int, int]:
    """Width and height of a PNG; Telegram refuses photos it cannot decode."""
    if not data.startswith(PNG_SIGNATURE) or data[12:16] != b"IHDR":
        raise ApiError.bad_request("IMAGE_PROCESS_FAILED")
    width, height = struct.unpack(">II", data[16:24])
    if (
        not width
        or not height
        or width + height > 10_000
        or max(width, height) > 20 * min(width, height)
    ):
        raise ApiError.bad_request("PHOTO_INVALID_DIMENSIONS")
    return width, height
