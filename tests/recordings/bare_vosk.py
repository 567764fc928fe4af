"""Bare Vosk, as its README uses it, for golden comparisons. Run as a script in a fresh process:

    python bare_vosk.py MODEL WAV CHUNK_FRAMES SEED

Prints the words as JSON. The libc seed and the chunk size are set exactly as the pipeline sets them,
so both sides decode with the same dither sequence and the same endpointing.
"""
import ctypes
import json
import sys
import wave

from vosk import KaldiRecognizer, Model, SetLogLevel

SetLogLevel(-1)
model_path, wav_path, chunk, seed = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
model = Model(model_path)
ctypes.CDLL(None).srand(ctypes.c_uint(seed))
utterances = []
with wave.open(wav_path, "rb") as wf:
    rec = KaldiRecognizer(model, wf.getframerate())
    rec.SetWords(True)
    while True:
        data = wf.readframes(chunk)
        if not data:
            break
        if rec.AcceptWaveform(data):
            utterances.append(json.loads(rec.Result()).get("result", []))
utterances.append(json.loads(rec.FinalResult()).get("result", []))
print(json.dumps([u for u in utterances if u]))
