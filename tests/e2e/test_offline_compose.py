"""Two nurses write while offline, then reconnect in either order (or together): both end with
the same messages, each exactly once, in the server's per-team order, and the server agrees."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.sync.live_server import LiveServer

from .clients import Device, assert_exactly_once
from .fault_proxy import FaultProxy


@pytest.mark.parametrize("order", ["alice_first", "bob_first", "together"])
def test_two_clients_compose_offline_and_reconnect_in_any_order(
    order: str,
    live_server: LiveServer,
    make_proxy: Callable[[], FaultProxy],
    make_device: Callable[..., Device],
) -> None:
    ward, community = live_server.new_team("Ward"), live_server.new_team("District", "community")
    names = (ward[1], community[1])
    networks = {"alice": make_proxy(), "bob": make_proxy()}
    for network in networks.values():
        network.refusing = True  # the network is down from the start
    nurses = {
        who: make_device(live_server.new_staff(who, teams=names), url=networks[who].url)
        for who in ("alice", "bob")
    }
    for nurse in nurses.values():
        nurse.engine.start()
    written: dict[str, dict[str, list[str]]] = {who: {} for who in nurses}
    for n in range(6):  # interleaved, one local transaction each, across both teams
        for who, nurse in nurses.items():
            for team_id, _ in (ward, community):
                written[who].setdefault(team_id, []).extend(
                    nurse.write(team_id, f"{who} offline note {n}")
                )
                nurse.engine.poke()
    for nurse in nurses.values():
        nurse.watch.wait_for(lambda n=nurse: n.watch.last().phase == "offline", "offline")
        assert nurse.pending() == 12
    expected = {
        team_id: {i for who in nurses for i in written[who][team_id]}
        for team_id, _ in (ward, community)
    }

    def all_here(nurse: Device) -> bool:
        return nurse.pending() == 0 and all(
            set(nurse.ids(team_id)) == wanted for team_id, wanted in expected.items()
        )

    sequence = {"alice_first": ["alice", "bob"], "bob_first": ["bob", "alice"]}.get(order)
    if sequence is None:
        for network in networks.values():
            network.refusing = False
    else:
        first, second = sequence
        networks[first].refusing = False
        nurses[first].watch.wait_for(lambda: nurses[first].pending() == 0, f"{first} sent all")
        assert nurses[second].pending() == 12  # still offline
        networks[second].refusing = False
    for who, nurse in nurses.items():
        nurse.watch.wait_for(lambda n=nurse: all_here(n), f"{who} has everything")

    for team_id, wanted in expected.items():
        order_on_server = assert_exactly_once(live_server, team_id, wanted)
        for who, nurse in nurses.items():
            timeline = nurse.timeline(team_id)
            assert [m.id for m in timeline] == order_on_server, f"{who}'s order differs"
            assert all(m.state in ("sent", "received") for m in timeline)
            assert [m.seq for m in timeline] == sorted(m.seq for m in timeline)
            # each nurse's own messages keep the order they were written in (FIFO per team)
            mine = set(written[who][team_id])
            assert [i for i in order_on_server if i in mine] == written[who][team_id]
