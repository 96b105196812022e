"""Note cards in the timeline: a message that shares a note is drawn as a card naming the form,
who filed it and whether it has gone, never the patient; the reader opens it by mouse, keyboard
or menu, and the view says which note."""

from __future__ import annotations

import uuid

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMenu
from pytestqt.qtbot import QtBot

from tests.qt_wait import wait_shown
from wardlink.core.clock import FixedClock
from wardlink.core.model import Message
from wardlink.store import messages, note_cards, notes, outbox
from wardlink.store.changes import Changes
from wardlink.store.database import Store
from wardlink.store.lane import DbLane
from wardlink.store.messages import RemoteMessage
from wardlink.store.notes import NoteDraft, RemoteNote
from wardlink.store.outbox import OpResult
from wardlink.ui import demo_history, timeline_card_paint, timeline_delegate
from wardlink.ui.bridge import Bridge
from wardlink.ui.timeline import TimelineModel
from wardlink.ui.timeline_cards import NOT_HERE, QUEUED, CardText
from wardlink.ui.timeline_rows import CachedMessageRole, CardRole
from wardlink.ui.timeline_view import TimelineView

from .conftest import ME, NOW, settle

WARD = demo_history.WARD.id
GRACE, BOB = demo_history.GRACE, demo_history.BOB
NHS_SYSTEM = "https://fhir.nhs.uk/Id/nhs-number"
NHS_NUMBER = "9434765919"
SECRETS = (NHS_NUMBER, "943 476 5919", "heel wound healing", "12/03/1948")
FILED_ID = str(uuid.UUID(int=0xF11ED))
ABSENT_ID = str(uuid.UUID(int=0xAB5E7))
AT = "2026-11-26T12:00:00.000Z"


def wound(**overrides: object) -> dict[str, object]:
    fields: dict[str, object] = {
        "team_id": WARD,
        "form_url": "https://example.org/Questionnaire/wound",
        "form_version": "1.0.0",
        "form_title": "Wound assessment",
        "patient_system": NHS_SYSTEM,
        "patient_value": NHS_NUMBER,
        "authored": AT,
        "resource": {"resourceType": "QuestionnaireResponse", "text": "heel wound healing"},
        "search_text": "heel wound healing",
    }
    return {**fields, **overrides}


def pulled_message(seq: int, author: str, name: str, note_id: str, body: str) -> RemoteMessage:
    return RemoteMessage(
        seq=seq,
        id=f"card-{seq}",
        team_id=WARD,
        author_id=author,
        author_name=name,
        body=body,
        priority="routine",
        client_ts=AT,
        server_ts=AT,
        note_ref=note_id,
    )


def filed_note(note_id: str, seq: int, title: str = "Falls risk assessment") -> RemoteNote:
    return RemoteNote(
        seq=seq,
        id=note_id,
        version=1,
        version_of=None,
        author_id=GRACE.id,
        author_name=GRACE.display_name,
        status="completed",
        **wound(form_title=title),  # type: ignore[arg-type]
    )


def shared_notes(store: Store) -> str:
    """Grace's filed note and her card for it, Bob's card for a note this PC does not hold,
    and my own note, queued, shared as a card. Returns my note's id."""
    with store.transaction():
        notes.apply_remote_notes_in_tx(store, [filed_note(FILED_ID, 40)])
    messages.apply_remote_messages(
        store,
        [
            pulled_message(
                41, GRACE.id, GRACE.display_name, FILED_ID, "Filed a Falls risk assessment"
            ),
            pulled_message(42, BOB.id, BOB.display_name, ABSENT_ID, "Filed a Wound assessment"),
        ],
    )
    mine, _ = notes.submit_note(store, NoteDraft(**wound()))  # type: ignore[arg-type]
    note_cards.post_note_card(store, WARD, mine)
    return mine


@pytest.fixture
def my_note(lane: DbLane, history: None) -> str:
    return str(lane.call(shared_notes))


@pytest.fixture
def view(qtbot: QtBot, bridge: Bridge, my_note: str) -> TimelineView:
    model = TimelineModel(bridge, me=ME.id, clock=FixedClock(NOW))
    view = TimelineView(model)
    qtbot.addWidget(view)
    view.resize(760, 1000)
    view.show()
    wait_shown(qtbot, view)
    with qtbot.waitSignal(model.team_loaded, timeout=10_000):
        model.open_team(WARD)
    settle(qtbot, bridge)
    return view


def model_of(view: TimelineView) -> TimelineModel:
    model = view.model()
    assert isinstance(model, TimelineModel)
    return model


def card_rows(view: TimelineView) -> dict[str, int]:
    """The rows drawn as cards, by the note id they name."""
    model = model_of(view)
    found = {}
    for row in range(model.rowCount()):
        card = model.index(row, 0).data(CardRole)
        if isinstance(card, CardText):
            found[card.note_id] = row
    return found


def card_at(view: TimelineView, row: int) -> CardText:
    card = model_of(view).index(row, 0).data(CardRole)
    assert isinstance(card, CardText)
    return card


def test_cards_say_the_form_who_filed_it_and_whether_it_has_gone(
    view: TimelineView, my_note: str
) -> None:
    rows = card_rows(view)
    assert set(rows) == {FILED_ID, ABSENT_ID, my_note}
    assert card_at(view, rows[FILED_ID]) == CardText(
        FILED_ID, "Falls risk assessment", "Filed by Grace Okafor", openable=True
    )
    assert card_at(view, rows[my_note]) == CardText(
        my_note, "Wound assessment", QUEUED, openable=True
    )
    assert card_at(view, rows[ABSENT_ID]) == CardText(ABSENT_ID, NOT_HERE, "", openable=False)
    spoken = model_of(view).index(rows[FILED_ID], 0).data(Qt.ItemDataRole.AccessibleTextRole)
    assert spoken == (
        "Grace Okafor at 12:00: Filed a Falls risk assessment Note card: Falls risk "
        "assessment. Filed by Grace Okafor. Press Enter to open the note."
    )
    absent = model_of(view).index(rows[ABSENT_ID], 0).data(Qt.ItemDataRole.AccessibleTextRole)
    assert NOT_HERE in absent and "Enter" not in absent
    # An ordinary message is no card.
    assert model_of(view).index(0, 0).data(CardRole) is None


def test_cards_are_painted_as_cards_and_nothing_of_the_patient_is_shown(
    qtbot: QtBot, view: TimelineView, bridge: Bridge, monkeypatch: pytest.MonkeyPatch
) -> None:
    painted: list[str] = []
    for module in (timeline_card_paint, timeline_delegate):
        for name in ("draw_text", "draw_line"):
            real = getattr(module, name)

            def recording(painter: object, text: str, *args: object, _real: object = real) -> None:
                painted.append(text)
                _real(painter, text, *args)  # type: ignore[operator]

            monkeypatch.setattr(module, name, recording)
    view.resize(760, 3000)  # every row on screen
    view.scrollToBottom()
    view.grab()
    settle(qtbot, bridge)
    for text in (
        "Falls risk assessment",
        "Filed by Grace Okafor",
        "Filed a Falls risk assessment",
        NOT_HERE,
        "Wound assessment",
        QUEUED,
        "Shared a note: Wound assessment",
    ):
        assert text in painted
    rows = card_rows(view)
    assert view.button_rect(rows[FILED_ID], "open_note") is not None
    assert view.button_rect(rows[ABSENT_ID], "open_note") is None  # nothing here to open

    model = model_of(view)
    said = [
        str(model.index(row, 0).data(role))
        for row in range(model.rowCount())
        for role in (
            Qt.ItemDataRole.DisplayRole,
            Qt.ItemDataRole.AccessibleTextRole,
            Qt.ItemDataRole.ToolTipRole,
            CardRole,
        )
    ]
    for secret in SECRETS:
        assert not any(secret in text for text in painted + said)


def test_a_card_opens_by_double_click_enter_button_and_menu(
    qtbot: QtBot, view: TimelineView
) -> None:
    row = card_rows(view)[FILED_ID]
    index = model_of(view).index(row, 0)
    view.scrollTo(index)
    with qtbot.waitSignal(view.note_card_activated, timeout=2000) as opened:
        qtbot.mouseDClick(
            view.viewport(), Qt.MouseButton.LeftButton, pos=view.visualRect(index).center()
        )
    assert opened.args == [FILED_ID]

    view.setFocus()
    view.setCurrentIndex(index)
    with qtbot.waitSignal(view.note_card_activated, timeout=2000) as opened:
        qtbot.keyClick(view, Qt.Key.Key_Return)
    assert opened.args == [FILED_ID]

    button = view.button_rect(row, "open_note")
    assert button is not None
    with qtbot.waitSignal(view.note_card_activated, timeout=2000) as opened:
        qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=button.center())
    assert opened.args == [FILED_ID]

    with qtbot.waitSignal(view.menu_opened, timeout=2000) as menu_opened:
        qtbot.keyClick(view, Qt.Key.Key_Menu)
    menu = menu_opened.args[0]
    assert isinstance(menu, QMenu)
    labels = [action.text() for action in menu.actions()]
    assert labels[0] == "Open note"
    with qtbot.waitSignal(view.note_card_activated, timeout=2000) as opened:
        menu.actions()[0].trigger()
    assert opened.args == [FILED_ID]
    menu.close()


def test_a_card_whose_note_is_not_here_does_not_open(qtbot: QtBot, view: TimelineView) -> None:
    index = model_of(view).index(card_rows(view)[ABSENT_ID], 0)
    view.scrollTo(index)
    view.setFocus()
    view.setCurrentIndex(index)
    message = index.data(CachedMessageRole)
    assert isinstance(message, Message) and "open_note" not in view.actions_for(message)
    with qtbot.assertNotEmitted(view.note_card_activated, wait=50):
        qtbot.keyClick(view, Qt.Key.Key_Return)
        qtbot.mouseDClick(
            view.viewport(), Qt.MouseButton.LeftButton, pos=view.visualRect(index).center()
        )


def test_cards_follow_their_notes(
    qtbot: QtBot, view: TimelineView, bridge: Bridge, lane: DbLane, my_note: str
) -> None:
    rows = card_rows(view)
    submit = next(i for i in lane.call(outbox.next_batch) if i.type == "note.submit")
    bridge.run(outbox.record_results, [OpResult(submit.op_id, "applied", seq=60)])
    qtbot.waitUntil(
        lambda: card_at(view, rows[my_note]).status == "Filed by Alice Morgan", timeout=5000
    )

    def arrives(store: Store) -> Changes:
        with store.transaction():
            return Changes(
                notes=notes.apply_remote_notes_in_tx(
                    store, [filed_note(ABSENT_ID, 61, "Wound assessment")]
                )
            )

    bridge.post_changes(lane.call(arrives))  # as a pulled page would
    qtbot.waitUntil(lambda: card_at(view, rows[ABSENT_ID]).openable, timeout=5000)
    assert card_at(view, rows[ABSENT_ID]).title == "Wound assessment"
    assert card_rows(view) == rows
