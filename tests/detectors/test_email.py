"""E-mail addresses: written forms, canonical values, the decisions of detectors.email."""

from __future__ import annotations

import html
from urllib.parse import quote

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from detectors import email, scan
from detectors.base import InvalidComponent, InvalidFormat, InvalidLength, ValidationError

# -- find(): (text, [(written span, canonical, subkind)]) -------------------------------

FOUND = [
    ("anna@example.se", [("anna@example.se", "anna@example.se", "email")]),
    ("Skriv till Anna.Svensson@Example.SE idag", [("Anna.Svensson@Example.SE", "anna.svensson@example.se", "email")]),
    ("ANNA@EXAMPLE.SE", [("ANNA@EXAMPLE.SE", "anna@example.se", "email")]),
    ("Anna+news@Example.se", [("Anna+news@Example.se", "anna+news@example.se", "email")]),
    ("anna@bücher.se", [("anna@bücher.se", "anna@bücher.se", "email")]),
    ("anna@xn--bcher-kva.se", [("anna@xn--bcher-kva.se", "anna@bücher.se", "email")]),
    ("anna@XN--BCHER-KVA.SE", [("anna@XN--BCHER-KVA.SE", "anna@bücher.se", "email")]),
    ("åsa.öberg@företag.se", [("åsa.öberg@företag.se", "åsa.öberg@företag.se", "email")]),
    ("ÅSA@FÖRETAG.SE", [("ÅSA@FÖRETAG.SE", "åsa@företag.se", "email")]),
    ('<a href="mailto:anna@example.se">', [("anna@example.se", "anna@example.se", "email")]),
    ("mailto:anna%40example.se", [("anna%40example.se", "anna@example.se", "email")]),
    ("anna%2Esvensson%40example%2Ese", [("anna%2Esvensson%40example%2Ese", "anna.svensson@example.se", "email")]),
    ("?to=%3Canna%40b%C3%BCcher.se%3E", [("anna%40b%C3%BCcher.se", "anna@bücher.se", "email")]),
    ("anna&#64;example.se", [("anna&#64;example.se", "anna@example.se", "email")]),
    ("anna&#064;example.se", [("anna&#064;example.se", "anna@example.se", "email")]),
    ("anna&#x40;example.se", [("anna&#x40;example.se", "anna@example.se", "email")]),
    ("anna&commat;example.se", [("anna&commat;example.se", "anna@example.se", "email")]),
    ("&lt;anna&#64;example&#46;se&gt;", [("anna&#64;example&#46;se", "anna@example.se", "email")]),
    ("&#97;&#110;&#110;&#97;&#64;&#101;&#120;&#46;&#115;&#101;", [("&#97;&#110;&#110;&#97;&#64;&#101;&#120;&#46;&#115;&#101;", "anna@ex.se", "email")]),
    ('From: "Anna Svensson" <anna@example.se>', [("anna@example.se", "anna@example.se", "email")]),
    ("anna.svensson@foretag.se, bo@foretag.se; cy@x.nu.", [
        ("anna.svensson@foretag.se", "anna.svensson@foretag.se", "email"),
        ("bo@foretag.se", "bo@foretag.se", "email"),
        ("cy@x.nu", "cy@x.nu", "email"),
    ]),
    ("Mejla anna@example.se.Tack!", [("anna@example.se", "anna@example.se", "email")]),
    ("Hej...anna@example.se...", [("anna@example.se", "anna@example.se", "email")]),
    ('"anna@example.se"', [("anna@example.se", "anna@example.se", "email")]),
    ("'anna@example.se'", [("anna@example.se", "anna@example.se", "email")]),
    ("**anna@example.se**", [("anna@example.se", "anna@example.se", "email")]),
    ("(anna@example.se)", [("anna@example.se", "anna@example.se", "email")]),
    ("http://example.com/p?email=anna@example.se&x=1", [("anna@example.se", "anna@example.se", "email")]),
    ('{"to":"\\u003canna@example.se\\u003e"}', [("anna@example.se", "anna@example.se", "email")]),
    ("log line\\nanna@example.se", [("anna@example.se", "anna@example.se", "email")]),
    ("=3Canna@example.se=3E", [("anna@example.se", "anna@example.se", "email")]),
    ("anna@example.se:hunter2", [("anna@example.se", "anna@example.se", "email")]),  # a credential dump
    ("anna＠example.se", [("anna＠example.se", "anna@example.se", "email")]),  # full-width at sign
    ("ａｎｎａ＠ｅｘａｍｐｌｅ．ｓｅ", [("ａｎｎａ＠ｅｘａｍｐｌｅ．ｓｅ", "anna@example.se", "email")]),
    ("namn [at] domän punkt se", [("namn [at] domän punkt se", "namn@domän.se", "obfuscated")]),
    ("namn (at) example (dot) com", [("namn (at) example (dot) com", "namn@example.com", "obfuscated")]),
    ("anna [at] example [dot] se", [("anna [at] example [dot] se", "anna@example.se", "obfuscated")]),
    ("anna[at]example[dot]se", [("anna[at]example[dot]se", "anna@example.se", "obfuscated")]),
    ("anna{at}example{punkt}se", [("anna{at}example{punkt}se", "anna@example.se", "obfuscated")]),
    ("anna <at> example <dot> se", [("anna <at> example <dot> se", "anna@example.se", "obfuscated")]),
    ("anna [dot] svensson [AT] example [DOT] se", [("anna [dot] svensson [AT] example [DOT] se", "anna.svensson@example.se", "obfuscated")]),
    ("anna (snabel-a) example (punkt) se", [("anna (snabel-a) example (punkt) se", "anna@example.se", "obfuscated")]),
    ("anna snabel-a example punkt se", [("anna snabel-a example punkt se", "anna@example.se", "obfuscated")]),
    ("anna at example punkt se", [("anna at example punkt se", "anna@example.se", "obfuscated")]),
    ("Maila anna AT example DOT com.", [("anna AT example DOT com", "anna@example.com", "obfuscated")]),
    ("anna (at) example.se", [("anna (at) example.se", "anna@example.se", "obfuscated")]),
    ("anna@example punkt se", [("anna@example punkt se", "anna@example.se", "obfuscated")]),
    ("anna@example[dot]se", [("anna@example[dot]se", "anna@example.se", "obfuscated")]),
    ("ssh -T git@github.com", [("git@github.com", "git@github.com", "email")]),  # no remote path: kept
]

NOT_FOUND = [
    "https://user:pass@host.com/",  # URL userinfo is a login, not an address
    "ftp://anna@host.se/pub",
    "ssh://git@github.com/org/repo",
    "git@github.com:org/repo",  # SCP-style SSH remote
    "git clone git@gitlab.com:org/repo.git",
    "anna@server.se:repos/app.git",
    "@handle",
    "RT @handle: hej",
    "a@b",
    "user@localhost",
    "anna@",
    "@example.se",
    "logo@2x.png",
    "icon@3x.webp",
    "bundle@1.2.min.js",
    "react@18.2.0",
    "module@v1.2.3",
    "anna@192.168.1.10",
    "anna@example.s",
    "anna@example.se1",
    "anna.@example.se",
    "anna..svensson@example.se",
    "anna@.example.se",
    "anna@example..se",
    "anna@-example.se",
    "anna@example-.se",
    "anna@exa_mple.se",
    "anna@xn--zz.se",  # not valid punycode
    "anna@xn--abc-.se",  # punycode of an ASCII label
    "@media screen",
    "look at this dot product",  # " at ... dot " with a TLD no-one uses: below the threshold
    "the dot com bubble burst at the dot com peak",  # prose, not an address
    "Look at this dot com site",
    "Message-ID: <abc.def.123@mail.example.se>",
    "In-Reply-To: <x1y2@mx.foretag.se>",
    'src="cid:image001@x.foretag.se"',
    "a" * 65 + "@example.se",  # local part over 64
    "anna@" + "a" * 64 + ".se",  # label over 63
    "anna@" + ".".join(["abcdefghi"] * 26) + ".se",  # domain over 253
    "anna [at] example",
    "anna at example",
]


def _spans(text: str) -> list[tuple[str, str, str]]:
    return [(text[m.start : m.end], m.value, m.subkind) for m in email.find(text)]


@pytest.mark.parametrize("text,expected", FOUND)
def test_found(text: str, expected: list[tuple[str, str, str]]) -> None:
    assert _spans(text) == expected


@pytest.mark.parametrize("text", NOT_FOUND)
def test_not_found(text: str) -> None:
    assert email.find(text) == []


@pytest.mark.parametrize("text,expected", FOUND)
def test_spans_revalidate(text: str, expected: list[tuple[str, str, str]]) -> None:
    for m in email.find(text):
        assert email.validate(text[m.start : m.end]) == m.value


# -- validate() ------------------------------------------------------------------

VALID = [
    ("anna@example.se", "anna@example.se"),
    (" Anna.Svensson@Example.SE ", "anna.svensson@example.se"),
    ("Anna+news@Example.se", "anna+news@example.se"),
    ("mailto:anna@example.se", "anna@example.se"),
    ("MAILTO:anna@example.se", "anna@example.se"),
    ("<anna@example.se>", "anna@example.se"),
    ("<mailto:anna@example.se>", "anna@example.se"),
    ("anna@bücher.se", "anna@bücher.se"),
    ("anna@xn--bcher-kva.se", "anna@bücher.se"),
    ("anna@BÜCHER.SE", "anna@bücher.se"),
    ("anna@bu\u0308cher.se", "anna@bücher.se"),  # decomposed ü
    ("o'brien@example.se", "o'brien@example.se"),
    ("a/b=c?d{e}|f`g&h%i@example.se", "a/b=c?d{e}|f`g&h%i@example.se"),  # full RFC 5322 atext
    ("_anna_@sub-domain.example.se", "_anna_@sub-domain.example.se"),
    ("anna%40example.se", "anna@example.se"),
    ("anna&#64;example.se", "anna@example.se"),
    ("namn [at] domän punkt se", "namn@domän.se"),
    ("namn (at) example (dot) com", "namn@example.com"),
    ("anna at example punkt se", "anna@example.se"),
    ("anna@example.xn--p1ai", "anna@example.рф"),
    ("a" * 64 + "@example.se", "a" * 64 + "@example.se"),
    ("anna@" + ".".join(["abcdefghi"] * 24) + ".se", "anna@" + ".".join(["abcdefghi"] * 24) + ".se"),
]

INVALID = [
    ("", InvalidFormat),
    ("anna", InvalidFormat),
    ("a@b", InvalidFormat),
    ("@example.se", InvalidFormat),
    ("anna@", InvalidFormat),
    (".anna@example.se", InvalidFormat),
    ("anna.@example.se", InvalidFormat),
    ("anna..b@example.se", InvalidFormat),
    ("anna@[192.0.2.1]", InvalidFormat),  # IP literals: not supported
    ("anna @example.se", InvalidFormat),
    ("anna@example.se foo", InvalidFormat),
    ("anna@b@example.se", InvalidFormat),
    ("anna@example.se.", InvalidFormat),
    ("anna@-x.se", InvalidFormat),
    ("logo@2x.png", InvalidComponent),
    ("anna@example.123", InvalidComponent),
    ("anna@example.s", InvalidComponent),
    ("anna@xn--zz.se", InvalidComponent),
    ("a" * 65 + "@example.se", InvalidLength),
    ("anna@" + "a" * 64 + ".se", InvalidLength),
    ("anna@" + ".".join(["abcdefghi"] * 26) + ".se", InvalidLength),
]


@pytest.mark.parametrize("written,canonical", VALID)
def test_validate(written: str, canonical: str) -> None:
    assert email.validate(written) == canonical
    assert email.is_valid(written)
    assert email.format(written) == canonical


@pytest.mark.parametrize("written,error", INVALID)
def test_invalid(written: str, error: type[ValidationError]) -> None:
    with pytest.raises(error) as exc:
        email.validate(written)
    assert written.strip() == "" or written not in str(exc.value)
    assert not email.is_valid(written)


def test_non_string_is_invalid() -> None:
    assert not email.is_valid(None)  # type: ignore[arg-type]
    with pytest.raises(InvalidFormat):
        email.validate(12345)  # type: ignore[arg-type]


def test_to_ascii_round_trip() -> None:
    assert email.to_ascii("Anna@Bücher.se") == "anna@xn--bcher-kva.se"
    assert email.validate(email.to_ascii("åsa@räksmörgås.se")) == "åsa@räksmörgås.se"


# -- confidence, context, test data ------------------------------------------------


def _one(text: str, **kw):  # noqa: ANN202
    found = email.find(text, **kw)
    assert len(found) == 1, found
    return found[0]


def test_plain_address_is_already_high() -> None:
    m = _one("anna@foretag.se")
    assert m.confidence == pytest.approx(0.9)
    assert "form:plain" in m.why and not m.test_data and m.personal


def test_keyword_and_mailto_and_hint_raise_slightly() -> None:
    assert _one("E-post: anna@foretag.se").confidence == pytest.approx(0.95)
    assert "context:email" in _one("mejl anna@foretag.se").why
    assert "context:mailto" in _one("mailto:anna@foretag.se").why
    hinted = _one("anna@foretag.se", hint="kund_epost")
    assert "hint:email" in hinted.why and hinted.confidence > 0.9
    assert _one("e-post: anna@foretag.se", hint="email").confidence <= 0.99


def test_obfuscated_forms_rank_lower() -> None:
    plain = _one("anna@foretag.se").confidence
    bracket = _one("anna [at] foretag [dot] se").confidence
    word = _one("anna at foretag punkt se").confidence
    assert plain > bracket > word >= 0.5
    assert _one("kontakt: anna at foretag punkt se").confidence > word


def test_word_form_with_rare_tld_needs_a_keyword() -> None:
    assert email.find("meet me at home dot academy") == []
    assert email.find("e-post: anna at home dot academy")[0].value == "anna@home.academy"


def test_nfd_text_is_read_and_canonical_is_nfc() -> None:
    text = "A\u030asa.O\u0308berg@bu\u0308cher.se"  # decomposed Å, Ö, ü (macOS exports)
    m = _one(text)
    assert (m.start, m.end) == (0, len(text))
    assert m.value == "åsa.öberg@bücher.se"
    assert email.validate(text) == m.value


def test_message_id_is_not_reported_but_from_is() -> None:
    mail = (
        "Message-ID: <20261124.abc123@mail.foretag.se>\n"
        "References: <x9@mail.foretag.se>\n"
        'From: "Anna Svensson" <anna.svensson@foretag.se>\n'
    )
    assert [m.value for m in email.find(mail)] == ["anna.svensson@foretag.se"]


@pytest.mark.parametrize("addr", ["anna@example.com", "a@sub.example.org", "a@host.test", "a@x.invalid", "a@y.example"])
def test_reserved_domains_are_test_data(addr: str) -> None:
    m = _one(addr)
    assert m.test_data and "test:reserved-domain" in m.why


def test_example_se_is_not_reserved() -> None:
    assert not _one("anna@example.se").test_data


def test_offsets_point_into_the_original_text() -> None:
    text = "Namn: Åsa　Öberg　ｅ－ｐｏｓｔ：ａｓａ＠ｆöｒｅｔａｇ．ｓｅ, tack"
    m = _one(text)
    assert text[m.start : m.end] == "ａｓａ＠ｆöｒｅｔａｇ．ｓｅ"
    assert m.value == "asa@företag.se"


def test_masked_never_shows_the_local_part() -> None:
    m = _one("anna.svensson@foretag.se")
    assert "svensson" not in repr(m) and "svensson" not in str(m.as_dict())


def test_trigger_mirrors_the_prefilter() -> None:
    # validate() finds triggers with its own copy of the prefilter's e-mail branch
    assert "(?P<at>" + email.AT_PLAIN + ")" in scan._PREFILTER_PLAIN.pattern  # the fast _PREFILTER matches as it
    assert scan._OBFUSCATED.pattern == email.AT_OBFUSCATED
    assert email._TRIGGER.pattern == email.AT_PLAIN + "|" + email.AT_OBFUSCATED


def test_many_at_signs_are_cheap() -> None:
    text = ("@" * 50 + "a@" * 50 + "anna@foretag.se ") * 200
    assert len(email.find(text)) == 200


# -- properties -------------------------------------------------------------------

_TLDS = ["se", "com", "nu", "org", "net", "eu", "fi"]
_local = st.from_regex(r"[a-z][a-z0-9]{0,10}(?:[._+-][a-z][a-z0-9]{0,6}){0,2}", fullmatch=True)
_local_sv = st.from_regex(r"[a-zåäö][a-zåäö0-9]{0,8}(?:[._-][a-zåäö][a-zåäö0-9]{0,6})?", fullmatch=True)
_label = st.from_regex(r"[a-zåäö][a-zåäö0-9]{0,9}(?:-[a-zåäö0-9]{1,5})?", fullmatch=True)


@st.composite
def addresses(draw: st.DrawFn) -> tuple[str, list[str], str]:
    local = draw(st.one_of(_local, _local_sv))
    labels = draw(st.lists(_label, min_size=1, max_size=2))
    tld = draw(st.sampled_from(_TLDS))
    return local, labels, tld


def _puny(label: str) -> str:
    return label if label.isascii() else "xn--" + label.encode("punycode").decode("ascii")


def _entities(s: str) -> str:
    return "".join(f"&#{ord(c)};" for c in s)


def written_forms(local: str, labels: list[str], tld: str) -> list[tuple[str, str, str]]:
    """(text, written span, subkind) for one address in every form find() reads."""
    dom = ".".join([*labels, tld])
    plain = f"{local}@{dom}"
    forms = [
        (plain, plain, "email"),
        (plain.upper(), plain.upper(), "email"),
        (local.capitalize() + "@" + dom, local.capitalize() + "@" + dom, "email"),
        (f"mailto:{plain}", plain, "email"),
        (f"<{plain}>", plain, "email"),
        (f'"{plain}"', plain, "email"),
        (f"{local}@{'.'.join(_puny(x) for x in labels)}.{tld}",) * 2 + ("email",),
        (quote(plain, safe=""),) * 2 + ("email",),
        (f"{local}%40{dom}",) * 2 + ("email",),
        (f"{local}&#64;{dom}",) * 2 + ("email",),
        (f"{local}&#x40;{dom}",) * 2 + ("email",),
        (html.escape(f"<{local}&#64;{dom}>").replace("&amp;", "&"), f"{local}&#64;{dom}", "email"),
        (_entities(plain),) * 2 + ("email",),
        (f"{local} [at] {' [dot] '.join([*labels, tld])}",) * 2 + ("obfuscated",),
        (f"{local} (at) {' (punkt) '.join([*labels, tld])}",) * 2 + ("obfuscated",),
        (f"{local}[at]{'[dot]'.join([*labels, tld])}",) * 2 + ("obfuscated",),
        (f"{local} snabel-a {' punkt '.join([*labels, tld])}",) * 2 + ("obfuscated",),
    ]
    if local not in email._PROSE_WORDS and labels[0] not in email._PROSE_WORDS:  # "look at this dot com"
        forms += [
            (f"{local} at {' punkt '.join([*labels, tld])}",) * 2 + ("obfuscated",),
            (f"{local} AT {' dot '.join([*labels, tld])}",) * 2 + ("obfuscated",),
        ]
    return forms


@settings(max_examples=150, deadline=None)
@given(addresses(), st.sampled_from(["", "Kontakt: ", "Hej, skriv till ", "e-post:", "\n"]), st.sampled_from(["", ".", ", tack", ";", ")", "\n"]))
def test_property_every_written_form_is_found_with_one_canonical_value(
    addr: tuple[str, list[str], str], before: str, after: str
) -> None:
    local, labels, tld = addr
    canonical = f"{local}@{'.'.join([*labels, tld])}".lower()
    assume(len(local) <= 64)
    for text, span, subkind in written_forms(local, labels, tld):
        if before == "" and text[0] == "<" and after == ")":
            continue
        doc = f"{before}{text}{after}"
        found = email.find(doc)
        assert [(doc[m.start : m.end], m.value, m.subkind) for m in found] == [(span, canonical, subkind)], text
        assert email.validate(span) == canonical


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=300), st.sampled_from([None, "email", "e_post", "kommentar"]))
def test_property_find_never_raises_and_spans_revalidate(text: str, hint: str | None) -> None:
    for m in email.find(text, hint=hint):
        assert 0 <= m.start < m.end <= len(text)
        assert email.validate(text[m.start : m.end]) == m.value


_FRAGMENTS = st.sampled_from(
    ["@", "%40", "&#64;", "&#x40;", "&commat;", " [at] ", " (at) ", " at ", " snabel-a ", " punkt ", " dot ", "[dot]",
     ".", "..", "-", "_", "+", "xn--", "xn--bcher-kva", "se", "com", "png", "anna", "åsa", "Ö", "1", "2x", " ", "\n",
     "mailto:", "://", ":", "'", '"', "<", ">", "%2E", "&#46;", "%C3%A5", "\\u003c", "=3C", "＠", "．"]
)


@settings(max_examples=400, deadline=None)
@given(st.lists(_FRAGMENTS, max_size=25).map("".join), st.booleans())
def test_property_fragments_of_addresses_never_break_find(text: str, hinted: bool) -> None:
    for m in email.find(text, hint="email" if hinted else None):
        assert 0 <= m.start < m.end <= len(text)
        assert email.validate(text[m.start : m.end]) == m.value
        assert m.value == m.value.lower() and "@" in m.value and not m.value.startswith("mailto:")
    assert email.is_valid(text) in (True, False)
