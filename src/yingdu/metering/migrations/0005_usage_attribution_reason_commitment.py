# The attribution's reason enters the log as a salted commitment; the salt is kept with the row.

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('metering', '0004_usage_attribution_ingest_counter'),
    ]

    operations = [
        migrations.AddField(
            model_name='usageattribution',
            name='commitment_salt',
            field=models.CharField(default='', max_length=64),
            preserve_default=False,
        ),
    ]
