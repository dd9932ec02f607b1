import sys

from django.db import migrations

from yingdu.accounts.identity import username_key, username_skeleton


def fill_username_keys(apps, schema_editor):
    """Key and skeleton for every existing login, in id order; a name whose key or skeleton an earlier login already
    holds keeps null there and is reported, never renamed (docs/decisions.md, "Login names")."""
    User = apps.get_model("accounts", "User")
    keys: dict[str, str] = {}
    skeletons: dict[str, str] = {}
    collisions = []
    for user in User.objects.order_by("id").only("id", "username"):
        key, skeleton = username_key(user.username), username_skeleton(user.username)
        user.username_key = None if key in keys else key
        user.username_skeleton = None if skeleton in skeletons else skeleton
        if user.username_key is None:
            collisions.append(f"user {user.pk} has the same key as user {keys[key]}")
        elif user.username_skeleton is None:
            collisions.append(f"user {user.pk} looks like user {skeletons[skeleton]}")
        keys.setdefault(key, user.pk)
        skeletons.setdefault(skeleton, user.pk)
        user.save(update_fields=["username_key", "username_skeleton"])
    if collisions:
        sys.stdout.write("\n  login names that collide (left as they are, see docs/decisions.md):\n")
        sys.stdout.writelines(f"    {line}\n" for line in collisions)


class Migration(migrations.Migration):

    dependencies = [
        ("accounts", "0003_username_key_role_reasons_status_changes"),
    ]

    operations = [
        migrations.RunPython(fill_username_keys, migrations.RunPython.noop),
    ]
