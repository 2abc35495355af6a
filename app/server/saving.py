"""Saving API chats to the user's chat list (the api_save_chats setting, ``--save-chats``).

Off by default: what a program asks through the API is not the user's conversation unless
the user says so. When on, each request becomes a new chat, written by the same
:class:`~app.core.session.ChatSession` as a chat in the window (question and streaming
answer at once, saves at most once a second, one end state).

The session builds its request from the stored chat; an API client, though, sent its own
messages and sampling. :class:`_TeeHost` sits between the session and the engine host: it
submits the client's request, and gives each event to both the session (which stores it)
and the API response (which streams it).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from app.core.cancel import TurnControl
from app.core.chat import TurnRequest
from app.core.errors import HearthError
from app.core.host import EngineHost, HostEvent, HostState, Job, Origin
from app.core.session import ChatSession, TurnOptions
from app.server.turns import JobChannel
from app.server.wire import ChatCompletionRequest

log = logging.getLogger(__name__)

TITLE_LENGTH = 60


class _TeeHost:
    """The host as one session sees it: submits the client's request, tees the events."""

    def __init__(self, host: EngineHost, request: TurnRequest, channel: JobChannel) -> None:
        self._host = host
        self._request = request
        self._channel = channel
        self.job: Job | None = None

    @property
    def state(self) -> HostState:
        return self._host.state

    def submit_turn(
        self,
        request: TurnRequest,
        sink: Callable[[int, HostEvent], None] | None,
        *,
        origin: Origin = "api",
        control: TurnControl | None = None,
    ) -> Job:
        forward = self._channel.sink

        def tee(job_id: int, event: HostEvent) -> None:
            if sink is not None:
                sink(job_id, event)
            forward(job_id, event)

        self.job = self._host.submit_turn(self._request, tee, origin="api", control=control)
        return self.job


class ChatSaver:
    """Submits API turns through a fresh ChatSession each, so they are stored as chats."""

    def __init__(self, host: EngineHost, store: Any, *, owns_store: bool = False) -> None:
        self._host = host
        self._store = store
        self._owns_store = owns_store

    @classmethod
    def open(cls, host: EngineHost, database: Any) -> ChatSaver:
        """For ``serve``: open the chat database through its write layer."""
        from app.core.store import ChatOps, ChatStore

        store = ChatStore.open(database)
        return cls(host, ChatOps.for_store(store), owns_store=True)

    def submit(self, request: ChatCompletionRequest, channel: JobChannel) -> Any:
        turn = request.turn
        last = turn.messages[-1]
        if last.role != "user" or turn.continue_last:
            # Continuing a client's own partial answer has no stored question to hang on.
            log.info("api: a turn that continues an answer is not saved")
            return self._host.submit_turn(turn, channel.sink, origin="api")
        question = last.content
        title = " ".join(question.split())[:TITLE_LENGTH]
        conversation = self._store.create_conversation(title)
        parent: str | None = None
        for message in turn.messages[:-1]:
            stored = self._store.add_message(
                conversation.id, parent, message.role, message.content, message.reasoning
            )
            parent = stored.id
        tee = _TeeHost(self._host, turn, channel)
        session = ChatSession(
            self._store,
            tee,
            conversation_id=conversation.id,
            options=lambda _cid: TurnOptions(params=turn.params),
            origin="api",
        )
        try:
            session.ask(question)
        except HearthError:
            if tee.job is None:
                raise
        if tee.job is None:
            raise HearthError("The chat could not be started.")
        return tee.job

    def close(self) -> None:
        if self._owns_store:
            store = getattr(self._store, "store", self._store)
            close = getattr(store, "close", None)
            if callable(close):
                close()
