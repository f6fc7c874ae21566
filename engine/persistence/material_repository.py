"""Repository of uploaded materials: the current version of each code, all versions, and adding one."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from .material_models import Material


class Materials:
    def __init__(self, session: Session):
        self.session = session

    def current(self, instance_id: str, code: str) -> Material | None:
        return self.session.scalars(
            select(Material).where(
                Material.instance_id == instance_id, Material.code == code, Material.superseded_at.is_(None)
            )
        ).first()

    def current_for_instance(self, instance_id: str) -> list[Material]:
        return list(
            self.session.scalars(
                select(Material)
                .where(Material.instance_id == instance_id, Material.superseded_at.is_(None))
                .order_by(Material.code)
            )
        )

    def last_version(self, instance_id: str, code: str) -> int:
        return (
            self.session.scalar(
                select(func.max(Material.version)).where(Material.instance_id == instance_id, Material.code == code)
            )
            or 0
        )

    def add(self, material: Material) -> None:
        self.session.add(material)
