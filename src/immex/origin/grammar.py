"""The grammar of USMCA Annex 4-B / HTSUS General Note 11(o) product-specific rules.

``parse_rule(text)`` turns rule text into a typed :class:`~immex.origin.model.Rule`::

    rule        := alternative ( ("; or" | label) alternative )*
    alternative := [label] ( shift | no-change ) [whether] [except] [provided]
    shift       := "A change to" target "from" sources
    no-change   := "No change in tariff classification to a good of" target
                 | "No change in tariff classification (is) required"   (target: previous, else any)
    target      := code-list                       (a described good is not readable)
    sources     := source ( ("," | "or" | "and") source )*
    source      := "any other" LEVEL ["within" code-list | "within that group"]
                 | "any" LEVEL "outside that group"
                 | "any other good within that" LEVEL | "within that" LEVEL
                 | code-list
    whether     := ", whether or not there is also a change from" sources
    except      := ", except from" code-list
    provided    := ", provided there is a regional value content of not less than"
                   ( N "percent where the transaction value method is used" ["; or"] )?
                   ( N "percent where the net cost method is used" )?
    code-list   := LEVEL CODE ["through" CODE] (("," | "or") [LEVEL] CODE ["through" CODE])*
    LEVEL       := chapter(s) | heading(s) | subheading(s) | tariff item(s)

Labels are GN 11's ``(A)``/``(B)`` (or ``(a)``/``(b)`` in dated rules). Headings are
accepted in GN 11's form (``7208``) and in the treaty's (``72.08``). Known typos of
the official text (run-together words, ``c)`` for ``(c)``, ``A change of``) are
normalized before parsing; the verbatim text is kept in :attr:`Rule.text`.

Conditions the grammar recognises but a case file cannot express (percentages by
weight, "more than one of the following", process exceptions, ...) are kept in
:attr:`Alternative.unsupported`; text that names goods by description instead of by
code raises :class:`RuleSyntaxError` (with ``lenient=True``, used for the official
table, such an alternative is kept as never met, and an ``except from`` list naming
described goods is read as the whole codes it names, noted in
:attr:`Alternative.readings`). Spanish wording in the style of the T-MEC / TLCAN
annexes is mapped to the English phrases first (best effort).
"""

from __future__ import annotations

import re
from dataclasses import replace
from decimal import Decimal

from immex.origin.hs import HsError, HsRange
from immex.origin.model import (
    Alternative,
    Condition,
    ConditionKind,
    DescribedCodes,
    Fact,
    FactKind,
    FromCodes,
    Level,
    OtherAt,
    OutsideGroup,
    Rule,
    RvcRequirement,
    Source,
    TariffShift,
    WithinTarget,
)


class RuleSyntaxError(ValueError):
    """Rule text the grammar cannot read; the message says where."""


_TYPOS = (
    ("thatgroup", "that group"),
    ("goodis", "good is"),
    ("thatthe", "that the"),
    ("aregional", "a regional"),
    ("oralloying", "or alloying"),
    ("includinganother", "including another"),
    ("thereis", "there is"),
    ("ofnot less", "of not less"),
    ("notless", "not less"),
    ("bothcut", "both cut"),
    ("territoryof", "territory of"),
    ("6006or", "6006 or"),
    ("A change of ", "A change to "),
    ("where the net cost is used", "where the net cost method is used"),
    ("Achange", "A change"),
    ("netcost", "net cost"),
    ("thenet cost", "the net cost"),
    ("ofsubheading", "of subheading"),
    ("othersubheading", "other subheading"),
    ("subheadingoutside", "subheading outside"),
    ("isoriginating", "is originating"),
    ("wet state(", "wet state ("),
    ("than50", "than 50"),
    ("any other good subheading", "any other good of subheading"),
    ("No change in tariff classification electronic", "No change in tariff classification to electronic"),
    ("from or any other heading", "or from any other heading"),
    # GN 11 ch. 90 rule 1 (B): the exception is written after the source without "from"
    (
        "any other good of heading 7002 except pre-forms,",
        "any other good of heading 7002, except from pre-forms of heading 7002,",
    ),
)
_LEVEL_WORDS = {
    "chapter": Level.CHAPTER,
    "chapters": Level.CHAPTER,
    "heading": Level.HEADING,
    "headings": Level.HEADING,
    "subheading": Level.SUBHEADING,
    "subheadings": Level.SUBHEADING,
    "tariff item": Level.TARIFF_ITEM,
    "tariff items": Level.TARIFF_ITEM,
}
_LEVEL = r"(chapter|heading|subheading|tariff item)s?"
_START = r"(?:(?:A|No) (?:required )?change|Production of)"
_LABEL = re.compile(
    r"(?:^|(?<=; or )|(?<=; )|(?<=, or )|(?<=, )|(?<=\. )|(?<=: ))\(?([A-La-l])\)\s+(?=" + _START + ")"
)
_OR_SPLIT = re.compile(r";\s*or\s+(?=" + _START + ")")
_PROVIDED = re.compile(r",?\s*\bprovided\b(?! with)")  # not "whether or not provided with ..."
_RVC_HEAD = re.compile(r"regional value content (?:\(RVC\) )?(?:of not less than|of at least|is):?")
_PERCENT = re.compile(
    r"(\d+(?:\.\d+)?) percent (?:where|when|under|if) the (transaction value|net cost)"
    r"(?: method)?(?: is used)?"
)
_SHIFT = re.compile(r"^A change (?:to (?P<target>.+?) )?from (?P<rest>.+)$")
_GOOD_OF = re.compile(
    r"^(?:a good of (?:any of )?|any of |any other good of |any good of "
    r"|any other (?:tariff item|subheading) within )"
)
_OTHER_GOOD = re.compile(r"^(?:any other good of |other )")
_PREAMBLE = re.compile(r"^For (?P<who>a|an|any other) (?P<what>[^:]*?):\s*")
_NO_CHANGE = re.compile(
    r"^No (?:required )?change in tariff classification (?:is required )?(?:to|for) "
    r"(?:a good of |goods of |any good of )?(?P<target>.+)$"
)
CUT_AND_SEWN = "cut_and_sewn"  # a process condition the case file can assert (good.processes)
_CUT_AND_SEWN = re.compile(
    r"^that the good is both cut (?:\(or knit to shape\) )?and sewn or otherwise assembled in the territory "
    r"of one or more of the USMCA countries(?P<more>\..*)?$"
)
_NO_CHANGE_BARE = re.compile(r"^No (?:required )?change in tariff classification(?: is)?(?: required)?$")
ANY_GOOD = (HsRange("01", "99"),)  # target of a bare "No change in tariff classification required"
_INCLUDING = re.compile(r",?\s*including another " + _LEVEL + r" within that group")
_WHETHER_TAIL = re.compile(r",?\s*whether or not there is also a change from .*$")
_WHETHER = re.compile(r",?\s*whether or not there is also a change from ")
_EXCEPT = re.compile(r",?\s*except (?:from|for) ")
_TOKEN = re.compile(
    r"\s*(?:"
    r"(?P<within_target>(?:any other good )?within (?:that|those|these) " + _LEVEL + r")"
    r"|(?P<other_group>any other " + _LEVEL + r" within that group)"
    r"|(?P<other>any other " + _LEVEL + r")"
    r"|(?P<another>another " + _LEVEL + r")"
    r"|(?P<outside>any " + _LEVEL + r" outside that group)"
    r"|(?P<any>any " + _LEVEL + r")"
    r"|(?P<good_of>any other good (?:of|within) )"
    r"|(?P<within>within )"
    r"|(?P<level>(?:tariff items?|subheadings?|headings?|chapters?))\b"
    r"|(?P<through>through)\b"
    r"|(?P<code>\d{4}(?:\.\d{2}){1,3}|\d{4}|\d{2}\.\d{2}|\d{1,2})(?![\d.]\d)"
    r"|(?P<sep>,|\bor\b|\band\b|\bfrom\b)"
    r")"
)


# Spanish wording of the T-MEC / TLCAN annexes (Anexo 4-B, Anexo 401), best effort: each
# phrase is mapped to the English wording before parsing. Longer phrases first.
_SPANISH = (
    (r"\bun cambio (?:a|de) (?:la|las|el|los) ", "A change to "),
    (r"\bun cambio (?:a|de) ", "A change to "),
    (
        r"\bno se requiere (?:un )?cambio (?:de|en) (?:la )?clasificaci[oó]n arancelaria "
        r"(?:a|para) (?:un bien de )?"
        r"(?:la |las |el |los )?",
        "No change in tariff classification to a good of ",
    ),
    (
        r"\b(?:independientemente de que|habiendo o no|ya sea que|aun cuando)[^,;]*?"
        r"(?:cambios?|cambie)[^,;]*?\bde (?:cualquier otr[oa] )?",
        "whether or not there is also a change from any other ",
    ),
    (
        r"\bincluso (?:otra|otro) (partida|subpartida|fracci[oó]n arancelaria) "
        r"(?:dentro|comprendida en) (?:de )?"
        r"(?:ese|este) grupo",
        r"including another \1 within that group",
    ),
    (
        r"\bcualquier (partida|subpartida|cap[ií]tulo|fracci[oó]n arancelaria) fuera de (?:ese|este) grupo",
        r"any \1 outside that group",
    ),
    (r"\bde cualquier otr[oa] ", "from any other "),
    (r"\bcualquier otr[oa] ", "any other "),
    (r"\bexcepto (?:de|desde) (?:la |las |el |los )?", "except from "),
    (
        r",? siempre que (?:se cumpla con |exista |haya |tenga )?un valor de contenido regional (?:\(VCR\) )?"
        r"no (?:menor|inferior) (?:a|al|de)\s*:?",
        ", provided there is a regional value content of not less than:",
    ),
    (
        r"\bpor ciento cuando se utilice el m[eé]todo de valor de transacci[oó]n",
        "percent where the transaction value method is used",
    ),
    (
        r"\bpor ciento cuando se utilice el m[eé]todo de costo neto",
        "percent where the net cost method is used",
    ),
    (
        r"\bpor ciento (?:bajo|conforme a|conforme al|seg[uú]n|de acuerdo con)(?: el)? "
        r"m[eé]todo de costo neto",
        "percent under the net cost method",
    ),
    (r"\bfracci[oó]n(?:es)? arancelarias?\b", "tariff items"),
    (r"\bsubpartidas?\b", "subheadings"),
    (r"\bpartidas?\b", "headings"),
    (r"\bcap[ií]tulos?\b", "chapters"),
    (r"\bde la |\bde las |\bde los |\bde el |\bde ", "from "),
    (r"\b(\d{2}\.\d{2}|\d{4}(?:\.\d{2}){0,2}) a (\d{2}\.\d{2}|\d{4}(?:\.\d{2}){0,2})\b", r"\1 through \2"),
    (r"\bdentro de ese grupo\b", "within that group"),
    (r";\s*o\b", "; or"),
    (r",\s*o\b", ", or"),
    (r"\bo\b", "or"),
    (r"\by\b", "and"),
)


def _from_spanish(text: str) -> str:
    if not re.search(r"\b(?:cambio|partida|subpartida|cap[ií]tulo)\b", text, re.IGNORECASE):
        return text
    out = text
    for pattern, replacement in _SPANISH:
        out = re.sub(pattern, replacement, out, flags=re.IGNORECASE)
    return out


def normalize(text: str) -> str:
    """Whitespace collapsed and the official typos mended, for parsing only."""
    cleaned = _from_spanish(re.sub(r"\s+", " ", text).strip())
    for wrong, right in _TYPOS:
        cleaned = cleaned.replace(wrong, right)
    cleaned = re.sub(r"\b(\d{4}),\.(\d{2})", r"\1.\2", cleaned)
    cleaned = re.sub(r"([,;])(?=\S)", r"\1 ", cleaned)
    cleaned = re.sub(r"\)(?=[A-Z])", ") ", cleaned)
    cleaned = re.sub(r"\bother(chapter|heading|subheading)", r"other \1", cleaned)
    cleaned = re.sub(r"\b(through|or)(?=\d)", r"\1 ", cleaned)
    cleaned = re.sub(r"\(\w\)\s+Whether or not", "whether or not", cleaned)  # GN 11 ch. 84 rules 149-157
    # GN 11 ch. 85 rule 17 (A): "from any other subheading, excluding battery cells of 8507.90"
    cleaned = re.sub(
        r",\s*excluding (.+?) of (\d{4}\.\d{2})\b", r", except from \1 of subheading \2", cleaned
    )
    cleaned = cleaned.replace(
        "any other good within the same subheading", "any other good within that subheading"
    )
    cleaned = re.sub(r"\[Compiler's note:.*?\]", "", cleaned).strip()
    return cleaned


UNREADABLE = "not readable: "


def parse_rule(text: str, lenient: bool = False) -> Rule:
    """Parse rule text (GN 11 or treaty wording) into a :class:`Rule`; raise RuleSyntaxError.

    With ``lenient`` (used for the official rule table) an alternative the grammar cannot
    read is kept as an alternative that is never met (its reason in ``unsupported``), so
    that the readable alternatives of the same rule can still be applied; the rule is
    rejected only when no alternative is readable.

    Goods named by description or use are read into :attr:`Alternative.requires` /
    :attr:`Alternative.unless` (facts the case answers); ``provided that ...`` conditions
    into :attr:`Alternative.conditions`.
    """
    if not text or not text.strip():
        raise RuleSyntaxError("rule text is empty")
    clean = normalize(text)
    condition: str | None = None
    preamble = _PREAMBLE.match(clean)
    facts: tuple[Fact, ...] = ()
    if preamble:
        if preamble.group("who") != "any other":
            condition = preamble.group(0).strip().rstrip(":")
            facts = _preamble_facts(preamble.group("what"))
        clean = clean[preamble.end() :]
    # GN 11 ch. 87 rule 42: "... (D) For any other good of subheading 8708.92: (E) ..." inside a rule
    inner = re.search(r"\(?[A-Ha-h]\)\s*For any other good of [^:]*:\s*", clean)
    parts = (
        [(clean, facts, ())]
        if inner is None
        else [
            (clean[: inner.start()], facts, ()),
            (clean[inner.end() :], (), (facts,) if facts else ()),
        ]
    )
    alternatives: list[Alternative] = []
    for part, requires, unless in parts:
        for alt in _alternatives(part, lenient, alternatives[0].target if alternatives else None):
            alternatives.append(_with_facts(alt, requires, unless))
    if all(a.unsupported and a.unsupported[0].startswith(UNREADABLE) for a in alternatives):
        raise RuleSyntaxError(alternatives[0].unsupported[0][len(UNREADABLE) :])
    return Rule(
        text=re.sub(r"\s+", " ", text).strip(),
        alternatives=_complements(tuple(alternatives)),
        condition=condition,
    )


def _preamble_facts(what: str) -> tuple[Fact, ...]:
    """``a good of subheading 8409.91 for use in a heavy truck`` / ``a chassis frame of ... for use in``."""
    facts: list[Fact] = []
    use = re.search(r"\b(?:for use in|used for|used in)\b.*$", what)
    if use:
        facts.append(Fact(FactKind.USE, use.group(0)))
    head = what[: use.start()] if use else what
    described = re.match(r"(?:an? )?(?P<desc>.+?) of (?:any of )?" + _LEVEL + r"\b", head.strip())
    if described and not re.fullmatch(r"(?:an? )?good", described.group("desc")):
        facts.append(Fact(FactKind.DESCRIPTION, described.group("desc")))
    return tuple(facts)


def _with_facts(
    alt: Alternative, requires: tuple[Fact, ...], unless: tuple[tuple[Fact, ...], ...]
) -> Alternative:
    if not requires and not unless:
        return alt
    merged = tuple(dict.fromkeys(requires + alt.requires))
    return replace(alt, requires=merged, unless=unless + alt.unless)


def _complements(alternatives: tuple[Alternative, ...]) -> tuple[Alternative, ...]:
    """``any other good of X`` excludes every good of X a sibling describes; ``other <goods> of X``
    excludes the siblings before it that describe narrower such goods."""
    out: list[Alternative] = []
    for i, alt in enumerate(alternatives):
        mark = _OTHER_GOOD.match(alt.target_text)
        if mark is None:
            out.append(alt)
            continue
        own = [f for f in alt.requires if f.kind is FactKind.DESCRIPTION]
        own_words = {w for f in own for w in re.findall(r"[a-z0-9-]+", f.text.lower())}
        siblings = alternatives if mark.group(0) == "any other good of " else alternatives[:i]
        unless: list[tuple[Fact, ...]] = []
        for other in siblings:
            if other is alt or not _overlap(other.target, alt.target):
                continue
            for fact in other.requires:
                if fact.kind is not FactKind.DESCRIPTION or fact in own or (fact,) in unless:
                    continue
                if mark.group(0) == "other " and not own_words <= set(
                    re.findall(r"[a-z0-9-]+", fact.text.lower())
                ):
                    continue
                unless.append((fact,))
        out.append(replace(alt, unless=alt.unless + tuple(unless)))
    return tuple(out)


def _overlap(a: tuple[HsRange, ...], b: tuple[HsRange, ...]) -> bool:
    return any(
        x.low[: min(len(x.low), len(y.low))] <= y.high[: min(len(x.low), len(y.low))]
        and y.low[: min(len(x.low), len(y.low))] <= x.high[: min(len(x.low), len(y.low))]
        for x in a
        for y in b
    )


def _alternatives(clean: str, lenient: bool, inherited: tuple[HsRange, ...] | None) -> list[Alternative]:
    labels = list(_LABEL.finditer(clean))
    pieces: list[tuple[str, str]] = []
    if labels:
        prefix = clean[: labels[0].start()].strip()
        if prefix and re.match(_START, prefix) and labels[0].group(1).upper() == "B":
            pieces.append(("A", prefix))  # GN 11 ch. 87 rules 52 and 54 omit the "(A)"
        elif prefix:
            raise RuleSyntaxError(f"text before the first alternative: {clean[: labels[0].start()]!r}")
        for i, match in enumerate(labels):
            end = labels[i + 1].start() if i + 1 < len(labels) else len(clean)
            pieces.append((match.group(1).upper(), clean[match.end() : end]))
    else:
        parts = _OR_SPLIT.split(clean)
        pieces = [(chr(ord("A") + i), part) for i, part in enumerate(parts)]
    alternatives: list[Alternative] = []
    for label, body in pieces:
        first = alternatives[0].target if alternatives else inherited
        try:
            alternatives.append(_alternative(label, body, first, lenient))
        except RuleSyntaxError as exc:
            if not lenient:
                raise
            alternatives.append(_unreadable(label, body, str(exc)))
    return alternatives


def _unreadable(label: str, body: str, error: str) -> Alternative:
    """An alternative kept for the record; its target is read when it is plain codes."""
    target: tuple[HsRange, ...] = ()
    match = _SHIFT.match(_strip_tail(body)) or _NO_CHANGE.match(_strip_tail(body))
    if match and match.group("target"):
        try:
            target = _target(match.group("target"))
        except RuleSyntaxError:
            target = ()
    return Alternative(
        label=label,
        target=target,
        shift=None,
        rvc=None,
        text=_strip_tail(body),
        unsupported=(UNREADABLE + error,),
    )


def _strip_tail(text: str) -> str:
    previous = None
    while previous != text:
        previous = text
        text = re.sub(r"(?:\s*;\s*or|\s*,\s*or|\s*;|\s*\.|\s*,|\s+or)\s*$", "", text).strip()
    return text


def _target(text: str) -> tuple[HsRange, ...]:
    return _target_facts(text)[0]


_TARGET_EXCEPT = re.compile(r",?\s*except for a good of (?P<codes>.+)$")
_PRODUCTION = re.compile(r"^Production of any good of (?P<target>.+?) as the result of (?P<how>.+)$")
_PROCESS_EXCEPTION = re.compile(
    r",?\s*except for changes resulting from the following processes performed on (?P<on>.+?) of "
    r"(?P<codes>heading \d{4}): (?P<list>.+)$"
)


def _target_facts(text: str) -> tuple[tuple[HsRange, ...], tuple[Fact, ...]]:
    """The target's codes and, when it names goods by description, that description as a fact."""
    text = re.sub(r"\s+is required$", "", text.strip())
    excluded: tuple[HsRange, ...] = ()
    cut = _TARGET_EXCEPT.search(text)
    if cut:  # GN 11 ch. 29 rule 1 (B): "subheadings 2901.10 through 2942.00, except for a good of 2916.32"
        excluded = _codes(cut.group("codes"), "target")
        text = text[: cut.start()]
    stripped = _GOOD_OF.sub("", text)
    try:
        return _minus(_codes(stripped, "target"), excluded), ()
    except RuleSyntaxError:
        pass
    for group in reversed(list(_CODE_GROUP.finditer(stripped))):
        before = stripped[: group.start()].rstrip()
        if not before.endswith(" of") or re.search(r"(?:for|motor) vehicles? of$", before):
            continue  # "for vehicles of heading 8703" qualifies the good; it is not its classification
        codes = _codes(_trim_group(group.group(0)), "target")
        description = (before[:-3] + stripped[group.end() :]).strip(" ,")
        description = re.sub(r"^(?:an? good of |an? |other |any other good of )", "", description)
        return _minus(codes, excluded), (Fact(FactKind.DESCRIPTION, description),)
    raise RuleSyntaxError(
        f"cannot read target at {text[:60]!r} (expected HS codes such as 'heading 8501', or goods "
        "described 'of heading 8501')"
    )


def _minus(codes: tuple[HsRange, ...], excluded: tuple[HsRange, ...]) -> tuple[HsRange, ...]:
    """``codes`` without the single codes of ``excluded`` (same number of digits)."""
    out = list(codes)
    for ex in excluded:
        kept: list[HsRange] = []
        for r in out:
            if ex.low != ex.high or len(ex.low) != len(r.low) or not (r.low <= ex.low <= r.high):
                kept.append(r)
                continue
            width = len(ex.low)
            below, above = str(int(ex.low) - 1).zfill(width), str(int(ex.low) + 1).zfill(width)
            if r.low <= below:
                kept.append(HsRange(r.low, below))
            if above <= r.high:
                kept.append(HsRange(above, r.high))
        out = kept
    return tuple(out)


def _trim_group(text: str) -> str:
    return re.sub(r"(?:,\s*|,?\s+or\s*)$", "", text.strip())


def _alternative(
    label: str, body: str, inherited: tuple[HsRange, ...] | None, lenient: bool = False
) -> Alternative:
    body = _strip_tail(body)
    unsupported: list[str] = []
    readings: list[str] = []
    processes: list[str] = []
    conditions: list[Condition] = []
    rvc: RvcRequirement | None = None
    main = body
    process_exception = _PROCESS_EXCEPTION.search(main)
    if process_exception:  # GN 11 ch. 73: changes from these processes on heading 7216 do not count
        conditions.append(
            Condition(
                ConditionKind.ASSERTED,
                "the change is not the result only of the following processes performed on "
                f"{process_exception.group('on')} of {process_exception.group('codes')}: "
                + process_exception.group("list").strip(),
                _codes(process_exception.group("codes"), "process exception"),
            )
        )
        main = main[: process_exception.start()].strip()
    provided = _PROVIDED.search(main)
    if provided:
        clause = main[provided.end() :].strip()
        main = main[: provided.start()].strip()
        rvc, rest = _rvc(clause)
        process = _CUT_AND_SEWN.match(rest) if rest else None
        if process:
            processes.append(CUT_AND_SEWN)  # a trailing sentence stays in the rule text
        elif rest:
            more, named = _conditions(rest)
            conditions.extend(more)
            processes.extend(named)
    main = _INCLUDING.sub("", main).strip()
    shift_match = _SHIFT.match(main)
    no_change = _NO_CHANGE.match(_WHETHER_TAIL.sub("", main))
    production = _PRODUCTION.match(main)
    requires: tuple[Fact, ...] = ()
    target_text = ""
    if production:  # GN 11 ch. 27 rule 7 (B)-(C): production by named processes, no shift
        target = _target(production.group("target"))
        conditions.insert(
            0, Condition(ConditionKind.ASSERTED, "the good is the result of " + production.group("how"))
        )
        shift = None
    elif shift_match:
        if shift_match.group("target") is not None:
            target_text = shift_match.group("target")
            target, requires = _target_facts(target_text)
        elif inherited is not None:  # "A change from ..." (GN 11 ch. 81 rule 4 (B) omits the target)
            target = inherited
        else:
            raise RuleSyntaxError(f"alternative ({label}) names no good: {body!r}")
        shift = _shift(shift_match.group("rest"), target, unsupported, readings if lenient else None)
    elif no_change:
        target_text = no_change.group("target")
        target, requires = _target_facts(target_text)
        shift = None
    elif _NO_CHANGE_BARE.match(main):  # no good named: the previous alternative's, else any good
        target = inherited if inherited is not None else ANY_GOOD
        shift = None
    else:
        raise RuleSyntaxError(
            f"alternative ({label}) does not start with 'A change to ... from ...' "
            f"or 'No change in tariff classification ...': {body!r}"
        )
    return Alternative(
        label=label,
        target=target,
        shift=shift,
        rvc=rvc,
        text=body,
        unsupported=tuple(unsupported),
        readings=tuple(readings),
        processes=tuple(dict.fromkeys(processes)),
        requires=requires,
        conditions=tuple(conditions),
        target_text=_GOOD_OF.sub(
            lambda m: m.group(0) if m.group(0) == "any other good of " else "", target_text.strip()
        ),
    )


_ORIGINATING_SHARE = re.compile(
    r"^(?:that )?at least (?P<pct>\d+(?:\.\d+)?) percent by weight of the materials of (?P<codes>.+?) "
    r"is originating$"
)
_POLYMER = re.compile(
    r"^(?:that )?the originating polymer content of (?P<codes>.+?) is not less than (?P<pct>\d+(?:\.\d+)?) "
    r"percent by weight of the total polymer content$"
)
_NON_ORIGINATING_SHARE = re.compile(
    r"^(?:that )?the nonoriginating [\w ]*?(?:materials? )?of "
    r"(?P<codes>(?:chapters?|headings?|subheadings?) [\d., through]+?) "
    r"(?:constitutes? no more than|do(?:es)? not exceed) (?P<pct>\d+(?:\.\d+)?) percent by weight "
    r"of the (?P<of>[\w ]+)$"
)
_CHEMICAL = re.compile(
    r"^(?:that )?the good resulting from such change is the product of a chemical reaction$"
)


def _conditions(text: str) -> tuple[list[Condition], list[str]]:
    """``provided that ...`` conditions other than RVC: shares by weight are computed from the
    materials' weights; a chemical reaction is a process of ``good.processes``; anything else is
    a fact of production a person asserts (``good.conditions``)."""
    conditions: list[Condition] = []
    processes: list[str] = []
    for part in re.split(r"\s+and\s+(?=the nonoriginating )", text.strip().rstrip(".")):
        part = part.strip()
        if _CHEMICAL.match(part):
            processes.append("chemical_reaction")
            continue
        share = _ORIGINATING_SHARE.match(part) or _POLYMER.match(part)
        if share:
            conditions.append(
                Condition(
                    ConditionKind.ORIGINATING_SHARE,
                    part,
                    _codes(share.group("codes"), "condition"),
                    Decimal(share.group("pct")),
                )
            )
            continue
        limit = _NON_ORIGINATING_SHARE.match(part)
        if limit:
            conditions.append(
                Condition(
                    ConditionKind.NON_ORIGINATING_SHARE,
                    part,
                    _codes(limit.group("codes").strip(), "condition"),
                    Decimal(limit.group("pct")),
                    of_good=limit.group("of").strip() == "good",
                )
            )
            continue
        conditions.append(Condition(ConditionKind.ASSERTED, re.sub(r"^that\s+", "", part)))
    return conditions, processes


def _rvc(clause: str) -> tuple[RvcRequirement | None, str]:
    """Split a ``provided ...`` clause into an RVC requirement and whatever else it says."""
    head = _RVC_HEAD.search(clause)
    if head is None:
        return None, clause
    before = re.sub(r"\b(that|there is|a|and|also|the)\b|,", " ", clause[: head.start()]).strip()
    after = clause[head.end() :]
    tv: Decimal | None = None
    nc: Decimal | None = None
    for match in _PERCENT.finditer(after):
        value = Decimal(match.group(1))
        if match.group(2) == "transaction value":
            if tv is not None and tv != value:
                raise RuleSyntaxError(f"two transaction-value thresholds in {clause!r}")
            tv = value
        else:
            if nc is not None and nc != value:
                raise RuleSyntaxError(f"two net-cost thresholds in {clause!r}")
            nc = value
    leftover = _PERCENT.sub(" ", after)
    leftover = re.sub(r"\(?\b(?:\d|[a-dA-D]|i{1,3}|iv|v)\)|\b(?:or|and)\b|[;,.:]", " ", leftover).strip()
    if tv is None and nc is None:
        raise RuleSyntaxError(f"regional value content without a readable threshold: {clause!r}")
    rest = " ".join(part for part in (before, leftover) if part)
    return RvcRequirement(tv=tv, nc=nc), rest


def _shift(
    rest: str, target: tuple[HsRange, ...], unsupported: list[str], readings: list[str] | None = None
) -> TariffShift:
    markers = sorted(
        [(m.start(), m.end(), "whether") for m in _WHETHER.finditer(rest)]
        + [(m.start(), m.end(), "except") for m in _EXCEPT.finditer(rest)]
    )
    main_end = markers[0][0] if markers else len(rest)
    head = rest[:main_end]
    several = re.search(
        r"(?:,\s*|\s*\bor\s+|^)(?:assemblies incorporating )?more than one of the following", head
    )
    extra: tuple[Source, ...] = ()
    if several:
        groups = _groups(head[several.end() :])
        if groups is None:
            extra = (_described_anywhere(head[several.start() :]),)
        else:
            extra = (FromCodes(tuple(r for g in groups for r in g)),)
        head = head[: several.start()]
    sources = (_any_sources(head, target) if head.strip() else ()) + extra
    if not sources:
        sources = (FromCodes(()),)
    combination: tuple[tuple[HsRange, ...], ...] = ()
    also: tuple[Source, ...] = ()
    excepted: tuple[HsRange, ...] = ()
    described: tuple[DescribedCodes, ...] = ()
    for i, (_, end, kind) in enumerate(markers):
        stop = markers[i + 1][0] if i + 1 < len(markers) else len(rest)
        segment = rest[end:stop].strip()
        if kind == "whether":
            also = also + _any_sources(segment, target)
            continue
        several = re.search(
            r"(?:^|,\s*|\s*\bor\s+)(?:\w+ )?(?:assemblies incorporating )?more than one of the following",
            segment,
        )
        if several:
            groups = _groups(segment[several.end() :])
            if groups is None:
                described = (*described, _described_anywhere(segment[several.start() :]))
            else:
                combination = combination + groups
            segment = segment[: several.start()]
            if not segment.strip():
                continue
        if re.fullmatch(r"any " + _LEVEL + r" within that group", segment):
            excepted = excepted + target
            continue
        try:
            excepted = excepted + _codes(segment, "except")
        except RuleSyntaxError:
            plain, named = _split_sources(segment, target, "except")
            excepted = excepted + tuple(
                r for s in plain for r in (s.codes if isinstance(s, FromCodes) else ())
            )
            described = described + named
    if not sources:
        raise RuleSyntaxError(f"no source after 'from' in {rest!r}")
    return TariffShift(
        sources=sources, also=also, excepted=excepted, combination=combination, excepted_described=described
    )


def _described_anywhere(text: str) -> DescribedCodes:
    """``assemblies incorporating more than one of the following: compressor, condenser, ...``:
    goods named by description, of the codes the text names (none named: of any code)."""
    text = text.strip(" ,")
    text = re.sub(r"^or\s+", "", text)
    codes = tuple(
        r for g in _CODE_GROUP.finditer(text) for r in _codes(_trim_group(g.group(0)), "description")
    )
    return DescribedCodes(text, codes)


def _any_sources(text: str, target: tuple[HsRange, ...]) -> tuple[Source, ...]:
    """Sources in codes, or (when goods are named by description) codes and described goods."""
    try:
        return _sources(text, target)
    except RuleSyntaxError:
        plain, named = _split_sources(text, target, "'from' clause")
        return plain + named


_STANDARD = re.compile(
    r"any other good (?:of|within) |any other " + _LEVEL + r"(?: within that group)?"
    r"|any "
    + _LEVEL
    + r" outside that group|(?:any other good )?within (?:that|those|these) "
    + _LEVEL
    + r"|\bfrom\b"
)


def _split_sources(
    text: str, target: tuple[HsRange, ...], where: str
) -> tuple[tuple[Source, ...], tuple[DescribedCodes, ...]]:
    """A list that mixes codes and goods named by description (``heading 8501, subheading 8508.19
    or housings of subheading 8508.70``): the plain sources and the described ones. A list the
    grammar still cannot split is one described good of every code it names."""
    text = re.sub(r"\([^()]*\bmeans\b[^()]*\)", "", text)  # a definition in parentheses (ch. 56 rule 2)
    if target:
        level = {2: "chapters", 4: "headings", 6: "subheadings", 8: "tariff items"}.get(target[0].digits, "")
        codes = " or ".join(str(r) for r in target)
        text = re.sub(r"\bof that (?:sub)?heading\b", f"of {level} {codes}", text)
        # "klystrons within that subheading": the described goods of the rule's own codes
        text = re.sub(r"(?<=\w) within (?:that|those) (?:sub)?headings?\b", f" of {level} {codes}", text)

    plain: list[str] = []
    named: list[DescribedCodes] = []
    pos = 0
    for group in _CODE_GROUP.finditer(text):
        before = text[pos : group.start()]
        pos = group.end()
        standard = list(_STANDARD.finditer(before))
        start = standard[-1].end() if standard else 0
        tail = before[start:]
        described = re.match(r"^[\s,]*(?:(?:or|and)\s+)*(?P<desc>\S.*?)[\s,]*\bof\s*$", tail)
        if described:
            plain.append(before[:start])
            named.append(DescribedCodes(described.group("desc"), _codes(_trim_group(group.group(0)), where)))
        else:
            plain.append(before + " " + group.group(0))
    plain.append(text[pos:])
    try:
        sources = _sources(" ".join(plain), target) if " ".join(plain).strip(" ,") else ()
    except RuleSyntaxError:
        if not named and _CODE_GROUP.search(text) is None:
            raise  # no HS code at all: not a rule the grammar reads ("from somewhere else")
        return (), (_described_anywhere(text),)
    return sources, tuple(named)


_CODE_GROUP = re.compile(
    r"(?:chapters?|headings?|subheadings?|tariff items?)\s+\d[\d.]*"
    r"(?:(?:\s+through\s+|,\s*|,?\s+or\s+|\s+and\s+)\d[\d.]*)*"
)


def _groups(text: str) -> tuple[tuple[HsRange, ...], ...] | None:
    """``: (A) codes, (B) codes, ... or (D) codes`` as code groups; None when a group is not codes."""
    text = re.sub(r"\b(Tariff items?|Subheadings?|Headings?|Chapters?)\b", lambda m: m.group(1).lower(), text)
    parts = re.split(r"\(\s*(?:[A-Ha-h]|\d)\s*\)|(?<=,\s)\d\)", text.strip(" :"))
    if len(parts) < 3 or parts[0].strip(" :"):
        return None
    groups: list[tuple[HsRange, ...]] = []
    for part in parts[1:]:
        cleaned = re.sub(r"(?:[,;]\s*(?:or|and)?|\s+(?:or|and))\s*$", "", part.strip()).strip()
        try:
            groups.append(_codes(cleaned, "'more than one of the following' list"))
        except RuleSyntaxError:
            return None
    return tuple(groups)


def _tokens(text: str, where: str) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    pos = 0
    text = text.strip()
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if match is None or match.end() == pos:
            raise RuleSyntaxError(
                f"cannot read {where} at {text[pos : pos + 60]!r} "
                "(expected HS codes such as 'heading 8501' or 'any other heading'; "
                "goods named by description are not readable)"
            )
        kind = match.lastgroup or ""
        out.append((kind, match.group(kind).strip()))
        pos = match.end()
    return out


def read_codes(text: str) -> tuple[HsRange, ...]:
    """``subheadings 5703.20 through 5703.30`` as ranges; RuleSyntaxError if not codes."""
    return _codes(normalize(text), "codes")


def _level(word: str) -> Level:
    return _LEVEL_WORDS[re.sub(r"\s+", " ", word)]


def _level_in(phrase: str) -> Level:
    found = re.search(r"(tariff item|subheading|heading|chapter)", phrase)
    if found is None:
        raise RuleSyntaxError(f"no tariff level in {phrase!r}")
    return _level(found.group(1))


def _code(text: str, level: Level | None, where: str) -> str:
    digits = text.replace(".", "")
    if re.fullmatch(r"\d{2}\.\d{2}", text):  # treaty form of a heading, 72.08
        return digits
    if level is Level.CHAPTER:
        if not re.fullmatch(r"\d{1,2}", text):
            raise RuleSyntaxError(f"{where}: {text!r} is not a chapter number")
        return digits.zfill(2)
    if re.fullmatch(r"\d{1,2}", text):
        raise RuleSyntaxError(f"{where}: bare number {text!r} is not an HS code")
    if (
        level is not None
        and len(digits) != level.digits
        and not (level is Level.TARIFF_ITEM and len(digits) == 10)
        # GN 11 ch. 90 rule 33 (B) prints "subheading 9017.90.01": a tariff item, read at its digits
        and not (level is Level.SUBHEADING and len(digits) in (8, 10))
    ):
        raise RuleSyntaxError(f"{where}: {text!r} is not a {level.word} code")
    return digits


def _codes(text: str, where: str) -> tuple[HsRange, ...]:
    tokens = _tokens(text, where)
    ranges, leftover = _code_run(tokens, 0, where)
    if leftover != len(tokens) or not ranges:
        bad = " ".join(v for _, v in tokens[leftover:]) or text
        raise RuleSyntaxError(f"cannot read {where} codes at {bad!r}")
    return ranges


def _code_run(tokens: list[tuple[str, str]], start: int, where: str) -> tuple[tuple[HsRange, ...], int]:
    """Read ``LEVEL CODE [through CODE] (sep [LEVEL] CODE ...)*`` from ``start``.

    Returns the ranges and the index of the first token not read."""
    ranges: list[HsRange] = []
    level: Level | None = None
    i = start
    last_good = start
    while i < len(tokens):
        kind, value = tokens[i]
        if kind == "level":
            level = _level(value)
            i += 1
            continue
        if kind == "code":
            low = _code(value, level, where)
            high = low
            if i + 2 < len(tokens) and tokens[i + 1][0] == "through" and tokens[i + 2][0] == "code":
                high = _code(tokens[i + 2][1], level, where)
                i += 2
            if len(low) != len(high):
                raise RuleSyntaxError(f"{where}: range {value} through {tokens[i][1]} mixes levels")
            try:
                ranges.append(HsRange(low, high))
            except HsError as exc:
                raise RuleSyntaxError(f"{where}: {exc}") from exc
            i += 1
            last_good = i
            continue
        if kind == "sep" and value != "from":
            i += 1
            continue
        break
    return tuple(ranges), last_good


def _sources(text: str, target: tuple[HsRange, ...]) -> tuple[Source, ...]:  # noqa: C901
    tokens = _tokens(text, "'from' clause")
    sources: list[Source] = []
    i = 0
    while i < len(tokens):
        kind, value = tokens[i]
        if kind == "sep":
            i += 1
        elif kind == "within_target":
            sources.append(WithinTarget())
            i += 1
        elif kind == "other_group":
            sources.append(OtherAt(_level_in(value), within=target))
            i += 1
        elif kind in ("other", "another"):
            level = _level_in(value)
            i += 1
            if i < len(tokens) and tokens[i][0] == "within":
                within, i = _code_run(tokens, i + 1, "'within' clause")
                if not within:
                    raise RuleSyntaxError(f"'within' without codes in {text!r}")
                sources.append(OtherAt(level, within=within))
            else:
                sources.append(OtherAt(level))
        elif kind == "any":  # "from any heading" (GN 11 ch. 51 rule 3): every code
            sources.append(FromCodes((HsRange("01", "99"),)))
            i += 1
        elif kind == "outside":
            sources.append(OutsideGroup(_level_in(value)))
            i += 1
        elif kind == "good_of":
            i += 1
        elif kind in ("level", "code"):
            codes, nxt = _code_run(tokens, i, "'from' clause")
            if not codes:
                raise RuleSyntaxError(f"cannot read codes in 'from' clause {text!r}")
            sources.append(FromCodes(codes))
            i = nxt
        else:
            raise RuleSyntaxError(f"unexpected {value!r} in 'from' clause {text!r}")
    return tuple(sources)
