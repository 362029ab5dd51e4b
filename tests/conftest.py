"""Fixtures shared by all tests: each family lives in its own module, imported here."""

from tests.fixtures import *  # noqa: F401,F403
from tests.pipeline_harness import *  # noqa: F401,F403
from tests.postgres_server import *  # noqa: F401,F403
from tests.redis_server import *  # noqa: F401,F403
from tests.servers import *  # noqa: F401,F403
from tests.sshd import *  # noqa: F401,F403
