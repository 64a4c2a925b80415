"""Triage: what a message is about (category), how fast it needs an answer
(urgency) and its language, from desk rules (config/triage.toml) and an optional
trained model.  See docs/taxonomy.md for the labels."""
from router.classify.classifier import Classification, classify, classify_many
from router.classify.evaluate import Report, evaluate
from router.classify.model import TriageModel, load_model
from router.classify.rules import get_rules
from router.classify.training import train

__all__ = ["Classification", "Report", "TriageModel", "classify", "classify_many", "evaluate", "get_rules",
           "load_model", "train"]
