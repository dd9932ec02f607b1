from django.urls import include, path, re_path

from yingdu.api import api
from yingdu.api import not_found as api_not_found
from yingdu.metering import monitor_views as metering_monitor_views
from yingdu.portal import views as portal_views
from yingdu.transparency import tile_views

urlpatterns = [
    path("", include("yingdu.portal.urls")),
    path("accounts/", include("yingdu.accounts.urls")),
    path("enterprises/", include("yingdu.enterprises.urls")),
    path("policy/", include("yingdu.policy.urls")),
    path("works/", include("yingdu.works.urls")),
    path("applications/", include("yingdu.applications.urls")),
    path("metering/notices/", include("yingdu.notices.urls")),
    path("metering/", include("yingdu.metering.urls")),
    path("", include("yingdu.publicity.urls")),
    path("transparency/", include("yingdu.transparency.urls")),
    path("vouchers/", include("yingdu.vouchers.urls")),
    path("audits/", include("yingdu.audits.urls")),
    path("duties/", include("yingdu.duties.urls")),
    path("inbox/", include("yingdu.inbox.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    # C2SP tlog-tiles beside the log API (its /checkpoint is /api/v1/log/checkpoint).
    path("api/v1/log/tile/<path:tile_path>", tile_views.tile, name="log_tile"),
    path("api/v1/", api_not_found),
    path("api/v1/", api.urls),
    re_path(r"^api/v1/", api_not_found),
    path("healthz", portal_views.healthz, name="healthz"),
    path("metrics", metering_monitor_views.metrics, name="metrics"),
]

handler403 = "yingdu.portal.views.error_403"
handler404 = "yingdu.portal.views.error_404"
handler500 = "yingdu.portal.views.error_500"
