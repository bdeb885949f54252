"""Plain values of the origin engine: the case, its materials, the rule AST and the result.

Everything here is an immutable value; :func:`immex.origin.engine.determine`
turns an :class:`OriginCase` into a :class:`Determination` without I/O.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from enum import Enum

from immex.origin.automotive_case import AutomotiveCase
from immex.origin.correlation_case import HsEdition
from immex.origin.hs import HsCode, HsRange


class Level(Enum):
    """A level of the tariff nomenclature, with the number of digits that identify it."""

    CHAPTER = 2
    HEADING = 4
    SUBHEADING = 6
    TARIFF_ITEM = 8

    @property
    def digits(self) -> int:
        return self.value

    @property
    def word(self) -> str:
        return self.name.lower().replace("_", " ")


# --- the rule AST -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class OtherAt:
    """``any other <level>``: the material is classified outside the good's own <level>.

    With ``within`` (``any other subheading within heading 2008``) the material must
    also be classified in one of those codes.
    """

    level: Level
    within: tuple[HsRange, ...] = ()


@dataclass(frozen=True, slots=True)
class OutsideGroup:
    """``any <level> outside that group``: outside every code of the rule's target."""

    level: Level


@dataclass(frozen=True, slots=True)
class FromCodes:
    """``from heading 8503`` / ``from tariff items 8503.00.35, ...``: the named codes."""

    codes: tuple[HsRange, ...]


@dataclass(frozen=True, slots=True)
class WithinTarget:
    """``from any other good within that subheading`` / ``from within that heading``.

    Materials classified in the rule's own target codes are allowed (a material is
    always another good than the good produced).
    """


@dataclass(frozen=True, slots=True)
class DescribedCodes:
    """``printed circuit assemblies of subheading 8538.90``: goods of ``codes`` named by description.

    A material is within it when its HS code is within ``codes`` and its description
    (``materials[].description``) names the goods (:func:`immex.origin.describe.names`).
    """

    description: str
    codes: tuple[HsRange, ...]


Source = OtherAt | OutsideGroup | FromCodes | WithinTarget | DescribedCodes


class FactKind(Enum):
    """What a rule states in words about the good, which a case field answers."""

    DESCRIPTION = "description"  # "drive-axles with differential ... of subheading 8708.50": good.description
    USE = "use"  # "for use in a heavy truck": good.use
    TRADE = "trade"  # "trade between the territory of Canada and ... the United States": destination


@dataclass(frozen=True, slots=True)
class Fact:
    """A fact the good must have for an alternative to apply (answered by a case field)."""

    kind: FactKind
    text: str


class ConditionKind(Enum):
    """A ``provided that ...`` condition of an alternative (besides RVC and processes)."""

    ORIGINATING_SHARE = (
        "originating_share"  # at least N % by weight of the materials of <codes> is originating
    )
    NON_ORIGINATING_SHARE = (
        "non_originating_share"  # non-originating <codes> no more than N % by weight of ...
    )
    ASSERTED = "asserted"  # a fact of production only a person can state: good.conditions


@dataclass(frozen=True, slots=True)
class Condition:
    """A condition of an alternative; computable ones carry their codes and percent.

    ``of_good``: the share is of the good's weight (``good.weight``), else of the weight of
    the materials of ``codes``.
    """

    kind: ConditionKind
    text: str
    codes: tuple[HsRange, ...] = ()
    percent: Decimal | None = None
    of_good: bool = False


@dataclass(frozen=True, slots=True)
class TariffShift:
    """``A change to <target> from <sources>[, whether or not ...][, except from ...]``."""

    sources: tuple[Source, ...]
    also: tuple[Source, ...] = ()  # "whether or not there is also a change from ..."
    excepted: tuple[HsRange, ...] = ()
    # "except from more than one of the following: (A) ..., (B) ...": non-originating materials of
    # two or more of these groups break the shift; materials of a single group do not
    combination: tuple[tuple[HsRange, ...], ...] = ()
    # "except from moulded parts of subheading 8538.90": described goods of those codes
    excepted_described: tuple[DescribedCodes, ...] = ()


@dataclass(frozen=True, slots=True)
class RvcRequirement:
    """Regional value content of not less than ``tv`` (transaction value) / ``nc`` (net cost) percent."""

    tv: Decimal | None
    nc: Decimal | None


@dataclass(frozen=True, slots=True)
class Alternative:
    """One alternative of a rule: a tariff shift (None = no change required) and/or an RVC.

    ``unsupported`` holds conditions the grammar recognised but the engine cannot test
    from the case file (for example a percentage by weight); such an alternative is
    never met by the engine, and the explanation says why.
    """

    label: str
    target: tuple[HsRange, ...]
    shift: TariffShift | None
    rvc: RvcRequirement | None
    text: str
    unsupported: tuple[str, ...] = ()
    readings: tuple[str, ...] = ()  # how a loose wording was read (official table only), for the explanation
    processes: tuple[str, ...] = ()  # processes the good must undergo in the territory (e.g. cut_and_sewn)
    requires: tuple[Fact, ...] = ()  # described good, use, trade direction: when the alternative applies
    unless: tuple[tuple[Fact, ...], ...] = ()  # "any other good": none of these (each all of its facts) holds
    target_text: str = ""  # the target as printed, e.g. "any other good of subheading 8708.50"
    conditions: tuple[Condition, ...] = ()  # provided-that conditions the engine computes or the case asserts
    source: str = ""  # citation of the rule this alternative comes from, when a rule combines several
    source_text: str = ""  # text of that rule


@dataclass(frozen=True, slots=True)
class Rule:
    """A product-specific rule: one or more alternatives, any one of which suffices.

    ``condition`` is a GN 11 preamble that limits the rule to goods of a described use
    ("For a good of subheading 8409.91 for use in a heavy truck:"); the engine cannot
    test it from HS codes, so a rule table prefers the unconditioned rule for a code.
    """

    text: str
    alternatives: tuple[Alternative, ...]
    condition: str | None = None


@dataclass(frozen=True, slots=True)
class ProductRule:
    """A rule of the table with its legal identity: citation, dates, scope and notes."""

    id: str
    rule: Rule
    citation: str
    since: dt.date
    until: dt.date | None
    scope: tuple[HsRange, ...]
    notes: tuple[str, ...] = ()


# --- the case ---------------------------------------------------------------------------------


class MaterialRole(Enum):
    """How a material counts (HTSUS GN 11(g), (h)); ``DIRECT`` is the ordinary case."""

    DIRECT = "direct"
    INDIRECT = "indirect"  # GN 11(h)(iii): treated as originating
    SHIPPING_PACKING = "packing"  # GN 11(h)(i): disregarded
    RETAIL_PACKAGING = "retail_packaging"  # GN 11(h)(ii): not in the shift, counted in RVC
    ACCESSORY = "accessory"  # GN 11(g): not in the shift, counted in RVC


@dataclass(frozen=True, slots=True)
class Material:
    """One material used in the production of the good.

    ``components`` (with ``intermediate=True``) make it a self-produced intermediate
    material (GN 11(c)(ix)): its own origin is determined from its components with
    ``rule`` (or the rule table) and that result replaces ``originating``.
    """

    id: str
    hs: HsCode
    value: Decimal
    originating: bool
    country: str | None = None
    role: MaterialRole = MaterialRole.DIRECT
    intermediate: bool = False
    components: tuple[Material, ...] = ()
    net_cost: Decimal | None = None
    rule: Rule | None = None
    weight: Decimal | None = None  # for the de minimis by weight of textile goods (GN 11(e)(iv))
    description: str = ""  # names the material where a rule names materials by description
    component: bool = (
        False  # a fiber or yarn of the component that determines an apparel good's classification
    )
    elastomeric: bool = False  # an elastomeric yarn (GN 11(e)(iv)(C))


@dataclass(frozen=True, slots=True)
class Good:
    hs: HsCode
    transaction_value: Decimal
    net_cost: Decimal | None = None
    description: str = ""
    wholly_obtained: bool = False
    weight: Decimal | None = None  # total weight, for the de minimis by weight of textile goods
    processes: tuple[str, ...] = ()  # processes performed in the territory (GN 11(n)(iv)-(v))
    use: str = ""  # the vehicle the good is for ("passenger vehicle", "light truck", "heavy truck", "other")
    conditions: tuple[tuple[str, bool], ...] = ()  # a person's answers to asserted conditions (text, met)
    is_set: bool = False  # goods put up in sets for retail sale (GRI 3): GN 11(i); materials are its goods
    component_weight: Decimal | None = None  # weight of the component that determines the classification


@dataclass(frozen=True, slots=True)
class OriginCase:
    """One good to qualify. ``rule`` overrides the table; ``product_rule`` is a table entry."""

    agreement: str  # "USMCA" or "NAFTA"
    date: dt.date
    good: Good
    materials: tuple[Material, ...]
    rule: Rule | None = None
    product_rule: ProductRule | None = None
    automotive: AutomotiveCase | None = None  # GN 11(k) fields (immex.origin.automotive)
    hs_edition: HsEdition | None = None  # codes of HS 2022, read as HS 2012 (immex.origin.correlation)
    destination: str | None = (
        None  # USMCA country the good is exported to (US, CA, MX): trade-direction rules
    )
    exporter: str | None = (
        None  # USMCA country the good is exported from (default MX when destination is given)
    )


# --- the result -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RvcResult:
    method: str  # "TV" or "NC"
    value: Decimal | None  # unrounded; None when the method has no data (no net cost)
    required: Decimal
    met: bool


@dataclass(frozen=True, slots=True)
class AlternativeResult:
    """How one alternative fares: failing materials, RVC by each method, de minimis."""

    index: int  # 1-based position in the rule
    applies: bool  # the good is within the alternative's target
    shift_required: bool
    failing_materials: tuple[str, ...]
    failing_value: Decimal
    rvc: tuple[RvcResult, ...]
    de_minimis_allowed: bool
    de_minimis_applied: bool
    unsupported: tuple[str, ...]
    met: bool
    notes: tuple[str, ...] = ()
    de_minimis_share: Decimal | None = None  # percent tested (by value, or by weight for textiles)
    de_minimis_basis: str = "value"
    de_minimis_limit: Decimal | None = None
    # what a person must decide before this alternative can be called met (empty: decided)
    open_questions: tuple[str, ...] = ()

    @property
    def shift_met(self) -> bool:
        return not self.failing_materials

    @property
    def rvc_met(self) -> bool:
        return not self.rvc or any(r.met for r in self.rvc)

    def reported_rvc(self) -> RvcResult | None:
        """The method that qualifies (transaction value first), else the first computable one."""
        for result in self.rvc:
            if result.met:
                return result
        for result in self.rvc:
            if result.value is not None:
                return result
        return self.rvc[0] if self.rvc else None


@dataclass(frozen=True, slots=True)
class Undetermined:
    """Contract version 2: one thing a person must decide (the alternative it blocks and why)."""

    alternative: int | None
    reason: str


@dataclass(frozen=True, slots=True)
class Determination:
    originating: bool | None  # None: undetermined (``undetermined`` says what a person must decide)
    criterion: str | None  # "A", "B", "C", "D" or None when not originating or undetermined
    rule_text: str | None
    citation: str | None
    alternative: int | None
    shift_required: bool
    shift_met: bool
    failing_materials: tuple[str, ...]
    rvc: RvcResult | None
    de_minimis_applied: bool
    de_minimis_value: Decimal  # percent of the transaction value, unrounded
    de_minimis_limit: Decimal
    explanation: tuple[str, ...]
    alternatives: tuple[AlternativeResult, ...] = field(default=())
    undetermined: tuple[Undetermined, ...] = field(default=())
