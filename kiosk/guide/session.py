"""Walking a guide: answers in, the current question and the checklist out (sans-IO, no screen)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from hall_protocol.errors import OneVisitError
from kiosk.guide.model import Guide, Option, Question
from kiosk.i18n import Bilingual, Lang


class GuideAnswerError(OneVisitError):
    """An answer that is not an option of the current question (or the guide is already finished)."""


@dataclass(frozen=True, slots=True)
class ChecklistItem:
    id: str
    name: Bilingual
    note: Bilingual


@dataclass(frozen=True, slots=True)
class Checklist:
    guide_id: str
    title: Bilingual
    items: tuple[ChecklistItem, ...]
    notes: tuple[Bilingual, ...]
    answers: tuple[tuple[str, str], ...]  # (question id, option id); no personal data
    complete: bool

    @property
    def material_ids(self) -> tuple[str, ...]:
        return tuple(i.id for i in self.items)

    def to_text(self, lang: Lang) -> str:
        """Plain text for the phone QR and for the printed slip."""
        lines = [self.title.render(lang)]
        for n, item in enumerate(self.items, 1):
            note = item.note.render(lang)
            lines.append(f"{n}. {item.name.render(lang)}" + (f" ({note})" if note else ""))
        lines.extend(f"* {note.render(lang)}" for note in self.notes)
        return "\n".join(lines)


class GuideSession:
    """``GuideSession(guide, ["buy", "loan"]).checklist()``; ``answer`` / ``back`` move through the tree."""

    def __init__(self, guide: Guide, answers: Iterable[str] = ()) -> None:
        self.guide = guide
        self._answers: list[tuple[Question, Option]] = []
        for option_id in answers:
            self.answer(option_id)

    @property
    def current(self) -> Question | None:
        """The question to ask now; None when the guide is finished."""
        if not self._answers:
            return self.guide.question(self.guide.start)
        nxt = self._answers[-1][1].next
        return None if nxt is None else self.guide.question(nxt)

    @property
    def done(self) -> bool:
        return self.current is None

    @property
    def can_go_back(self) -> bool:
        return bool(self._answers)

    @property
    def depth(self) -> int:
        """How many questions have been answered (the screen shows "question n")."""
        return len(self._answers)

    @property
    def answers(self) -> tuple[tuple[str, str], ...]:
        return tuple((q.id, o.id) for q, o in self._answers)

    def answer(self, option_id: str) -> Question | None:
        q = self.current
        if q is None:
            raise GuideAnswerError(f"guide {self.guide.id!r} is finished; no question to answer")
        for o in q.options:
            if o.id == option_id:
                self._answers.append((q, o))
                return self.current
        raise GuideAnswerError(
            f"guide {self.guide.id!r}, question {q.id!r}: no option {option_id!r} "
            f"(options: {', '.join(o.id for o in q.options)})"
        )

    def back(self) -> Question | None:
        """Undo the last answer; returns the question asked again (the first one when nothing was answered)."""
        if self._answers:
            self._answers.pop()
        return self.current

    def restart(self) -> None:
        self._answers.clear()

    def chosen(self, question_id: str) -> str | None:
        for q, o in self._answers:
            if q.id == question_id:
                return o.id
        return None

    def checklist(self) -> Checklist:
        """The checklist for the answers so far (complete once ``done``)."""
        ids: list[str] = list(dict.fromkeys(self.guide.base))
        notes: list[Bilingual] = []
        for _, o in self._answers:
            ids = [m for m in ids if m not in o.remove]
            ids += [m for m in o.add if m not in ids]
            if o.note_zh:
                notes.append(Bilingual(o.note_zh, o.note_en))
        items = tuple(
            ChecklistItem(
                id=m,
                name=Bilingual(self.guide.materials[m].zh, self.guide.materials[m].en),
                note=Bilingual(self.guide.materials[m].note_zh, self.guide.materials[m].note_en),
            )
            for m in ids
        )
        return Checklist(
            guide_id=self.guide.id,
            title=Bilingual(self.guide.name_zh, self.guide.name_en),
            items=items,
            notes=tuple(notes),
            answers=self.answers,
            complete=self.done,
        )


def checklist_for(guide: Guide, answers: Iterable[str]) -> Checklist:
    return GuideSession(guide, answers).checklist()
