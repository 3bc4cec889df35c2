"""The pseudonymisation guard: free text that looks like personal data is refused.

Case records hold pseudonymised references only. A description or evidence note is a short
note ("Police incident check, 3 months after completion"), never a date of birth, an address,
a phone number, an e-mail address, a National Insurance number or an NHS number.
``personal_data`` finds
what looks like one of those; callers refuse the text and say which field and why, without
echoing the text itself (it may be the very data that must not be copied around).

The patterns are deliberately a little broad (any full date, any postcode-shaped token): a
refused note is rewritten in a moment, personal data that slips through is a data breach.
"""

from __future__ import annotations

import re

DATE_OF_BIRTH = "date-of-birth"
POSTCODE = "postcode"
PHONE = "phone-number"
EMAIL = "email-address"
NI_NUMBER = "ni-number"
NHS_NUMBER = "nhs-number"

KINDS = {
    DATE_OF_BIRTH: "a date of birth",
    POSTCODE: "a postcode",
    PHONE: "a phone number",
    EMAIL: "an e-mail address",
    NI_NUMBER: "a National Insurance number",
    NHS_NUMBER: "an NHS number",
}
"""Each kind of personal data, in the order they are reported, and how a message names it."""

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
    re.compile(r"\bd\.?\s?o\.?\s?b\b\.?|\bdate\s+of\s+birth\b|\bborn\b|\bbirth\s*date\b|\bbirthday\b", re.I),
]
# Outward code (A9, A99, A9A, AA9, AA99, AA9A), optional space, inward code (9AA). Any letters,
# so obviously invented test postcodes are caught as well as real ones.
_POSTCODE = re.compile(r"\b[A-Z]{1,2}\d[A-Z\d]?\s?\d[A-Z]{2}\b", re.I)
# A run of digits with the separators people type (spaces, dashes, dots, brackets).
_PHONE = re.compile(r"(?<![\w£$.])(?<!\d,)(\+\s?44|\(?0)[\d\s().-]{8,16}\d(?!\d|,\d)")
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
# Two letters, six digits (in pairs, maybe spaced), a final letter A-D.
_NI_NUMBER = re.compile(r"\b[A-Z]{2}\s?\d{2}\s?\d{2}\s?\d{2}\s?[A-D]\b", re.I)
# Ten digits, often written 3-3-4 (943 476 5919); only those whose last digit is the NHS
# modulus-11 check digit count, so other ten-digit figures pass.
_NHS_NUMBER = re.compile(r"(?<![\w£$.,-])(\d{3})[ -]?(\d{3})[ -]?(\d{4})(?![\w-]|[.,]\d)")


def personal_data(text: str) -> list[str]:
    """The kinds of personal data (keys of ``KINDS``) that ``text`` seems to contain, in
    ``KINDS`` order; empty when it looks like a harmless note."""
    if not text:
        return []
    found = set()
    if any(pattern.search(text) for pattern in _DATES):
        found.add(DATE_OF_BIRTH)
    if _EMAIL.search(text):
        found.add(EMAIL)
    # An e-mail address's domain can look like anything; judge the rest without it.
    rest = _EMAIL.sub(" ", text)
    if _NI_NUMBER.search(rest):
        found.add(NI_NUMBER)
    if _POSTCODE.search(_NI_NUMBER.sub(" ", rest)):
        found.add(POSTCODE)
    if any(_is_phone(match) for match in _PHONE.finditer(rest)):
        found.add(PHONE)
    if any(nhs_check_digit_ok("".join(match.groups())) for match in _NHS_NUMBER.finditer(rest)):
        found.add(NHS_NUMBER)
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


def _is_phone(match: re.Match) -> bool:
    digits = re.sub(r"\D", "", match.group(0))
    if match.group(1).replace(" ", "").startswith("+44"):
        return len(digits) in (11, 12)  # 44 and a 9 or 10 digit national number
    return len(digits) in (10, 11) and digits.startswith("0")


def describe(kinds: list[str]) -> str:
    """'looks like a postcode and a phone number': the reason, never the text itself."""
    names = [KINDS[kind] for kind in kinds]
    listed = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
    return f"looks like {listed}"


HINT = ("case records are pseudonymised: keep free text to a short note with no names, dates, "
        "addresses, phone numbers, e-mail addresses, NI or NHS numbers (dates belong in status events)")
"""What to do instead, for every personal-data message."""


def check(field: str, text: str) -> str | None:
    """A message naming ``field`` and why its text is refused, or None if it is acceptable."""
    kinds = personal_data(text)
    if not kinds:
        return None
    return f"{field} {describe(kinds)}"
