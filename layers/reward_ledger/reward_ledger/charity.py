"""Pooled charity projects: several users donate eggs or seeds into one pool until its target is reached.

A donation is one ledger entry (user book -> project pool) plus a guard on the project's ``raised``
counter (``raised + amount <= target``) in the same transaction, so racing donors can never push a
project past its target. A donation larger than what is still needed is refused with the remaining
amount in the problem detail (decision: refuse, not trim; the client can offer the remainder).
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field, PositiveInt
from pynamodb.attributes import NumberAttribute, UnicodeAttribute

from reward_ledger.config import StrictModel, load_model
from reward_ledger.errors import AlreadyDone, NotFound, OutOfStock, ValidationFailed
from reward_ledger.ledger import (
    Account,
    EntryRequest,
    EntryResult,
    Guard,
    IdempotencyKey,
    Ledger,
    Leg,
    user_account,
)
from reward_ledger.ledger.models import LedgerTableMeta
from reward_ledger.ledger.table import LedgerModel
from reward_ledger.replies import Reply

#: the user book each donatable asset is held in
DONOR_BOOKS = {"EGG": "eggs", "SEED": "seeds"}


class Project(StrictModel):
    project_id: str
    title: str
    title_zh: str
    asset: str
    target: PositiveInt


class CharityCatalog(BaseModel):
    projects: list[Project]


def catalog() -> dict[str, Project]:
    loaded = load_model("charity", CharityCatalog)
    for project in loaded.projects:
        if project.asset not in DONOR_BOOKS:
            raise ValueError(f"project {project.project_id}: asset {project.asset} cannot be donated")
    return {p.project_id: p for p in loaded.projects}


class ProjectProgress(LedgerModel):
    """How much a project has raised: the guard item of every donation."""

    class Meta(LedgerTableMeta):
        pass

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True, default="PROGRESS")
    raised = NumberAttribute(default=0)


def pool_account(project: Project) -> Account:
    return Account(f"charity:{project.project_id}", "pool", project.asset)


def progress_key(project_id: str) -> str:
    return f"CHARITY#{project_id}"


def project_ids(asset: str) -> list[str]:
    """The ids of the projects that collect ``asset`` (what a donation route accepts)."""
    return sorted(p.project_id for p in catalog().values() if p.asset == asset)


def require_project(project_id: str, asset: str) -> Project:
    """The project, checked to collect ``asset``: 404 for an unknown project, 400 for another asset."""
    project = catalog().get(project_id)
    if project is None:
        raise NotFound(f"no charity project {project_id!r}")
    if project.asset != asset:
        raise ValidationFailed(f"project {project_id} collects {project.asset}, not {asset}")
    return project


def donation_guard(project: Project, amount: int) -> Guard:
    """The guard every donation carries: ``raised + amount <= target`` on the project's progress item.

    Refused with 422 ``out-of-stock`` naming what is still needed, or 409 ``already-done`` once the
    project is closed.
    """
    if amount > project.target:
        raise OutOfStock(
            f"project {project.project_id} needs at most {project.target}", remaining=project.target
        )

    def refused(old: Any) -> OutOfStock | AlreadyDone:
        raised = int(((old or {}).get("raised") or {}).get("N", 0))
        remaining = project.target - raised
        if remaining <= 0:
            return AlreadyDone(f"project {project.project_id} reached its target and is closed")
        return OutOfStock(f"project {project.project_id} needs only {remaining} more", remaining=remaining)

    return Guard.update(
        ProjectProgress(pk=progress_key(project.project_id), sk="PROGRESS"),
        [ProjectProgress.raised.add(amount)],
        ProjectProgress.raised.does_not_exist() | (ProjectProgress.raised <= project.target - amount),
        refused,
    )


def donate(
    ledger: Ledger, user_id: str, project_id: str, asset: str, amount: int, idem: IdempotencyKey
) -> EntryResult:
    """Donate ``amount`` of ``asset`` from the user's book into the project's pool, never past its target."""
    project = require_project(project_id, asset)
    donor = user_account(user_id, DONOR_BOOKS[asset], asset)
    return ledger.transfer(
        EntryRequest(
            idempotency=idem,
            kind=f"charity.donation.{asset.lower()}",
            legs=[Leg(donor, pool_account(project), amount)],
            guards=[donation_guard(project, amount)],
            metadata={"project_id": project_id, "user_id": user_id},
            response={"entry_id": idem.entry_id},
        )
    )


class ProjectView(Reply):
    project_id: str
    title: str
    title_zh: str
    asset: str = Field(description="what it collects: EGG or SEED (counts)", examples=["EGG"])
    target: int = Field(description="units of the asset it needs")
    raised: int = Field(description="units of the asset given so far")
    closed: bool = Field(description="the target is reached: donations are refused")


def projects_view() -> list[ProjectView]:
    """Every project with its target and what it has raised (one BatchGetItem)."""
    projects = catalog()
    keys = [(progress_key(pid), "PROGRESS") for pid in projects]
    raised = {item.pk: int(item.raised) for item in ProjectProgress.batch_get(keys)}
    return [
        ProjectView.model_validate(
            {
                "project_id": p.project_id,
                "title": p.title,
                "title_zh": p.title_zh,
                "asset": p.asset,
                "target": p.target,
                "raised": raised.get(progress_key(p.project_id), 0),
                "closed": raised.get(progress_key(p.project_id), 0) >= p.target,
            }
        )
        for p in projects.values()
    ]
