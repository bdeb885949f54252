"""Legal facts the engine needs besides the product-specific rules (loaded from rules/origin.yaml).

Thresholds and citations are data: :mod:`immex.origin.rules_data` builds these values from
``rules/origin.yaml``; the engine never carries a percentage of its own.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from immex.origin.hs import HsRange


@dataclass(frozen=True, slots=True)
class DeMinimisException:
    """A case where the value de minimis does not apply.

    kind ``material``: a non-originating material in ``material`` used for a good in ``good``;
    kind ``same_subheading``: for a good in ``good``, a material of the good's own subheading;
    kind ``by_weight``: goods in ``good`` use a de minimis by weight (``percent`` of the good's
    weight) instead of the value one; kind ``by_weight_component``: by the weight of the
    component that determines the classification (``good.component_weight``; the failing
    fibers and yarns flagged ``component``). ``elastomeric_percent``: the limit on
    non-originating elastomeric yarns (of the good's, or the component's, weight).
    """

    kind: str
    good: tuple[HsRange, ...]
    material: tuple[HsRange, ...]
    citation: str
    percent: Decimal | None = None
    elastomeric_percent: Decimal | None = None


@dataclass(frozen=True, slots=True)
class ProcessRule:
    """A process in the territory that makes a good of ``goods`` (minus ``excepted``) originating."""

    process: str
    goods: tuple[HsRange, ...]
    excepted: tuple[HsRange, ...]
    citation: str
    unless: tuple[str, ...] = ()  # a negative rule does not apply when one of these processes was also done


@dataclass(frozen=True, slots=True)
class OriginFacts:
    """What one agreement says, in force over [since, until]."""

    agreement: str
    since: dt.date
    until: dt.date | None
    de_minimis_limit: Decimal
    de_minimis_citation: str
    de_minimis_exceptions: tuple[DeMinimisException, ...]
    de_minimis_exceptions_note: str | None  # set when the exceptions are not (fully) encoded
    criteria: dict[str, str]  # "A".."D" → citation
    shift_citation: str
    rvc_tv_citation: str
    rvc_nc_citation: str
    d_tv: Decimal
    d_nc: Decimal
    d_excluded: tuple[HsRange, ...]
    roles: dict[str, str]  # material role → citation
    intermediate_citation: str
    accumulation_citation: str
    automotive_unsupported: tuple[HsRange, ...]
    automotive_citation: str
    rule_table: bool  # whether the product-specific rules of this agreement are in the data
    process_rules: tuple[ProcessRule, ...] = ()
    # processes that make a good NOT originating (GN 11(n)(iv)(H), (j)): ``process`` names the case's process
    negative_rules: tuple[ProcessRule, ...] = ()
    sets_percent: Decimal | None = None  # GN 11(i)(B): non-originating goods of a set, percent of its value
    sets_citation: str = ""
    reference: str = ""  # the agreement's rules-of-origin chapter and dates
    vnm_citation: str = ""  # value of non-originating materials
    # what a person decides for a vehicle whose automotive rules are not in the data (NAFTA)
    automotive_to_decide: str = ""

    def covers(self, day: dt.date) -> bool:
        return self.since <= day and (self.until is None or day <= self.until)
