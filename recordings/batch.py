"""Batch transcription of arbitrary WAV files (the `transcribe` command), in-process or over worker processes."""
from __future__ import annotations

import concurrent.futures as cf
import multiprocessing as mp
from dataclasses import asdict
from pathlib import Path

from recordings.audio import BadAudioError, inspect_wav
from recordings.transcripts import leg_segments, leg_text

_engine = None


def _load(model_path: str) -> None:
    global _engine
    from recordings.asr import VoskEngine

    _engine = VoskEngine(Path(model_path))


def transcribe_one(path: str) -> dict:
    """Transcribe one file with this process's engine: {file, ok, text, segments | error}."""
    try:
        info = inspect_wav(Path(path))
        utterances = _engine.transcribe(Path(path))
    except (BadAudioError, OSError) as exc:
        return {"file": path, "ok": False, "error": str(exc)}
    words = [[asdict(w) for w in u.words] for u in utterances]
    segments = leg_segments("in", "", words)
    return {"file": path, "ok": True, "duration": info.duration, "text": leg_text(segments),
            "segments": [{"start": s.start, "end": s.end, "text": s.text, "words": s.words} for s in segments]}


def transcribe_files(files: list[str], model_path: str, workers: int = 1, progress=None):
    """Yield one result per file (in completion order); `progress` is called after each."""
    if workers <= 1:
        _load(model_path)
        for f in files:
            res = transcribe_one(f)
            if progress:
                progress(res)
            yield res
        return
    with cf.ProcessPoolExecutor(workers, mp_context=mp.get_context("spawn"), initializer=_load,
                                initargs=(model_path,)) as pool:
        for fut in cf.as_completed([pool.submit(transcribe_one, f) for f in files]):
            res = fut.result()
            if progress:
                progress(res)
            yield res
