"""Decision definitions: the versions of DMN decisions, each minted by the deployment that changed its file."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from .models import DecisionDefinition, Deployment
from .repositories import storable


class DecisionDefinitions:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, definition: DecisionDefinition) -> None:
        self.session.add(definition)

    def get(self, definition_id: int) -> DecisionDefinition | None:
        return self.session.get(DecisionDefinition, definition_id) if storable(definition_id) else None

    @staticmethod
    def _live(query):
        return query.join(Deployment, Deployment.id == DecisionDefinition.deployment_id).where(
            Deployment.deleted_at.is_(None)
        )

    def latest(self, key: str) -> DecisionDefinition | None:
        """The newest version of ``key`` whose deployment was not deleted."""
        return self.session.scalars(
            self._live(select(DecisionDefinition))
            .where(DecisionDefinition.key == key)
            .order_by(DecisionDefinition.version.desc())
            .limit(1)
        ).first()

    def latest_any(self, key: str) -> DecisionDefinition | None:
        """The newest version of ``key``, of a deleted deployment too (what a new version is compared with)."""
        return self.session.scalars(
            select(DecisionDefinition)
            .where(DecisionDefinition.key == key)
            .order_by(DecisionDefinition.version.desc())
            .limit(1)
        ).first()

    def of_deployment(self, deployment_id: int) -> list[DecisionDefinition]:
        return list(
            self.session.scalars(
                select(DecisionDefinition)
                .where(DecisionDefinition.deployment_id == deployment_id)
                .order_by(DecisionDefinition.key)
            )
        )

    def matching(
        self, key: str | None, latest_only: bool, deployment_id: int | None, offset: int, limit: int | None
    ) -> tuple[list[DecisionDefinition], int]:
        """Versions (of ``key``, of one deployment; only each key's newest with ``latest_only``) of deployments not
        deleted, by key and version: one page, and how many match."""
        query = self._live(select(DecisionDefinition))
        if key is not None:
            query = query.where(DecisionDefinition.key == key)
        if deployment_id is not None:
            query = query.where(DecisionDefinition.deployment_id == deployment_id)
        if latest_only:
            newest = (
                self._live(select(DecisionDefinition.key, func.max(DecisionDefinition.version).label("version")))
                .group_by(DecisionDefinition.key)
                .subquery()
            )
            query = query.join(
                newest, (DecisionDefinition.key == newest.c.key) & (DecisionDefinition.version == newest.c.version)
            )
        total = self.session.scalar(select(func.count()).select_from(query.subquery())) or 0
        page = query.order_by(DecisionDefinition.key, DecisionDefinition.version).offset(offset)
        return list(self.session.scalars(page.limit(limit) if limit is not None else page)), total
