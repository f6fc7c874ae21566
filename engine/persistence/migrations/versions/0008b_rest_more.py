"""Decisions versioned on their own, deployments that run process versions they did not mint, deleted
deployments (issue 24).

- ``decision_definitions``: a version of a DMN decision, minted by the deployment that changed the file holding
  it. Filled here for the deployments already made: a decision gets a version in the first deployment of its
  file and in each one whose file of that name changed (the same rule as a new deployment's).
- ``deployment_processes``: the process versions each deployment runs; every version so far was minted by its
  own deployment, and only that one ran it.
- ``process_instances.deployment_id``: the deployment whose files an instance runs on (its version's, so far).
  Nullable, and no foreign key: the column is added without rebuilding the table (a row an older release
  writes meanwhile runs on its version's deployment); deployments are never removed, only marked deleted.
- ``deployments.deleted_at`` / ``deleted_by``: a deleted deployment, kept for the history of its instances.

Revision ID: 0008b_rest_more
Revises: 0008c_observe_retain
"""

import hashlib

import sqlalchemy as sa
from alembic import op
from lxml import etree

revision = "0008b_rest_more"
down_revision = "0008c_observe_retain"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # columns added, never a table rebuilt: no table other rows refer to is dropped and copied, on SQLite too
    op.add_column("deployments", sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("deployments", sa.Column("deleted_by", sa.String(length=100), nullable=True))
    op.create_table(
        "deployment_processes",
        sa.Column("deployment_id", sa.Integer(), nullable=False),
        sa.Column("definition_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["definition_id"], ["process_definitions.id"]),
        sa.ForeignKeyConstraint(["deployment_id"], ["deployments.id"]),
        sa.PrimaryKeyConstraint("deployment_id", "definition_id"),
    )
    op.create_index(
        op.f("ix_deployment_processes_definition_id"), "deployment_processes", ["definition_id"], unique=False
    )
    op.create_table(
        "decision_definitions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=255), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=True),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("deployment_id", sa.Integer(), nullable=False),
        sa.Column("deployed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("deployed_by", sa.String(length=100), nullable=False),
        sa.ForeignKeyConstraint(["deployment_id"], ["deployments.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("key", "version"),
    )
    op.create_index(
        op.f("ix_decision_definitions_deployment_id"), "decision_definitions", ["deployment_id"], unique=False
    )
    op.add_column("process_instances", sa.Column("deployment_id", sa.Integer(), nullable=True))
    op.create_index(op.f("ix_process_instances_deployment_id"), "process_instances", ["deployment_id"], unique=False)
    connection = op.get_bind()
    connection.execute(
        sa.text(
            "INSERT INTO deployment_processes (deployment_id, definition_id) "
            "SELECT deployment_id, id FROM process_definitions"
        )
    )
    connection.execute(
        sa.text(
            "UPDATE process_instances SET deployment_id = (SELECT d.deployment_id FROM process_definitions d "
            "WHERE d.id = process_instances.definition_id)"
        )
    )
    _record_decisions(connection)


def _decisions_of(content: bytes) -> list[tuple[str, str | None]]:
    """(id, name) of every ``<decision>`` of a DMN file (read without entities or network; none if unreadable)."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)
    try:
        root = etree.fromstring(content, parser)
    except etree.XMLSyntaxError:
        return []
    return [
        (element.get("id"), element.get("name"))
        for element in root.iter(etree.Element)
        if etree.QName(element).localname == "decision" and element.get("id")
    ]


def _record_decisions(connection) -> None:
    """A version of each decision in the first deployment of its file and in each that changed it."""
    latest: dict[str, tuple[int, str, str]] = {}  # decision key -> (version, file name, its sha256)
    deployments = connection.execute(sa.text("SELECT id, deployed_at, deployed_by FROM deployments ORDER BY id")).all()
    for deployment_id, deployed_at, deployed_by in deployments:
        files = connection.execute(
            sa.text("SELECT filename, content FROM deployment_files WHERE deployment_id = :d ORDER BY id"),
            {"d": deployment_id},
        ).all()
        for filename, content in files:
            if not filename.lower().endswith(".dmn"):
                continue
            digest = hashlib.sha256(bytes(content)).hexdigest()
            for key, name in _decisions_of(bytes(content)):
                version, file, sha = latest.get(key, (0, None, None))
                if (file, sha) == (filename, digest):
                    continue
                latest[key] = (version + 1, filename, digest)
                connection.execute(
                    sa.text(
                        "INSERT INTO decision_definitions (key, version, name, filename, deployment_id, deployed_at, "
                        "deployed_by) VALUES (:key, :version, :name, :filename, :deployment, :at, :by)"
                    ),
                    {
                        "key": key,
                        "version": version + 1,
                        "name": (name or None) and name[:255],
                        "filename": filename,
                        "deployment": deployment_id,
                        "at": deployed_at,
                        "by": deployed_by,
                    },
                )


def downgrade() -> None:
    op.drop_index(op.f("ix_process_instances_deployment_id"), table_name="process_instances")
    with op.batch_alter_table("process_instances", recreate="never") as batch:  # SQLite: DROP COLUMN, no rebuild
        batch.drop_column("deployment_id")
    op.drop_index(op.f("ix_decision_definitions_deployment_id"), table_name="decision_definitions")
    op.drop_table("decision_definitions")
    op.drop_index(op.f("ix_deployment_processes_definition_id"), table_name="deployment_processes")
    op.drop_table("deployment_processes")
    with op.batch_alter_table("deployments", recreate="never") as batch:
        batch.drop_column("deleted_by")
        batch.drop_column("deleted_at")
