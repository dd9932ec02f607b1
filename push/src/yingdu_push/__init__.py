"""yingdu-push: the provider client of yingdu (影都算力券服务平台). Needs only Python ≥ 3.11 and `cryptography`.

The client speaks version ``INGEST_API_VERSION`` of the ingest API (`POST /api/v1/usage-records`) and says so in the
``X-Yingdu-Ingest-API`` header of every request; the platform refuses a version it does not speak (HTTP 400
``ingest_api_unsupported``) instead of misreading a batch.
"""

__version__ = "0.2.0"
INGEST_API_VERSION = 1
