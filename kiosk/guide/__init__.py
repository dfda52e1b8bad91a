"""Guided questions (情景化引导): question trees that yield a citizen's exact material checklist."""

from kiosk.guide.load import load_guide_file, load_guides, validate_guide
from kiosk.guide.model import Guide, Material, Option, Question
from kiosk.guide.session import Checklist, ChecklistItem, GuideAnswerError, GuideSession, checklist_for

__all__ = [
    "Checklist",
    "ChecklistItem",
    "Guide",
    "GuideAnswerError",
    "GuideSession",
    "Material",
    "Option",
    "Question",
    "checklist_for",
    "load_guide_file",
    "load_guides",
    "validate_guide",
]
