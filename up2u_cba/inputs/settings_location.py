"""Finding the settings file: the one given with --settings; else the one the environment
variable UP2U_CBA_SETTINGS names; else up2u-cba.toml in the current folder or the nearest folder
above it (so a terminal opened in cases/BCP, or a shortcut started elsewhere, finds the project's).

A path found is given relative to the current folder where it can be (so messages and reports
name files as the user sees them, and a published workbook holds no user's home folder).
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping

from up2u_cba.problems import Problem

GIVEN = "given with --settings"
HERE = "in this folder"
DEFAULT_FILE = "up2u-cba.toml"
"""The settings file's name in a project folder (``settings.DEFAULT_FILE``)."""
ENVIRONMENT_VARIABLE = "UP2U_CBA_SETTINGS"
"""Names the settings file when --settings is not given."""


@dataclasses.dataclass(frozen=True)
class Found:
    """The settings file to use, and how it was found."""

    path: str
    how: str
    """'given with --settings', 'named by UP2U_CBA_SETTINGS', 'in this folder', 'in a folder above this one'."""


def find(given: str | None, environment: Mapping[str, str] = os.environ,
         start: str | None = None) -> tuple[Found | None, Problem | None]:
    """The settings file: ``given`` (--settings), else the one ``environment`` names, else
    up2u-cba.toml in ``start`` (the current folder) or the nearest folder above; or None and a
    ``no-settings-file`` problem saying where it looked. A file given is used as it is (reading
    it says if it is missing); a file the variable names must be there (the message says that
    the variable named it)."""
    if given is not None:
        return Found(path=given, how=GIVEN), None
    named = environment.get(ENVIRONMENT_VARIABLE, "")
    if named.strip():
        if not os.path.exists(named):
            return None, Problem(code="missing-file", file=named, where=ENVIRONMENT_VARIABLE,
                                 message=f"the environment variable {ENVIRONMENT_VARIABLE} names this settings file, "
                                         "and it is not there",
                                 hint=f"set {ENVIRONMENT_VARIABLE} to the settings file's full path, or pass "
                                      "--settings PATH")
        return Found(path=named, how=f"named by {ENVIRONMENT_VARIABLE}"), None
    start = os.path.abspath(start or os.getcwd())
    looked = []
    for folder in folders_up_from(start):
        candidate = os.path.join(folder, DEFAULT_FILE)
        looked.append(folder)
        if os.path.exists(candidate):
            if folder == start:
                return Found(path=DEFAULT_FILE, how=HERE), None
            return Found(path=_shown(candidate, start), how="in a folder above this one"), None
    return None, Problem(
        code="no-settings-file", file="", where="--settings",
        message=f"no settings file found: no --settings given, {ENVIRONMENT_VARIABLE} not set, and no "
                f"{DEFAULT_FILE} in {looked[0]}" + (f" or any folder above it ({', '.join(looked[1:])})"
                                                    if len(looked) > 1 else ""),
        hint=f"run this from the project folder (the one with {DEFAULT_FILE}) or a folder inside it, pass "
             f"--settings PATH, or set {ENVIRONMENT_VARIABLE} to the settings file's path")


def folders_up_from(start: str) -> list[str]:
    """``start`` and each folder above it, to the top of its drive."""
    folders = [start]
    while (parent := os.path.dirname(folders[-1])) != folders[-1]:
        folders.append(parent)
    return folders


def _shown(path: str, start: str) -> str:
    """``path`` relative to ``start`` (..\\up2u-cba.toml), or as it is where it cannot be (on
    Windows, another drive)."""
    try:
        return os.path.relpath(path, start)
    except ValueError:
        return path
