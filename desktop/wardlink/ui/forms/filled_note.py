"""A form filled in and confirmed, ready to file: the draft the store takes, and its photos.

Built with the core (`build_response`, or `amend_response` for a new version), so the resource is
checked exactly as the record server will check it. The author is left for filing to stamp:
the editor does not know who is signed in, the store does (`filing.file_note`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Final

from wardlink.core.fhir import AMENDMENT_REASON_EXTENSION, AMENDS_EXTENSION
from wardlink.core.forms import (
    Form,
    amend_response,
    build_response,
    patient_of,
    photo_hashes,
    summary_text,
)
from wardlink.core.identifiers import DEFAULT_CHI_SYSTEM
from wardlink.core.photos import ProcessedPhoto
from wardlink.store.notes import NoteDraft

# Filing stamps the signed-in staff member over these (see module docstring).
UNSIGNED: Final = ""
_REFERENCE_PREFIX: Final = "QuestionnaireResponse/"


class PhotosNotHere(ValueError):
    """A photo of the earlier version has not been downloaded to this computer yet."""

    message: Final = (
        "A photo from the earlier version is not on this computer yet. Connect so that it can "
        "download, then submit again."
    )

    def __init__(self) -> None:
        super().__init__(self.message)


@dataclass(frozen=True)
class FilledNote:
    """What the editor hands over when the user submits.

    `draft.resource` is the QuestionnaireResponse (its author is stamped when it is filed);
    `photos` are the processed photos it references, in the order they were attached.
    """

    draft: NoteDraft
    photos: tuple[ProcessedPhoto, ...]


@dataclass(frozen=True)
class Amendment:
    """Which version a filled note amends, and why (read back from its resource)."""

    version_of: str
    reason: str


def fill_note(
    form: Form,
    answers: Mapping[str, object],
    *,
    team_id: str,
    photos: Sequence[ProcessedPhoto],
    today: dt.date,
    previous: Mapping[str, object] | None = None,
    reason: str = "",
    chi_system: str = DEFAULT_CHI_SYSTEM,
) -> FilledNote:
    """The note for `answers` (a new version of `previous` when given); InvalidAnswers says
    what to fix, PhotosNotHere if a referenced photo's bytes are missing."""
    if previous is None:
        resource = build_response(
            form, answers, staff_id=UNSIGNED, staff_name=UNSIGNED, today=today,
            chi_system=chi_system,
        )  # fmt: skip
    else:
        resource = amend_response(
            previous, answers, reason=reason, staff_id=UNSIGNED, staff_name=UNSIGNED, today=today,
            chi_system=chi_system,
        )  # fmt: skip
    hashes = photo_hashes(resource)
    held = {photo.sha256: photo for photo in photos}
    if any(sha not in held for sha in hashes):
        raise PhotosNotHere
    patient = patient_of(resource)
    draft = NoteDraft(
        team_id=team_id,
        form_url=form.url,
        form_version=form.version,
        form_title=form.title,
        patient_system=patient.system,
        patient_value=patient.value,
        authored=str(resource["authored"]),
        resource=resource,
        search_text=summary_text(resource),
        photos=tuple(hashes),
    )
    return FilledNote(draft, tuple(held[sha] for sha in hashes))


def amendment_of(filled: FilledNote) -> Amendment | None:
    """The version `filled` amends and the reason given, or None for a new note: what
    `filing.file_amendment` needs besides the note itself."""
    extensions = filled.draft.resource.get("extension")
    found: dict[object, object] = {}
    for extension in extensions if isinstance(extensions, list) else ():
        if isinstance(extension, dict):
            found[extension.get("url")] = extension
    amends, reason = found.get(AMENDS_EXTENSION), found.get(AMENDMENT_REASON_EXTENSION)
    if not isinstance(amends, dict) or not isinstance(reason, dict):
        return None
    reference = amends.get("valueReference")
    target = reference.get("reference") if isinstance(reference, dict) else None
    if not isinstance(target, str) or not target.startswith(_REFERENCE_PREFIX):
        return None
    return Amendment(target.removeprefix(_REFERENCE_PREFIX), str(reason.get("valueString", "")))
