# Usage records appended by the platform (upheld objections): an origin marker, no provider signature.

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('metering', '0002_initial'),
    ]

    operations = [
        migrations.AddField(
            model_name='usagerecord',
            name='origin',
            field=models.CharField(choices=[('provider', '服务商上报'), ('objection', '异议更正')],
                                   db_default='provider', max_length=16),
        ),
        migrations.AlterField(
            model_name='usagerecord',
            name='signing_key',
            field=models.ForeignKey(null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+',
                                    to='metering.signingkey'),
        ),
        migrations.AlterField(
            model_name='usagerecord',
            name='signature',
            field=models.BinaryField(max_length=64, null=True),
        ),
    ]
