"""The message box near and over the length limit (issue 10): the counter has a line of
its own and says it in words; the box and the Send button keep their size."""

from __future__ import annotations

import pytest

from tests.client.conftest import RestartableServer
from tests.desktop.conftest import MakeApp, log_in

pytestmark = pytest.mark.display


def test_the_length_counter_does_not_squeeze_the_box(
    make_app: MakeApp, chat_server: RestartableServer
) -> None:
    app = make_app(chat_server.address)
    log_in(app, "ada", create=True)
    main = app.main
    assert main is not None
    composer = main.composer
    composer.max_body = 100
    app.root.update()
    box, send = composer.box.winfo_width(), composer.send_button.winfo_width()

    composer.text.insert("end", "x" * 99)
    composer._changed()
    app.root.update()
    assert composer.counter.cget("text") == "1 character left"

    composer.text.insert("end", "y" * 50)
    app.root.update()
    assert composer.counter.cget("text") == "49 characters too many"
    composer.submit()  # refused: too long, and kept
    app.root.update()
    assert composer.counter.cget("text") == "49 characters too many: too long to send"
    assert composer.value() == "x" * 99 + "y" * 50
    assert composer.box.winfo_width() == box
    assert composer.send_button.winfo_width() == send
