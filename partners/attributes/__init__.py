"""Brand-defined custom attributes (docs/attributes.md).

The brand defines typed keys (``AttributeDefinition``); products, batches, orders and retail
partners carry values in their ``attributes`` JSON object. This sub-app lives under
``partners`` so every domain app may import it (``orders`` → ``inventory`` → ``partners``).
"""
