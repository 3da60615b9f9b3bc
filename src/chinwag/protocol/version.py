"""The protocol's version number, announced in the `hello` event."""

#: Raised on any change a client written for the previous version could trip over.
PROTOCOL_VERSION = 1
