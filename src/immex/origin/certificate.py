"""Certification of origin with the minimum data elements of USMCA Annex 5-A, as plain values.

A certification covers one shipment or, as a blanket certification, the shipments
of identical goods within a period of at most 12 months (USMCA Art. 5.2). Its
records are kept five years from the date it was completed (Art. 5.8). The
nine data elements and the certification statement come from
``rules/origin_records.yaml``; :func:`certificate_problems` checks a certificate
before it is issued and :func:`certificate_document` is its JSON form (the PDF
renders the same document).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from immex.origin.records import blanket_last_day, retention_until, rules

CertificateKind = Literal["single", "blanket"]


@dataclass(frozen=True, slots=True)
class Party:
    """A person named on the certification. ``title`` is for the certifier."""

    name: str
    address: str = ""
    country: str = ""
    email: str = ""
    phone: str = ""
    tax_id: str = ""
    title: str = ""

    def as_dict(self) -> dict[str, str]:
        return {
            k: v
            for k, v in (
                ("name", self.name),
                ("title", self.title),
                ("address", self.address),
                ("country", self.country),
                ("telephone", self.phone),
                ("email", self.email),
                ("tax_id", self.tax_id),
            )
            if v
        }


@dataclass(frozen=True, slots=True)
class CertifiedGood:
    """Data element 6 (description and HS, 6 digits) and 7 (origin criterion) of one good."""

    product: str
    description: str
    hs: str
    criterion: str
    invoice: str = ""


@dataclass(frozen=True, slots=True)
class Certificate:
    """A certification of origin ready to issue.

    ``exporter`` may be None when the producer certifies and does not know the
    exporter; ``producer_note`` replaces the producer's data ("Various", "Available
    upon request by the importing authorities"); ``importer`` is None when unknown.
    """

    number: str
    agreement: str
    kind: CertificateKind
    certifier_type: str
    certifier: Party
    exporter: Party | None
    producer: Party | None
    importer: Party | None
    goods: tuple[CertifiedGood, ...]
    period_from: dt.date
    period_to: dt.date
    signed_by: str
    signed_on: dt.date
    producer_note: str = ""

    @property
    def retention_until(self) -> dt.date:
        return retention_until(self.signed_on)


def certificate_problems(cert: Certificate) -> list[tuple[str, str]]:  # noqa: C901
    """Every reason the certificate cannot be issued, as (field, message)."""
    table = rules()
    out: list[tuple[str, str]] = []
    if cert.certifier_type not in table.certifier_types:
        out.append(
            (
                "certifier_type",
                f"certifier type {cert.certifier_type!r} must be one of "
                f"{', '.join(table.certifier_types)} ({table.certifier_types_reference})",
            )
        )
    for name in ("name", "title", "address", "country", "phone", "email"):
        if not getattr(cert.certifier, name):
            out.append(
                (
                    f"certifier.{name}",
                    f"the certifier's {name} is a required data element ({table.data_elements_reference}, 2)",
                )
            )
    if cert.exporter is None and cert.certifier_type != "producer":
        out.append(
            (
                "exporter",
                "the exporter may be left out only when the producer certifies and does not "
                "know the exporter (USMCA Annex 5-A, 3)",
            )
        )
    if cert.producer is None and not cert.producer_note:
        out.append(
            (
                "producer",
                "give the producer, or state 'Various' or 'Available upon request by the "
                "importing authorities' (USMCA Annex 5-A, 4)",
            )
        )
    for where, party in (
        ("exporter", cert.exporter),
        ("producer", cert.producer),
        ("importer", cert.importer),
    ):
        if party is not None and not party.name:
            out.append((f"{where}.name", f"the {where}'s name is required when the {where} is given"))
    if not cert.goods:
        out.append(("goods", "a certification describes at least one good (USMCA Annex 5-A, 6)"))
    for good in cert.goods:
        digits = good.hs.replace(".", "")
        if len(digits) < 6 or not digits.isdigit():
            out.append(("goods.hs", f"{good.product}: the HS classification needs at least 6 digits"))
        if good.criterion not in table.criteria:
            out.append(
                (
                    "goods.criterion",
                    f"{good.product}: origin criterion {good.criterion!r} must be A, B, "
                    f"C or D ({table.criteria_reference})",
                )
            )
        if not good.description:
            out.append(("goods.description", f"{good.product}: a description is required"))
    if cert.period_to < cert.period_from:
        out.append(("period", f"the period ends ({cert.period_to}) before it starts ({cert.period_from})"))
    elif cert.kind == "blanket":
        last = blanket_last_day(cert.period_from)
        if cert.period_to > last:
            out.append(
                (
                    "period",
                    f"a blanket period may not exceed {table.blanket_max_months.on(cert.period_from)} "
                    f"months: from {cert.period_from} it ends on {last} at the latest "
                    f"({table.blanket_reference})",
                )
            )
    elif cert.period_from != cert.period_to:
        out.append(("period", "a single-shipment certification has one shipment date"))
    if not cert.signed_by:
        out.append(
            ("signed_by", "the authorized signature (name of the signer) is required (USMCA Annex 5-A, 9)")
        )
    return out


def certificate_document(cert: Certificate) -> dict[str, Any]:
    """The JSON form: the nine data elements numbered as in Annex 5-A, plus record keeping."""
    table = rules()
    titles = {e.key: (e.number, e.title, e.reference) for e in table.data_elements}

    def element(key: str, value: Any) -> dict[str, Any]:
        number, title, reference = titles[key]
        return {"number": number, "title": title, "reference": reference, "value": value}

    def party(value: Party | None, missing: str) -> Any:
        return value.as_dict() if value is not None else missing

    producer: Any = cert.producer.as_dict() if cert.producer is not None else cert.producer_note
    blanket: Mapping[str, str] | None = None
    if cert.kind == "blanket":
        blanket = {"from": cert.period_from.isoformat(), "to": cert.period_to.isoformat()}
    goods = [
        {
            "product": g.product,
            "description": g.description,
            "hs": g.hs,
            "origin_criterion": g.criterion,
            **({"invoice": g.invoice} if g.invoice else {}),
        }
        for g in cert.goods
    ]
    elements = [
        element("certifier_type", cert.certifier_type),
        element("certifier", cert.certifier.as_dict()),
        element("exporter", party(cert.exporter, "unknown to the producer")),
        element("producer", producer),
        element("importer", party(cert.importer, "unknown")),
        element("goods", [{k: v for k, v in g.items() if k != "origin_criterion"} for g in goods]),
        element("origin_criterion", {g["product"]: g["origin_criterion"] for g in goods}),
        element("blanket_period", blanket),
        element(
            "signature",
            {
                "signed_by": cert.signed_by,
                "title": cert.certifier.title,
                "date": cert.signed_on.isoformat(),
                "statement": table.statement,
            },
        ),
    ]
    return {
        "number": cert.number,
        "agreement": cert.agreement,
        "kind": cert.kind,
        "shipment_date": cert.period_from.isoformat() if cert.kind == "single" else None,
        "data_elements": elements,
        "records_kept_until": cert.retention_until.isoformat(),
        "record_keeping_reference": table.record_keeping_years.period_on(cert.signed_on).reference,
    }
