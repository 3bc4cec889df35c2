"""The pseudonymisation guard: free text that looks like personal data is refused.

Case records hold pseudonymised references only. A description or evidence note is a short
note ("Police incident check, 3 months after completion"), never a person's name, a street
address, a date of birth, a phone number, an e-mail address, a National Insurance number or an
NHS number. ``personal_data`` finds what looks like one of those; callers refuse the text and
say which field and why, without echoing the text itself (it may be the very data that must not
be copied around). ``reference_kinds`` does the same for a case reference, which must be a
pseudonym, never a name or a date of birth, whatever a service's reference pattern allows.

Text is first normalised (``normalise``): invisible characters are dropped, look-alike letters
and digits (full-width forms, Cyrillic and Greek twins of Latin letters, O and l among digits)
become the plain ones, so hiding an identifier from the eye does not hide it from the guard.

What it judges, and where it draws the line:

- a name: a forename from the shipped list (``data/forenames.txt``) on its own, or, for the
  names that are also everyday words (Grace, May, Will, Amber...), only with a capitalised
  surname after it; a title (Mr, Mrs, Ms, Mx, Miss, Dr) with a name after it;
- an address: a house number and a street ("12 High Street", "23a Acacia Avenue"), a named
  street or court ("Rose Court", but not "Crown Court"), "Flat 3";
- a date of birth: any full date (an event's date belongs in the status history, not in a
  note), a compact one (12031985, 120385), a month and year up to ``LAST_BIRTH_YEAR``
  ("March 1985", "03/1985"), and the words DOB, born, date of birth. A month and year from
  ``LAST_BIRTH_YEAR`` + 1 on ("MARAC minutes, March 2023") is taken for the date of an event;
- postcodes, phone numbers, e-mail addresses, NI numbers and NHS numbers in the spellings
  people type (spaces, dashes, dots, brackets, "+44 (0)", "0044", "(at)", "dot").

The patterns are deliberately a little broad: a refused note is rewritten in a moment, personal
data that slips through is a data breach. Nothing here can promise to find every name (only
listed forenames are known) or every way of writing a number.
"""

from __future__ import annotations

import datetime
import functools
import importlib.resources
import re
import unicodedata

NAME = "name"
ADDRESS = "street-address"
DATE_OF_BIRTH = "date-of-birth"
POSTCODE = "postcode"
PHONE = "phone-number"
EMAIL = "email-address"
NI_NUMBER = "ni-number"
NHS_NUMBER = "nhs-number"

KINDS = {
    NAME: "a person's name",
    ADDRESS: "a street address",
    DATE_OF_BIRTH: "a date or a date of birth",
    POSTCODE: "a postcode",
    PHONE: "a phone number",
    EMAIL: "an e-mail address",
    NI_NUMBER: "a National Insurance number",
    NHS_NUMBER: "an NHS number",
}
"""Each kind of personal data, in the order they are reported, and how a message names it."""

LAST_BIRTH_YEAR = 2010
"""A month and year no later than this reads as a birth date ("March 1985"); a later one as the
date of an event ("March 2023"). Participants are 16 or older and the programme's events are
recent, so the two rarely overlap; a participant born after 2010 written as a month and year
would pass (a full date of birth is refused whatever its year)."""

# --- normalising ----------------------------------------------------------------------------

_INVISIBLE = dict.fromkeys(map(ord, "\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180e\u200b\u200c"
                                    "\u200d\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2060\u2061"
                                    "\u2062\u2063\u2064\u2066\u2067\u2068\u2069\u3164\ufeff\uffa0"))
"""Characters that show as nothing (zero-width space and joiners, word joiner, byte-order mark,
soft hyphen, direction marks): dropped, so "Ke\u200bvin" is read as "Kevin"."""

_LOOK_ALIKES = str.maketrans(
    # Cyrillic capitals and small letters that look Latin
    "\u0410\u0412\u0415\u041a\u041c\u041d\u041e\u0420\u0421\u0422\u0423\u0425\u0405\u0406\u0408"
    "\u0430\u0435\u043e\u0440\u0441\u0443\u0445\u0455\u0456\u0458\u0501\u051b\u051d\u04bb\u0433\u043a\u043c\u043d\u0442\u0432"
    # Greek capitals and small letters that look Latin
    "\u0391\u0392\u0395\u0396\u0397\u0399\u039a\u039c\u039d\u039f\u03a1\u03a4\u03a5\u03a7"
    "\u03bf\u03b9\u03ba\u03bd\u03c1\u03c5\u03c7\u03b1"
    # dashes and minus signs
    "\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe58\ufe63\u2043",
    "ABEKMHOPCTYXSIJ"
    "aeopcyxsijdqwhrkmhtb"
    "ABEZHIKMNOPTYX"
    "oikvpuxa"
    "----------",
)
"""Letters from other alphabets drawn like Latin ones, and dashes drawn like a hyphen (after
NFKC, which already folds full-width forms, ligatures and compatibility digits)."""

_DIGIT_LOOK_ALIKES = str.maketrans("OoIl", "0011")
_DIGITISH_TOKEN = re.compile(r"(?<![A-Za-z0-9])(?=[0-9OoIl]*[0-9][0-9OoIl]*[0-9])[0-9OoIl]*[OoIl][0-9OoIl]*(?![A-Za-z0-9])")
"""A word of two or more digits with the letters O, o, I or l among them ("O77OO", "9OO123"):
its letters are read as the digits they stand in for. (It starts only where a word starts, so
the time taken grows with the text's length, not its square.)"""


def normalise(text: str) -> str:
    """``text`` as the guard reads it: invisible characters dropped, compatibility forms folded
    (NFKC: full-width letters and digits, non-breaking spaces), look-alike letters from other
    alphabets made Latin, accents taken off, dashes made hyphens, and O / l written among
    digits made 0 / 1."""
    if not text.isascii():  # (ASCII text has nothing to drop, fold, make Latin or take accents off)
        text = _folded(text)
    text = re.sub(r"[^\S\n]", " ", text)
    return _DIGITISH_TOKEN.sub(lambda match: match.group(0).translate(_DIGIT_LOOK_ALIKES), text)


def _folded(text: str) -> str:
    """``text`` with invisible characters dropped, compatibility forms folded, look-alike
    letters made Latin and accents taken off (``normalise``)."""
    text = unicodedata.normalize("NFKC", text.translate(_INVISIBLE)).translate(_INVISIBLE)
    text = text.translate(_LOOK_ALIKES)
    return "".join(char for char in unicodedata.normalize("NFD", text) if not unicodedata.combining(char))


# --- names ----------------------------------------------------------------------------------


@functools.cache
def forenames() -> dict[str, bool]:
    """The shipped forenames, lower case, each mapped to whether it is also an everyday word."""
    text = importlib.resources.files("up2u_cba").joinpath("data", "forenames.txt").read_text(encoding="utf-8")
    names = {}
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            name, _, marker = line.partition(" ")
            names[name.lower()] = marker.strip() == "(word)"
    return names


_WORD = re.compile(r"[A-Za-z]+(?:['’][A-Za-z]+|-[A-Za-z]+)*")
_TITLES = {"mr", "mrs", "ms", "mx", "miss", "dr", "prof", "sir", "dame",
           # police ranks and offices as notes name people: PC Jones, Sgt Patel, Cllr Hughes
           "pc", "pcso", "dc", "ds", "di", "dci", "dsi", "sgt", "insp", "supt", "cllr", "rev", "revd"}
_TITLES_ANY_CASE = {"mr", "mrs", "ms", "mx"}
"""Titles that are never anything else, so a name after them counts in any case ("mr smith");
"miss", "dr" (a drive) and the rest count only when capitalised, with a capitalised name after."""
_NOT_A_PERSON_BEFORE = {"st", "saint", "queen", "king", "prince", "princess", "lady", "lord", "royal"}
"""Words that make the forename after them part of a place: St Ann's Hospital, Queen Elizabeth's."""
_NOT_A_SURNAME = {
    # months and days: "May 2023", "June Monday"
    "january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
    "november", "december", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday",
    # what the programme's notes name: places, services, documents, ratings
    "hospital", "house", "centre", "center", "clinic", "unit", "ward", "school", "college", "academy",
    "trust", "foundation", "project", "service", "services", "team", "programme", "program", "refuge",
    "hub", "group", "surgery", "practice", "court", "road", "street", "avenue", "lane", "close", "drive",
    "way", "crescent", "gardens", "place", "terrace", "grove", "square", "park", "police", "review",
    "plan", "plans", "period", "aid", "rating", "rag", "assessment", "session", "sessions", "meeting", "report",
    "letter", "check", "order", "notice", "scheme", "support", "worker", "nurse", "officer", "panel",
    "conference", "level", "stage", "quarter", "term", "year", "years", "month", "months", "week", "weeks",
    "agency", "agencies", "contact", "feedback", "survey", "referral", "safety", "protection", "care", "health",
    "housing", "options", "victim", "work", "liaison", "advocate", "christmas", "lodge", "hall", "manor", "cross",
    "teams", "appointment", "appointments",
    "and", "or", "of", "the", "to", "in", "on", "at", "for", "with", "by", "from", "not", "no",
}
"""Capitalised words that follow an everyday-word forename without making it a name."""
_SURNAME = re.compile(r"(?:Ma?c|O['’]|D['’])?[A-Z][a-z]+(?:['’-][A-Za-z]+)*|[A-Z]{2,}")
_INITIAL = re.compile(r"[A-Z]\.?")


_KIN = {"partner", "ex-partner", "wife", "husband", "girlfriend", "boyfriend", "son", "daughter", "stepson",
        "stepdaughter", "mum", "mother", "dad", "father", "brother", "sister", "nan", "gran", "grandmother",
        "grandfather", "grandma", "grandad", "aunt", "auntie", "uncle", "cousin", "friend", "called", "named",
        "aka", "alias"}
"""Words after which a capitalised word is a person, whether or not its forename is listed
("partner Tyrone", "son: Liam", "called Jo Marsh")."""
_INITIAL_AND_SURNAME = re.compile(r"(?<![\w.&'’])[A-Z]\.\s?([A-Z][a-z]+(?:['’-][A-Za-z]+)*)")
_CAMEL_PARTS = re.compile(r"[A-Z][a-z]+|[a-z]+|[A-Z]+(?![a-z])")
_POSSESSIVE = re.compile(r"['’]s$")


def _names(text: str) -> bool:
    known = forenames()
    words = list(_WORD.finditer(text))
    for index, match in enumerate(words):
        word = match.group(0)
        lower = _POSSESSIVE.sub("", word).lower()
        before = _POSSESSIVE.sub("", words[index - 1].group(0).lower()) if index else ""
        after = _next_words(text, words, index)
        if lower in _TITLES and after and _titled(word, after[0]):
            return True
        if lower in _KIN and _person_follows(text, match, words[index + 1:index + 2]):
            return True
        if before in _NOT_A_PERSON_BEFORE or _is_a_law(text, match):
            continue
        if any(_a_forename(part) for part in _forename_parts(word)):
            return True
        if lower in known and _POSSESSIVE.sub("", word).istitle() and after and _surname(after[-1]):
            return True  # an everyday-word forename with a surname: Grace Okafor, Will Thompson
    return any(_surname(match.group(1)) for match in _INITIAL_AND_SURNAME.finditer(text))


def _forename_parts(word: str) -> list[str]:
    """The parts of ``word`` that might each be a forename: the word itself, or the words run
    together in it ("KevinMarsh"), but not the parts of McDonald or O'Neill."""
    bare = _POSSESSIVE.sub("", word)
    if re.match(r"(?:Ma?c|O['’])[A-Z]", bare) or bare.isupper() or bare.istitle() or bare.islower():
        return [bare]
    return _CAMEL_PARTS.findall(bare)


def _a_forename(word: str) -> bool:
    """A listed forename that is no everyday word, written as a name: Kevin, kevin, or KEVIN (four
    letters or more, as shorter capitals are usually an abbreviation)."""
    everyday = forenames().get(word.lower())
    if everyday is None or everyday:
        return False
    return word.istitle() or word.islower() or (word.isupper() and len(word) >= 4)


def _surname(word: str) -> bool:
    return bool(_SURNAME.fullmatch(word)) and word.lower() not in _NOT_A_SURNAME


def _person_follows(text: str, match: re.Match, following: list[re.Match]) -> bool:
    """Whether a capitalised name comes straight after ``match`` (a kinship word), with nothing
    between but a space, a colon, a dash or an equals sign."""
    if not following or not re.fullmatch(r"\s*[:=-]?\s*", text[match.end():following[0].start()]):
        return False
    name = _POSSESSIVE.sub("", following[0].group(0))
    return name[0].isupper() and _surname(name)


def _is_a_law(text: str, match: re.Match) -> bool:
    """Clare's Law, Sarah's Law, Jade's Law: disclosure schemes named after a victim, not a person in the case."""
    return bool(_POSSESSIVE.search(match.group(0)) and re.match(r"\s+law\b", text[match.end():], re.I))


def _next_words(text: str, words: list[re.Match], index: int) -> list[str]:
    """The word after ``words[index]`` if only a space separates them (and a middle initial, if
    one comes between: "Kevin J. Marsh" gives ["J", "Marsh"])."""
    found = []
    end = words[index].end()
    for following in words[index + 1:index + 3]:
        gap = text[end:following.start()]
        if gap not in (" ", ". ", "."):
            break
        found.append(following.group(0))
        if not _INITIAL.fullmatch(following.group(0)):
            break
        end = following.end()
    return found


def _titled(title: str, name: str) -> bool:
    if title.lower() in _TITLES_ANY_CASE:
        return name.lower() not in _NOT_A_SURNAME
    return title[0].isupper() and bool(_SURNAME.fullmatch(name)) and name.lower() not in _NOT_A_SURNAME


# --- addresses ------------------------------------------------------------------------------

_STREETS = (r"Road|Rd|Street|St|Avenue|Ave|Lane|Ln|Close|Cl|Drive|Dr|Way|Crescent|Cres|Court|Ct|Gardens|Gdns"
            r"|Place|Pl|Terrace|Terr|Tce|Grove|Square|Sq|Mews|Row|Walk|Hill|Rise|Park|Green|Parade|View|Vale"
            r"|Wharf|Quay|Yard|Heights|Meadows?|Chase|Boulevard")
_LOWER_STREETS = r"road|street|avenue|lane|crescent|terrace|gardens|grove|mews|boulevard"
_ADDRESSES = [
    # a house number, then a street: 12 High Street, 23a Acacia Avenue, 4, Church Rd
    re.compile(rf"(?<![\d£$.,/:-])\d{{1,4}}[A-Za-z]?,?\s+(?:[A-Z][a-z'’-]+\s+){{1,3}}(?:{_STREETS})\b"),
    re.compile(rf"(?<![\d£$.,/:-])\d{{1,4}}[a-z]?,?\s+(?:[a-z'’-]+\s+){{1,2}}(?:{_LOWER_STREETS})\b"),
    # a named street or block without its number: Acacia Avenue, Rose Court (not Crown Court)
    re.compile(r"\b[A-Z][a-z'’-]+\s+(?:[A-Z][a-z'’-]+\s+)?"
               r"(?:Road|Rd|Street|Avenue|Ave|Lane|Crescent|Cres|Court|Gardens|Gdns|Terrace|Tce|Grove|Close|Drive|Mews"
               r"|Square)\b"),
    # a flat or an apartment: Flat 3, flat 3b, Apartment 12
    re.compile(r"\b(?:Flat|FLAT|Apartment|Apt)\.?\s*(?:No\.?\s*)?\d{1,4}[A-Za-z]?\b|\bflat\s+\d{1,4}[a-z]?\s*,"),
]
_NOT_A_STREET = re.compile(r"^(?:The|A|An|This|That|Each|Every|All|Per|Weekly|Monthly|Yearly|Annual|Case|Plan|Review)\s", re.I)
"""Words that start a phrase, not a street's name, when no house number comes first."""
_A_COURT_OF_LAW = re.compile(r"\b(?:Crown|Magistrates['’]?|County|Family|Youth|High|Supreme|Royal|Appeal|Coroners?['’]?s?"
                            r"|Civil|Criminal|Sheriff|Juvenile)\s+(?:Court|Ct)$")


def _addresses(text: str) -> bool:
    text = _ALL_CAPS_RUN.sub(lambda match: match.group(0).title(), text)  # 12 HIGH STREET
    for pattern in _ADDRESSES:
        for match in pattern.finditer(text):
            words = re.sub(r"^[\d,\s]+[A-Za-z]?,?\s+", "", match.group(0)) if match.group(0)[0].isdigit() else match.group(0)
            numbered = match.group(0)[0].isdigit()
            if (numbered or not _NOT_A_STREET.match(words)) and not _A_COURT_OF_LAW.search(words):
                return True
    return False


_ALL_CAPS_RUN = re.compile(r"\b[A-Z]{2,}(?:\s+[A-Z]{2,})+\b")
"""Two or more words in capitals, as an address is often written."""


# --- dates of birth -------------------------------------------------------------------------

# A month's name or its abbreviation, not followed by more letters ("12Mar1985" has one, "12 market" not).
_MONTHS = (r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
           r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)(?![a-z])\.?")
_APART = r"[\s/.,-]*"
"""What people put between the parts of a written date, if anything: spaces, / . - or a comma."""
_DATES = [
    re.compile(r"(?<![\d/.-])\d{1,2}\s*[/.-]\s*\d{1,2}\s*[/.-]\s*(?:\d{4}|\d{2})(?![\d/.-])"),  # 12/03/1985, 12.3.85
    re.compile(r"(?<![\d/.-])(?:19|20)\d{2}\s*[/.-]\s*\d{1,2}\s*[/.-]\s*\d{1,2}(?![\d/.-])"),  # 1985-03-12
    # 12 March 1985, 12-Mar-1985, 12/Mar/85, 12Mar1985, 12th of March '85
    re.compile(rf"(?<![\w.,])\d{{1,2}}(?:st|nd|rd|th)?{_APART}(?:of\s+)?{_MONTHS}{_APART}(?:\d{{4}}|'?\d{{2}})(?![\d.,]\d|\d)",
               re.I),
    re.compile(rf"\b{_MONTHS}{_APART}\d{{1,2}}(?:st|nd|rd|th)?{_APART}\d{{4}}(?!\d)", re.I),  # March 12, 1985; Mar-12-1985
    re.compile(r"\bd\s?\.?\s?/?o\s?\.?\s?/?b\b\.?|\bdate\s+of\s+birth\b|\bborn\b|\bbirth\s*date\b|\bbirthday\b"
               r"|\by\.?o\.?b\b|\byear\s+of\s+birth\b|\bb\.\s?(?:19|20)\d{2}\b|\bn[ée]e\b", re.I),
]
_SPACED_DATE = re.compile(r"(?<![\d£$.,/-])(\d{1,2}) (\d{1,2}) ((?:19|20)\d{2})(?![\d.,/-])")  # 12 03 1985
_COMPACT_DATE = re.compile(r"(?<![\d£$.,/-])(\d{6}|\d{8})(?!\d|[.,]\d)")
_MONTH_YEAR = re.compile(rf"\b(?<![\d/.-]){_MONTHS}[\s,/.'-]*('?)(\d{{4}}|\d{{2}})(?![\d/.-]*\d)", re.I)
_NUMERIC_MONTH_YEAR = re.compile(r"(?<![\d/.-])(?:0?[1-9]|1[0-2])\s*[/.-]\s*((?:19|20)\d{2})(?![\d/.-])")


def _date_of_birth(text: str) -> bool:
    if any(_a_date(text, match) for pattern in _DATES for match in pattern.finditer(text)):
        return True
    if any(_valid_date(int(match.group(3)), int(match.group(2)), int(match.group(1)))
           for match in _SPACED_DATE.finditer(text)):
        return True
    if any(_is_compact_date(match.group(1)) for match in _COMPACT_DATE.finditer(text)):
        return True
    for match in _MONTH_YEAR.finditer(text):
        year = match.group(2)
        if len(year) == 4 and 1900 <= int(year) <= LAST_BIRTH_YEAR:
            return True
        if len(year) == 2 and int(year) > 31:  # Mar 85; not "March 12" (a day) nor "Mar 23"
            return True
    return any(1900 <= int(match.group(1)) <= LAST_BIRTH_YEAR for match in _NUMERIC_MONTH_YEAR.finditer(text))


def _a_date(text: str, match: re.Match) -> bool:
    """Whether a written date is one, and not the end of one month-year and the start of the next
    ("Apr 23 - Mar 24", a financial year)."""
    return not (match.group(0)[0].isdigit() and re.search(rf"\b{_MONTHS}\s*$", text[:match.start()], re.I))


def _is_compact_date(digits: str) -> bool:
    """12031985 (day month year), 19850312 (year month day) or 120385 (day month two-digit year)."""
    if len(digits) == 6:
        return _valid_date(2000 + int(digits[4:]), int(digits[2:4]), int(digits[:2]))
    return (_valid_date(int(digits[4:]), int(digits[2:4]), int(digits[:2]))
            or _valid_date(int(digits[:4]), int(digits[4:6]), int(digits[6:])))


def _valid_date(year: int, month: int, day: int) -> bool:
    if not 1900 <= year <= 2099:
        return False
    try:
        datetime.date(year, month, day)
    except ValueError:
        return False
    return True


# --- numbers and addresses for mail ---------------------------------------------------------

# Outward code (A9, A99, A9A, AA9, AA99, AA9A), a space, dash or none, inward code (9AA). Any
# letters, so obviously invented test postcodes are caught as well as real ones; not "x3 2nd".
_POSTCODE = re.compile(r"\b[A-Z]{1,2}\d[A-Z\d]?(?:\s{0,3}|\s?-\s?)\d(?!st\b|nd\b|rd\b|th\b)[A-Z]{2}\b", re.I)
# +44, 0044 or 0, then digits in groups with the separators people type (spaces, dashes, dots, brackets).
_PHONE = re.compile(r"(?<![\w£$.,/])(\+\s?44|00\s?44|\(?0)((?:[\s.-]{0,2}\(?0?\)?[\s.-]{0,2}\d+)+)")
_EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]+@[\w-]+(?:\.[\w-]+)*")
_SPELLED_EMAIL = re.compile(
    r"(?<![\w.+-])[\w.+-]+\s*(?:[(\[{<]\s*at\s*[)\]}>]|\bat\b)\s*[\w-]+"
    r"(?:\s*(?:\.|[(\[{<]\s*dot\s*[)\]}>]|\bdot\b)\s*[\w-]+)+", re.I)
_TOP_LEVEL = re.compile(r"(?:com|org|net|uk|gov|nhs|net|co|ac|sch|police|info|io|me|biz|email|mail|invalid|example)$", re.I)
# Two letters, six digits (in pairs or threes, maybe spaced, dashed or dotted), a final letter A-D or none.
_NI_NUMBER = re.compile(r"(?<![A-Za-z0-9])([A-Z]{2})([\s.-]?)\d(?:[\s.-]?\d){5}(?:[\s.-]?[A-D])?(?![A-Za-z0-9]|[\s.-]\d)", re.I)
_SHORT_WORDS = {"at", "in", "on", "to", "of", "by", "is", "or", "as", "an", "up", "no", "so", "we", "he", "me",
                "my", "it", "if", "be", "do", "go", "us", "am", "x", "aged", "pp"}
# Ten digits, written 3-3-4 (943 476 5919), 3-4-3 (943 4765 919) or unbroken, with spaces, dots
# or dashes; only those whose last digit is the NHS modulus-11 check digit count.
_NHS_NUMBER = re.compile(r"(?<![\w£$.,/-])(\d{3})([ .-]?)(\d{3,4})\2(\d{3,4})(?![\w-]|[.,]\d)")


_MOBILE_WITHOUT_ZERO = re.compile(r"(?<![\w£$.,/-])7\d{3}[\s.-]?\d{3}[\s.-]?\d{3}(?![\w-]|[.,]\d)")
"""A mobile number with its leading 0 left off: 7700 900123."""


def _phones(text: str) -> bool:
    if _MOBILE_WITHOUT_ZERO.search(text):
        return True
    for match in _PHONE.finditer(text):
        international = not match.group(1).startswith(("0", "(")) or match.group(1).startswith("00")
        groups = re.findall(r"\d+", match.group(2))
        digits = "" if international else "0"
        for group in groups:
            digits += group
            national = digits.lstrip("0") if international else digits
            if international and len(national) in (9, 10):
                return True
            if not international and len(digits) in (10, 11) and digits[1] != "0":
                return True
    return False


def _emails(text: str) -> bool:
    if _EMAIL.search(text):
        return True
    for match in _SPELLED_EMAIL.finditer(text):
        spelled = match.group(0)
        bracketed = re.search(r"[(\[{<]\s*(?:at|dot)\s*[)\]}>]", spelled, re.I)
        if bracketed or _TOP_LEVEL.search(spelled) or re.search(r"\bdot\b", spelled, re.I):
            return True
    return False


def _ni_numbers(text: str) -> bool:
    for match in _NI_NUMBER.finditer(text):
        letters, gap = match.group(1), match.group(2)
        if gap == " " and letters.lower() in _SHORT_WORDS and not letters.isupper():
            continue
        return True
    return False


# --- the guard ------------------------------------------------------------------------------


def personal_data(text: str) -> list[str]:
    """The kinds of personal data (keys of ``KINDS``) that ``text`` seems to contain, in
    ``KINDS`` order; empty when it looks like a harmless note."""
    return list(_judged(text)) if text else []


@functools.lru_cache(maxsize=16384)
def _judged(text: str) -> tuple[str, ...]:
    """``personal_data``, remembered per text: the same evidence note and the same reason (every
    case of one intake import carries its reason) recur across thousands of case files, and
    every command that loads the cases judges each of them."""
    text = normalise(text)
    found = set()
    if _emails(text):
        found.add(EMAIL)
    # An e-mail address's domain can look like anything; judge the rest without it.
    rest = _SPELLED_EMAIL.sub(" ", _EMAIL.sub(" ", text)) if EMAIL in found else text
    if _names(rest):
        found.add(NAME)
    if _addresses(rest):
        found.add(ADDRESS)
    if _date_of_birth(rest):
        found.add(DATE_OF_BIRTH)
    if _ni_numbers(rest):
        found.add(NI_NUMBER)
    if _POSTCODE.search(_NI_NUMBER.sub(" ", rest)):
        found.add(POSTCODE)
    if _phones(rest):
        found.add(PHONE)
    if any(nhs_check_digit_ok("".join(match.group(1, 3, 4))) for match in _NHS_NUMBER.finditer(rest)):
        found.add(NHS_NUMBER)
    return tuple(kind for kind in KINDS if kind in found)


def reference_kinds(reference: str) -> list[str]:
    """What a case reference seems to hold besides a pseudonym: a name ("JSmith1985",
    "John-Smith", "smith-j") or a date of birth ("12031985", "KM-1985-03-12"), in ``KINDS``
    order; empty for a pseudonym such as BCP-0071. Stricter than ``personal_data``, as a
    reference is a short code, never words."""
    text = normalise(reference.strip())
    found = set(personal_data(text))
    parts = re.findall(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|\d+", text)
    words = [part for part in parts if part.isalpha()]
    known = forenames()
    if any(len(word) >= 3 and word.lower() in known and not (known[word.lower()] and word.isupper())
           for word in words):
        found.add(NAME)
    for index, part in enumerate(parts):
        neighbours = parts[max(index - 1, 0):index] + parts[index + 1:index + 2]
        if len(part) >= 3 and part.isalpha() and not part.isupper() and any(
                other.isalpha() or (len(other) == 4 and other[:2] in ("19", "20")) for other in neighbours):
            found.add(NAME)  # JSmith, Smith-J, Smith1985: a surname with an initial or a year
    numbers = re.findall(r"\d+", text)
    if any(len(number) == 8 and _is_compact_date(number) for number in numbers):
        found.add(DATE_OF_BIRTH)
    for first, second, third in zip(numbers, numbers[1:], numbers[2:]):
        if (len(first) == 4 and _valid_date(int(first), int(second), int(third))
                or len(third) == 4 and _valid_date(int(third), int(second), int(first))):
            found.add(DATE_OF_BIRTH)
    return [kind for kind in KINDS if kind in found]


def nhs_check_digit_ok(digits: str) -> bool:
    """Whether ten digits end in the NHS number's modulus-11 check digit: the first nine
    weighted 10 down to 2, summed; 11 less the remainder after dividing by 11 is the check
    digit (11 counts as 0; 10 means no valid number has those nine digits)."""
    if len(digits) != 10 or not digits.isdigit():
        return False
    total = sum(int(digit) * weight for digit, weight in zip(digits[:9], range(10, 1, -1)))
    check = 11 - total % 11
    return check != 10 and check % 11 == int(digits[9])


def describe(kinds: list[str]) -> str:
    """'looks like a postcode and a phone number': the reason, never the text itself."""
    names = [KINDS[kind] for kind in kinds]
    listed = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
    return f"looks like {listed}"


HINT = ("case records are pseudonymised: keep free text to a short note with no names, dates, "
        "addresses, phone numbers, e-mail addresses, NI or NHS numbers (dates belong in status events)")
"""What to do instead, for every personal-data message."""

REFERENCE_HINT = ("a reference is a pseudonym such as BCP-0071: never a name, initials with a surname "
                  "or a date of birth")
"""What to do instead, for every personal-data message about a reference."""


def check(field: str, text: str) -> str | None:
    """A message naming ``field`` and why its text is refused, or None if it is acceptable."""
    kinds = personal_data(text)
    if not kinds:
        return None
    return f"{field} {describe(kinds)}"


def check_reference(reference: str) -> str | None:
    """A message saying why ``reference`` is refused as personal data, or None; never echoes it."""
    kinds = reference_kinds(reference)
    if not kinds:
        return None
    return f"the reference {describe(kinds)}"
