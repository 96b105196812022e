"""A wound assessment with two photos, filed while offline, reaches the record when the network
returns: the server's FHIR API serves it as a QuestionnaireResponse, and each photo as a
DocumentReference whose Binary carries the processed bytes, with no metadata left in them."""

from __future__ import annotations

import base64
import datetime as dt
import io
from collections.abc import Callable

import requests
from fhir.resources.R4B import get_fhir_model_class
from PIL import Image

from tests.sync.live_server import LiveServer
from wardlink.core.forms import PhotoAnswer, load_form
from wardlink.core.identifiers import NHS_NUMBER_SYSTEM
from wardlink.core.photo_formats import PhotoFormat
from wardlink.core.photo_metadata import metadata_blocks
from wardlink.core.photos import process_photo
from wardlink.store import notes
from wardlink.ui.forms.filing import file_note
from wardlink.ui.forms.filled_note import fill_note
from wardlink_server import directory
from wardlink_server.audit import CLI

from .clients import Device
from .fault_proxy import FaultProxy

NHS = "9434765919"
FHIR_JSON = {"Accept": "application/fhir+json"}


def camera_photo(colour: tuple[int, int, int], fmt: str) -> bytes:
    """A photo as a phone or a scanner writes it: with location and device metadata."""
    image = Image.new("RGB", (96, 64), colour)
    out = io.BytesIO()
    if fmt == "JPEG":
        exif = Image.Exif()
        exif[0x010F] = "PhoneMaker"
        exif[0x8825] = {1: "N", 2: (51.0, 30.0, 0.0)}
        image.save(out, format="JPEG", exif=exif)
    else:
        from PIL.PngImagePlugin import PngInfo

        info = PngInfo()
        info.add_text("Comment", "Ward 7 bed 4 GPS 51.5N")
        image.save(out, format="PNG", pnginfo=info)
    return out.getvalue()


def integration_token(server: LiveServer) -> str:
    account = server.new_staff("epr", role="integration")
    with server.services.writer.begin() as conn:
        token, _expires = directory.issue_token(
            conn, server.services, CLI, account.username, "epr-link"
        )
    return token


def fhir_get(server: LiveServer, token: str, path: str, **params: str) -> dict[str, object]:
    response = requests.get(
        f"{server.url}/fhir/{path}",
        params=params,
        headers={**FHIR_JSON, "Authorization": f"Bearer {token}"},
        timeout=10,
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert isinstance(body, dict)
    get_fhir_model_class(str(body["resourceType"])).model_validate(body)  # valid FHIR R4(B)
    return body


def test_a_note_with_two_photos_filed_offline_reaches_the_record_without_metadata(
    live_server: LiveServer,
    make_proxy: Callable[[], FaultProxy],
    make_device: Callable[..., Device],
) -> None:
    team_id, team_name = live_server.new_team("Ward")
    network = make_proxy()
    network.refusing = True  # offline from the start
    nurse = make_device(live_server.new_staff("nurse", teams=(team_name,)), url=network.url)
    nurse.engine.start()

    taken = [camera_photo((180, 90, 70), "JPEG"), camera_photo((90, 120, 160), "PNG")]
    photos = [process_photo(data, max_bytes=10 * 2**20) for data in taken]
    form = load_form("wound-assessment")
    answers: dict[str, object] = {
        "patient.identifierSystem": "nhs",
        "patient.identifier": "943 476 5919",
        "patient.birthDate": dt.date(1950, 3, 12),
        "patient.confirmed": True,
        "wound.assessedAt": dt.datetime.now(dt.UTC).replace(microsecond=0),
        "wound.location": "Left heel",
        "wound.type": "pressure-ulcer",
        "wound.pressureCategory": "2",
        "wound.length": 2.5,
        "wound.width": 1.5,
        "wound.tissue": ["granulating"],
        "wound.exudate": "low",
        "wound.infection": False,
        "wound.pain": 3,
        "wound.treatment": "Cleansed with saline; foam dressing applied.",
        "wound.photosTaken": True,
        "wound.photoConsent": "patient",
        "wound.photos": [
            PhotoAnswer(p.sha256, p.content_type, p.size, f"Left heel {n}", p.sha1_base64)
            for n, p in enumerate(photos, start=1)
        ],
    }
    filled = fill_note(
        form, answers, team_id=team_id, photos=photos, today=dt.datetime.now(dt.UTC).date()
    )
    note_id, _changes = nurse.lane.call(file_note, filled)
    nurse.engine.poke()
    nurse.watch.wait_for(lambda: nurse.watch.last().phase == "offline", "offline")
    held = nurse.lane.call(notes.get_note, note_id)
    assert held is not None and held.state == "queued"

    network.refusing = False  # the connection returns
    nurse.watch.wait_for(
        lambda: (n := nurse.lane.call(notes.get_note, note_id)) is not None and n.state == "filed",
        "the note is filed",
    )
    assert nurse.pending() == 0

    token = integration_token(live_server)
    found = fhir_get(
        live_server,
        token,
        "QuestionnaireResponse",
        **{"subject:identifier": f"{NHS_NUMBER_SYSTEM}|{NHS}"},
    )
    assert found["total"] == 1
    (entry,) = found["entry"]  # type: ignore[misc]
    response = entry["resource"]
    assert response["id"] == note_id and response["status"] == "completed"

    documents = fhir_get(
        live_server,
        token,
        "DocumentReference",
        **{"subject:identifier": f"{NHS_NUMBER_SYSTEM}|{NHS}"},
    )
    assert documents["total"] == 2
    served: dict[str, bytes] = {}
    for item in documents["entry"]:  # type: ignore[attr-defined]
        attachment = item["resource"]["content"][0]["attachment"]
        binary = fhir_get(live_server, token, attachment["url"])
        data = base64.b64decode(binary["data"])
        fmt = PhotoFormat.JPEG if binary["contentType"] == "image/jpeg" else PhotoFormat.PNG
        assert metadata_blocks(data, fmt) == []
        assert b"PhoneMaker" not in data and b"GPS" not in data
        served[binary["contentType"]] = data
    assert served == {p.content_type: p.data for p in photos}
