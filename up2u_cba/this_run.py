"""What this run is doing and has to say about it, kept where the command line can set and read
it without loading the library (``up2u-cba --help`` stays instant): the command a folder lock
names to anyone kept waiting, and notes from storage (a stale lock taken over)."""

from __future__ import annotations

command = ""
"""What this process is doing, recorded in the lock files it holds (the CLI sets it: `case new`)."""

notices: list[str] = []
"""Notes for the user from this run (a stale lock taken over); the CLI shows and clears them."""
