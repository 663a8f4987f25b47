"""alerts by kind

Revision ID: 87ee4b48d58d
Revises: 7c5150ab7e53
Create Date: 2026-11-29 10:59:40.459716

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '87ee4b48d58d'
down_revision = '7c5150ab7e53'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('alerts', schema=None) as batch_op:
        batch_op.create_index('ix_alerts_kind_created_at', ['kind', 'created_at'], unique=False)



def downgrade():
    with op.batch_alter_table('alerts', schema=None) as batch_op:
        batch_op.drop_index('ix_alerts_kind_created_at')

