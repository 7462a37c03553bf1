"""Promotions: a retail partner runs a product on promotion over a window of days.

Forecasting leaves those days out of the baseline demand of every supplier trading with
that retailer for that product (docs/attributes.md, docs/forecasting.md). Retailers see only
their own promotions; suppliers those of the retailers they trade with; the brand all.
"""
