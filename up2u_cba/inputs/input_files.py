"""Opening input files: the one place the tool reads a file a user gave it.

Only a regular file no larger than the bound for its kind is read. A FIFO, a device, a folder,
or a link to one is refused before it is opened (opening a FIFO for reading waits for a writer
for ever; reading /dev/zero never ends). TOML that nests too deeply or holds a number too long
to read is refused as invalid, not raised. A workbook is checked before anything in it is
expanded: it must be an Excel .xlsx (not an old .xls, an .ods or a password-protected file),
and its declared sizes, compression ratios, member count, rows and cells must stay within
stated bounds, so that a zip bomb is refused in a moment instead of filling the memory.

Every function returns what it read, or ``None`` and a ``Problem``; nothing is raised for
anything a user can cause.
"""

from __future__ import annotations

import dataclasses
import hashlib
import io
import os
import re
import stat
import tomllib
import zipfile
import zlib

from up2u_cba.problems import Problem

try:  # the same parser as the standard library's tomllib, compiled: 1.7x as fast on case files
    import tomli as toml_parser
except ImportError:  # (where no compiled wheel installed: the standard library's, the same rules)
    toml_parser = tomllib
TOML_ERRORS = (tomllib.TOMLDecodeError, toml_parser.TOMLDecodeError)
"""What either parser raises for text that is not TOML (same messages, same line and column)."""

MB = 1024 * 1024


@dataclasses.dataclass(frozen=True)
class Kind:
    """A kind of input file: what to call it, how large it may be, and how to fix a bad one."""

    name: str
    """What the user calls it: 'settings file', 'case file'..."""
    limit: int
    """Largest size in bytes: beyond it the file is not what it claims to be."""
    missing_hint: str
    """What to do when the file is not there."""
    format_hint: str
    """What a readable file of this kind is."""


SETTINGS = Kind("settings file", 1 * MB,
                "check the path; without --settings, a command finds up2u-cba.toml in the folder it is run "
                "from or the nearest folder above",
                "give the path of a UTF-8 TOML file")
CASE = Kind("case file", 1 * MB, "check the cases folder", "save it as UTF-8 TOML text; dates are written 2022-04-01")
UNIT_COSTS = Kind("unit cost file", 50 * MB, "check the unit_costs paths in the settings file", "save it as UTF-8 CSV")
CROSSWALK = Kind("crosswalk file", 5 * MB, "check the crosswalk path in the settings file", "save it as UTF-8 CSV")
"""Old code -> new code (``inputs.crosswalk``): a row per code an edition renumbered."""
DEFLATORS = Kind("deflator file", 1 * MB, "check [uprating] deflators in the settings file", "save it as UTF-8 CSV")
CHECKSUMMED = Kind("input file", UNIT_COSTS.limit, "run the command again", "give the path of an input file")
"""Any input the report checksums, read again for it after loading: as large as the largest input."""
INTAKE_WORKBOOK = Kind("intake workbook", 50 * MB, "give the path of the filled-in intake workbook",
                       "save it from Excel as an .xlsx workbook (Excel Workbook format)")
COST_WORKBOOK = Kind("unit cost workbook", 50 * MB, "give the path of the GMCA Unit Cost Database .xlsx file",
                     "save it from Excel as an .xlsx workbook (Excel Workbook format)")


@dataclasses.dataclass(frozen=True)
class WorkbookBounds:
    """What an .xlsx workbook may expand to before it is opened."""

    uncompressed: int = 200 * MB
    """Total declared size of its members once expanded."""
    ratio: int = 200
    """Largest compression ratio of a member over 1 MB expanded (sheet XML compresses 5-50 times;
    a zip bomb thousands of times)."""
    members: int = 2000
    """Most members (an .xlsx holds a few dozen)."""
    rows: int = 100_000
    """Most rows in any one sheet, and the last row number a cell may have."""
    cells: int = 2_000_000
    """Most cells in any one sheet."""
    columns: int = 16_384
    """The last column number a cell may have (Excel's last is XFD, 16,384): a reader fills in
    every empty cell before it, so a cell far out costs as much as a full row."""


INTAKE_BOUNDS = WorkbookBounds(rows=100_000, cells=2_000_000, columns=26)
"""The intake workbook: up to 100,000 rows a sheet (a year holds a few hundred), in columns A-Z
(it uses A-F)."""
COST_BOUNDS = WorkbookBounds(rows=100_000, cells=1_000_000)
"""The GMCA database: its largest theme sheet (v1.4's Health) has about 300 rows, in columns A-U.
The importer opens the workbook whole and reads each sheet in columns A-BL only
(``gmca.READ_COLUMNS``), so a cell far to the right is never read; the cells it reads across the
workbook, the empty ones among them, are bounded by ``gmca.READ_CELLS``. It then opens the
workbook a second time, streaming (read-only, formulas as written), for the formula check: that
look reads the theme sheets' code and amount columns only, up to the last of them, row by row."""

_OLE_SIGNATURE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ENCRYPTED_PACKAGE = "EncryptedPackage".encode("utf-16-le")
_RATIO_FLOOR = 1 * MB
_TAG = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?(row|c)[\s>/]|<!(DOCTYPE|ENTITY)")
"""The start of a row or cell element, or a document type declaration."""
_REFERENCE = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?(?:row|c)\s[^<>]*?\br\s*=\s*[\"']\s*([A-Za-z]*)(\d+)")
"""The reference of a row or a cell: r="12" or r="C12"."""
_CHUNK = 1 << 20


def read_bytes(path: str, kind: Kind) -> tuple[bytes | None, Problem | None]:
    """The bytes of the regular file at ``path``, or None and why it was refused."""
    data, _, problem = _read(path, kind)
    return data, problem


def _read(path: str, kind: Kind) -> tuple[bytes | None, tuple | None, Problem | None]:
    """``read_bytes``, with the file's signature (``_signature``) as it was opened."""
    def refuse(code: str, message: str, hint: str = kind.format_hint) -> tuple[None, None, Problem]:
        return None, None, Problem(code=code, file=path, message=message, hint=hint)

    try:
        refused = _not_a_file(os.stat(path).st_mode)
        if refused:
            return refuse("not-a-file", f"the {kind.name} {refused}, not a file", f"give the path of {_a(kind.name)}")
        descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0))
    except FileNotFoundError:
        return refuse("missing-file", f"{kind.name} not found", kind.missing_hint)
    except (OSError, ValueError) as error:
        return refuse("unreadable-file", f"cannot read the {kind.name}: {error}")
    try:
        with os.fdopen(descriptor, "rb") as handle:
            status = os.fstat(handle.fileno())
            refused = _not_a_file(status.st_mode)  # it changed between the look and the opening
            if refused:
                return refuse("not-a-file", f"the {kind.name} {refused}, not a file", f"give the path of {_a(kind.name)}")
            if status.st_size > kind.limit:
                return None, None, _too_large(path, kind)[1]
            data = handle.read(kind.limit + 1)
    except OSError as error:
        return refuse("unreadable-file", f"cannot read the {kind.name}: {error}")
    if len(data) > kind.limit:
        return None, None, _too_large(path, kind)[1]
    return data, _signature(status), None


def _signature(status: os.stat_result) -> tuple:
    """What tells one state of a file from another without reading it: size, modification time
    to the nanosecond, and which file it is."""
    return status.st_size, status.st_mtime_ns, status.st_ino, status.st_dev


def read_text(path: str, kind: Kind) -> tuple[str | None, Problem | None]:
    """The UTF-8 text of the regular file at ``path``, read the same however Windows saved it: a
    byte-order mark dropped, CRLF line ends read as LF (a CSV cell or TOML string of several
    lines holds the same text either way; a lone CR is left for the checks to refuse). Text in
    another encoding (UTF-16, as Notepad's "Unicode" saves; Windows-1252) is refused as
    ``not-utf-8``, saying how to save it as UTF-8. The checksum of the bytes read is kept
    (``checksum_as_read``)."""
    data, signature, problem = _read(path, kind)
    if data is None:
        return None, problem
    _checksums[path] = (signature, hashlib.sha256(data).hexdigest())
    if data.startswith(_UTF16_MARKS) or _utf16_without_mark(data):
        return None, not_utf8(path, kind, "it is saved as UTF-16 (as Notepad's \"Unicode\" saves, and Windows "
                              "PowerShell's > writes: there, pipe to | Out-File -Encoding utf8 FILE instead)")
    try:
        return data.decode("utf-8-sig").replace("\r\n", "\n"), None
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        return None, not_utf8(path, kind, f"at line {line} is a byte (0x{data[error.start]:02X}) UTF-8 never has "
                              "there, as in a file saved as \"ANSI\" (Windows-1252) or another encoding")


_UTF16_MARKS = (b"\xff\xfe", b"\xfe\xff")
"""The byte-order marks of UTF-16 (little- and big-endian), as Notepad's "Unicode" writes them."""


def _utf16_without_mark(data: bytes) -> bool:
    """Whether ``data`` looks like UTF-16 without a byte-order mark: every other byte of its
    start zero, as ASCII text in UTF-16 is (no text file the tool reads holds a zero byte)."""
    start = data[:64]
    return len(start) >= 8 and any(start[offset::2].count(0) == len(start[offset::2]) for offset in (0, 1))


def not_utf8(path: str, kind: Kind, why: str) -> Problem:
    """A ``not-utf-8`` problem: the file is text in another encoding; how to save it as UTF-8."""
    how = ('in Excel, Save As "CSV UTF-8 (Comma delimited)"; in Notepad, Save As with Encoding "UTF-8"'
           if "CSV" in kind.format_hint else 'in Notepad, Save As with Encoding "UTF-8"')
    return Problem(code="not-utf-8", file=path, message=f"the {kind.name} is not UTF-8 text: {why}",
                   hint=f"save it again as UTF-8 ({how}); a byte-order mark and Windows line ends are fine")


def checksum_as_read(path: str, kind: Kind) -> tuple[str | None, Problem | None]:
    """The SHA-256 of the text file at ``path`` as this run last read it (``read_text``), while
    the file is as it was then: what a report says it was made from. A file not read as text, or
    changed since, is read now."""
    read = _checksums.get(path)
    if read is not None:
        try:
            if _signature(os.stat(path)) == read[0]:
                return read[1], None
        except (OSError, ValueError):
            pass  # (read it now: the reading says why it cannot be read)
    data, problem = read_bytes(path, kind)
    if data is None:
        return None, problem
    return hashlib.sha256(data).hexdigest(), None


def checksums_read(paths: list[str]) -> dict[str, tuple]:
    """What this process knows of the files ``paths`` it read, for another process of the run
    (``two_readers``) to ``remember_checksums``."""
    return {path: _checksums[path] for path in paths if path in _checksums}


def remember_checksums(read: dict[str, tuple]) -> None:
    """Keep what another process of this run read (``checksums_read``)."""
    _checksums.update(read)


_checksums: dict[str, tuple[tuple, str]] = {}
"""Each text file this run has read, by the path it was read by: its signature then, and the
checksum of the bytes read (100,000 case files are read once, not again to give each its
checksum)."""


def read_toml(path: str, kind: Kind) -> tuple[dict | None, Problem | None]:
    """The TOML data of the file at ``path``: refused when unreadable, not valid TOML, nested
    too deeply or holding an integer too long to read."""
    text, problem = read_text(path, kind)
    if text is None:
        return None, problem
    return parse_toml(text, path, kind)


def parse_toml(text: str, path: str, kind: Kind) -> tuple[dict | None, Problem | None]:
    """``text`` read as TOML, or None and an ``invalid-toml`` problem."""
    def invalid(message: str) -> tuple[None, Problem]:
        return None, Problem(code="invalid-toml", file=path, message=f"not valid TOML: {message}",
                             hint=f"fix the syntax at the line and column given; {kind.format_hint}")

    if text.count(".") >= LONGEST_DOTTED_KEY and (long_key := _long_dotted_key(text)) is not None:
        return invalid(f"a dotted key or table name of more than {LONGEST_DOTTED_KEY:,} parts "
                       f"(at line {text.count(chr(10), 0, long_key) + 1})")
    try:
        return toml_parser.loads(text), None
    except TOML_ERRORS as error:
        return invalid(str(error))
    except RecursionError:
        return invalid("arrays or tables nested too deeply")
    except ValueError:  # an integer of thousands of digits (Python's int digit limit)
        long_number = re.search(r"[0-9_]{4000,}", text)
        line = f" (at line {text.count(chr(10), 0, long_number.start()) + 1})" if long_number else ""
        return invalid(f"a number of thousands of digits, too long to read{line}")
    except MemoryError:
        return invalid("too large to read")


LONGEST_DOTTED_KEY = 1_000
"""A key of more parts (``a.b.c...``) is refused before parsing: the TOML parser's time grows with
the square of a key's parts (a 1 MB file of one key would take hours), and no input the tool
reads has a key of more than a few parts, nor free text that long."""
_DOTTED_RUN = re.compile(r"""(?<![A-Za-z0-9_-])(?:(?:[A-Za-z0-9_-]++|"[^"\\\n]*+"|'[^'\n]*+')[ \t]*+\.[ \t]*+)++""")
"""Key parts, bare or quoted, each followed by a dot: a match starts only where a bare part
begins, and never gives back what it took (possessive), so each character is looked at a fixed
number of times and the look takes time in proportion to the text."""


def _long_dotted_key(text: str) -> int | None:
    """Where a run of more than ``LONGEST_DOTTED_KEY`` dotted parts starts in ``text``, or None."""
    for run in _DOTTED_RUN.finditer(text):
        if run.group().count(".") >= LONGEST_DOTTED_KEY:
            return run.start()
    return None


def open_workbook(path: str, kind: Kind, bounds: WorkbookBounds) -> tuple[io.BytesIO | None, Problem | None]:
    """The bytes of the .xlsx workbook at ``path`` as a file object for openpyxl, refused
    before anything in it is expanded when it is not an .xlsx workbook or would expand beyond
    ``bounds``."""
    data, problem = read_bytes(path, kind)
    if data is None:
        return None, problem
    problem = check_workbook(data, path, kind, bounds)
    if problem is not None:
        return None, problem
    return io.BytesIO(data), None


def check_workbook(data: bytes, path: str, kind: Kind, bounds: WorkbookBounds) -> Problem | None:
    """Why the workbook ``data`` cannot be opened safely, or None."""
    def refuse(code: str, message: str, hint: str = kind.format_hint) -> Problem:
        return Problem(code=code, file=path, message=message, hint=hint)

    if data.startswith(_OLE_SIGNATURE):
        if _ENCRYPTED_PACKAGE in data:
            return refuse("encrypted-workbook", "the workbook is protected with a password",
                          "remove the password (File > Info > Protect Workbook in Excel), save, and try again")
        return refuse("old-workbook-format", "this is an old binary Excel workbook (.xls)",
                      "open it in Excel and save it as .xlsx (Excel Workbook)")
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError):
        return refuse("unreadable-workbook", "this is not an .xlsx workbook")
    with archive:
        members = archive.infolist()
        names = {member.filename for member in members}
        if len(members) > bounds.members:
            return refuse("workbook-too-large", f"the workbook has {len(members):,} parts, more than "
                          f"{bounds.members:,}: it is not a workbook of this kind")
        if "mimetype" in names and "[Content_Types].xml" not in names:
            return refuse("unreadable-workbook", "this is an OpenDocument spreadsheet (.ods)",
                          "open it and save it as .xlsx (Excel Workbook)")
        if "xl/workbook.bin" in names:
            return refuse("unreadable-workbook", "this is a binary Excel workbook (.xlsb)",
                          "open it in Excel and save it as .xlsx (Excel Workbook)")
        if "[Content_Types].xml" not in names:
            return refuse("unreadable-workbook", "this is a zip file, not an .xlsx workbook")
        total = sum(member.file_size for member in members)
        if total > bounds.uncompressed:
            return refuse("workbook-too-large", f"the workbook would expand to {total // MB:,} MB, more than "
                          f"{bounds.uncompressed // MB:,} MB", "a workbook of this kind is a few MB; check the file")
        for member in members:
            ratio = member.file_size / max(member.compress_size, 1)
            if member.file_size > _RATIO_FLOOR and ratio > bounds.ratio:
                return refuse("workbook-too-large", f"the part {member.filename} is compressed {ratio:,.0f} times, "
                              f"more than {bounds.ratio} (a zip bomb?)", "a workbook saved by Excel is never like this")
        for member in members:
            if member.filename.endswith((".xml", ".rels")):
                problem = _check_xml(archive, member, refuse, bounds, kind)
                if problem is not None:
                    return problem
    return None


def _check_xml(archive: zipfile.ZipFile, member: zipfile.ZipInfo, refuse, bounds: WorkbookBounds,
               kind: Kind) -> Problem | None:
    """Count the rows and cells of one XML part as it streams past (nothing kept), and check
    where each is; refuse a document type declaration (entity expansion) and a sheet beyond
    ``bounds``."""
    rows = cells = 0
    tail = b""
    try:
        with archive.open(member) as stream:
            while chunk := stream.read(_CHUNK):
                buffer = tail + chunk
                for match in _TAG.finditer(buffer):
                    if match.end() <= len(tail):
                        continue  # counted with the previous chunk
                    if match.group(2):
                        return refuse("unreadable-workbook", f"the part {member.filename} declares a document type",
                                      "a workbook saved by Excel never does; save it again from Excel")
                    if match.group(1) == b"row":
                        rows += 1
                    else:
                        cells += 1
                if rows > bounds.rows or cells > bounds.cells:
                    return refuse("workbook-too-large",
                                  f"the sheet {member.filename} has more than {bounds.rows:,} rows or "
                                  f"{bounds.cells:,} cells", "split it, or remove the empty formatted rows")
                for match in _REFERENCE.finditer(buffer):  # (a tag seen twice is checked twice: no matter)
                    letters, digits = match.group(1), match.group(2)
                    if _column_number(letters) > bounds.columns or len(digits) > 9 or int(digits) > bounds.rows:
                        reference = (letters + digits).decode("ascii", "replace")[:20]
                        return refuse("workbook-too-large",
                                      f"a sheet ({os.path.basename(member.filename)}) has a cell at {reference}, "
                                      f"beyond where {_a(kind.name)}'s tables can reach (row {bounds.rows:,}, "
                                      f"column {_column_name(bounds.columns)})",
                                      f"check that this is {_a(kind.name)}; if it is, delete the rows and "
                                      "columns beyond its tables")
                tail = _unfinished_tag(buffer)
                if len(tail) >= _CHUNK:
                    return refuse("unreadable-workbook", f"the part {member.filename} has an element of over 1 MB",
                                  "a workbook saved by Excel never does; save it again from Excel")
    except (zipfile.BadZipFile, zlib.error, OSError, EOFError, ValueError, NotImplementedError,
            RuntimeError) as error:
        # a damaged part (a bad checksum, or compressed data zlib cannot expand), an unsupported
        # compression, or an encrypted zip
        return refuse("unreadable-workbook", f"cannot read the part {member.filename}: {error}")
    return None


def _unfinished_tag(buffer: bytes) -> bytes:
    """The end of ``buffer`` to read again with the next chunk: a tag it cuts in two (from its
    '<'), or else its last bytes (a tag start cut in two)."""
    start = buffer.rfind(b"<")
    if start >= 0 and b">" not in buffer[start:]:
        return buffer[start:]
    return buffer[-64:]


def _column_number(letters: bytes) -> int:
    number = 0
    for letter in letters.upper()[:8]:
        number = number * 26 + letter - ord("A") + 1
    return number


def _column_name(number: int) -> str:
    name = ""
    while number:
        number, rest = divmod(number - 1, 26)
        name = chr(ord("A") + rest) + name
    return name


def _a(name: str) -> str:
    """'a case file', 'an intake workbook', 'a unit cost file' (a u said as 'you')."""
    return f"{'an' if name[:1] in 'aeio' else 'a'} {name}"


def _too_large(path: str, kind: Kind) -> tuple[None, Problem]:
    return None, Problem(code="file-too-large", file=path,
                         message=f"the {kind.name} is larger than {kind.limit // MB:,} MB",
                         hint=f"{_a(kind.name)} is far smaller; check that this is the right file")


def _not_a_file(mode: int) -> str:
    """What the thing at a path is when it is not a regular file ('' when it is one)."""
    if stat.S_ISREG(mode):
        return ""
    if stat.S_ISDIR(mode):
        return "is a folder"
    if stat.S_ISFIFO(mode):
        return "is a named pipe (FIFO)"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "is a device"
    if stat.S_ISSOCK(mode):
        return "is a socket"
    return "is something other than a file"
