from pathlib import Path

import pytest

FIXTURES = Path(__file__).parent / "fixtures"
REPO = Path(__file__).parent.parent


@pytest.fixture
def fixtures() -> Path:
    return FIXTURES


@pytest.fixture
def audit_yaml() -> Path:
    """The second, made-up instrument with a Not met / Partly met / Met scale."""
    return FIXTURES / "standards" / "audit-three-level.yaml"


def pytest_collection_modifyitems(config, items):
    from office import SOFFICE

    if SOFFICE:
        return
    skip = pytest.mark.skip(reason="LibreOffice (soffice) is not installed; .ci/run installs it")
    for item in items:
        if "libreoffice" in item.keywords:
            item.add_marker(skip)
