"""The team list: the user's teams with their unread counts, moved through with the keyboard."""

from __future__ import annotations

from typing import Any, Final

from PySide6.QtCore import (
    QAbstractListModel,
    QItemSelectionModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QRect,
    QSize,
    Qt,
    Signal,
)
from PySide6.QtGui import QColor, QFont, QPainter, QPen
from PySide6.QtWidgets import (
    QAbstractItemView,
    QListView,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QWidget,
)

from wardlink.core.model import Team, TeamKind
from wardlink.store.changes import Changes
from wardlink.store.messages import UNREAD_CAP
from wardlink.ui import view_queries
from wardlink.ui.bridge import Bridge
from wardlink.ui.theme import colors_for
from wardlink.ui.view_queries import TeamOverview

Index = QModelIndex | QPersistentModelIndex

TeamRole: Final = Qt.ItemDataRole.UserRole + 1
UnreadRole: Final = Qt.ItemDataRole.UserRole + 2


def unread_text(count: int) -> str:
    return "" if count <= 0 else "999+" if count >= UNREAD_CAP else str(count)


def kind_text(kind: TeamKind) -> str:
    return "Ward team" if kind is TeamKind.WARD else "Community team"


class TeamListModel(QAbstractListModel):
    """The teams, loaded through the bridge and refreshed when teams or messages change.

    Signals:
    - loaded(): the teams and counts arrived (first time and after each refresh).
    """

    loaded = Signal()

    def __init__(self, bridge: Bridge, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._bridge = bridge
        self._teams: list[Team] = []
        self._unread: dict[str, int] = {}
        self._loading = False
        self._again = False
        self._active = True
        bridge.changed.connect(self.on_changes)

    def reload(self) -> None:
        if self._loading:
            self._again = True
            return
        self._loading = True
        self._active = True
        self._bridge.run(view_queries.team_overview, on_done=self._arrived)

    def clear(self) -> None:
        """Forget the teams (the app is locking): nothing of them stays on screen."""
        self._active = False
        self.beginResetModel()
        self._teams, self._unread = [], {}
        self.endResetModel()

    def on_changes(self, changes: Changes) -> None:
        if self._active and (changes.teams or changes.messages or changes.purged):
            self.reload()

    def _arrived(self, overview: TeamOverview) -> None:
        self._loading = False
        if not self._active:
            return
        if [t.id for t in overview.teams] == [t.id for t in self._teams]:
            self._teams, self._unread = overview.teams, overview.unread
            if self._teams:
                self.dataChanged.emit(self.index(0, 0), self.index(len(self._teams) - 1, 0))
        else:
            self.layoutAboutToBeChanged.emit()
            old = self.persistentIndexList()
            old_ids = [self._teams[i.row()].id if i.row() < len(self._teams) else "" for i in old]
            self._teams, self._unread = overview.teams, overview.unread
            rows = {team.id: row for row, team in enumerate(self._teams)}
            self.changePersistentIndexList(
                old,
                [self.index(rows[i], 0) if i in rows else QModelIndex() for i in old_ids],
            )
            self.layoutChanged.emit()
        self.loaded.emit()
        if self._again:
            self._again = False
            self.reload()

    def team_at(self, row: int) -> Team | None:
        return self._teams[row] if 0 <= row < len(self._teams) else None

    def row_of(self, team_id: str) -> int | None:
        for row, team in enumerate(self._teams):
            if team.id == team_id:
                return row
        return None

    def unread(self, team_id: str) -> int:
        return self._unread.get(team_id, 0)

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._teams)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        team = self.team_at(index.row()) if index.isValid() else None
        if team is None:
            return None
        count = self._unread.get(team.id, 0)
        if role == TeamRole:
            return team
        if role == UnreadRole:
            return count
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.AccessibleTextRole):
            unread = unread_text(count)
            return f"{team.name}, {unread} unread" if unread else team.name
        if role == Qt.ItemDataRole.ToolTipRole:
            return kind_text(team.kind)
        return None


class TeamDelegate(QStyledItemDelegate):
    """A team's name and kind, with its unread count in a badge."""

    def sizeHint(self, option: QStyleOptionViewItem, index: Index) -> QSize:
        return QSize(option.rect.width(), round(option.fontMetrics.height() * 3.0))

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: Index) -> None:
        team = index.data(TeamRole)
        if not isinstance(team, Team):
            return
        count = int(index.data(UnreadRole) or 0)
        colors = colors_for(option.palette)
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        focused = bool(option.state & QStyle.StateFlag.State_HasFocus)
        hovered = bool(option.state & QStyle.StateFlag.State_MouseOver)
        rect = option.rect
        unit = option.fontMetrics.height()
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        if selected:
            painter.fillRect(rect, QColor(colors.primary))
        elif hovered:
            painter.fillRect(rect, QColor(colors.hover))
        if focused:
            painter.setPen(QPen(QColor(colors.focus), 3.0))
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawRect(rect.adjusted(2, 2, -2, -2))
        text_color = QColor(colors.primary_text if selected else colors.text)
        muted = QColor(colors.primary_text if selected else colors.muted)

        badge = unread_text(count)
        badge_font = QFont(option.font)
        badge_font.setWeight(QFont.Weight.Bold)
        painter.setFont(badge_font)
        badge_width = painter.fontMetrics().horizontalAdvance(badge) + unit if badge else 0
        right = rect.right() - unit
        if badge:
            pill = QRect(
                right - badge_width, rect.center().y() - unit // 2 - 2, badge_width, unit + 4
            )
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(QColor(colors.primary_text if selected else colors.primary))
            painter.drawRoundedRect(pill, pill.height() / 2, pill.height() / 2)
            painter.setPen(QColor(colors.primary if selected else colors.primary_text))
            painter.drawText(pill, Qt.AlignmentFlag.AlignCenter, badge)
            right = pill.left() - unit // 2

        name_font = QFont(option.font)
        name_font.setWeight(QFont.Weight.Bold if count else QFont.Weight.DemiBold)
        painter.setFont(name_font)
        name_rect = QRect(
            rect.left() + unit, rect.top() + round(unit * 0.45), right - rect.left() - unit, unit
        )
        name = painter.fontMetrics().elidedText(
            team.name, Qt.TextElideMode.ElideRight, name_rect.width()
        )
        painter.setPen(text_color)
        painter.drawText(
            name_rect, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, name
        )
        small = QFont(option.font)
        if small.pointSizeF() > 0:
            small.setPointSizeF(small.pointSizeF() * 0.86)
        painter.setFont(small)
        painter.setPen(muted)
        kind_rect = QRect(
            name_rect.left(), name_rect.bottom() + round(unit * 0.25), name_rect.width(), unit
        )
        painter.drawText(
            kind_rect,
            Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
            kind_text(team.kind),
        )
        painter.restore()


class TeamList(QListView):
    """The team list. Up/Down (or Ctrl+Page Up/Down anywhere) move between teams.

    Signals:
    - team_selected(str): the team now shown (its id).
    """

    team_selected = Signal(str)

    def __init__(self, model: TeamListModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("teamList")
        self.setAccessibleName("Teams")
        self.setAccessibleDescription("Your teams, with how many messages you have not read")
        self._model = model
        self.setModel(model)
        self.setItemDelegate(TeamDelegate(self))
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setMouseTracking(True)
        self._shown: str | None = None
        self._preferred: str | None = None
        self.selectionModel().currentChanged.connect(self._current_changed)
        model.loaded.connect(self._loaded)

    @property
    def shown_team(self) -> str | None:
        return self._shown

    def select_team(self, team_id: str) -> bool:
        row = self._model.row_of(team_id)
        if row is None:
            return False
        self.select_row(row)
        return True

    def select_row(self, row: int) -> None:
        if 0 <= row < self._model.rowCount():
            self.selectionModel().setCurrentIndex(
                self._model.index(row, 0), QItemSelectionModel.SelectionFlag.ClearAndSelect
            )

    def step(self, delta: int) -> None:
        """Move to the next (+1) or previous (-1) team, wrapping round."""
        count = self._model.rowCount()
        if count:
            current = self.currentIndex().row() if self.currentIndex().isValid() else -1
            self.select_row((current + delta) % count)

    def _current_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        team = current.data(TeamRole) if current.isValid() else None
        if isinstance(team, Team) and team.id != self._shown:
            self._shown = team.id
            self.team_selected.emit(team.id)

    def _loaded(self) -> None:
        if self._shown is not None and self.select_team(self._shown):
            return
        self._shown = None  # none yet, or the team went away (removed from it)
        preferred, self._preferred = self._preferred, None
        if preferred is not None and self.select_team(preferred):
            return
        if self._model.rowCount():
            self.select_row(0)

    def forget(self) -> None:
        """Forget which team was shown, so that selecting it again shows it afresh."""
        self._shown = None

    def prefer(self, team_id: str | None) -> None:
        """The team to select when the list next loads (the one shown before locking)."""
        self._preferred = team_id
