import os
from importlib import import_module

from django.conf import settings
from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "yingdu.settings")
application = get_wsgi_application()

# The URL configuration (the API and every view) is imported now rather than at the first request: under gunicorn's
# --preload (`yingdu serve`) the workers are forked with it loaded, so the first answer comes without that delay.
import_module(settings.ROOT_URLCONF)
