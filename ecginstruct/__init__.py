"""ecginstruct: regenerate ECGInstruct-style image/instruction datasets from raw ECG repositories."""

__version__ = "0.1.0"

from ecginstruct.types import (  # noqa: E402
    STANDARD_LEADS,
    Conversation,
    ECGRecord,
    LeadPanel,
    Page,
    RecordError,
    RecordRef,
)

__all__ = [
    "__version__",
    "STANDARD_LEADS",
    "Conversation",
    "ECGRecord",
    "LeadPanel",
    "Page",
    "RecordError",
    "RecordRef",
]
