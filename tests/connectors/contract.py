"""One contract test suite that every connector passes (as fsspec does for its backends).

Subclass :class:`ConnectorContract` in a test module and provide the fixture
``connector`` (a ready connector over a small fictional store) and, optionally,
``secret`` (a credential that must never appear in units or locations).
"""

from __future__ import annotations

import pickle

import pytest

from connectors.base import BaseConnector, Location, Record, Unit


class ConnectorContract:
    @pytest.fixture
    def secret(self) -> str | None:
        return None

    def test_units_are_small_picklable_and_unique(self, connector: BaseConnector) -> None:
        units = list(connector.units())
        assert units, "the fixture store must have at least one unit"
        keys = [u.key for u in units]
        assert len(keys) == len(set(keys)), "unit keys must be unique within a source"
        for u in units:
            assert isinstance(u, Unit) and u.source == connector.name
            blob = pickle.dumps(u)
            assert len(blob) < 16_384, "a unit carries a description, never data"
            assert pickle.loads(blob) == u

    def test_fingerprints_are_stable(self, connector: BaseConnector) -> None:
        first = {u.key: u.fingerprint for u in connector.units()}
        second = {u.key: u.fingerprint for u in connector.units()}
        assert first == second

    def test_connector_pickles_as_its_config_and_reads_after(self, connector: BaseConnector) -> None:
        list(connector.units())  # may open live clients ...
        clone = pickle.loads(pickle.dumps(connector))  # ... which must not travel
        assert type(clone) is type(connector) and clone.name == connector.name
        unit = next(iter(clone.units()))
        records = list(clone.read(unit))
        assert all(isinstance(r, Record) for r in records)
        clone.close()

    def test_records_have_exact_locations(self, connector: BaseConnector) -> None:
        n = 0
        for unit in connector.units():
            for rec in connector.read(unit):
                n += 1
                loc = rec.location
                assert isinstance(loc, Location)
                assert loc.store == connector.store and loc.source == connector.name
                assert loc.container
                hash(loc)
                for name, text in rec.fields:
                    assert isinstance(name, str) and isinstance(text, str)
        assert n > 0

    def test_no_credentials_in_units_or_locations(self, connector: BaseConnector, secret: str | None) -> None:
        if not secret:
            pytest.skip("this store has no credential")
        for unit in connector.units():
            assert secret not in repr(unit)
            for rec in connector.read(unit):
                assert secret not in rec.location.uri()

    def test_close_is_idempotent(self, connector: BaseConnector) -> None:
        connector.close()
        connector.close()
