"""X12 on the wire: ``writer`` builds interchanges from segments, ``reader`` reads them (pyx12)."""
