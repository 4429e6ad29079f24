"""Run a mock provider in a thread: for tests, the pytest fixtures and `hookconform mock`."""

from __future__ import annotations

from harness.profiles import Catalog
from harness.serving import LOOPBACK, BackgroundServer
from mock_provider.app import Mock, MockConfig
from mock_provider.control import PREFIX


class MockServer(BackgroundServer):
    """A mock provider on a real socket; port 0 picks a free port.

    `start()` starts the delivery engine and the HTTP server; `stop()` stops both and closes
    the store. Also a context manager.
    """

    def __init__(
        self,
        config: MockConfig,
        *,
        host: str = LOOPBACK,
        port: int = 0,
        catalog: Catalog | None = None,
    ) -> None:
        self.mock = Mock(config, catalog)
        try:
            super().__init__(self.mock, host=host, port=port)
        except BaseException:
            self.mock.close()
            raise
        self.mock.listening_on(self.host, self.port)

    @property
    def control_url(self) -> str:
        return f"{self.url}{PREFIX}"

    @property
    def dashboard_url(self) -> str:
        return f"{self.url}{PREFIX}/dashboard/"

    def start(self) -> MockServer:
        self.mock.start()
        super().start()
        return self

    def stop(self) -> None:
        super().stop()
        self.mock.close()
