"""Production runs at a co-packer: input lots consumed, a new batch produced, the genealogy kept.

``services.production_run_create`` moves the stock through ``inventory.services.stock_work``
(``consume`` and ``produce`` ledger rows) and records the FSMA 204 transformation;
``selectors`` answers genealogy questions (which batches were made from a lot, and from what).
"""
