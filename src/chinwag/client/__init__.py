"""The Python client library: an asyncio connection and a pure view-model.

`Client` (connection.py) speaks the protocol over a WebSocket: login, resume, `sync`
from the last seq per room, an outbox resent with the same `client_msg_id`, and reconnect
with capped exponential back-off and full jitter. `ChatState` (state.py) turns what the
client reports into what a user interface shows, without any I/O.
"""

from chinwag.client.address import AddressError, server_url
from chinwag.client.connection import Client
from chinwag.client.errors import ClientError, ConnectionLost, ProtocolMismatch, RequestError
from chinwag.client.events import (
    ClientEvent,
    LoggedIn,
    MembersLoaded,
    MessagesLoaded,
    RoomsLoaded,
    SendAcked,
    SendFailed,
    Status,
    StatusChanged,
    ThreadsLoaded,
    UsersLoaded,
)
from chinwag.client.model import PendingSend, RoomState, TimelineChange, Update
from chinwag.client.state import ChatState

__all__ = [
    "AddressError",
    "ChatState",
    "Client",
    "ClientError",
    "ClientEvent",
    "ConnectionLost",
    "LoggedIn",
    "MembersLoaded",
    "MessagesLoaded",
    "PendingSend",
    "ProtocolMismatch",
    "RequestError",
    "RoomState",
    "RoomsLoaded",
    "SendAcked",
    "SendFailed",
    "Status",
    "StatusChanged",
    "ThreadsLoaded",
    "TimelineChange",
    "Update",
    "UsersLoaded",
    "server_url",
]
