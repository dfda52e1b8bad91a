"""A guide (情景化引导) as written in ``configs/*/guides/{id}.toml``: a short question tree whose answers
add and remove materials, so the citizen gets the exact checklist for their situation (一次告知)."""

from __future__ import annotations

from typing import Annotated

import msgspec

from hall_protocol.config_files import ConfigStruct

NodeId = Annotated[str, msgspec.Meta(pattern=r"^[a-z0-9][a-z0-9_-]{0,47}$", description="lower-case id")]
GuideId = Annotated[str, msgspec.Meta(pattern=r"^[A-Za-z0-9_-]{1,32}$")]
NonEmpty = Annotated[str, msgspec.Meta(min_length=1)]


class Material(ConfigStruct, kw_only=True, frozen=True):
    zh: NonEmpty
    en: NonEmpty
    note_zh: str = ""
    """e.g. 原件及复印件各一份; 可由部门共享获取，无需提交."""
    note_en: str = ""


class Option(ConfigStruct, kw_only=True, frozen=True):
    id: NodeId
    label_zh: NonEmpty
    label_en: NonEmpty
    add: tuple[NodeId, ...] = ()
    """Material ids added to the checklist when this option is chosen."""
    remove: tuple[NodeId, ...] = ()
    """Material ids taken off (e.g. shared electronically, so not needed on paper)."""
    next: NodeId | None = None
    """The next question; none means the guide ends here."""
    note_zh: str = ""
    """A tip shown on the checklist when this option was chosen."""
    note_en: str = ""


class Question(ConfigStruct, kw_only=True, frozen=True):
    id: NodeId
    text_zh: NonEmpty
    text_en: NonEmpty
    help_zh: str = ""
    help_en: str = ""
    options: Annotated[tuple[Option, ...], msgspec.Meta(min_length=1)]


class Guide(ConfigStruct, kw_only=True, frozen=True):
    id: GuideId
    name_zh: NonEmpty
    name_en: NonEmpty
    start: NodeId
    materials: dict[NodeId, Material]
    questions: Annotated[tuple[Question, ...], msgspec.Meta(min_length=1)]
    base: tuple[NodeId, ...] = ()
    """Materials everyone needs, before any answer."""

    def question(self, question_id: str) -> Question:
        for q in self.questions:
            if q.id == question_id:
                return q
        raise KeyError(question_id)
