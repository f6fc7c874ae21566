"""Queries of the retention runs: the finished instances a policy reaches, what else an instance left behind
(its departments' ledger entries, its materials), and the record of every run."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import and_, exists, or_, select
from sqlalchemy.orm import Session

from .material_models import Material
from .models import LedgerEntry, ProcessDefinition, ProcessInstance
from .operations_models import RetentionRun

BATCH = 500  # instances looked at per query


class RetentionRecords:
    def __init__(self, session: Session) -> None:
        self.session = session

    def due(
        self,
        process_keys: list[str],
        archive_before: datetime,
        erase_before: datetime,
        after_id: str = "",
        limit: int = BATCH,
    ) -> list[ProcessInstance]:
        """Finished instances of ``process_keys`` without a legal hold that ended before ``archive_before`` and
        are not archived, or before ``erase_before`` and are not erased; by id, after ``after_id``."""
        return list(
            self.session.scalars(
                select(ProcessInstance)
                .join(ProcessDefinition, ProcessDefinition.id == ProcessInstance.definition_id)
                .where(
                    ProcessDefinition.key.in_(process_keys),
                    ProcessInstance.state != "active",
                    ProcessInstance.ended_at.is_not(None),
                    ProcessInstance.legal_hold.is_(False),
                    ProcessInstance.id > after_id,
                    or_(
                        and_(ProcessInstance.archived_at.is_(None), ProcessInstance.ended_at < archive_before),
                        and_(ProcessInstance.erased_at.is_(None), ProcessInstance.ended_at < erase_before),
                    ),
                )
                .order_by(ProcessInstance.id)
                .limit(limit)
            )
        )

    def ledger_of(self, instance_id: str) -> list[LedgerEntry]:
        """The departments' records of the instance's steps (their keys hold its id: ``engine.runtime.step_key``)."""
        return list(self.session.scalars(select(LedgerEntry).where(LedgerEntry.key.contains(instance_id))))

    def materials_of(self, instance_id: str) -> list[Material]:
        """Every version of every material of the instance."""
        return list(self.session.scalars(select(Material).where(Material.instance_id == instance_id)))

    def file_kept_elsewhere(self, sha256: str, instance_id: str) -> bool:
        """Whether an instance not erased (other than this one) has a material with the same content."""
        return bool(
            self.session.scalar(
                select(
                    exists().where(
                        Material.sha256 == sha256,
                        Material.instance_id != instance_id,
                        ~exists().where(
                            ProcessInstance.id == Material.instance_id, ProcessInstance.erased_at.is_not(None)
                        ),
                    )
                )
            )
        )

    def add_run(self, run: RetentionRun) -> None:
        self.session.add(run)

    def last_run(self) -> RetentionRun | None:
        return self.session.scalars(select(RetentionRun).order_by(RetentionRun.started_at.desc()).limit(1)).first()
