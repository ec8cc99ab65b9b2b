"""Checksums used by Swedish identifiers, in one place.

* Luhn ("modulus 10 with weights 2 and 1"): personnummer, samordningsnummer,
  organisationsnummer, bankgiro, plusgiro, OCR, card numbers, type-2 accounts.
* Modulus 11 with weights: type-1 bank accounts, Handelsbanken accounts.
* ISO 7064 mod 97-10: IBAN.

All functions take ASCII digit strings; they never raise on a digit string.

>>> luhn_is_valid("8112289874")
True
>>> luhn_check_digit("701063239")
'1'
>>> mod97_is_valid("SE4550000000058398257466")
True
"""

from __future__ import annotations

# Doubled digit sums for Luhn: 2*d with its digits added.
_LUHN_DOUBLE = (0, 2, 4, 6, 8, 1, 3, 5, 7, 9)


def luhn_checksum(digits: str) -> int:
    """Luhn sum mod 10 over ``digits`` whose last digit is the check digit."""
    total = 0
    double = False
    for ch in reversed(digits):
        d = ord(ch) - 48
        total += _LUHN_DOUBLE[d] if double else d
        double = not double
    return total % 10


def luhn_is_valid(digits: str) -> bool:
    return bool(digits) and luhn_checksum(digits) == 0


def luhn_check_digit(digits: str) -> str:
    """The digit to append to ``digits`` so that the result is Luhn-valid."""
    return str((10 - luhn_checksum(digits + "0")) % 10)


def mod11_sum(digits: str, weights: tuple[int, ...]) -> int:
    """Weighted sum, weights aligned from the right end of ``digits``."""
    return sum((ord(ch) - 48) * w for ch, w in zip(reversed(digits), weights))


# Weights 1,2,...,10,1,... counted from the right (Bankgirot type 1 and Handelsbanken).
MOD11_WEIGHTS = (1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10)


def mod11_is_valid(digits: str) -> bool:
    """Bankgirot's modulus 11: weighted sum from the right is 0 mod 11, and not zero."""
    s = mod11_sum(digits, MOD11_WEIGHTS)
    return s != 0 and s % 11 == 0


def mod97(numeric: str) -> int:
    """``numeric`` (digits only) mod 97, computed in chunks."""
    rem = 0
    for i in range(0, len(numeric), 9):
        rem = int(str(rem) + numeric[i : i + 9]) % 97
    return rem


def iban_numeric(iban: str) -> str:
    """Rearranged IBAN (country + check to the end) with letters as numbers (A=10 ... Z=35)."""
    moved = iban[4:] + iban[:4]
    return "".join(str(int(ch, 36)) for ch in moved)


def mod97_is_valid(iban: str) -> bool:
    """ISO 7064 mod 97-10 check of a compact, upper-case IBAN."""
    try:
        return mod97(iban_numeric(iban)) == 1
    except ValueError:
        return False


def ean13_is_valid(digits: str) -> bool:
    """GS1 check digit for EAN-13 (weights 1,3 from the left)."""
    if len(digits) != 13:
        return False
    s = sum((ord(c) - 48) * (3 if i % 2 else 1) for i, c in enumerate(digits[:12]))
    return (10 - s % 10) % 10 == ord(digits[12]) - 48
