"""Red team 4, mail decoding: charset labels, transfer encodings, encrypted and TNEF parts (each failed before its fix)."""

from __future__ import annotations

import base64

from connectors.mime import decode_bytes, header_text
from detectors import find_all
from tests.connectors.test_redteam_mail import fields, read_one

HEAD = (
    b"From: Avs <avs@example.se>\nTo: bo@example.se\nSubject: Hej\nDate: Wed, 01 May 2024 10:30:00 +0200\n"
    b"Message-ID: <rt4@mail.example.se>\nMIME-Version: 1.0\n"
)
PNR = "811228-9874"  # fictional, valid check digit
PNR_B = "550504-8388"


def kinds(text: str) -> set[str]:
    return {f.kind for f in find_all(text)}


# --- 'iso-8859-1' is what Outlook and many web forms declare for windows-1252 text (WHATWG: the same label) -------


def test_iso_8859_1_label_on_cp1252_bytes_reads_the_dash_as_a_dash() -> None:
    en_dash = b"\x96"  # cp1252 en dash; a C1 control character in ISO 8859-1
    assert decode_bytes(b"070" + en_dash + b"1740606", "iso-8859-1") == ("070\u20131740606", True)
    raw = (
        HEAD.replace(b"Subject: Hej\n", b"Subject: =?iso-8859-1?q?Ang=E5ende_" + PNR[:6].encode() + b"=96" + PNR[7:].encode() + b"?=\n")
        + b"Content-Type: text/plain; charset=iso-8859-1\nContent-Transfer-Encoding: 8bit\n\n"
        + b"Personnummer " + PNR_B[:6].encode() + en_dash + PNR_B[7:].encode() + b", tel 070" + en_dash + b"1740606\n"
    )
    records, problems = read_one(raw)
    f = fields(records)
    assert f["header:Subject"] == f"Angående {PNR[:6]}\u2013{PNR[7:]}"
    assert "personnummer" in kinds(f["header:Subject"])
    assert {"personnummer", "phone"} <= kinds(f["body"])
    assert not problems


def test_latin_1_letters_are_unchanged_by_the_cp1252_reading() -> None:
    assert decode_bytes("Åsa Öberg ÿ".encode("latin-1"), "iso-8859-1") == ("Åsa Öberg ÿ", True)
    assert decode_bytes(b"\x81\x8d", "iso-8859-1") == ("\x81\x8d", True)  # undefined in cp1252: as latin-1
    assert header_text("Subject", "=?ISO-8859-1?Q?=C5sa_=96_kund?=") == "Åsa \u2013 kund"


# --- transfer encodings as damaged or sloppy mail has them ------------------------------------------------------


def test_a_base64_part_cut_off_mid_line_is_decoded_as_far_as_it_goes() -> None:
    """A truncated .eml (a copy cut short, a full disk): one length in four left the email package's text encoded."""
    text = "".join(f"Kund {i}: {PNR}\n" for i in range(40)).encode()
    b64 = base64.encodebytes(text).decode()
    for cut in range(len(b64) // 2, len(b64) // 2 + 4):  # every length modulo 4
        raw = HEAD + b"Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: base64\n\n" + b64[:cut].encode()
        records, problems = read_one(raw)
        body = fields(records).get("body", "")
        assert body.startswith(f"Kund 0: {PNR}\n"), (cut, body[:60])
        assert "personnummer" in kinds(body)
        if len(b64[:cut].replace("\n", "")) % 4:  # not a whole number of base64 quanta: the cut shows
            assert problems and "invalid base64" in problems.messages[0]


def test_a_transfer_encoding_with_blanks_quotes_or_capitals_is_still_decoded() -> None:
    body = base64.encodebytes(f"Pnr {PNR}\n".encode()).decode()
    for cte in ("Base64 ", '"base64"', "BASE64;", " base64\t"):
        raw = HEAD + f"Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: {cte}\n\n{body}".encode()
        records, _ = read_one(raw)
        assert fields(records)["body"] == f"Pnr {PNR}\n", cte
    qp = f"Pnr {PNR[:8]}=\n{PNR[8:]} mejl anna=40example.se\n"
    raw = HEAD + f"Content-Type: text/plain\nContent-Transfer-Encoding: Quoted-Printable \n\n{qp}".encode()
    records, _ = read_one(raw)
    assert fields(records)["body"] == f"Pnr {PNR} mejl anna@example.se\n"


# --- S/MIME and PGP: what is encrypted is reported, what is only signed is read ---------------------------------


def _cert_and_key():  # noqa: ANN202 - a throwaway self-signed certificate for a fictional sender
    import datetime as dt

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import NameOID

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Avs Avsson")])
    now = dt.datetime.now(dt.timezone.utc)
    cert = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number()).not_valid_before(now).not_valid_after(now + dt.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )  # fmt: skip
    return cert, key


INNER = f"Content-Type: text/plain; charset=utf-8\r\n\r\nKund {PNR}, ring 070-174 06 05\r\n".encode()


def test_an_opaque_signed_smime_message_is_read() -> None:
    """application/pkcs7-mime; smime-type=signed-data holds the signed MIME entity itself (written by OpenSSL)."""
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.serialization import pkcs7

    cert, key = _cert_and_key()
    for encoding in (serialization.Encoding.DER, serialization.Encoding.SMIME):
        signed = pkcs7.PKCS7SignatureBuilder().set_data(INNER).add_signer(cert, key, hashes.SHA256()).sign(encoding, [])
        if encoding == serialization.Encoding.SMIME:  # OpenSSL's own S/MIME message: its headers, then base64
            raw = HEAD + signed.replace(b"\r\n", b"\n")
        else:
            raw = HEAD + (
                b'Content-Type: application/pkcs7-mime; smime-type=signed-data; name="smime.p7m"\n'
                b"Content-Transfer-Encoding: base64\nContent-Disposition: attachment; filename=\"smime.p7m\"\n\n"
            ) + base64.encodebytes(signed)
        records, problems = read_one(raw)
        text = "\n".join(t for r in records for _, t in r.fields)
        assert f"Kund {PNR}, ring 070-174 06 05" in text, (encoding, text[:300])
        assert not problems, problems.messages


def test_encrypted_smime_and_pgp_mail_is_reported_not_read_as_text() -> None:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.serialization import pkcs7

    cert, _ = _cert_and_key()
    enveloped = pkcs7.PKCS7EnvelopeBuilder().set_data(INNER).add_recipient(cert).encrypt(serialization.Encoding.SMIME, [])
    pgp_mime = HEAD + (
        b'Content-Type: multipart/encrypted; protocol="application/pgp-encrypted"; boundary="PP"\n\n'
        b"--PP\nContent-Type: application/pgp-encrypted\n\nVersion: 1\n"
        b'--PP\nContent-Type: application/octet-stream; name="encrypted.asc"\n\n'
        b"-----BEGIN PGP MESSAGE-----\n\nhQEMA5x7AAAAAAAAAQf/Zm9v\n=abcd\n-----END PGP MESSAGE-----\n--PP--\n"
    )
    inline_pgp = HEAD + b"Content-Type: text/plain\n\nHej Bo,\n-----BEGIN PGP MESSAGE-----\n\nhQEMA5x7AAAAAAAAAQf/Zm9v\n=abcd\n-----END PGP MESSAGE-----\n"
    damaged = HEAD + (  # declared enveloped, its DER unreadable (cut, or not DER): still encrypted, not text
        b'Content-Type: application/pkcs7-mime; smime-type=enveloped-data; name="smime.p7m"\n'
        b"Content-Transfer-Encoding: base64\n\n" + base64.encodebytes(bytes(range(256)) * 2)
    )
    for raw, what in ((HEAD + enveloped.replace(b"\r\n", b"\n"), "S/MIME"), (damaged, "S/MIME"), (pgp_mime, "PGP"), (inline_pgp, "PGP")):
        records, problems = read_one(raw)
        assert len(problems.messages) == 1 and f"encrypted ({what})" in problems.messages[0], problems.messages
        assert not any(f.startswith("attachment:") and "!" in f for r in records for f, _ in r.fields)  # no ciphertext read as text
    records, _ = read_one(inline_pgp)
    assert "Hej Bo," in fields(records)["body"]  # the clear text around the block is read


def test_a_multipart_that_lost_its_boundary_parameter_is_split_by_the_boundary_its_body_uses() -> None:
    """A broken mailer (or a header rewritten by a gateway) dropped 'boundary=': the parts stayed encoded as one text."""
    b64 = base64.encodebytes(f"Pnr {PNR}\n".encode()).decode()
    csv = base64.encodebytes(f"Namn;Personnummer\nBo;{PNR_B}\n".encode()).decode()
    raw = HEAD + (
        "Content-Type: multipart/mixed\n\nThis is a multi-part message in MIME format.\n"
        f"--=_Part_1\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: base64\n\n{b64}"
        f'--=_Part_1\nContent-Type: text/csv; name="k.csv"\nContent-Disposition: attachment; filename="k.csv"\n'
        f"Content-Transfer-Encoding: base64\n\n{csv}--=_Part_1--\n"
    ).encode()
    records, problems = read_one(raw)
    f = fields(records)
    assert f.get("body") == f"Pnr {PNR}\n", f
    assert f.get("attachment:k.csv!line 2:Personnummer") == PNR_B
    assert not problems, problems.messages
    # without any boundary line it stays one text, reported
    records, problems = read_one(HEAD + b"Content-Type: multipart/mixed\n\nJust text " + PNR.encode() + b"\n")
    assert PNR in fields(records)["body"] and problems


def test_rtf_bodies_and_attachments_are_read_as_their_text() -> None:
    rtf = b"{\\rtf1\\ansi\\ansicpg1252{\\fonttbl{\\f0 Arial;}}\\f0 Pnr " + PNR.replace("-", "\\'96").encode() + b"\\par Tel 070-174\\~06\\~05\\par}"
    raw = HEAD + (
        b'Content-Type: multipart/mixed; boundary="RR"\n\n--RR\nContent-Type: text/rtf\n\n' + rtf + b"\n"
        b'--RR\nContent-Type: application/msword; name="brev.rtf"\nContent-Disposition: attachment; filename="brev.rtf"\n'
        b"Content-Transfer-Encoding: base64\n\n" + base64.encodebytes(rtf) + b"--RR--\n"
    )
    records, problems = read_one(raw)
    f = fields(records)
    assert f["body"].strip() == f"Pnr {PNR.replace('-', chr(0x2013))}\nTel 070-174\u00a006\u00a005"
    assert f["attachment:brev.rtf!line 1:text"] == f"Pnr {PNR.replace('-', chr(0x2013))}"
    assert {"personnummer", "phone"} <= kinds(f["body"])
    assert not problems
