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


@pytest.fixture(scope="session", autouse=True)
def every_results_json_is_valid(tmp_path_factory):
    """Every results.json a test wrote, anywhere under pytest's temporary folders, is checked
    against docs/results.schema.json once the tests are done (files that do not claim to be
    results, which some tests write on purpose, are left out)."""
    yield
    from scored import claims_to_be_results, schema_errors

    found = [path for path in tmp_path_factory.getbasetemp().rglob("results.json") if claims_to_be_results(path)]
    invalid = {str(path): errors for path in sorted(found) if (errors := schema_errors(path))}
    assert not invalid, f"results.json not valid by docs/results.schema.json: {invalid}"
