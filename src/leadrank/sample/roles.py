"""Job roles of the sample people: departments, seniority levels and titles."""

from __future__ import annotations

from typing import NamedTuple

from leadrank.sample.vocab import words

DEPARTMENTS = words(
    "sales marketing engineering finance hr operations it executive product support"
)
DEPARTMENT_FIT = dict(
    zip(DEPARTMENTS, (0.25, 0.3, -0.1, -0.1, -0.3, 0.1, 0.0, 0.2, 0.0, -0.2), strict=True)
)
APOLLO_DEPARTMENTS = dict(
    zip(
        DEPARTMENTS,
        (
            "master_sales", "master_marketing", "master_engineering_technical", "master_finance",
            "master_human_resources", "master_operations", "master_information_technology",
            "c_suite", "master_product_management", "master_support",
        ),
        strict=True,
    )
)  # fmt: skip
LEVELS = ("c_level", "vp", "director", "manager", "ic")
LEVEL_FIT = (0.9, 0.9, 0.6, 0.15, -0.4)
INTERN_FIT = -1.2  # on top of the ic level: interns do not buy software


class Title(NamedTuple):
    """A job title, its seniority level (index into LEVELS), department and Apollo seniority."""

    title: str
    level: int
    department: str
    apollo: str
    weight: float


def _titles(level: int, rows: str) -> tuple[Title, ...]:
    out = []
    for row in rows.strip().splitlines():
        title, department, apollo, weight = (part.strip() for part in row.split("|"))
        out.append(Title(title, level, department, apollo, float(weight)))
    return tuple(out)


TITLES: tuple[Title, ...] = (
    *_titles(
        0,
        """
        CEO | executive | c_suite | 3
        Chief Executive Officer | executive | c_suite | 1
        Co-Founder & CEO | executive | founder | 1.5
        Founder | executive | founder | 1
        Chief Technology Officer | engineering | c_suite | 1.2
        CTO | engineering | c_suite | 1
        CFO | finance | c_suite | 1.2
        Chief Marketing Officer | marketing | c_suite | 0.8
        Chief Revenue Officer | sales | c_suite | 0.7
        COO | operations | c_suite | 0.8
        Chief Information Officer | it | c_suite | 0.5
        Chief Product Officer | product | c_suite | 0.4
        Chief People Officer | hr | c_suite | 0.4
        Owner | executive | owner | 0.6""",
    ),
    *_titles(
        1,
        """
        VP of Sales | sales | vp | 2
        Vice President, Marketing | marketing | vp | 1
        VP Marketing | marketing | vp | 1
        VP of Engineering | engineering | vp | 1.5
        SVP, Finance | finance | vp | 0.6
        VP Operations | operations | vp | 0.8
        VP of Product | product | vp | 0.8
        VP Customer Success | support | vp | 0.6
        VP, Information Technology | it | vp | 0.5
        VP People | hr | vp | 0.4
        Vice President of Business Development | sales | vp | 0.7""",
    ),
    *_titles(
        2,
        """
        Director of Engineering | engineering | director | 1.5
        Head of Growth | marketing | head | 1
        Sales Director | sales | director | 1.5
        Director of Marketing | marketing | director | 1.2
        Finance Director | finance | director | 0.8
        IT Director | it | director | 0.8
        Head of Product | product | head | 0.8
        Director of Customer Support | support | director | 0.5
        HR Director | hr | director | 0.6
        Director of Operations | operations | director | 0.8
        Head of Data | engineering | head | 0.6
        Head of Sales EMEA | sales | head | 0.5
        Director, Revenue Operations | operations | director | 0.5""",
    ),
    *_titles(
        3,
        """
        Marketing Manager | marketing | manager | 2
        Engineering Team Lead | engineering | manager | 1
        Engineering Manager | engineering | manager | 1.2
        Sales Manager | sales | manager | 1.5
        Product Manager | product | manager | 1.5
        IT Manager | it | manager | 1
        HR Manager | hr | manager | 0.8
        Finance Manager | finance | manager | 0.8
        Operations Manager | operations | manager | 1
        Customer Support Manager | support | manager | 0.7
        Account Manager | sales | manager | 1
        Demand Generation Manager | marketing | manager | 0.6""",
    ),
    *_titles(
        4,
        """
        Software Engineer | engineering | entry | 3
        Senior Software Engineer | engineering | senior | 2
        Account Executive | sales | senior | 2
        Sales Development Representative | sales | entry | 1.5
        Data Analyst | engineering | entry | 1.2
        Marketing Specialist | marketing | entry | 1.2
        Accountant | finance | entry | 1
        Recruiter | hr | entry | 0.8
        Customer Support Specialist | support | entry | 1
        IT Support Technician | it | entry | 0.8
        Product Designer | product | entry | 0.8
        Operations Analyst | operations | entry | 0.8
        DevOps Engineer | engineering | senior | 0.8
        Business Analyst | operations | entry | 0.7
        Intern | operations | intern | 0.7
        Marketing Intern | marketing | intern | 0.5
        Software Engineering Intern | engineering | intern | 0.5
        Sales Intern | sales | intern | 0.3""",
    ),
)
