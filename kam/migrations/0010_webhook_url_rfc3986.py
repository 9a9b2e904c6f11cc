"""A webhook's URL is checked against one pattern (kam.models.WEBHOOK_URL_PATTERN, RFC 3986 http(s)), the one the
API's schema states, rather than Django's URLValidator (which refuses some such URLs and takes ftp ones). The column
stays varchar(500)."""

from django.db import migrations, models

import kam.models


class Migration(migrations.Migration):
    dependencies = [
        ("kam", "0009_list_indexes"),
    ]

    operations = [
        migrations.AlterField(
            model_name="webhooksubscription",
            name="url",
            field=models.CharField(
                help_text="Where the events are POSTed (http or https).",
                max_length=500,
                validators=[
                    kam.models.FullMatchValidator(
                        "^https?://(?:(?:[A-Za-z0-9._~!$&'()*+,;=-]|%[0-9A-Fa-f]{2}|:)*@)?(?:\\[(?:[0-9A-Fa-f:.]+|v[0-9A-Fa-f]+\\.(?:[A-Za-z0-9._~!$&'()*+,;=:-])+)\\]|(?:[A-Za-z0-9._~!$&'()*+,;=-]|%[0-9A-Fa-f]{2})+)(?::[0-9]*)?(?:/(?:[A-Za-z0-9._~!$&'()*+,;=-]|%[0-9A-Fa-f]{2}|[:@])*)*(?:\\?(?:[A-Za-z0-9._~!$&'()*+,;=-]|%[0-9A-Fa-f]{2}|[:@/?])*)?(?:#(?:[A-Za-z0-9._~!$&'()*+,;=-]|%[0-9A-Fa-f]{2}|[:@/?])*)?$",
                        "Enter an http:// or https:// URL (RFC 3986: a host, then an optional port, path and query).",
                    )
                ],
            ),
        ),
    ]
