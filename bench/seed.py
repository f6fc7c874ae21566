"""Bulk rows for the task-list measurement, inserted with SQLAlchemy Core: completed applications (an
instance with a real completed summary and its two or three completed reviews) and a fixed number of active
applications with an open review each. Completed rows carry a placeholder instead of the 60 KB workflow
state: the task list never reads it."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from sqlalchemy import Engine, insert, select

from engine.persistence.models import ProcessDefinition, ProcessInstance, UserTask

REVIEWS = [
    ("window_intake", "窗口受理", "window_intake_review", "service_center", None),
    ("birth_certificate_review", "出生医学证明签发审核", "birth_certificate_review", "midwifery", "birth_certificate"),
    ("hukou_review", "出生登记审核", "hukou_review", "police", "hukou_registration"),
]
DIVISIONS = ["620102", "620103", "620104", "620105", "620111", "620121", "620200", "620300", "620400"]
BATCH = 2000


def _instance(definition: tuple[int, int], n: int, at: datetime, state: str, summary: dict) -> dict:
    definition_id, deployment_id = definition
    return dict(
        id=str(uuid.uuid4()),
        business_key=f"NBSEED{state[0].upper()}{n:09d}",
        definition_id=definition_id,
        deployment_id=deployment_id,
        state=state,
        region="gansu",
        jurisdiction=DIVISIONS[n % len(DIVISIONS)],
        started_by="portal",
        created_at=at,
        updated_at=at,
        ended_at=at if state == "completed" else None,
        end_reason=None,
        workflow_state='{"seeded": true}',
        serializer_version="1.0",
        summary=summary,
        subject_key=None,
        revision=1,
    )


def _task(instance: dict, review: tuple, at: datetime, done: bool) -> dict:
    activity_id, name, form_key, group, item = review
    return dict(
        id=str(uuid.uuid4()),
        instance_id=instance["id"],
        business_key=instance["business_key"],
        activity_id=activity_id,
        name=name,
        item=item,
        form_key=form_key,
        candidate_group=group,
        jurisdiction=instance["jurisdiction"],
        assignee=f"{group}-seeded" if done else None,
        created_at=at,
        due_at=at + timedelta(days=1),
        completed_at=at + timedelta(hours=2) if done else None,
        completed_by=f"{group}-seeded" if done else None,
        outcome="approve" if done else None,
    )


class Seeder:
    """Adds rows up to a number of completed applications; the open ones are added once."""

    def __init__(self, engine: Engine, summary: dict, now: datetime, open_tasks: int = 300) -> None:
        self.engine, self.summary, self.now = engine, summary, now
        self.completed = 0
        self.open_tasks = open_tasks
        with engine.connect() as conn:  # the latest version, and the deployment that minted it
            self.definition = tuple(
                conn.execute(
                    select(ProcessDefinition.id, ProcessDefinition.deployment_id)
                    .where(ProcessDefinition.key == "newborn_birth")
                    .order_by(ProcessDefinition.version.desc())
                    .limit(1)
                ).one()
            )

    def add_open(self) -> None:
        instances, tasks = [], []
        for n in range(self.open_tasks):
            at = self.now - timedelta(minutes=n)
            instance = _instance(self.definition, n, at, "active", self.summary)
            instances.append(instance)
            tasks.append(_task(instance, REVIEWS[n % 3], at, done=False))
        self._write(instances, tasks)

    def grow_to(self, completed: int) -> None:
        while self.completed < completed:
            instances, tasks = [], []
            for n in range(self.completed, min(self.completed + BATCH, completed)):
                at = self.now - timedelta(days=3, minutes=n)
                instance = _instance(self.definition, n, at, "completed", self.summary)
                instances.append(instance)
                for review in REVIEWS[(0 if n % 2 else 1) :]:  # window applications have an intake review
                    tasks.append(_task(instance, review, at, done=True))
            self._write(instances, tasks)
            self.completed += len(instances)

    def _write(self, instances: list[dict], tasks: list[dict]) -> None:
        with self.engine.begin() as conn:
            conn.execute(insert(ProcessInstance.__table__), instances)
            conn.execute(insert(UserTask.__table__), tasks)
