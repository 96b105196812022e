"""The patient view: a patient's notes from the user's teams, every version readable, photos
from memory, amend (handed to the form editor) and PDF export where policy allows it."""

from wardlink.ui.patients.patient_dialog import PatientDialog
from wardlink.ui.patients.patient_view import PatientView

__all__ = ["PatientDialog", "PatientView"]
