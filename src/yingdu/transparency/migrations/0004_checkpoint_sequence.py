from django.db import migrations, models


def number_checkpoints(apps, schema_editor):
    """Existing checkpoints numbered in tree size order; the head counts them."""
    SignedCheckpoint = apps.get_model("transparency", "SignedCheckpoint")
    LogHead = apps.get_model("transparency", "LogHead")
    count = 0
    for count, checkpoint in enumerate(SignedCheckpoint.objects.order_by("tree_size"), start=1):
        checkpoint.sequence = count
        checkpoint.save(update_fields=["sequence"])
    LogHead.objects.filter(pk=1).update(checkpoints_signed=count)


class Migration(migrations.Migration):

    dependencies = [
        ("transparency", "0003_witness_cosignature"),
    ]

    operations = [
        migrations.RemoveField(model_name="logentry", name="appended_at"),
        migrations.RemoveField(model_name="loghead", name="updated_at"),
        migrations.AddField(model_name="loghead", name="checkpoints_signed", field=models.BigIntegerField(default=0)),
        migrations.AddField(model_name="signedcheckpoint", name="sequence", field=models.BigIntegerField(null=True)),
        migrations.RunPython(number_checkpoints, migrations.RunPython.noop),
        migrations.AlterField(model_name="signedcheckpoint", name="sequence",
                              field=models.BigIntegerField(unique=True)),
    ]
