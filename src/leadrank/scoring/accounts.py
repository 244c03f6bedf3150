"""Account scores: each company's leads of one run rolled up into one score and grade.

With a model, an account is as likely to convert as the chance that at least one of its
leads does (1 - the product of each lead's chance of not converting), ranked against the
workspace's other accounts, as lead scores are. With the rules alone, it is the mean of its
three best lead scores, so one strong contact counts and a crowd of weak ones does not.
"""

from __future__ import annotations

import polars as pl

from leadrank.grades import GradeScale

BEST_LEADS = 3
_SURE = 1 - 1e-9  # a probability of 1 would make the product 0 whatever the other leads are


def roll_up(scores: pl.DataFrame, companies: pl.DataFrame, grades: GradeScale) -> pl.DataFrame:
    """From a run's lead scores (lead_id, probability, score, grade, disqualified) and each
    lead's company_id: per company, score, grade, probability, leads, best_lead_id and reasons
    (JSON text: a summary in words and the count of each lead grade). A lead the ICP rules
    out adds nothing to its account's chance."""
    modelled = scores.get_column("probability").is_not_null().any()
    joined = scores.join(companies, on="lead_id", how="inner").with_columns(
        pl.when(pl.col("disqualified") & modelled)
        .then(0.0)
        .otherwise(pl.col("probability"))
        .alias("probability")
    )
    letters = list("ABCDE")
    per_company = joined.group_by("company_id").agg(
        pl.len().alias("leads"),
        (1 - (1 - pl.col("probability").clip(0, _SURE)).log().sum().exp()).alias("probability"),
        pl.col("score").top_k(BEST_LEADS).mean().alias("best_mean"),
        pl.col("lead_id")
        .sort_by("score", "lead_id", descending=[True, False])
        .first()
        .alias("best_lead_id"),
        pl.col("score").max().alias("best_score"),
        pl.col("grade")
        .sort_by("score", "lead_id", descending=[True, False])
        .first()
        .alias("best_grade"),
        *((pl.col("grade") == g).sum().alias(g) for g in letters),
        pl.col("disqualified").all().alias("ruled_out"),
    )
    if modelled:
        rank = pl.col("probability").rank("average")
        score = ((rank - 0.5) / pl.len() * 100).round(1)
    else:
        score = pl.col("best_mean").round(1)
    counted = pl.concat_str(
        [pl.when(pl.col(g) > 0).then(pl.format(f"{g} {{}}", pl.col(g))) for g in letters],
        separator=", ",
        ignore_nulls=True,
    )
    summary = [
        pl.format(
            "{}: {}",
            pl.when(pl.col("leads") == 1)
            .then(pl.lit("1 lead"))
            .otherwise(pl.format("{} leads", pl.col("leads"))),
            counted,
        ),
        pl.format(
            "best lead {} ({} {})",
            pl.col("best_lead_id"),
            pl.col("best_grade"),
            pl.col("best_score").round(1),
        ),
    ]
    if modelled:
        chance = (pl.col("probability") * 100).round(0).cast(pl.Int64)
        summary.append(pl.format("chance at least one converts {}%", chance))
    else:
        summary.append(
            pl.format(
                f"mean of the best {BEST_LEADS} lead scores {{}}", pl.col("best_mean").round(1)
            )
        )
    return (
        # An account whose every lead the ICP rules out scores 0, as such a lead does.
        per_company.with_columns(
            pl.when(pl.col("ruled_out")).then(0.0).otherwise(score).alias("score")
        )
        .with_columns(
            grades.grade(pl.col("score")).alias("grade"),
            (pl.col("probability").round(4) if modelled else pl.lit(None, dtype=pl.Float64)).alias(
                "probability"
            ),
            pl.struct(
                pl.concat_list(summary).alias("summary"),
                pl.struct(letters).alias("grades"),
            )
            .struct.json_encode()
            .alias("reasons"),
        )
        .select("company_id", "score", "grade", "probability", "leads", "best_lead_id", "reasons")
        .sort("score", "company_id", descending=[True, False])
    )
