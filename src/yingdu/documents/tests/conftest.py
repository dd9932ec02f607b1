# The documents' tests issue applications' notices: the same people and provider as the applications' tests.
from yingdu.applications.tests.conftest import approver, enterprise, meter, reviewer  # noqa: F401
