"""The ``search_keys`` table: keyed digests of what an instance can be found by (:mod:`engine.search`), and
the query that finds instances by them, or by business key, within a caller's reach."""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy import ColumnElement, delete, exists, or_, select
from sqlalchemy.orm import Session

from .models import ProcessDefinition, ProcessInstance, SearchKey, UserTask


class SearchKeys:
    def __init__(self, session: Session):
        self.session = session

    def add_missing(self, instance_id: str, keys: Collection[tuple[str, str]]) -> None:
        """Store the (kind, digest) pairs the instance does not have yet."""
        if not keys:
            return
        have = set(
            tuple(row)
            for row in self.session.execute(
                select(SearchKey.kind, SearchKey.digest).where(SearchKey.instance_id == instance_id)
            )
        )
        for kind, digest in sorted(set(keys) - have):
            self.session.add(SearchKey(instance_id=instance_id, kind=kind, digest=digest))

    def replace(self, instance_id: str, keys: Collection[tuple[str, str]]) -> None:
        """The instance's keys are exactly ``keys`` (kind, digest) from now on."""
        self.forget(instance_id)
        self.session.add_all(
            SearchKey(instance_id=instance_id, kind=kind, digest=digest) for kind, digest in sorted(keys)
        )

    def instances_after(self, after_id: str, limit: int) -> list[ProcessInstance]:
        """Up to ``limit`` instances by id after ``after_id`` (every instance, in batches)."""
        return list(
            self.session.scalars(
                select(ProcessInstance).where(ProcessInstance.id > after_id).order_by(ProcessInstance.id).limit(limit)
            )
        )

    def forget(self, instance_id: str) -> None:
        """Delete the instance's keys: once its personal data are erased, nobody finds it by them."""
        self.session.execute(delete(SearchKey).where(SearchKey.instance_id == instance_id))

    def find(
        self,
        digests: Collection[tuple[str, str]],
        business_keys: Collection[str],
        jurisdictions: Collection[str],
        groups: Collection[str] | None,
        every_instance_of: Collection[str],
        limit: int,
    ) -> list[ProcessInstance]:
        """Instances with one of the (kind, digest) pairs or business keys, in ``jurisdictions`` (prefixes),
        newest first; with ``groups``, only those a task of one of the groups belongs to, or whose process is one
        of ``every_instance_of`` (process keys whose instances these groups see all of: coordinators)."""
        if not jurisdictions or not (digests or business_keys):
            return []
        matches: list[ColumnElement[bool]] = []
        if digests:
            matches.append(
                exists().where(
                    SearchKey.instance_id == ProcessInstance.id,
                    or_(*[(SearchKey.kind == kind) & (SearchKey.digest == digest) for kind, digest in digests]),
                )
            )
        if business_keys:
            matches.append(ProcessInstance.business_key.in_(list(business_keys)))
        query = select(ProcessInstance).where(
            or_(*matches), or_(*[ProcessInstance.jurisdiction.startswith(p) for p in jurisdictions])
        )
        if groups is not None:
            reach: list[ColumnElement[bool]] = [
                exists().where(UserTask.instance_id == ProcessInstance.id, UserTask.candidate_group.in_(list(groups)))
            ]
            if every_instance_of:
                reach.append(
                    ProcessInstance.definition_id.in_(
                        select(ProcessDefinition.id).where(ProcessDefinition.key.in_(list(every_instance_of)))
                    )
                )
            query = query.where(or_(*reach))
        return list(
            self.session.scalars(query.order_by(ProcessInstance.created_at.desc(), ProcessInstance.id).limit(limit))
        )

    def kinds_matching(self, instance_id: str, digests: Collection[tuple[str, str]]) -> set[str]:
        """The kinds of the instance's keys among ``digests``."""
        if not digests:
            return set()
        return set(
            self.session.scalars(
                select(SearchKey.kind).where(
                    SearchKey.instance_id == instance_id,
                    or_(*[(SearchKey.kind == kind) & (SearchKey.digest == digest) for kind, digest in digests]),
                )
            )
        )
