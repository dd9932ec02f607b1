import pytest


@pytest.fixture(autouse=True)
def _isolated_uploads(settings, tmp_path):
    """Uploaded files go to a per-test directory."""
    settings.UPLOAD_ROOT = tmp_path / "uploads"


@pytest.fixture(autouse=True)
def _fresh_axes(settings):
    settings.AXES_ENABLED = True
