"""tickets, ticket history, outbox, callback tasks, webhook receipts

Revision ID: integrations_0001
Revises:
Create Date: 2026-11-28 22:10:40.787335
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import hotline.db


revision = 'integrations_0001'
down_revision = None
branch_labels = ('integrations',)
# recordings_0001 was generated while these models already existed and creates the same tables;
# running after it and skipping tables that exist keeps every database upgradable either way.
depends_on = ('hotline_0001', 'recordings_0001')

TABLES = ['ticket_events', 'outbox', 'callback_tasks', 'webhook_receipts', 'tickets']


def _exists(table: str) -> bool:
    return sa.inspect(op.get_bind()).has_table(table)


def _has_column(table: str, column: str) -> bool:
    return any(c["name"] == column for c in sa.inspect(op.get_bind()).get_columns(table))


def upgrade() -> None:
    if not _exists('tickets'):
        op.create_table('tickets',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('number', sa.String(length=24), nullable=True),
        sa.Column('source', sa.String(length=16), nullable=False),
        sa.Column('linkedid', sa.String(length=64), nullable=True),
        sa.Column('caller_number', sa.String(length=32), nullable=False),
        sa.Column('caller_name', sa.String(length=64), nullable=False),
        sa.Column('prefecture_code', sa.String(length=6), nullable=True),
        sa.Column('center_code', sa.String(length=6), nullable=False),
        sa.Column('category_id', sa.String(length=40), nullable=False),
        sa.Column('skill', sa.String(length=40), nullable=False),
        sa.Column('ivr_path', sa.String(length=64), nullable=False),
        sa.Column('green', sa.Boolean(), nullable=False),
        sa.Column('summary', sa.String(length=200), nullable=False),
        sa.Column('detail', sa.Text(), nullable=False),
        sa.Column('reply', sa.Text(), nullable=False),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('handoff_unit', sa.String(length=24), nullable=True),
        sa.Column('external_ref', sa.String(length=64), nullable=True),
        sa.Column('owner_username', sa.String(length=64), nullable=False),
        sa.Column('owner_seat', sa.String(length=8), nullable=True),
        sa.Column('satisfaction', sa.Integer(), nullable=True),
        sa.Column('unsatisfied', sa.Boolean(), nullable=False),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.Column('created_at', hotline.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column('updated_at', hotline.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column('due_at', hotline.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column('closed_at', hotline.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column('overdue_alerted_at', hotline.db.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_tickets')),
        sa.UniqueConstraint('number', name=op.f('uq_tickets_number'))
        )
        with op.batch_alter_table('tickets', schema=None) as batch_op:
            batch_op.create_index(batch_op.f('ix_tickets_center_code'), ['center_code'], unique=False)
            batch_op.create_index(batch_op.f('ix_tickets_due_at'), ['due_at'], unique=False)
            batch_op.create_index(batch_op.f('ix_tickets_external_ref'), ['external_ref'], unique=False)
            batch_op.create_index(batch_op.f('ix_tickets_linkedid'), ['linkedid'], unique=False)
            batch_op.create_index('ix_tickets_owner_status', ['owner_username', 'status'], unique=False)
            batch_op.create_index(batch_op.f('ix_tickets_status'), ['status'], unique=False)

    if not _exists('webhook_receipts'):
        op.create_table('webhook_receipts',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('signature', sa.String(length=64), nullable=False),
        sa.Column('key_id', sa.String(length=32), nullable=False),
        sa.Column('at', hotline.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_webhook_receipts')),
        sa.UniqueConstraint('signature', name=op.f('uq_webhook_receipts_signature'))
        )
        with op.batch_alter_table('webhook_receipts', schema=None) as batch_op:
            batch_op.create_index(batch_op.f('ix_webhook_receipts_at'), ['at'], unique=False)

    if not _exists('callback_tasks'):
        op.create_table('callback_tasks',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('ticket_id', sa.Integer(), nullable=True),
        sa.Column('linkedid', sa.String(length=64), nullable=True),
        sa.Column('number', sa.String(length=20), nullable=False),
        sa.Column('active_number', sa.String(length=20), nullable=True),
        sa.Column('reason', sa.String(length=16), nullable=False),
        sa.Column('mode', sa.String(length=8), nullable=False),
        sa.Column('queue', sa.String(length=40), nullable=True),
        sa.Column('position_at', hotline.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column('seat_extension', sa.String(length=8), nullable=True),
        sa.Column('state', sa.String(length=12), nullable=False),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('max_attempts', sa.Integer(), nullable=False),
        sa.Column('next_attempt_at', hotline.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column('action_id', sa.String(length=40), nullable=True),
        sa.Column('call_uniqueid', sa.String(length=64), nullable=True),
        sa.Column('outcome', sa.String(length=16), nullable=False),
        sa.Column('history', sa.JSON(), nullable=False),
        sa.Column('satisfaction', sa.Integer(), nullable=True),
        sa.Column('created_at', hotline.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column('updated_at', hotline.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], name=op.f('fk_callback_tasks_ticket_id_tickets'), ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_callback_tasks')),
        sa.UniqueConstraint('action_id', name=op.f('uq_callback_tasks_action_id')),
        sa.UniqueConstraint('active_number', name=op.f('uq_callback_tasks_active_number'))
        )
        with op.batch_alter_table('callback_tasks', schema=None) as batch_op:
            batch_op.create_index(batch_op.f('ix_callback_tasks_state'), ['state'], unique=False)
            batch_op.create_index(batch_op.f('ix_callback_tasks_ticket_id'), ['ticket_id'], unique=False)

    if not _exists('outbox'):
        op.create_table('outbox',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('destination', sa.String(length=16), nullable=False),
        sa.Column('ticket_id', sa.Integer(), nullable=False),
        sa.Column('seq', sa.Integer(), nullable=False),
        sa.Column('prev_seq', sa.Integer(), nullable=True),
        sa.Column('idempotency_key', sa.String(length=80), nullable=False),
        sa.Column('event_type', sa.String(length=32), nullable=False),
        sa.Column('payload', sa.JSON(), nullable=False),
        sa.Column('state', sa.String(length=12), nullable=False),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('created_at', hotline.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column('next_attempt_at', hotline.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column('lease_until', hotline.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column('lease_token', sa.String(length=32), nullable=True),
        sa.Column('delivered_at', hotline.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column('last_error', sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], name=op.f('fk_outbox_ticket_id_tickets'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_outbox')),
        sa.UniqueConstraint('idempotency_key', name=op.f('uq_outbox_idempotency_key'))
        )
        with op.batch_alter_table('outbox', schema=None) as batch_op:
            batch_op.create_index('ix_outbox_state_next', ['state', 'next_attempt_at'], unique=False)
            batch_op.create_index(batch_op.f('ix_outbox_ticket_id'), ['ticket_id'], unique=False)

    if not _exists('ticket_events'):
        op.create_table('ticket_events',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('ticket_id', sa.Integer(), nullable=False),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.Column('at', hotline.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column('actor', sa.String(length=64), nullable=False),
        sa.Column('action', sa.String(length=32), nullable=False),
        sa.Column('changes', sa.JSON(), nullable=False),
        sa.Column('note', sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], name=op.f('fk_ticket_events_ticket_id_tickets'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_ticket_events'))
        )
        with op.batch_alter_table('ticket_events', schema=None) as batch_op:
            batch_op.create_index(batch_op.f('ix_ticket_events_ticket_id'), ['ticket_id'], unique=False)
    if not _has_column('callback_tasks', 'call_uniqueid'):
        with op.batch_alter_table('callback_tasks', schema=None) as batch_op:
            batch_op.add_column(sa.Column('call_uniqueid', sa.String(length=64), nullable=True))
    if not any(i["name"] == 'ix_callback_tasks_call_uniqueid'
               for i in sa.inspect(op.get_bind()).get_indexes('callback_tasks')):
        with op.batch_alter_table('callback_tasks', schema=None) as batch_op:
            batch_op.create_index(batch_op.f('ix_callback_tasks_call_uniqueid'), ['call_uniqueid'], unique=False)
    if not _has_column('outbox', 'prev_seq'):
        with op.batch_alter_table('outbox', schema=None) as batch_op:
            batch_op.add_column(sa.Column('prev_seq', sa.Integer(), nullable=True))


def downgrade() -> None:
    for table in TABLES:
        if _exists(table):
            op.drop_table(table)
