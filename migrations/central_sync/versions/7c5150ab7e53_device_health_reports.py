"""device health reports

Revision ID: 7c5150ab7e53
Revises: 1ebe578138a2
Create Date: 2026-11-29 10:50:04.870207

What a kiosk reports of itself on each sync (pending events, last error) and the last push central refused.

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '7c5150ab7e53'
down_revision = '1ebe578138a2'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('devices', schema=None) as batch_op:
        batch_op.add_column(sa.Column('reported_pending', sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column('reported_error', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('reported_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('refused_code', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('refused_at', sa.DateTime(timezone=True), nullable=True))



def downgrade():
    with op.batch_alter_table('devices', schema=None) as batch_op:
        batch_op.drop_column('refused_at')
        batch_op.drop_column('refused_code')
        batch_op.drop_column('reported_at')
        batch_op.drop_column('reported_error')
        batch_op.drop_column('reported_pending')

