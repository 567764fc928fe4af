"""Integrity check, retention purge (audited), worker-side refusal of changed or escaped files, model install."""
from __future__ import annotations

import hashlib
import io
import tarfile
import zipfile
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import func, select, update

from hotline.models import AuditLog
from recordings import jobs
from recordings.install import InstallError, install_model
from recordings.maintenance import purge, verify
from recordings.models import Recording, Transcript, TranscriptionJob
from recordings.quality import RuleSet
from recordings.worker import WorkerConfig, process_job
from tests.recordings.seed import T0, seed_call, words
from tests.recordings.test_queue import write_call
from recordings.ingest import ingest_call


async def test_verify_reports_missing_and_altered_files(kernel):
    root = kernel.settings.recordings_dir
    write_call(root, "1795901900.1")
    async with kernel.sessions() as s:
        await ingest_call(s, root, "1795901900.1", T0)
        assert await verify(s, root) == (3, [])
        (root / "2026/11/28/1795901900.1-in.wav").unlink()
        p = root / "2026/11/28/1795901900.1-out.wav"
        data = bytearray(p.read_bytes())
        data[100] ^= 0xFF  # same size, different content
        p.write_bytes(bytes(data))
        checked, problems = await verify(s, root)
    assert checked == 3
    assert sorted((Path(p.relpath).name, p.problem.split(" (")[0]) for p in problems) == [
        ("1795901900.1-in.wav", "文件缺失"), ("1795901900.1-out.wav", "校验值不符")]


async def test_purge_deletes_only_expired_recordings_and_audits_each(kernel):
    await seed_call(kernel, "1795901900.2", seat="1001", center="410100", caller=[words("离婚", 0.5)], seat_said=[])
    root = kernel.settings.recordings_dir
    async with kernel.sessions() as s:
        keep = await purge(s, root, T0 + timedelta(days=179), 180, actor="ops")
        assert keep == []
        gone = await purge(s, root, T0 + timedelta(days=181), 180, actor="ops")
        recs = list(await s.scalars(select(Recording)))
        left = await s.scalar(select(func.count()).select_from(Transcript))
        audits = list(await s.scalars(select(AuditLog).where(AuditLog.action == "recording.purge")))
    assert len(gone) == 3 and not any((root / r).exists() for r in gone)
    assert {r.status for r in recs} == {"purged"} and left == 0
    assert len(audits) == 3 and {a.actor for a in audits} == {"ops"} and all(a.detail["sha256"] for a in audits)


@pytest.mark.parametrize("tamper,reason", [
    ("delete", "file missing"), ("alter", "sha256 changed"), ("escape", "outside"), ("truncate", "truncated")])
async def test_worker_fails_a_job_whose_file_went_bad_and_the_next_job_goes_on(kernel, tamper, reason):
    root = kernel.settings.recordings_dir
    write_call(root, "1795901900.3")
    async with kernel.sessions() as s:
        await ingest_call(s, root, "1795901900.3", T0)
        job = await jobs.claim(s, "w", datetime.now(timezone.utc), 30)
    path = root / job.relpath
    if tamper == "delete":
        path.unlink()
    elif tamper == "alter":
        data = bytearray(path.read_bytes())
        data[-1] ^= 1
        path.write_bytes(bytes(data))
    elif tamper == "truncate":
        path.write_bytes(path.read_bytes()[:-100])
    else:
        async with kernel.sessions() as s:
            await s.execute(update(Recording).where(Recording.id == job.recording_id).values(relpath="../../outside-in.wav"))
            await s.commit()
        job = jobs.ClaimedJob(**{**job.__dict__, "relpath": "../../outside-in.wav"})
    cfg = WorkerConfig(database_url=kernel.settings.database_url, model_path="", recordings_dir=str(root))
    # the file check runs before any decoding, so no model is needed to see the refusal
    outcome = await process_job(None, kernel.sessions, cfg, "w", job, RuleSet())
    assert outcome["state"] == "failed" and reason in outcome["error"]
    async with kernel.sessions() as s:
        row = await s.get(TranscriptionJob, job.job_id)
        other = await jobs.claim(s, "w2", datetime.now(timezone.utc), 30)
    assert row.state == "failed" and reason in row.error
    assert other is not None and other.job_id != job.job_id


def _model_archive(tmp_path: Path, kind: str) -> Path:
    src = tmp_path / "src" / "vosk-model-small-cn-0.22"
    (src / "am").mkdir(parents=True)
    (src / "am" / "final.mdl").write_bytes(b"model")
    (src / "conf").mkdir()
    (src / "conf" / "model.conf").write_text("--beam=10\n")
    if kind == "zip":
        out = tmp_path / "model.zip"
        with zipfile.ZipFile(out, "w") as zf:
            for f in src.rglob("*"):
                zf.write(f, f.relative_to(src.parent).as_posix())
    else:
        out = tmp_path / "model.tar.gz"
        with tarfile.open(out, "w:gz") as tf:
            tf.add(src, arcname=src.name)
    return out


@pytest.mark.parametrize("kind", ["zip", "tar"])
def test_install_model_checks_the_checksum_and_unpacks_the_model(tmp_path, kind):
    archive = _model_archive(tmp_path, kind)
    digest = hashlib.sha256(archive.read_bytes()).hexdigest()
    with pytest.raises(InstallError, match="sha256 mismatch"):
        install_model(str(archive), "0" * 64, tmp_path / "models")
    assert not (tmp_path / "models" / "vosk-model-small-cn-0.22").exists()
    dest = install_model(str(archive), digest, tmp_path / "models")
    assert dest == tmp_path / "models" / "vosk-model-small-cn-0.22" and (dest / "am" / "final.mdl").is_file()
    with pytest.raises(InstallError, match="already installed"):
        install_model(str(archive), digest, tmp_path / "models")


def test_install_model_refuses_archives_escaping_the_target_and_non_models(tmp_path):
    evil = tmp_path / "evil.zip"
    with zipfile.ZipFile(evil, "w") as zf:
        zf.writestr("../../escape.txt", "x")
    with pytest.raises(InstallError, match="unsafe"):
        install_model(str(evil), hashlib.sha256(evil.read_bytes()).hexdigest(), tmp_path / "m")
    empty = tmp_path / "empty.tar"
    with tarfile.open(empty, "w") as tf:
        info = tarfile.TarInfo("notamodel/readme.txt")
        info.size = 2
        tf.addfile(info, io.BytesIO(b"hi"))
    with pytest.raises(InstallError, match="final.mdl"):
        install_model(str(empty), hashlib.sha256(empty.read_bytes()).hexdigest(), tmp_path / "m")
