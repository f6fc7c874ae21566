"""The ``materials`` table: one row per uploaded version of an application's material.

The current version of a code is the row with ``superseded_at`` unset (at most one, enforced by a partial
unique index); earlier versions stay as history. The file itself lives in the material store, named by
``sha256``.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, text
from sqlalchemy.orm import Mapped, mapped_column

from .models import Base


class Material(Base):
    __tablename__ = "materials"
    __table_args__ = (
        Index(
            "ux_materials_current",
            "instance_id",
            "code",
            unique=True,
            sqlite_where=text("superseded_at IS NULL"),
            postgresql_where=text("superseded_at IS NULL"),
        ),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[str] = mapped_column(ForeignKey("process_instances.id"), index=True)
    code: Mapped[str] = mapped_column(String(40))
    version: Mapped[int]
    filename: Mapped[str | None] = mapped_column(String(255))
    media_type: Mapped[str] = mapped_column(String(40))
    size: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64))
    uploaded_by: Mapped[str] = mapped_column(String(100))
    uploaded_at: Mapped[datetime]
    superseded_at: Mapped[datetime | None]
