"""Install a Vosk model from a URL or a local archive, checking its sha256 before unpacking."""
from __future__ import annotations

import hashlib
import shutil
import tarfile
import tempfile
import zipfile
from pathlib import Path, PurePosixPath

from recordings.asr import check_model_dir


class InstallError(RuntimeError):
    """The archive could not be fetched, failed its checksum, or is not a model."""


def _fetch(source: str, into: Path) -> Path:
    if source.startswith(("http://", "https://")):
        import httpx

        target = into / PurePosixPath(source.split("?")[0]).name
        try:
            with httpx.stream("GET", source, follow_redirects=True, timeout=60) as resp, open(target, "wb") as fh:
                resp.raise_for_status()
                for block in resp.iter_bytes(1 << 20):
                    fh.write(block)
        except httpx.HTTPError as exc:
            raise InstallError(f"下载失败 (download failed): {exc}") from exc
        return target
    path = Path(source)
    if not path.is_file():
        raise InstallError(f"文件不存在 (no such file): {source}")
    return path


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(1 << 20):
            h.update(block)
    return h.hexdigest()


def _unpack(archive: Path, into: Path) -> None:
    if zipfile.is_zipfile(archive):
        with zipfile.ZipFile(archive) as zf:
            for name in zf.namelist():
                if name.startswith("/") or ".." in PurePosixPath(name).parts:
                    raise InstallError(f"压缩包含非法路径 (unsafe member): {name}")
            zf.extractall(into)
    elif tarfile.is_tarfile(archive):
        with tarfile.open(archive) as tf:
            try:
                tf.extractall(into, filter="data")  # refuses absolute paths, '..', device files
            except tarfile.FilterError as exc:
                raise InstallError(f"压缩包含非法路径 (unsafe member): {exc}") from exc
    else:
        raise InstallError(f"不支持的压缩格式 (not a zip or tar archive): {archive.name}")


def install_model(source: str, sha256: str, models_dir: Path, *, force: bool = False) -> Path:
    """Fetch `source`, check `sha256`, unpack the one model directory inside into `models_dir`; its path."""
    models_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=models_dir, prefix=".install-") as tmp:
        tmp = Path(tmp)
        archive = _fetch(source, tmp)
        digest = _sha256(archive)
        if digest != sha256.strip().lower():
            raise InstallError(f"校验失败 (sha256 mismatch): expected {sha256}, got {digest}")
        unpacked = tmp / "unpacked"
        _unpack(archive, unpacked)
        tops = [p for p in unpacked.iterdir() if not p.name.startswith(".")]
        model = tops[0] if len(tops) == 1 and tops[0].is_dir() else unpacked
        try:
            check_model_dir(model)
        except Exception as exc:
            raise InstallError(str(exc)) from exc
        dest = models_dir / (model.name if model is not unpacked else archive.name.split(".")[0])
        if dest.exists():
            if not force:
                raise InstallError(f"模型已存在 (already installed, use --force): {dest}")
            shutil.rmtree(dest)
        shutil.move(str(model), dest)
    return dest
