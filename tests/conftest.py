import json

import pytest
from click.testing import CliRunner
from hypothesis import settings

from costmodel.cli import cli
from costmodel.data import store

# Wall-clock deadlines measure the machine, not the code: on a shared 2-core CI machine a
# cold first example has taken 256 ms against hypothesis' 200 ms default. Properties are
# judged on their results; speed lives in benchmarks/.
settings.register_profile("costmodel", deadline=None)
settings.load_profile("costmodel")


@pytest.fixture(autouse=True)
def _fresh_presets(monkeypatch):
    """Each test starts with only the built-in presets and an empty cache."""
    monkeypatch.delenv("COSTMODEL_PRESETS", raising=False)
    store.set_user_dirs(None)
    yield
    store.set_user_dirs(None)


class Run:
    def __init__(self, result):
        self.result = result
        self.code = result.exit_code
        self.out = result.stdout
        self.err = result.stderr

    def json(self):
        return json.loads(self.out)


@pytest.fixture
def invoke():
    """Run the CLI in-process: ``invoke("estimate", "--json", ...)``."""

    def _invoke(*args, env=None):
        runner = CliRunner()
        return Run(runner.invoke(cli, [str(a) for a in args], env=env, catch_exceptions=True))

    return _invoke
