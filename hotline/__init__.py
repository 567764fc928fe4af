"""hotline12348 shared kernel: settings, database, auth, event bus, app factory, CLI."""
