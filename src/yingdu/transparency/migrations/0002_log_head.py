import hashlib

from django.db import migrations


def create_head(apps, schema_editor):
    # The empty tree: size 0, root = SHA-256 of the empty string (RFC 9162 §2.1.1).
    apps.get_model("transparency", "LogHead").objects.get_or_create(
        pk=1, defaults={"tree_size": 0, "root_hash": hashlib.sha256(b"").digest()}
    )


class Migration(migrations.Migration):
    dependencies = [("transparency", "0001_initial")]
    operations = [migrations.RunPython(create_head, migrations.RunPython.noop)]
