"""Pure normalisers for silver: each takes raw text (or a column of it) and returns clean values.

Bulk paths call the column functions, which are vectorised in Polars where the rule allows and
otherwise run the per-value function once per distinct value.
"""
