"""Video rooms: who is in each room, and the signalling messages passed between them.

https://www.w3.org/TR/webrtc/ (the offers, answers and ICE candidates relayed here)

A room belongs to one Appointment and holds up to ``max_size`` peers, each
connected by a full mesh of peer connections. CareHub only relays signalling;
media flows between the browsers (or through TURN). Messages are JSON objects
with a ``type``:

from a peer
    ``signal`` {to, data}: relayed to peer ``to`` as ``signal`` {from, data};
    ``present``: become the presenter (case conferences);
    ``view`` {state}: the presenter's case view (patient, tab, chart), checked
    by the room's ``view_loader`` and sent to everyone with the loaded ``case``;
    ``record`` {on}: start/stop recording, refused unless consent was given.
to a peer
    ``welcome`` {id, peers, iceServers, kind, patient, presenter, view,
    recordingAllowed};
    ``peer-joined`` {id, name}; ``peer-left`` {id}; ``presenter`` {id, name};
    ``view`` {from, state, case}; ``recording`` {on, by}; ``error`` {code, message}.

The newcomer makes the offers to the peers already there, so two peers never
offer to each other at once.

Failure modes: :class:`~carehub.errors.Busy` when a room is full; bad messages
are answered with an ``error`` message and change nothing.
"""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from carehub.errors import Busy, CareHubError

Send = Callable[[dict[str, Any]], Awaitable[None]]
ViewLoader = Callable[[dict[str, Any]], Awaitable[dict[str, Any]]]


@dataclass(slots=True)
class Peer:
    """One connection in a room."""

    id: str
    participant: str
    name: str
    send: Send


@dataclass(slots=True)
class Room:
    """The peers and shared state of one Appointment's room."""

    id: str
    kind: str
    recording_allowed: bool
    view_loader: ViewLoader | None = None
    patient: str | None = None
    peers: dict[str, Peer] = field(default_factory=dict)
    presenter: str | None = None
    view: dict[str, Any] | None = None
    recording: bool = False

    def roster(self, but: str | None = None) -> list[dict[str, str]]:
        """The peers (except ``but``) as ``{id, name, participant}``."""
        return [{"id": p.id, "name": p.name, "participant": p.participant}
                for p in self.peers.values() if p.id != but]

    async def broadcast(self, message: dict[str, Any], but: str | None = None) -> None:
        """Send ``message`` to every peer except ``but`` (peers that fail are skipped)."""
        for peer in list(self.peers.values()):
            if peer.id != but:
                await _safe_send(peer, message)


async def _safe_send(peer: Peer, message: dict[str, Any]) -> None:
    try:
        await peer.send(message)
    except Exception:  # a closed socket must not stop the others
        return


def _error(code: str, message: str) -> dict[str, Any]:
    return {"type": "error", "code": code, "message": message}


class Rooms:
    """Every open room of this server process (rooms vanish when their last peer leaves)."""

    def __init__(self, max_size: int) -> None:
        self.max_size = max_size
        self.rooms: dict[str, Room] = {}

    async def join(self, room: Room, participant: str, name: str, send: Send,
                   ice_servers: list[dict[str, Any]]) -> Peer:
        """Add a peer to ``room`` (opening it if new) and welcome it.

        Raises:
            Busy: the room already holds ``max_size`` peers.
        """
        current = self.rooms.setdefault(room.id, room)
        current.recording_allowed = room.recording_allowed  # consent as stored now
        if len(current.peers) >= self.max_size:
            raise Busy(f"the room is full ({self.max_size} people)")
        peer = Peer(secrets.token_hex(6), participant, name, send)
        await send({"type": "welcome", "id": peer.id, "name": name,
                    "peers": current.roster(), "iceServers": ice_servers,
                    "kind": current.kind, "presenter": current.presenter,
                    "view": current.view, "recordingAllowed": current.recording_allowed,
                    "patient": current.patient})
        current.peers[peer.id] = peer
        await current.broadcast({"type": "peer-joined", "id": peer.id, "name": name,
                                 "participant": participant}, but=peer.id)
        return peer

    async def leave(self, room_id: str, peer_id: str) -> None:
        """Remove a peer; tell the others; close the room when empty."""
        room = self.rooms.get(room_id)
        if room is None or room.peers.pop(peer_id, None) is None:
            return
        await room.broadcast({"type": "peer-left", "id": peer_id})
        if room.presenter == peer_id:
            room.presenter = None
            await room.broadcast({"type": "presenter", "id": None, "name": None})
        if not room.peers:
            del self.rooms[room_id]

    async def handle(self, room_id: str, peer_id: str, message: Any) -> None:
        """Act on one message from a peer (see the module docstring)."""
        room = self.rooms.get(room_id)
        peer = room.peers.get(peer_id) if room else None
        if room is None or peer is None:
            return
        kind = message.get("type") if isinstance(message, dict) else None
        if kind == "signal":
            target = room.peers.get(str(message.get("to")))
            if target is None:
                await peer.send(_error("unknown-peer", "no such peer in this room"))
                return
            await _safe_send(target, {"type": "signal", "from": peer.id,
                                      "data": message.get("data")})
        elif kind == "present":
            room.presenter = peer.id
            await room.broadcast({"type": "presenter", "id": peer.id, "name": peer.name})
        elif kind == "view":
            await self._view(room, peer, message.get("state"))
        elif kind == "record":
            if not room.recording_allowed:
                await peer.send(_error("recording-refused",
                                       "the patient has not consented to recording"))
                return
            room.recording = bool(message.get("on"))
            await room.broadcast({"type": "recording", "on": room.recording, "by": peer.name})
        else:
            await peer.send(_error("bad-message", f"unknown message type {kind!r}"))

    async def _view(self, room: Room, peer: Peer, state: Any) -> None:
        if room.presenter != peer.id:
            await peer.send(_error("not-presenter", "only the presenter changes the case view"))
            return
        if not isinstance(state, dict):
            await peer.send(_error("bad-message", "a view needs a state object"))
            return
        case: dict[str, Any] = {}
        if room.view_loader is not None:
            try:
                case = await room.view_loader(state)
            except CareHubError as exc:
                await peer.send(_error("bad-view", exc.message))
                return
        room.view = {"state": state, "case": case}
        await room.broadcast({"type": "view", "from": peer.id, "state": state, "case": case})
