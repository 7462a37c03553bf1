"""GS1 for the stock core: reading scanned element strings, SSCC numbers and logistics labels.

``scan`` turns what a scanner sends (GS1-128 or DataMatrix element strings, with or without
parentheses and FNC1/GS separators, or a GS1 Digital Link URI) into a receipt or count;
``sscc`` composes and checks Serial Shipping Container Codes; ``labels`` renders GS1-128
logistics labels. Parsing is biip's; check digits are cross-checked with python-stdnum.
"""
