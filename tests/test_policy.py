"""The processing policy read from the config: durations, precedence, erasure blocks."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest

from pii_scan.config import ConfigError, from_dict
from pii_scan.policy import Policy, check, parse_duration, policy_for


@pytest.mark.parametrize(
    ("text", "days"),
    [("7y", 7 * 365.25), ("7 år", 7 * 365.25), ("18m", 18 * 30.44), ("18 månader", 18 * 30.44), ("90d", 90),
     ("90 dagar", 90), ("2w", 14), ("P7Y", 7 * 365.25), ("P1Y6M", 365.25 + 6 * 30.44), (30, 30)],
)
def test_durations(text: str | int, days: float) -> None:
    got = parse_duration(text)
    assert got is not None
    assert abs(got - timedelta(days=days)) < timedelta(seconds=1)


@pytest.mark.parametrize("text", ["seven years", "7", "y7", "P", "-3y"])
def test_bad_durations_are_clear_errors(text: str) -> None:
    with pytest.raises(ConfigError, match="cannot read the duration"):
        parse_duration(text, where="source 'erp'")


def test_empty_duration_means_none() -> None:
    assert parse_duration(None) is None
    assert parse_duration("") is None


def _cfg(tmp_path: Path) -> object:
    return from_dict(
        {
            "sources": [
                {
                    "name": "erp", "type": "sql", "url": "sqlite:///erp.sqlite",
                    "purpose": "Orderhantering", "legal_basis": "contract", "subject_categories": ["customers"],
                    "retention": "3y",
                    "containers": {
                        "main.*": {"date_columns": ["created_at"]},
                        "main.invoices": {"purpose": "Bokföring", "legal_basis": "legal obligation", "retention": "7y",
                                          "retention_basis": "bokföringslagen 7 kap. 2 §"},
                    },
                },
                {"name": "share", "type": "files", "path": str(tmp_path), "subject_categories": "employees"},
            ],
            "retention": [{"kind": "payment_card", "keep": "13m", "basis": "PCI DSS"},
                          {"source": "share", "container": "hr/*", "keep": "2y", "legal_basis": "legal obligation"}],
        },
        base=tmp_path,
    )


def test_source_defaults_then_container_patterns(tmp_path: Path) -> None:
    cfg = _cfg(tmp_path)
    p = policy_for(cfg, "erp", "main.customers")  # type: ignore[arg-type]
    assert (p.purpose, p.legal_basis, p.subject_categories, p.retention_text) == ("Orderhantering", "contract", ("customers",), "3y")
    assert p.date_columns == ("created_at",)
    assert not p.blocks_erasure
    inv = policy_for(cfg, "erp", "main.invoices")  # type: ignore[arg-type]
    # the longer pattern wins over main.*; date_columns from main.* are kept
    assert (inv.purpose, inv.legal_basis, inv.retention_text) == ("Bokföring", "legal obligation", "7y")
    assert inv.date_columns == ("created_at",)
    assert inv.blocks_erasure


def test_retention_rules_match_kind_and_container(tmp_path: Path) -> None:
    cfg = _cfg(tmp_path)
    assert policy_for(cfg, "erp", "main.customers", "payment_card").retention_text == "13m"  # type: ignore[arg-type]
    assert policy_for(cfg, "erp", "main.customers", "email").retention_text == "3y"  # type: ignore[arg-type]
    hr = policy_for(cfg, "share", "hr/lön.xlsx")  # type: ignore[arg-type]
    assert hr.subject_categories == ("employees",)
    assert hr.retention_text == "2y" and hr.blocks_erasure
    assert policy_for(cfg, "nosuch", "x") == Policy()  # type: ignore[arg-type]


def test_erasure_block_until_retention_has_passed() -> None:
    p = Policy(retention=parse_duration("7y"), retention_text="7y", retention_basis="bokföringslagen",
               blocks_erasure=True)
    now = datetime(2026, 11, 26)
    young = p.erasure_block(datetime(2024, 1, 31), now)
    assert young.startswith("retain: legal obligation, bokföringslagen (7y until 2031-01-3")
    assert p.erasure_block(datetime(2015, 1, 1), now) == ""  # kept long enough: may go
    assert p.erasure_block(None, now).startswith("retain: legal obligation")  # unknown age: keep
    assert Policy(retention=parse_duration("1y"), retention_text="1y").erasure_block(None, now) == ""
    assert p.expired(datetime(2015, 1, 1), now) is True
    assert p.expired(None, now) is None


def test_check_reports_bad_duration_early(tmp_path: Path) -> None:
    cfg = from_dict({"sources": [{"name": "a", "type": "files", "path": str(tmp_path), "retention": "forever"}]},
                    base=tmp_path)
    with pytest.raises(ConfigError, match="source 'a'"):
        check(cfg)
