"""Photos, videos and recordings people send: checked, then cleaned of what identifies them.

Checks come first and are cheap: size, the file's real kind from its first bytes (whatever it
claims to be), signs of a second file hidden inside (a polyglot), and image dimensions from the
header before a single pixel is decoded (a decompression bomb). Cleaning re-encodes images
from their pixels (EXIF, GPS, XMP, maker notes and serial numbers do not survive) and remuxes
video and audio with ffmpeg without any metadata, in a child process with a memory ceiling.
"""

from __future__ import annotations

import hashlib
import io
import resource
import shutil
import subprocess
import tempfile
import warnings
from dataclasses import dataclass
from pathlib import Path

from django.utils.translation import gettext as _
from PIL import Image, ImageOps

from defensa.core.errors import ActionRefused

MAX_BYTES = {"photo": 10 * 1024 * 1024, "video": 30 * 1024 * 1024, "audio": 10 * 1024 * 1024}
MAX_PIXELS = 40_000_000
FFMPEG_SECONDS = 60
FFMPEG_MEMORY = 768 * 1024 * 1024
# Other kinds of file whose start, found inside a photo or video, betrays a second file.
HIDDEN = (b"PK\x03\x04", b"%PDF-", b"<script", b"<html", b"<?php", b"\x7fELF", b"MZ\x90\x00")


class MediaRefused(ActionRefused):
    """The file was not accepted (the report itself still is)."""


@dataclass(frozen=True)
class Cleaned:
    kind: str
    content_type: str
    original: bytes
    clean: bytes
    sha256: str


def sniff(data: bytes) -> tuple[str, str] | None:
    """(kind, content type) from the first bytes, or None when it is nothing we take."""
    head = data[:64]
    if head.startswith(b"\xff\xd8\xff"):
        return "photo", "image/jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "photo", "image/png"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "photo", "image/webp"
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return "photo", "image/gif"
    if head[4:8] == b"ftyp":
        brand = head[8:12]
        if brand in (b"heic", b"heix", b"mif1", b"msf1", b"avif"):
            return None  # HEIC/AVIF: ask for a JPEG (no safe decoder here)
        if brand in (b"M4A ", b"M4B "):
            return "audio", "audio/mp4"
        return "video", "video/quicktime" if brand == b"qt  " else "video/mp4"
    if head.startswith(b"\x1a\x45\xdf\xa3"):
        return "video", "video/webm"
    if head[:4] == b"RIFF" and head[8:12] == b"WAVE":
        return "audio", "audio/wav"
    if head.startswith((b"ID3", b"\xff\xfb", b"\xff\xf3", b"\xff\xf2")):
        return "audio", "audio/mpeg"
    if head.startswith(b"OggS"):
        return "audio", "audio/ogg"
    if head.startswith(b"#!AMR"):
        return "audio", "audio/amr"
    return None


def _hidden_file(data: bytes) -> bool:
    # Look at the start and the end, where appended or prepended files sit.
    edges = data[8 : 256 * 1024] + data[-256 * 1024 :]
    return any(marker in edges for marker in HIDDEN)


def check(data: bytes, *, claimed_type: str = "", limit: int | None = None) -> tuple[str, str]:
    """Cheap checks before any decoding. Returns (kind, content type) or refuses."""
    if not data:
        raise MediaRefused(_("The file is empty."))
    if len(data) > (limit or max(MAX_BYTES.values())):
        raise MediaRefused(_("The file is too large."))
    found = sniff(data)
    if found is None:
        raise MediaRefused(_("Send a photo (JPEG or PNG), a video or a recording."))
    kind, content_type = found
    if len(data) > MAX_BYTES[kind]:
        raise MediaRefused(_("The file is too large."))
    claimed = claimed_type.split(";")[0].strip().lower()
    if (
        claimed
        and claimed != "application/octet-stream"
        and claimed.split("/")[0] != content_type.split("/")[0]
    ):
        raise MediaRefused(_("The file is not what its name or type says."))
    if _hidden_file(data):
        raise MediaRefused(_("The file contains another file inside it."))
    return kind, content_type


def clean(data: bytes, *, claimed_type: str = "") -> Cleaned:
    kind, _content_type = check(data, claimed_type=claimed_type)
    digest = hashlib.sha256(data).hexdigest()
    if kind == "photo":
        return Cleaned(kind, "image/jpeg", data, _clean_image(data), digest)
    cleaned, out_type = _clean_with_ffmpeg(data, kind)
    return Cleaned(kind, out_type, data, cleaned, digest)


def _clean_image(data: bytes) -> bytes:
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            with Image.open(io.BytesIO(data)) as image:
                width, height = image.size  # from the header: nothing decoded yet
                if width * height > MAX_PIXELS or width <= 0 or height <= 0:
                    raise MediaRefused(_("The image is too large."))
                upright = ImageOps.exif_transpose(image)
                pixels = upright.convert("RGB")
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
            raise MediaRefused(_("The image is too large.")) from exc
        except (OSError, SyntaxError, ValueError) as exc:
            raise MediaRefused(_("The image could not be read.")) from exc
    out = io.BytesIO()
    # A fresh JPEG from the pixels alone: no EXIF, GPS, XMP, ICC or maker notes.
    pixels.save(out, format="JPEG", quality=85, optimize=True)
    return out.getvalue()


def _limit_child() -> None:  # pragma: no cover - runs in the ffmpeg child
    resource.setrlimit(resource.RLIMIT_AS, (FFMPEG_MEMORY, FFMPEG_MEMORY))


def ffmpeg_available() -> bool:
    return shutil.which("ffmpeg") is not None


def _clean_with_ffmpeg(data: bytes, kind: str) -> tuple[bytes, str]:
    suffix, out_type = (".mp4", "video/mp4") if kind == "video" else (".m4a", "audio/mp4")
    streams = ["-map", "0:v:0?", "-map", "0:a:0?"] if kind == "video" else ["-map", "0:a:0"]
    codec = ["-c", "copy"] if kind == "video" else ["-c:a", "aac", "-b:a", "64k"]
    options = [*streams, "-map_metadata", "-1", "-map_chapters", "-1", *codec,
               "-fflags", "+bitexact", "-flags:v", "+bitexact", "-flags:a", "+bitexact",
               "-movflags", "+faststart"]  # fmt: skip
    return _ffmpeg(data, options, suffix), out_type


def _ffmpeg(data: bytes, options: list[str], suffix: str) -> bytes:
    if not ffmpeg_available():
        raise MediaRefused(_("Videos and recordings cannot be received here yet."))
    with tempfile.TemporaryDirectory(prefix="defensa-media-") as folder:
        source, target = Path(folder) / "in", Path(folder) / f"out{suffix}"
        source.write_bytes(data)
        command = ["ffmpeg", "-nostdin", "-v", "error", "-i", str(source), *options, str(target)]
        try:
            subprocess.run(  # noqa: S603 - fixed arguments, our own temporary paths
                command,
                check=True,
                capture_output=True,
                timeout=FFMPEG_SECONDS,
                preexec_fn=_limit_child,
            )
        except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as exc:
            raise MediaRefused(_("The video or recording could not be read.")) from exc
        return target.read_bytes()


PROMPT_SECONDS = 120


def prompt_audio(data: bytes, *, claimed_type: str = "") -> tuple[bytes, str]:
    """A recording a committee uploads for its phone menu, as MP3 (which Twilio plays):
    mono, speech quality, at most two minutes, without any metadata."""
    kind, _content_type = check(data, claimed_type=claimed_type)
    if kind not in ("audio", "video"):
        raise MediaRefused(_("Upload a recording (MP3, WAV, M4A, OGG or AMR)."))
    options = ["-map", "0:a:0", "-t", str(PROMPT_SECONDS), "-ac", "1", "-ar", "22050",
               "-c:a", "libmp3lame", "-b:a", "48k", "-map_metadata", "-1",
               "-fflags", "+bitexact", "-flags:a", "+bitexact", "-id3v2_version", "0",
               "-write_xing", "0"]  # fmt: skip
    return _ffmpeg(data, options, ".mp3"), "audio/mpeg"
