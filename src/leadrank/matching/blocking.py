"""Blocking: only rows that share a blocking key are compared, so the work grows with the
number of near-duplicates, not with the square of the rows.

Each rule is a key built from comparable columns; a pair is a candidate when any rule puts both
rows in one block. A block larger than `max_block` rows says little about identity ("smith" in a
country-wide list) and would cost its size squared, so it is skipped and counted.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

MAX_BLOCK = 400
RULE_SAMPLE = 200_000
# Each rule may add this many pairs per row (at least MIN_RULE_PAIRS): a rule whose blocks
# would cost more keeps its smallest, most telling blocks, so the work stays near-linear.
PAIRS_PER_ROW = 6
MIN_RULE_PAIRS = 500_000
JOIN_BATCH_PAIRS = 1_000_000  # pairs built per join, bounding its transient memory


@dataclass(frozen=True, eq=False)
class Rule:
    """A named blocking key over the prepared columns it needs."""

    name: str
    needs: tuple[str, ...]
    key: pl.Expr
    # One exact identifier (email, phone, id, domain): its pairs are mostly true matches, the
    # surest ground to learn how matches look on the other fields.
    strong: bool = False
    # The key is a list: a row sits in the block of each of its keys.
    many: bool = False
    # A block too large to compare whole (or past the rule's budget) is compared along a
    # window: each row with the next `window` rows of its block. Right for keys whose rows are
    # mostly one entity, such as one exact name, which need only be linked, not all compared.
    window: int = 0

    @property
    def fields(self) -> frozenset[str]:
        """The compared fields this rule's blocks agree on (helper columns by their field)."""
        return frozenset(_FIELD_OF.get(c, c) for c in self.needs)


_FIELD_OF = {
    "_last_sx": "last_name",
    "_first_sx": "first_name",
    "_email_local": "email",
    "_company_sorted": "company",
    "_company_rare": "company",
    "_company_acronym": "company",
    "_company_prefix": "company",
}
NAME_WINDOW = 8


def _first_word(column: str) -> pl.Expr:
    return pl.col(column).str.split(" ").list.first()


def _joined(*parts: pl.Expr) -> pl.Expr:
    # concat_str is null when any part is null: a key needs all its parts.
    return pl.concat_str(list(parts), separator="|")


def person_rules() -> list[Rule]:
    """Keys for people: exact contact keys, and name sounds beside dates, places and employers."""
    first, last = pl.col("first_name"), pl.col("last_name")
    return [
        Rule("email", ("email",), pl.col("email"), strong=True),
        Rule("phone", ("phone",), pl.col("phone"), strong=True),
        Rule("identifier", ("identifier",), pl.col("identifier"), strong=True),
        Rule(
            "name sounds",
            ("_last_sx", "_first_sx"),
            _joined(pl.col("_last_sx"), pl.col("_first_sx")),
        ),
        # Either order, so "Lee Ann" finds "Ann Lee".
        Rule(
            "name pair",
            ("first_name", "last_name"),
            _joined(pl.min_horizontal(first, last), pl.max_horizontal(first, last)),
        ),
        Rule("first name + date", ("first_name", "date"), _joined(first, pl.col("date"))),
        Rule("surname + date", ("last_name", "date"), _joined(last, pl.col("date"))),
        Rule("surname + postcode", ("last_name", "postcode"), _joined(last, pl.col("postcode"))),
        Rule("date + postcode", ("date", "postcode"), _joined(pl.col("date"), pl.col("postcode"))),
        Rule(
            "first name sound + address",
            ("_first_sx", "address"),
            _joined(pl.col("_first_sx"), pl.col("address")),
        ),
        Rule(
            "name sounds + city",
            ("_last_sx", "_first_sx", "city"),
            _joined(pl.col("_last_sx"), pl.col("_first_sx"), pl.col("city")),
        ),
        Rule("company + surname", ("company", "last_name"), _joined(pl.col("company"), last)),
        Rule("company + first name", ("company", "first_name"), _joined(pl.col("company"), first)),
        Rule("domain + surname", ("domain", "last_name"), _joined(pl.col("domain"), last)),
    ]


def company_rules() -> list[Rule]:
    """Keys for companies: domain, phone, name, and name or address beside the place."""
    return [
        Rule("domain", ("domain",), pl.col("domain"), strong=True),
        Rule("phone", ("phone",), pl.col("phone"), strong=True),
        Rule("name", ("company",), pl.col("company"), window=NAME_WINDOW),
        # Names of an organisation: the same words in any order, a rare word in common (the
        # name within a longer one: "Philips" and "Koninklijke Philips Electronics"), an
        # acronym beside its words, and the first letters (a typo further on).
        Rule("name words", ("_company_sorted",), pl.col("_company_sorted"), window=NAME_WINDOW),
        Rule(
            "rare name word",
            ("_company_rare",),
            pl.col("_company_rare"),
            many=True,
            window=NAME_WINDOW,
        ),
        Rule("acronym", ("_company_acronym",), pl.col("_company_acronym")),
        Rule("name prefix", ("_company_prefix",), pl.col("_company_prefix")),
        Rule(
            "name word + city", ("company", "city"), _joined(_first_word("company"), pl.col("city"))
        ),
        Rule(
            "name word + postcode",
            ("company", "postcode"),
            _joined(_first_word("company"), pl.col("postcode")),
        ),
        Rule(
            "name last word + city",
            ("company", "city"),
            _joined(pl.col("company").str.split(" ").list.last(), pl.col("city")),
        ),
        Rule("address + city", ("address", "city"), _joined(pl.col("address"), pl.col("city"))),
        # Number and street name: the same building, however the rest is written.
        Rule(
            "street",
            ("address",),
            pl.when(pl.col("address").str.contains(r"^\d")).then(
                pl.col("address").str.split(" ").list.slice(0, 2).list.join(" ")
            ),
        ),
        Rule(
            "address + postcode",
            ("address", "postcode"),
            _joined(pl.col("address"), pl.col("postcode")),
        ),
        Rule(
            "name + country", ("company", "country"), _joined(pl.col("company"), pl.col("country"))
        ),
    ]


def rules_for(entity: str, columns: list[str]) -> list[Rule]:
    """The entity's rules whose columns the input has."""
    rules = person_rules() if entity == "person" else company_rules()
    return [rule for rule in rules if all(c in columns for c in rule.needs)]


@dataclass(frozen=True)
class Blocking:
    """Candidate pairs (i < j, row positions), each rule's own pairs (a sample of at most
    `RULE_SAMPLE` when there are more: enough to learn weights from), and blocks skipped."""

    pairs: pl.DataFrame
    rule_pairs: dict[Rule, pl.DataFrame]
    pairs_by_rule: dict[str, int]  # how many pairs each rule found, before sampling
    skipped_blocks: int


def candidate_pairs(
    prepared: pl.DataFrame,
    rules: list[Rule],
    *,
    max_block: int = MAX_BLOCK,
    groups: pl.Series | None = None,
) -> Blocking:
    """Every pair of rows that share a key of some rule. With `groups` (a source per row),
    only pairs across groups: linking two files rather than de-duplicating each."""
    index = pl.int_range(pl.len(), dtype=pl.UInt32).alias("i")
    base = prepared.with_columns(index)
    if groups is not None:
        base = base.with_columns(groups.alias("_group"))
    budget = max(MIN_RULE_PAIRS, PAIRS_PER_ROW * prepared.height)
    found: list[pl.DataFrame] = []
    by_rule: dict[Rule, pl.DataFrame] = {}
    counts: dict[str, int] = {}
    skipped = 0
    for rule in rules:
        keyed = base.select("i", rule.key.alias("k"), *(["_group"] if groups is not None else []))
        if rule.many:
            keyed = keyed.explode("k")
        # Keys as 64-bit hashes: a far smaller join, and a collision only adds a candidate.
        keyed = keyed.filter(pl.col("k").is_not_null() & (pl.col("k") != "")).with_columns(
            pl.col("k").hash(seed=0)
        )
        batched, dropped = _affordable_blocks(keyed, max_block, budget)
        parts = [
            _pairs_within(part, groups is not None)
            for part in keyed.join(batched, on="k").partition_by("_batch")
        ]
        if rule.window:
            # Blocks left out (too large, or past the budget) are compared along the window.
            left_out = keyed.join(batched, on="k", how="anti")
            parts.append(_pairs_along(left_out, rule.window, groups is not None))
            dropped = 0
        skipped += dropped
        pairs = pl.concat(
            parts or [pl.DataFrame(schema={"i": pl.UInt32, "j": pl.UInt32})], how="vertical"
        )
        if rule.many or rule.window:
            pairs = pairs.unique(maintain_order=True)
        counts[rule.name] = pairs.height
        by_rule[rule] = pairs.sample(RULE_SAMPLE, seed=0) if pairs.height > RULE_SAMPLE else pairs
        found.append(pairs)
    return Blocking(_distinct_pairs(found), by_rule, counts, skipped)


def _distinct_pairs(found: list[pl.DataFrame]) -> pl.DataFrame:
    """The union of the rules' pairs, sorted, each once. Each pair is packed into one 64-bit
    number, sorted, and kept once: little memory and time for tens of millions of pairs."""
    packed = [
        (frame["i"].to_numpy().astype(np.uint64) << np.uint64(32)) | frame["j"].to_numpy()
        for frame in found
    ]
    ordered = np.sort(np.concatenate(packed)) if packed else np.empty(0, dtype=np.uint64)
    # Sorted, duplicates sit side by side (np.unique is many times slower here).
    distinct = (
        ordered[np.concatenate(([True], ordered[1:] != ordered[:-1]))] if ordered.size else ordered
    )
    return pl.DataFrame(
        {
            "i": (distinct >> np.uint64(32)).astype(np.uint32),
            "j": (distinct & np.uint64(0xFFFFFFFF)).astype(np.uint32),
        }
    )


def _affordable_blocks(
    keyed: pl.DataFrame, max_block: int, budget: int
) -> tuple[pl.DataFrame, int]:
    """The keys of the blocks to expand (smallest first, up to `budget` pairs in all), each
    with a batch number (about JOIN_BATCH_PAIRS pairs per batch); and how many blocks of two
    or more rows were left out."""
    sizes = keyed.group_by("k").len().filter(pl.col("len") >= 2)
    affordable = (
        sizes.filter(pl.col("len") <= max_block)
        .sort("len", "k")  # by key among equals: the same blocks on every run
        .with_columns((pl.col("len") * (pl.col("len") - 1) // 2).cum_sum().alias("_cost"))
        .filter(pl.col("_cost") <= budget)
    )
    batched = affordable.select("k", (pl.col("_cost") // JOIN_BATCH_PAIRS).alias("_batch"))
    return batched, sizes.height - affordable.height


def _pairs_along(keyed: pl.DataFrame, window: int, linking: bool) -> pl.DataFrame:
    """Each row paired with the next `window` rows of its block, so the block's rows are
    linked at a cost that grows with its size, not its square."""
    large = keyed.filter(pl.len().over("k") > 1).sort("k", "i")
    pairs = [
        large.select(
            "i",
            pl.col("i").shift(-step).over("k").alias("j"),
            *(
                [(pl.col("_group") != pl.col("_group").shift(-step).over("k")).alias("across")]
                if linking
                else []
            ),
        )
        for step in range(1, window + 1)
    ]
    frame = pl.concat(pairs).drop_nulls("j")
    if linking:
        frame = frame.filter(pl.col("across")).drop("across")
    return frame.select(
        pl.min_horizontal("i", "j").alias("i"), pl.max_horizontal("i", "j").alias("j")
    )


def _pairs_within(rows: pl.DataFrame, linking: bool) -> pl.DataFrame:
    """The pairs (i < j) inside the blocks of `rows`; across groups only when linking."""
    joined = rows.join(rows, on="k", suffix="_r").filter(pl.col("i") < pl.col("i_r"))
    if linking:
        joined = joined.filter(pl.col("_group") != pl.col("_group_r"))
    return joined.select("i", pl.col("i_r").alias("j"))
