"""Question banks in and out: GIFT for Moodle, QTI 2.1 content packages for ILIAS and OpenOLAT.

Rule: pure conversions. A compiled course (and the bytes of its media) comes in, bytes or text
go out; QTI bytes come in, unit files in the course format and line-numbered messages go out.
No Flask, no database, no files, no network, no clock: the command line reads and writes.
"""

from .gift_export import GiftExport, export_gift
from .notes import Note
from .qti_export import QtiExport, export_qti
from .qti_import import QtiImport, import_qti

__all__ = ["GiftExport", "Note", "QtiExport", "QtiImport", "export_gift", "export_qti",
           "import_qti"]
