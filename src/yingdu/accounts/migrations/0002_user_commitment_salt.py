import secrets

from django.db import migrations, models


def salt_users(apps, schema_editor):
    """Every existing user gets its own salt (their earlier entries committed to nothing personal)."""
    User = apps.get_model("accounts", "User")
    for user in User.objects.filter(commitment_salt=""):
        user.commitment_salt = secrets.token_hex(32)
        user.save(update_fields=["commitment_salt"])


class Migration(migrations.Migration):

    dependencies = [
        ("accounts", "0001_initial"),
    ]

    operations = [
        migrations.AddField(model_name="user", name="commitment_salt",
                            field=models.CharField(blank=True, max_length=64)),
        migrations.RunPython(salt_users, migrations.RunPython.noop),
    ]
