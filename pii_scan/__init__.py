"""pii-scan: find personal data in company data stores and build a data map.

The library comes first; :mod:`pii_scan.cli` is a thin layer over it.
"""

from __future__ import annotations

__version__ = "0.1.0"
