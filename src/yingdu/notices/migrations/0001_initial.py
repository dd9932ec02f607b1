# Data notices and objections (issue 5, item 5).

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('enterprises', '0001_initial'),
        ('metering', '0003_usage_record_origin'),
        ('works', '0001_initial'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='DataNotice',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('period_start_on', models.DateField(verbose_name='期间开始日期')),
                ('period_end_on', models.DateField(verbose_name='期间结束日期')),
                ('record_count', models.PositiveIntegerField()),
                ('cost_microfen', models.BigIntegerField()),
                ('records_sha256', models.CharField(max_length=64)),
                ('checkpoint_tree_size', models.BigIntegerField()),
                ('checkpoint_root_hash', models.BinaryField(max_length=32)),
                ('issued_at', models.DateTimeField()),
                ('delivered_at', models.DateTimeField(blank=True, null=True)),
                ('delivered_via', models.CharField(blank=True, choices=[('email', '电子邮件'), ('in_app', '平台内查阅')], max_length=16)),
                ('objection_window_working_days', models.PositiveIntegerField(blank=True, null=True)),
                ('objection_policy_version', models.CharField(blank=True, max_length=64)),
                ('objection_deadline_on', models.DateField(blank=True, null=True)),
                ('enterprise', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='data_notices', to='enterprises.enterprise')),
                ('issued_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('records', models.ManyToManyField(related_name='data_notices', to='metering.usagerecord')),
                ('work', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='data_notices', to='works.work')),
            ],
            options={
                'ordering': ['-issued_at', '-id'],
            },
        ),
        migrations.CreateModel(
            name='Objection',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('explanation', models.TextField(verbose_name='书面说明')),
                ('status', models.CharField(choices=[('open', '待处理'), ('upheld', '已采纳'), ('rejected', '未采纳')], default='open', max_length=16)),
                ('filed_at', models.DateTimeField()),
                ('decided_at', models.DateTimeField(blank=True, null=True)),
                ('decision_reason', models.TextField(blank=True, verbose_name='处理意见')),
                ('decided_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('filed_by', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('notice', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='objections', to='notices.datanotice')),
            ],
            options={
                'ordering': ['-filed_at', '-id'],
            },
        ),
        migrations.CreateModel(
            name='ObjectionClaim',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('claimed_quantity', models.DecimalField(decimal_places=6, max_digits=24, verbose_name='主张的正确数量')),
                ('correction', models.OneToOneField(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='objection_claim', to='metering.usagerecord')),
                ('objection', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='claims', to='notices.objection')),
                ('record', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='metering.usagerecord')),
            ],
            options={
                'ordering': ['id'],
            },
        ),
        migrations.CreateModel(
            name='ObjectionEvidence',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('sha256', models.CharField(max_length=64)),
                ('content_type', models.CharField(max_length=64)),
                ('size', models.PositiveIntegerField()),
                ('filename', models.CharField(max_length=200)),
                ('objection', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='evidence', to='notices.objection')),
            ],
            options={
                'ordering': ['id'],
            },
        ),
        migrations.AddConstraint(
            model_name='objection',
            constraint=models.UniqueConstraint(condition=models.Q(('status', 'open')), fields=('notice',), name='one_open_objection_per_notice'),
        ),
        migrations.AddConstraint(
            model_name='objectionclaim',
            constraint=models.UniqueConstraint(fields=('objection', 'record'), name='one_claim_per_record_and_objection'),
        ),
    ]
