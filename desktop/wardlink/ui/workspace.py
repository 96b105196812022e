"""The unlocked window's layout: app bar, team list | team header, timeline, warning, composer.

Only arrangement here; what the parts do is wired by the main window.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QSplitter, QVBoxLayout, QWidget

from wardlink.ui.composer import Composer
from wardlink.ui.teamlist import TeamList
from wardlink.ui.timeline_view import TimelineView
from wardlink.ui.undelivered import UndeliveredBanner

APP_NAME = "Wardlink"


class Workspace(QWidget):
    """The parts of the window a signed-in, unlocked user works in."""

    def __init__(
        self,
        display_name: str,
        team_list: TeamList,
        timeline: TimelineView,
        banner: UndeliveredBanner,
        composer: Composer,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("workspace")
        column = QVBoxLayout(self)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(0)
        column.addWidget(self._app_bar(display_name))
        splitter = QSplitter(Qt.Orientation.Horizontal)
        side = self._side_panel(team_list)
        splitter.addWidget(side)
        splitter.addWidget(self._chat(timeline, banner, composer))
        splitter.setStretchFactor(1, 1)
        splitter.setChildrenCollapsible(False)
        splitter.setHandleWidth(1)
        em = self.fontMetrics().horizontalAdvance("M")
        side.setMinimumWidth(em * 12)
        splitter.setSizes([em * 25, em * 70])
        column.addWidget(splitter, 1)

    def _app_bar(self, display_name: str) -> QFrame:
        bar = QFrame(self)
        bar.setObjectName("appBar")
        name = QLabel(APP_NAME, bar)
        name.setObjectName("appName")
        self.user_label = QLabel(display_name, bar)
        self.user_label.setAccessibleName("Signed in as")
        row = QHBoxLayout(bar)
        row.setContentsMargins(16, 8, 16, 8)
        row.addWidget(name)
        row.addStretch(1)
        row.addWidget(self.user_label)
        return bar

    def _side_panel(self, team_list: TeamList) -> QFrame:
        side = QFrame()
        side.setObjectName("sidePanel")
        label = QLabel("TEAMS", side)
        label.setObjectName("sectionLabel")
        label.setBuddy(team_list)
        column = QVBoxLayout(side)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(0)
        column.addWidget(label)
        column.addWidget(team_list, 1)
        return side

    def _chat(
        self, timeline: TimelineView, banner: UndeliveredBanner, composer: Composer
    ) -> QWidget:
        header = QFrame()
        header.setObjectName("teamHeader")
        self.team_title = QLabel(header)
        self.team_title.setObjectName("teamTitle")
        self.team_title.setAccessibleName("Team")
        self.team_kind = QLabel(header)
        self.team_kind.setObjectName("hint")
        header_row = QHBoxLayout(header)
        header_row.setContentsMargins(16, 10, 16, 10)
        header_row.addWidget(self.team_title)
        header_row.addSpacing(10)
        header_row.addWidget(self.team_kind)
        header_row.addStretch(1)

        chat = QWidget()
        column = QVBoxLayout(chat)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(0)
        column.addWidget(header)
        column.addWidget(timeline, 1)
        banner_box = QVBoxLayout()
        banner_box.setContentsMargins(12, 6, 12, 6)
        banner_box.addWidget(banner)
        column.addLayout(banner_box)
        column.addWidget(composer)
        return chat

    def show_team(self, name: str, kind: str) -> None:
        self.team_title.setText(name)
        self.team_kind.setText(kind)
