"""Clinical forms in the desktop app: the note editor, its photos, and filing a note.

`NoteEditor` is what the main window opens; `filing.file_note` / `file_amendment` are the
operations it runs on the DB lane with the editor's `FilledNote`.
"""

from wardlink.ui.forms.filled_note import Amendment, FilledNote, amendment_of
from wardlink.ui.forms.form_picker import FormPicker, choose_form
from wardlink.ui.forms.note_editor import NoteEditor

__all__ = ["Amendment", "FilledNote", "FormPicker", "NoteEditor", "amendment_of", "choose_form"]
