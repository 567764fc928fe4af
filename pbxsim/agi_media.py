"""RECORD FILE and SAY DIGITS as res/res_agi.c answers them (handle_recordfile, handle_saydigits).

RECORD FILE writes a real 8 kHz 16-bit mono WAV of what the caller says: the caller's scripted
speech from the moment recording starts, then silence. It ends like res_agi: on an escape digit
(the last 200 ms chopped off), on hang-up, at the timeout, or after `s=` seconds of silence
(Asterisk's silence detector: a 20 ms frame is silent when its mean magnitude is under 256, the
default `silencethreshold`; the file is then cut back to one second of the trailing silence).
"""
from __future__ import annotations

import array
import re
import wave
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from .recorder import FRAME, RATE, read_pcm

if TYPE_CHECKING:
    from .agi import AgiSession

SILENCE_THRESHOLD = 256  # dsp.conf silencethreshold default (THRESHOLD_SILENCE)
BEEP_SECONDS = 0.25  # sounds/en/beep: used when no prompt length is configured for "beep"
DIGIT_SECONDS = 0.6  # sounds/<lang>/digits/N: used when no prompt length is configured
DTMF_REWIND = RATE * 200 // 1000  # ast_stream_rewind(fs, 200): milliseconds → samples


@dataclass(frozen=True)
class RecordArgs:
    """Parsed RECORD FILE arguments."""

    path: str
    fmt: str
    escape: str
    timeout_ms: int
    offset: int
    beep: bool
    silence_ms: int


def parse_record(argv: list[str]) -> RecordArgs | None:
    """argv after `RECORD FILE`; None means show usage (res_agi: argc < 6 or timeout not a number)."""
    if len(argv) < 4 or not re.match(r"^\s*[-+]?\d", argv[3]):
        return None
    extra = argv[4:7]
    silence_ms = 0
    for arg in extra:
        pos = arg.find("s")
        if pos >= 0:  # strchr(argv[n], 's'): the first argument holding an 's' carries the silence
            text = arg[pos:]
            if len(text) > 2 and text.startswith("s="):
                m = re.match(r"\s*[-+]?\d+", text[2:])
                silence_ms = max(0, int(m.group()) * 1000) if m else 0
            break
    first_is_offset = bool(extra) and re.match(r"^\s*[-+]?\d", extra[0]) is not None
    beep = (bool(extra) and not first_is_offset and not extra[0].startswith("s=")) or \
        (len(extra) > 1 and not extra[1].startswith("s="))
    offset = int(re.match(r"\s*[-+]?\d+", extra[0]).group()) if first_is_offset else 0
    return RecordArgs(argv[0], argv[1], argv[2], int(re.match(r"\s*[-+]?\d+", argv[3]).group()), offset,
                      beep, silence_ms)


def natural_end(speech: array.array, timeout_ms: int, silence_ms: int) -> tuple[int, bool]:
    """Samples recorded before the timeout or the silence detector stops it; (end, by_silence)."""
    limit = None if timeout_ms < 0 else timeout_ms * RATE // 1000
    silent_ms = 0
    pos = 0
    while limit is None or pos < limit:
        frame = speech[pos:pos + FRAME]
        loud = len(frame) and sum(abs(x) for x in frame) / FRAME >= SILENCE_THRESHOLD
        pos += FRAME
        silent_ms = 0 if loud else silent_ms + 1000 * FRAME // RATE
        if silence_ms > 0 and silent_ms > silence_ms:
            return pos, True
        if limit is None and not silence_ms and pos > len(speech) + 3600 * RATE:
            break  # no timeout and no silence detection: only a digit or hang-up ends it
    return (pos if limit is None else min(pos, limit)), False


def kept(end: int, by_silence: bool, silence_ms: int) -> int:
    """Samples left in the file: silence-ended recordings are rewound by (silence - 1 s)."""
    if not by_silence:
        return end
    return max(0, end - max(0, silence_ms - 1000) * RATE // 1000)


def samples_at(seconds: float) -> int:
    """Samples written after `seconds` of recording, in whole 20 ms frames."""
    return int(seconds * RATE) // FRAME * FRAME


async def record_file(s: "AgiSession", argv: list[str]) -> str:
    """RECORD FILE <filename> <format> <escape digits> <timeout> [offset] [BEEP] [s=silence]."""
    from .agi import USAGE_ERROR

    args = parse_record(argv)
    if args is None:
        return USAGE_ERROR
    if args.fmt.lower() not in ("wav", "wav16", "sln", "gsm", "ulaw", "alaw"):
        return "200 result=-1 (writefile)\n"
    if args.beep:
        beep = s.prompt_samples("beep")
        digit, _ = await s.play(beep if beep is not None else int(BEEP_SECONDS * RATE), args.escape)
        if digit is None and s.dead:
            return f"200 result=-1 (randomerror) endpos={args.offset}\n"
        if digit:
            return f"200 result={ord(digit)} (randomerror) endpos={args.offset}\n"
    path = Path(f"{args.path}.wav")
    before = read_pcm(path)[:args.offset] if args.offset else array.array("h")
    try:  # ast_writefile: O_CREAT in an existing directory, before anything is recorded
        path.open("ab" if args.offset else "wb").close()
    except OSError:
        return "200 result=-1 (writefile)\n"
    speech = read_pcm(getattr(s.chan.party, "speech", None))
    end, by_silence = natural_end(speech, args.timeout_ms, args.silence_ms)
    start = s.sim.now
    from .agi import DigitWaiter

    got = await DigitWaiter(s.sim, s.chan, args.escape).wait(end / RATE)
    if got is True:
        length, tail = kept(end, by_silence, args.silence_ms), "(timeout)"
    elif got is None:
        length, tail = samples_at(s.sim.now - start), "(hangup)"
    else:
        length, tail = max(0, samples_at(s.sim.now - start) - DTMF_REWIND), "(dtmf)"
    _write(path, before, speech, length)
    endpos = args.offset + length
    if got is None:
        return f"200 result=-1 {tail} endpos={endpos}\n"
    return f"200 result={ord(got) if isinstance(got, str) else 0} {tail} endpos={endpos}\n"


def _write(path: Path, before: array.array, speech: array.array, length: int) -> None:
    """The recorded samples as an 8 kHz mono WAV, after the kept part when an offset was given."""
    pcm = array.array("h", speech[:length])
    pcm.extend(array.array("h", bytes(2 * max(0, length - len(pcm)))))
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(RATE)
        w.writeframes((before + pcm).tobytes())


async def say_digits(s: "AgiSession", argv: list[str]) -> str:
    """SAY DIGITS <number> <escape digits>: digits/N per digit; the escape key or 0, -1 on hang-up."""
    from .agi import USAGE_ERROR

    if len(argv) != 2 or not re.match(r"^\s*[-+]?\d", argv[0]):
        return USAGE_ERROR
    first = True
    for ch in argv[0]:
        name = f"digits/{ch}" if ch.isdigit() else {"*": "digits/star", "#": "digits/pound",
                                                     "-": "letters/dash"}.get(ch)
        if name is None:
            continue  # ast_say_digit_str_full skips characters it has no file for
        samples = s.prompt_samples(name)
        wait = samples if samples is not None else int(DIGIT_SECONDS * RATE)
        digit, _ = await s.play(wait, argv[1], collect=bool(argv[1]) and first)
        first = False
        if digit is None and s.dead:
            return "200 result=-1\n"
        if digit:
            return f"200 result={ord(digit)}\n"
    return "200 result=0\n"
