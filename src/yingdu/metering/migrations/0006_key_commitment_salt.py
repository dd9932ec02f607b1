# An API key's secret hash and label, and a signing key's label, enter the log as a salted commitment; the salt is
# kept with the row. Keys created earlier have no salt: their (version 1) entries carry no commitment.

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('metering', '0005_usage_attribution_reason_commitment'),
    ]

    operations = [
        migrations.AddField(
            model_name='apikey',
            name='commitment_salt',
            field=models.CharField(default='', max_length=64),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name='signingkey',
            name='commitment_salt',
            field=models.CharField(default='', max_length=64),
            preserve_default=False,
        ),
    ]
