"""ticket list indexes: (owner_username, id) and (center_code, id) for the newest-first list

Revision ID: integrations_0002
Revises: integrations_0001
Create Date: 2026-11-29 01:40:00.000000
"""
from __future__ import annotations

from alembic import op


revision = 'integrations_0002'
down_revision = 'integrations_0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.create_index('ix_tickets_owner_id', ['owner_username', 'id'], unique=False)
        batch_op.create_index('ix_tickets_center_id', ['center_code', 'id'], unique=False)
        # (center_code, id) serves every lookup the single-column index served
        batch_op.drop_index('ix_tickets_center_code')


def downgrade() -> None:
    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.create_index('ix_tickets_center_code', ['center_code'], unique=False)
        batch_op.drop_index('ix_tickets_center_id')
        batch_op.drop_index('ix_tickets_owner_id')
