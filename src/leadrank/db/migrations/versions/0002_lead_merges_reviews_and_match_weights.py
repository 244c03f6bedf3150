"""lead merges, review pairs and match weights; leads.match_block

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 01:38:10.946391
"""

import re
import unicodedata
from collections.abc import Sequence
from functools import cache

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import leadrank.orm.base

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "lead_reviews",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("lead_a", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("lead_b", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("match_score", sa.Float(), nullable=False),
        sa.Column(
            "reasons",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_at", leadrank.orm.base.UtcDateTime(timezone=True), nullable=False),
        sa.Column("decided_at", leadrank.orm.base.UtcDateTime(timezone=True), nullable=True),
        sa.Column("decided_by", sa.String(length=100), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lead_reviews")),
        sa.UniqueConstraint("lead_a", "lead_b", name=op.f("uq_lead_reviews_lead_a_lead_b")),
    )
    with op.batch_alter_table("lead_reviews", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_lead_reviews_lead_b"), ["lead_b"], unique=False)
        batch_op.create_index("ix_lead_reviews_status", ["status"], unique=False)

    op.create_table(
        "match_weights",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("entity", sa.String(length=16), nullable=False),
        sa.Column("trained_at", leadrank.orm.base.UtcDateTime(timezone=True), nullable=False),
        sa.Column("lead_count", sa.Integer(), nullable=False),
        sa.Column(
            "parameters",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_match_weights")),
    )
    op.create_table(
        "lead_merges",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "kept_lead_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "merged_lead_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("match_score", sa.Float(), nullable=True),
        sa.Column("decided_by", sa.String(length=100), nullable=False),
        sa.Column("created_at", leadrank.orm.base.UtcDateTime(timezone=True), nullable=False),
        sa.Column("undone_at", leadrank.orm.base.UtcDateTime(timezone=True), nullable=True),
        sa.Column(
            "snapshot",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["kept_lead_id"], ["leads.id"], name=op.f("fk_lead_merges_kept_lead_id_leads")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lead_merges")),
    )
    with op.batch_alter_table("lead_merges", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_lead_merges_kept_lead_id"), ["kept_lead_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_lead_merges_merged_lead_id"), ["merged_lead_id"], unique=False
        )

    with op.batch_alter_table("leads", schema=None) as batch_op:
        batch_op.add_column(sa.Column("match_block", sa.String(length=48), nullable=True))
        batch_op.create_index(batch_op.f("ix_leads_match_block"), ["match_block"], unique=False)
    _fill_match_blocks()


def _fill_match_blocks() -> None:
    """Leads stored before this revision get their match block, so new ones can meet them.

    The block is computed as it was defined when this revision was written (frozen below), so
    this revision gives the same result whatever the application's matching code becomes.
    """
    bind = op.get_bind()
    rows = bind.execute(
        sa.text("SELECT id, first_name, last_name, company_id, country_code FROM leads")
    ).all()
    blocks: dict[tuple[str | None, str | None], str | None] = {}  # one per pair of names
    updates = []
    for lead_id, first, last, company_id, country in rows:
        if (first, last) not in blocks:
            blocks[first, last] = _name_block(first, last)
        block = blocks[first, last]
        if block is None:
            continue
        place = (
            str(company_id)
            if company_id is not None
            else (f"cc:{country}" if country is not None else "-")
        )
        updates.append({"id": lead_id, "block": f"{block}@{place}"})
    for start in range(0, len(updates), 50_000):
        bind.execute(
            sa.text("UPDATE leads SET match_block = :block WHERE id = :id"),
            updates[start : start + 50_000],
        )


# The match block of revision 0002, frozen: nickname families (the first name of a line is its
# canonical form), folding to ASCII words, American Soundex, and "sounds of both names, sorted".
_NICKNAME_FAMILIES = """
abigail abby abbie gail
abraham abe bram
albert al bert bertie
alexander alex alec sandy xander alexandr
alexandra alex sandra lexi alexa
alfred alf alfie fred
alice ally allie
allan alan allen al
amanda mandy manda
andrew andy drew andre
angela angie
anne ann annie anna hannah nan nancy
anthony tony antony anton
arthur art artie
barbara barb barbie babs
benjamin ben benny benji
bernard bernie barney
beverly bev
bradley brad
brian bryan
bridget biddy bridie
calvin cal
cameron cam
caroline carol carolyn carrie lynn
catherine kate katie cathy kathy katherine kathryn cath kat kitty caitlin
charles charlie chuck chas chaz carl
charlotte lottie charlie
christian chris
christina christine chris tina kristina kristin kirsten
christopher chris kit topher
clifford cliff
cynthia cindy
daniel dan danny
david dave davey davy
deborah debbie deb debra
dennis denny
diana di diane dianne
dominic dom
donald don donny
dorothy dot dottie dolly
douglas doug
edward ed eddie ted teddy ned
eleanor ellie nell nora elle
elizabeth liz lizzie beth betty bess bessie eliza elisa lisa libby betsy
emily em emmy milly
emma em
eugene gene
francis frank frankie fran
frances fran frankie fanny
frederick fred freddie freddy fritz
gabriel gabe
gabrielle gabby gaby
geoffrey geoff jeff jeffrey
george georgie
gerald gerry jerry
gregory greg
harold harry hal
henry harry hank hal
herbert herb bert
isabella isabel bella izzy isabelle
jacob jake jack
james jim jimmy jamie jem
jane janie jenny jean
janet jan
jennifer jen jenny jenn
jessica jess jessie
john jack johnny jon
jonathan jon jonny nathan
joseph joe joey jo
josephine jo josie
joshua josh
judith judy jude
julia julie jules
katrina kat trina
kenneth ken kenny
kimberly kim kimberley
lawrence larry laurie laurence
leonard leo len lenny
leslie les
louis lou louie lewis
louise lou lulu
lucas luke
madeline maddie madeleine madelyn
margaret maggie meg peggy marge margie greta maisie
martin marty
matilda tilly matty
matthew matt matty
melissa mel missy lissa
michael mike mickey mick mikey michel
michelle shelly michele
mitchell mitch
nathaniel nate nat nathan
nicholas nick nicky nico
nicole nikki nicky
oliver ollie
pamela pam
patricia pat patty trish tricia
patrick pat paddy
peter pete
philip phil pip phillip
rachel rach
randolph randy
raymond ray
rebecca becky becca
richard rick ricky dick rich richie
robert rob bob bobby robbie bert
ronald ron ronnie
rosemary rose rosie
russell russ
samantha sam sammy
samuel sam sammy
sarah sara sally sadie
stephanie steph stephie
stephen steve steven stevie
susan sue susie suzanne suzie
terence terry
theodore theo ted teddy
thomas tom tommy
timothy tim timmy
victoria vicky tori
vincent vince vinny
walter walt wally
william will bill billy willy liam
zachary zach zack
"""
_SOUNDEX_CODES = {
    **dict.fromkeys("bfpv", "1"),
    **dict.fromkeys("cgjkqsxz", "2"),
    **dict.fromkeys("dt", "3"),
    "l": "4",
    **dict.fromkeys("mn", "5"),
    "r": "6",
}
_NON_ALNUM = re.compile(r"[^0-9a-z]+")


@cache
def _canonical_first_names() -> dict[str, str]:
    canonical: dict[str, str] = {}
    for line in _NICKNAME_FAMILIES.split("\n"):
        names = line.split()
        for name in names:
            canonical.setdefault(name, names[0])
    return canonical


def _folded(text: str) -> str | None:
    ascii_text = unicodedata.normalize("NFKD", text.casefold()).encode("ascii", "ignore").decode()
    return " ".join(_NON_ALNUM.sub(" ", ascii_text.replace("'", "")).split()) or None


def _soundex(word: str) -> str | None:
    letters = [c for c in word.lower() if "a" <= c <= "z"]
    if not letters:
        return None
    out, last = letters[0].upper(), _SOUNDEX_CODES.get(letters[0], "")
    for c in letters[1:]:
        code = _SOUNDEX_CODES.get(c, "")
        if code and code != last:
            out += code
        if c not in "hw":
            last = code
    return (out + "000")[:4]


def _name_block(first: str | None, last: str | None) -> str | None:
    first_word = (_folded(first) or "").split(" ")[0] if first else ""
    last_word = (_folded(last) or "").split(" ")[-1] if last else ""
    codes = [_soundex(_canonical_first_names().get(first_word, first_word)), _soundex(last_word)]
    if None in codes:
        return None
    return "|".join(sorted(code for code in codes if code))


def downgrade() -> None:
    with op.batch_alter_table("leads", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_leads_match_block"))
        batch_op.drop_column("match_block")

    with op.batch_alter_table("lead_merges", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_lead_merges_merged_lead_id"))
        batch_op.drop_index(batch_op.f("ix_lead_merges_kept_lead_id"))

    op.drop_table("lead_merges")
    op.drop_table("match_weights")
    with op.batch_alter_table("lead_reviews", schema=None) as batch_op:
        batch_op.drop_index("ix_lead_reviews_status")
        batch_op.drop_index(batch_op.f("ix_lead_reviews_lead_b"))

    op.drop_table("lead_reviews")
