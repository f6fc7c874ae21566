"""Topic → handler registry. A topic is ``<department>.<action>``; registering a topic twice is an error."""

from __future__ import annotations

from typing import Callable

from .base import Handler


class DuplicateTopic(ValueError):
    pass


class UnknownTopic(LookupError):
    pass


class HandlerRegistry:
    def __init__(self) -> None:
        self._handlers: dict[str, Handler] = {}

    def register(self, topic: str, handler: Handler) -> Handler:
        if topic in self._handlers:
            raise DuplicateTopic(f"topic {topic!r} is already registered")
        if topic.count(".") != 1:
            raise ValueError(f"topic {topic!r} must be <department>.<action>")
        self._handlers[topic] = handler
        return handler

    def topic(self, topic: str) -> Callable[[Handler], Handler]:
        """Decorator form of :meth:`register`."""

        def decorate(handler: Handler) -> Handler:
            return self.register(topic, handler)

        return decorate

    def get(self, topic: str) -> Handler:
        try:
            return self._handlers[topic]
        except KeyError:
            raise UnknownTopic(f"no handler for topic {topic!r}") from None

    def __contains__(self, topic: str) -> bool:
        return topic in self._handlers

    def topics(self) -> frozenset[str]:
        return frozenset(self._handlers)
