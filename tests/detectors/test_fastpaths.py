"""The scanner's per-value fast paths give exactly what the general path gives.

``Scanner._find`` sends a value that is one plainly written identifier in a
field hinted for its kind (or a date, timestamp or short digit run in a field
hinted for no identifier) through a fast path that runs only the detector that
can find something in it; ``Scanner._find_general`` is the general path. Every
test here compares the two, match for match (kind, subkind, span, value,
confidence, why, test_data, personal, inside), on generated values in every
written form, valid and not, mixed into batches with values that go the
general way. All data is generated and fictional.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from detectors import Scanner, bank_account
from detectors.checksums import luhn_check_digit
from detectors.context import hint_kinds
from detectors.scan import _fast_nothing

SCANNERS = {
    "all-0": Scanner(None, min_confidence=0.0),
    "all-default": Scanner(None),
    "pnr-only": Scanner(("personnummer",), min_confidence=0.0),
    "phone-only": Scanner(("phone",), min_confidence=0.0),
    "email-phone-orgnr": Scanner(("email", "phone"), min_confidence=0.0, include_non_personal=True),
    "no-email": Scanner(("personnummer", "phone", "bank_account", "payment_card"), min_confidence=0.3),
    "pnr-phone-email-orgnr": Scanner(("personnummer", "phone", "email"), min_confidence=0.0, include_non_personal=True),
}
scanners = st.sampled_from(sorted(SCANNERS))
refs = st.one_of(st.none(), st.dates(date(1990, 1, 1), date(2030, 12, 31)))
SLOW = settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

# Values of other shapes that share a batch with the fast ones: they go the
# general way, and some carry giro keywords or commas at their end (the only
# batch-wide input of the general path).
NEIGHBOURS = st.sampled_from(
    [
        "", " ", "okänt", "Betala till bg", "pg", "konto,", "giro ", "1234,", "SE", "Ring 070-123 45 67 bg",
        "811228-9874", " 19640823-3234 ", "0701740605", "anna@example.se bg", "tel:", "2019-03-04 12:33:10,5",
        "Order 4491161", "5560360793", "x\n19640823-3234", "Anna Svensson", "Linköping", "０７０１７４０６０５",
    ]
)


def _same(sc: Scanner, values: list[str], hint: str | None, ref_dates: list[date | None]) -> None:
    # the hints find_many reads from the batch (a business-number field whose numbers are
    # mostly a personnummer); a value alone has only those of the field name
    hints = sc.batch_hints(values, hint, ref_dates)
    general = sc._find_general(values, hint, hints, ref_dates)
    batched = sc.find_many(values, hint, ref_dates)
    assert batched == general, (hint, [v for v, a, b in zip(values, batched, general) if a != b][:3])
    for v, r, want in zip(values, ref_dates, general):
        if hints != hint_kinds(hint):
            want = sc._find_general([v], hint, hint_kinds(hint), [r])[0]
        assert sc.find(v, hint=hint, ref_date=r) == want, (hint, v)


# -- personnummer ------------------------------------------------------------------


@st.composite
def pnr_values(draw: st.DrawFn) -> str:
    kind = draw(st.sampled_from(["valid", "valid", "valid", "bad-check", "random", "orgnr", "interim-like"]))
    if kind == "random":
        return draw(st.from_regex(r"[0-9]{6}-?[0-9]{4}|[0-9]{8}-?[0-9]{4}|[0-9]{6}\+[0-9]{4}", fullmatch=True))
    if kind == "orgnr":
        body = draw(st.sampled_from(["556036079", "802479165", "212000014", "969663920", "165560360"]))
        v = body + luhn_check_digit(body)
        return draw(st.sampled_from([v, v[:6] + "-" + v[6:], "16" + v, "16" + v[:6] + "-" + v[6:]]))
    if kind == "interim-like":
        return draw(st.sampled_from(["000101-T220", "20000101T220", "640823-3234.0", "198112289874.0", "501011233"]))
    d = draw(st.dates(date(1850, 1, 1), date(2031, 12, 31)))
    day = d.day + (60 if draw(st.integers(0, 4)) == 0 else 0)
    serial = draw(st.integers(0, 999))
    short = f"{d.year % 100:02d}{d.month:02d}{day:02d}"
    body = short + f"{serial:03d}"
    check = luhn_check_digit(body)
    if kind == "bad-check":
        check = str((int(check) + draw(st.integers(1, 9))) % 10)
    tail = f"{serial:03d}{check}"
    long_ = f"{d.year:04d}{d.month:02d}{day:02d}"
    return draw(
        st.sampled_from(
            [
                long_ + "-" + tail, long_ + tail, short + "-" + tail, short + tail, short + "+" + tail,
                long_ + "+" + tail, short + " " + tail, " " + short + "-" + tail,
            ]
        )
    )


@SLOW
@given(
    sc=scanners,
    hint=st.sampled_from(["personnummer", "pnr", "kund_personnr", "Personnummer"]),
    batch=st.lists(st.tuples(st.one_of(pnr_values(), pnr_values(), NEIGHBOURS), refs), min_size=1, max_size=12),
)
def test_personnummer_fast_path_equals_general(sc: str, hint: str, batch: list[tuple[str, date | None]]) -> None:
    _same(SCANNERS[sc], [v for v, _ in batch], hint, [r for _, r in batch])


# -- e-mail -------------------------------------------------------------------------

LOCALS = st.one_of(
    st.from_regex(r"[A-Za-z][A-Za-z0-9._+-]{0,24}", fullmatch=True),
    st.builds(
        lambda first, last, n, sep, upper: (f"{first}{sep}{last}{n}".upper() if upper else f"{first}{sep}{last}{n}"),
        st.sampled_from(["Anna", "Per", "Björn", "Oskar", "Sofia", "Eggert", "Bg", "pg", "SE", "AB", "811228T987", "x.SE45"]),
        st.sampled_from(["Berg", "Lindgren", "Svensson", "Giro", "Olofsson"]),
        st.one_of(
            st.just(""),
            st.integers(0, 10**9).map(str),
            st.sampled_from(["12", "0701234567", "19640823-3234", "-1-2", "000101T220", "123456", "1.2.3.4", "+46701234567"]),
        ),
        st.sampled_from([".", "_", "-", "+", ""]),
        st.booleans(),
    ),
)
DOMAINS = st.one_of(
    st.sampled_from(
        [
            "example.se", "EXAMPLE.SE", "exempel.se", "example.com", "bg-system.se", "x.y", "2x.png", "foo", "a..b.se",
            "host.se", "företag.se", "xn--bcher-kva.se", "sub.example.org", "test", "1.2.3.4", "se", "mail.example.se.",
        ]
    ),
    st.from_regex(r"[A-Za-z0-9-]{1,12}(\.[A-Za-z0-9-]{1,8}){1,3}", fullmatch=True),
)


@st.composite
def email_values(draw: st.DrawFn) -> str:
    v = draw(LOCALS) + "@" + draw(DOMAINS)
    odd = draw(st.integers(0, 6))
    if odd == 0:
        v = draw(st.sampled_from(["<", " ", "mailto:", "@", "x,", "SE12", "("])) + v
    elif odd == 1:
        v = v + draw(st.sampled_from([">", " ", ".", ",", ":repo.git", "@x.se", " [at] x punkt se"]))
    return v


@SLOW
@given(
    sc=scanners,
    hint=st.sampled_from(["email", "e_post", "epost", "kund_email"]),
    batch=st.lists(st.tuples(st.one_of(email_values(), email_values(), NEIGHBOURS), refs), min_size=1, max_size=12),
)
def test_email_fast_path_equals_general(sc: str, hint: str, batch: list[tuple[str, date | None]]) -> None:
    _same(SCANNERS[sc], [v for v, _ in batch], hint, [r for _, r in batch])


# -- phone --------------------------------------------------------------------------

PREFIXES = ["070", "072", "073", "076", "079", "0701740", "08", "031", "0980", "020", "0900", "010", "074",
            "+4670", "+468", "+46", "+4631", "0046", "004670", "4670", "468", "70", "+44", "+1", "1", "2", "5", "9"]


@st.composite
def phone_values(draw: st.DrawFn) -> str:
    prefix = draw(st.sampled_from(PREFIXES))
    rest = draw(st.from_regex(r"[0-9]{3,12}", fullmatch=True))
    digits = (prefix + rest)[: draw(st.integers(7, 18)) + (1 if prefix.startswith("+") else 0)]
    if draw(st.integers(0, 3)) == 0:
        return digits
    plus = digits.startswith("+")
    body = digits[1:] if plus else digits
    cuts = sorted(draw(st.sets(st.integers(1, max(1, len(body) - 1)), max_size=5)))
    out, last = [], 0
    for c in cuts:
        out.append(body[last:c])
        last = c
    out.append(body[last:])
    seps = draw(st.lists(st.sampled_from([" ", "-", " ", "-", " - ", "/", "."]), min_size=len(out), max_size=len(out)))
    text = out[0] + "".join(s + g for s, g in zip(seps, out[1:]))
    return ("+" if plus else "") + text


@st.composite
def phone_written(draw: st.DrawFn) -> str:
    """A Swedish mobile or Stockholm number in the usual written forms."""
    nsn = draw(st.sampled_from(["7", "70", "72", "73", "76", "79", "8"])) + draw(st.from_regex(r"[0-9]{8}", fullmatch=True))
    nsn = nsn[:9] if nsn[0] == "7" else nsn[:9]
    a, b = (nsn[:2], nsn[2:]) if nsn[0] == "7" else (nsn[:1], nsn[1:])
    forms = [
        "+46" + nsn, "0" + nsn, f"0{a}-{b}", f"0{a}-{b[:3]} {b[3:5]} {b[5:]}", f"0{a} {b[:3]} {b[3:5]} {b[5:]}",
        f"+46 {a} {b[:3]} {b[3:5]} {b[5:]}", f"+46-{a}-{b}", "46" + nsn, nsn, f"0046 {a} {b}", f"0{a}-{b[:2]} {b[2:4]} {b[4:]}",
    ]
    v = draw(st.sampled_from(forms))
    # more digits around it: the general path also reads the number inside the longer run
    if draw(st.integers(0, 2)) == 0:
        v = draw(st.sampled_from(["", "1 ", "46 ", "0-"])) + v + draw(st.sampled_from(["", " 8", " 89", "-1", " 123", " 4567"]))
    return v


@SLOW
@given(
    sc=scanners,
    hint=st.sampled_from(["phone", "telefon", "mobil", "tel_nr"]),
    batch=st.lists(
        st.tuples(st.one_of(phone_written(), phone_written(), phone_values(), NEIGHBOURS), refs), min_size=1, max_size=12
    ),
)
def test_phone_fast_path_equals_general(sc: str, hint: str, batch: list[tuple[str, date | None]]) -> None:
    _same(SCANNERS[sc], [v for v, _ in batch], hint, [r for _, r in batch])


# -- values with nothing in them ------------------------------------------------------


@st.composite
def stamp_values(draw: st.DrawFn) -> str:
    dt = draw(st.datetimes(datetime(1000, 1, 1), datetime(2999, 12, 31, 23, 59, 59)))
    fmt = draw(
        st.sampled_from(
            ["%Y-%m-%d %H:%M:%S", "%Y-%m-%d", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M", "%Y%m%d%H%M", "%Y%m%d%H%M%S",
             "%Y-%m-%d %H:%M:%S.%f", "%d/%m/%Y", "%y%m%d-%H%M"]
        )
    )
    v = dt.strftime(fmt)
    if fmt.endswith("%f"):
        v = v[: len(v) - draw(st.integers(0, 6))]
    return v


PROSE = st.one_of(
    st.lists(
        st.sampled_from(list("aeiouåäöÅÖ AEIOSBGPRT0123456789.-/+(),:@\n") + ["bg", "pg", "giro", "SE", "12", " punkt ", "at]", "＠", "１"]),
        max_size=16,
    ).map("".join),
    st.builds(lambda street, n: f"{street} {n}", st.sampled_from(["Ringvägen", "Storgatan", "Box", "Lgh", "SE", "BG", "Vån"]), st.integers(0, 10**7)),
    # short numbers that a giro keyword, a comma clearing or normalisation makes something
    st.sampled_from(
        ["pg 18", "PG: 4-2", "plusgiro 4-2", "pg １８", "Plusgiro ４-２", "bg 5402-9681", "Bankgiro 540-2968", "pg 18 bg 26",
         "Konto 5839, 8257466", "clearing 5839, 82574", "SE45 5000", "SE12 34", "Tel 070 12", "a at] b", "pg 18\nx"]
    ),
)


@SLOW
@given(
    sc=scanners,
    hint=st.sampled_from([None, "created_at", "updated", "id", "postal_code", "notes", "tidsstämpel", "order_id"]),
    batch=st.lists(
        st.tuples(st.one_of(stamp_values(), st.integers(0, 10**8).map(str), pnr_values(), PROSE, NEIGHBOURS), refs),
        min_size=1,
        max_size=12,
    ),
)
def test_nothing_fast_path_equals_general(sc: str, hint: str | None, batch: list[tuple[str, date | None]]) -> None:
    _same(SCANNERS[sc], [v for v, _ in batch], hint, [r for _, r in batch])


def test_every_clearing_a_stamp_could_name_wants_a_longer_account() -> None:
    """"2019-03-04 12" reads as clearing 2019 and account 030412: no clearing in 1000-2999 takes 6 digits."""
    for c in range(1000, 3000):
        row = bank_account.lookup(str(c))
        if row is None or row.comment == "?":
            continue  # unknown clearings are checked as 7-digit type-1 accounts
        assert row.min_digits > 6, c


@settings(max_examples=300, deadline=None)
@given(dt=st.datetimes(datetime(1000, 1, 1), datetime(2999, 12, 31, 23, 59, 59)), ref=refs)
def test_the_stamps_the_fast_path_drops_find_nothing(dt: datetime, ref: date | None) -> None:
    sc = SCANNERS["all-0"]
    for v in (dt.strftime("%Y-%m-%d %H:%M:%S"), dt.strftime("%Y-%m-%d"), dt.strftime("%Y-%m-%dT%H:%M"),
              dt.strftime("%Y-%m-%d %H:%M:%S.%f")[:23]):
        assert _fast_nothing(v, frozenset(), frozenset(), date(2026, 1, 1)) == []
        for hint in (None, "created_at"):
            assert sc._find_general([v], hint, hint_kinds(hint), [ref]) == [[]]


# -- the fast paths are taken -----------------------------------------------------------


@pytest.mark.parametrize(
    "hint,value,kind",
    [
        ("personnummer", "19640823-3234", "personnummer"),
        ("personnummer", "196408233234", "personnummer"),
        ("personnummer", "640823-3234", "personnummer"),
        ("personnummer", "6408233234", "personnummer"),
        ("personnummer", "20050925-0049", "personnummer"),
        ("personnummer", "701063-2391", "personnummer"),
        ("email", "anna.berg12@example.se", "email"),
        ("email", "PER.JOHANSSON4@EXAMPLE.SE", "email"),
        ("phone", "070-123 45 67", "phone"),
        ("phone", "+46 72 548 58 70", "phone"),
        ("phone", "076-0971733", "phone"),
        ("phone", "0706457596", "phone"),
        ("phone", "+46700000007", "phone"),
        ("phone", "072 291 51 85", "phone"),
        ("created_at", "2019-03-04 12:33:10", None),
        ("id", "4711", None),
    ],
)
def test_plain_values_take_the_fast_path(hint: str, value: str, kind: str | None) -> None:
    sc = SCANNERS["all-default"]
    hints = hint_kinds(hint)
    fast = sc._fast_path_for(hints)
    assert fast is not None
    got = fast(value, hints, frozenset({hint}), date(2026, 11, 24))
    assert got is not None, "went the general way"
    assert got == sc._find_general([value], hint, hints, [date(2026, 11, 24)])[0]
    assert [m.kind for m in got] == ([kind] if kind else [])


@pytest.mark.parametrize(
    "hint,value",
    [
        ("personnummer", "0607180072"),  # could also be a phone number: general way
        ("personnummer", "640823+3234"),
        ("personnummer", "5560360793"),  # an orgnr
        ("phone", "0701234569"),  # 10 digits passing Luhn: a personnummer reader could take it
        ("phone", "0701740607"),  # a PTS fiction number that is also a samordningsnummer
        ("phone", "08.123 456 78"),
        ("email", "anna.0701234567@example.se"),  # a long digit run
        ("email", "bg12@example.se"),  # a giro keyword before digits
        ("email", "anna [at] example punkt se"),
        ("email", "000101T220@example.se"),  # an interim number
        ("email", "SE4550000000058398257466@example.se"),  # an IBAN
        ("created_at", "202403041233"),  # compact: a personnummer reader decides
    ],
)
def test_other_shapes_go_the_general_way(hint: str, value: str) -> None:
    sc = SCANNERS["all-default"]
    hints = hint_kinds(hint)
    fast = sc._fast_path_for(hints)
    assert fast is None or fast(value, hints, frozenset({hint}), date(2026, 11, 24)) is None


@pytest.mark.parametrize(
    "batch,short",
    [
        (["Ringvägen 91", "Box 12, 123 45 Ort", "4711", "Vån 3", "Vill ha faktura via e-post framöver."], True),
        (["Drottninggatan 12", "Östra Långgatan 44", "Bgatan 1"], True),  # "gg", "Bg" start no giro word
        (["Ringvägen 91", "BG 18"], False),
        (["Ringvägen 91", "pg 18"], False),  # a giro keyword: short numbers count
        (["Ringvägen 91", "IBAN SE45 5000"], False),  # two capitals before digits
        (["Ringvägen 91", "Storgatan 1234567"], False),
        (["Ringvägen 91", "a@b.se"], False),
        (["Ringvägen ９１"], False),  # full-width digits: normalisation changes the text
    ],
)
def test_batches_of_short_runs_only(batch: list[str], short: bool) -> None:
    from detectors.scan import _only_short_runs

    assert _only_short_runs(batch) is short
    sc = SCANNERS["all-0"]
    for hint in (None, "address", "created_at"):
        assert sc.find_many(batch, hint) == sc._find_general(batch, hint, hint_kinds(hint), [None] * len(batch))


def test_no_hint_batches_of_plain_words_are_not_scanned_but_width_forms_are() -> None:
    """A batch with no digit, '@' or marker after NFKC needs no general pass; full-width digits do."""
    sc = SCANNERS["all-0"]
    words = ["Linköping", "Åsa Öberg", "Västerås", "Malmö"]
    assert sc.find_many(words, "city") == [[], [], [], []]
    wide = ["Linköping", "ring ０７０－１７４ ０６ ０５"]
    found = sc.find_many(wide, "city")
    assert found == sc._find_general(wide, "city", hint_kinds("city"), [None, None])
    assert [m.kind for m in found[1]] == ["phone"]


@SLOW
@given(
    batch=st.lists(
        st.text(alphabet=st.sampled_from(list("aåäöÅé ＠０１７-–\u00a0\u2011.,Aeioubgp") + ["\u030a"]), max_size=20),
        min_size=1,
        max_size=6,
    ),
    hint=st.sampled_from([None, "city", "name"]),
)
def test_no_hint_unicode_batches_equal_general(batch: list[str], hint: str | None) -> None:
    sc = SCANNERS["all-0"]
    assert sc.find_many(batch, hint) == sc._find_general(batch, hint, hint_kinds(hint), [None] * len(batch))


def test_ref_date_reaches_the_fast_path() -> None:
    """A 10-digit number gets its century from each value's own reference date, as on the general path."""
    sc = SCANNERS["all-0"]
    vals = ["640823-3234", "640823-3234"]
    got = sc.find_many(vals, "personnummer", [date(2026, 1, 1), date(1960, 1, 1)])
    assert [m[0].value for m in got] == ["196408233234", "186408233234"]
    assert got == sc._find_general(vals, "personnummer", hint_kinds("personnummer"), [date(2026, 1, 1), date(1960, 1, 1)])
    assert date(2026, 1, 1) - timedelta(days=1) < date(2026, 1, 1)
