"""Library modules the command line loads on first use, so that ``up2u-cba --help`` is instant.

Printing help needs only click and the commands' names, options and help text; the library
under them (pydantic models, openpyxl, tabulate, tomlkit, the whole pipeline) takes the best part
of a second to import. A command module writes ``models = lazy.module("up2u_cba.models")`` where
it would write ``from up2u_cba import models``, and calls ``models.CaseRecord`` as before: the
module is imported the first time one of its names is used, inside a command.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
import types


def module(name: str) -> types.ModuleType:
    """The module ``name``, imported when one of its attributes is first used. The same module
    object is the one every other ``import`` of ``name`` gets (tests patch it as usual)."""
    if name in sys.modules:
        return sys.modules[name]
    parent, _, child = name.rpartition(".")
    spec = importlib.util.find_spec(name)
    spec.loader = importlib.util.LazyLoader(spec.loader)
    loaded = importlib.util.module_from_spec(spec)
    sys.modules[name] = loaded
    spec.loader.exec_module(loaded)
    if parent:  # as an import does: ``from up2u_cba import models`` finds it on the package
        setattr(sys.modules[parent], child, loaded)
    return loaded


def import_waiting(but: tuple[str, ...] = ()) -> None:
    """Import now every module still waiting for its first use, except the modules ``but``
    names: before a second thread uses them, as importlib's lazy loader is not safe across
    threads before Python 3.12 (one thread can see a module another is still importing)."""
    while waiting := [found for name, found in list(sys.modules.items())
                      if isinstance(found, importlib.util._LazyModule) and name not in but]:
        for found in waiting:
            getattr(found, "__name__")  # (any use of a name imports it)
