"""Recordings: MixMonitor policy, ingest and storage, Vosk transcription, transcript search, quality checks."""
