"""ivr steps, surveys, callbacks, voicemails

Revision ID: ivr_0001
Revises: 
Create Date: 2026-11-28 22:14:05.091253
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import hotline.db


revision = 'ivr_0001'
down_revision = None
branch_labels = ('ivr',)
depends_on = 'hotline_0001'


def upgrade() -> None:
    op.create_table('ivr_callback_requests',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('linkedid', sa.String(length=64), nullable=False),
    sa.Column('uniqueid', sa.String(length=64), nullable=False),
    sa.Column('caller_number', sa.String(length=32), nullable=False),
    sa.Column('number', sa.String(length=32), nullable=False),
    sa.Column('skill', sa.String(length=40), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('at', hotline.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ivr_callback_requests'))
    )
    with op.batch_alter_table('ivr_callback_requests', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ivr_callback_requests_at'), ['at'], unique=False)
        batch_op.create_index(batch_op.f('ix_ivr_callback_requests_linkedid'), ['linkedid'], unique=False)
        batch_op.create_index(batch_op.f('ix_ivr_callback_requests_status'), ['status'], unique=False)

    op.create_table('ivr_steps',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('linkedid', sa.String(length=64), nullable=False),
    sa.Column('uniqueid', sa.String(length=64), nullable=False),
    sa.Column('script', sa.String(length=16), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=24), nullable=False),
    sa.Column('node', sa.String(length=48), nullable=False),
    sa.Column('digits', sa.String(length=32), nullable=False),
    sa.Column('detail', sa.JSON(), nullable=False),
    sa.Column('at', hotline.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ivr_steps'))
    )
    with op.batch_alter_table('ivr_steps', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ivr_steps_at'), ['at'], unique=False)
        batch_op.create_index('ix_ivr_steps_call', ['linkedid', 'seq'], unique=False)

    op.create_table('ivr_voicemails',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('linkedid', sa.String(length=64), nullable=False),
    sa.Column('uniqueid', sa.String(length=64), nullable=False),
    sa.Column('caller_number', sa.String(length=32), nullable=False),
    sa.Column('path', sa.String(length=255), nullable=False),
    sa.Column('seconds', sa.Double(), nullable=False),
    sa.Column('ended_by', sa.String(length=16), nullable=False),
    sa.Column('skill', sa.String(length=40), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('at', hotline.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ivr_voicemails'))
    )
    with op.batch_alter_table('ivr_voicemails', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ivr_voicemails_at'), ['at'], unique=False)
        batch_op.create_index(batch_op.f('ix_ivr_voicemails_linkedid'), ['linkedid'], unique=False)
        batch_op.create_index(batch_op.f('ix_ivr_voicemails_status'), ['status'], unique=False)

    op.create_table('survey_results',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('linkedid', sa.String(length=64), nullable=False),
    sa.Column('uniqueid', sa.String(length=64), nullable=False),
    sa.Column('caller_number', sa.String(length=32), nullable=False),
    sa.Column('score', sa.Integer(), nullable=True),
    sa.Column('unsatisfied', sa.Boolean(), nullable=False),
    sa.Column('at', hotline.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_survey_results'))
    )
    with op.batch_alter_table('survey_results', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_survey_results_at'), ['at'], unique=False)
        batch_op.create_index(batch_op.f('ix_survey_results_linkedid'), ['linkedid'], unique=False)
        batch_op.create_index(batch_op.f('ix_survey_results_unsatisfied'), ['unsatisfied'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('survey_results', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_survey_results_unsatisfied'))
        batch_op.drop_index(batch_op.f('ix_survey_results_linkedid'))
        batch_op.drop_index(batch_op.f('ix_survey_results_at'))

    op.drop_table('survey_results')
    with op.batch_alter_table('ivr_voicemails', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ivr_voicemails_status'))
        batch_op.drop_index(batch_op.f('ix_ivr_voicemails_linkedid'))
        batch_op.drop_index(batch_op.f('ix_ivr_voicemails_at'))

    op.drop_table('ivr_voicemails')
    with op.batch_alter_table('ivr_steps', schema=None) as batch_op:
        batch_op.drop_index('ix_ivr_steps_call')
        batch_op.drop_index(batch_op.f('ix_ivr_steps_at'))

    op.drop_table('ivr_steps')
    with op.batch_alter_table('ivr_callback_requests', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ivr_callback_requests_status'))
        batch_op.drop_index(batch_op.f('ix_ivr_callback_requests_linkedid'))
        batch_op.drop_index(batch_op.f('ix_ivr_callback_requests_at'))

    op.drop_table('ivr_callback_requests')
