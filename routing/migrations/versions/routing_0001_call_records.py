"""call records

Revision ID: routing_0001
Revises: 
Create Date: 2026-11-28 22:16:15.128021
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import hotline.db


revision = 'routing_0001'
down_revision = None
branch_labels = ('routing',)
depends_on = 'hotline_0001'


def upgrade() -> None:
    op.create_table('routing_call_records',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('linkedid', sa.String(length=80), nullable=False),
    sa.Column('node', sa.String(length=40), nullable=False),
    sa.Column('direction', sa.String(length=16), nullable=False),
    sa.Column('caller_number', sa.String(length=40), nullable=True),
    sa.Column('caller_name', sa.String(length=80), nullable=True),
    sa.Column('did', sa.String(length=20), nullable=True),
    sa.Column('prefecture_code', sa.String(length=6), nullable=True),
    sa.Column('skill', sa.String(length=40), nullable=True),
    sa.Column('category', sa.String(length=60), nullable=True),
    sa.Column('priority', sa.Integer(), nullable=False),
    sa.Column('green', sa.Boolean(), nullable=False),
    sa.Column('ivr_path', sa.JSON(), nullable=False),
    sa.Column('decision', sa.String(length=20), nullable=True),
    sa.Column('decision_reason', sa.String(length=60), nullable=True),
    sa.Column('handoff_ticket', sa.String(length=60), nullable=True),
    sa.Column('queues', sa.JSON(), nullable=False),
    sa.Column('first_queue', sa.String(length=60), nullable=True),
    sa.Column('last_queue', sa.String(length=60), nullable=True),
    sa.Column('rings', sa.JSON(), nullable=False),
    sa.Column('legs', sa.JSON(), nullable=False),
    sa.Column('offered_at', hotline.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('queued_at', hotline.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('answered_at', hotline.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('ended_at', hotline.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('wait_seconds', sa.Float(), nullable=True),
    sa.Column('talk_seconds', sa.Float(), nullable=True),
    sa.Column('hold_seconds', sa.Float(), nullable=False),
    sa.Column('seat_extension', sa.String(length=8), nullable=True),
    sa.Column('seat_interface', sa.String(length=60), nullable=True),
    sa.Column('seat_name', sa.String(length=80), nullable=True),
    sa.Column('outcome', sa.String(length=20), nullable=False),
    sa.Column('abandoned_in', sa.String(length=12), nullable=True),
    sa.Column('short_abandon', sa.Boolean(), nullable=False),
    sa.Column('overflowed', sa.Boolean(), nullable=False),
    sa.Column('ring_no_answer', sa.Integer(), nullable=False),
    sa.Column('hangup_by', sa.String(length=10), nullable=True),
    sa.Column('complete_reason', sa.String(length=12), nullable=True),
    sa.Column('transfer', sa.JSON(), nullable=True),
    sa.Column('originate_action_id', sa.String(length=80), nullable=True),
    sa.Column('originate_reason', sa.String(length=8), nullable=True),
    sa.Column('resynced', sa.Boolean(), nullable=False),
    sa.Column('survey_score', sa.Integer(), nullable=True),
    sa.Column('created_at', hotline.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_routing_call_records')),
    sa.UniqueConstraint('linkedid', name=op.f('uq_routing_call_records_linkedid'))
    )
    with op.batch_alter_table('routing_call_records', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_routing_call_records_caller_number'), ['caller_number'], unique=False)
        batch_op.create_index(batch_op.f('ix_routing_call_records_first_queue'), ['first_queue'], unique=False)
        batch_op.create_index(batch_op.f('ix_routing_call_records_offered_at'), ['offered_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_routing_call_records_outcome'), ['outcome'], unique=False)
        batch_op.create_index('ix_routing_call_records_outcome_offered', ['outcome', 'offered_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_routing_call_records_prefecture_code'), ['prefecture_code'], unique=False)
        batch_op.create_index(batch_op.f('ix_routing_call_records_seat_extension'), ['seat_extension'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("routing_call_records", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_routing_call_records_seat_extension'))
        batch_op.drop_index(batch_op.f('ix_routing_call_records_prefecture_code'))
        batch_op.drop_index('ix_routing_call_records_outcome_offered')
        batch_op.drop_index(batch_op.f('ix_routing_call_records_outcome'))
        batch_op.drop_index(batch_op.f('ix_routing_call_records_offered_at'))
        batch_op.drop_index(batch_op.f('ix_routing_call_records_first_queue'))
        batch_op.drop_index(batch_op.f('ix_routing_call_records_caller_number'))

    op.drop_table('routing_call_records')
