"""Course versions as e-learning packages: SCORM 1.2, SCORM 2004 (4th edition) and cmi5.

Rule: pure builders. A compiled course (`lernmodul.core.model.Course`) and the bytes of its
images come in, the bytes of one zip go out. No Flask, no database, no clock, no randomness:
the same version gives the same bytes. The only files read are this package's own assets
(the player) and the web app's stylesheet, shipped with lernmodul as package data.

A package grades in the learner's browser, so its answer keys travel with it: they are
hashed (typed answers) or obfuscated (choices), never in plain sight, but a package is for
practice and low-stakes use only. Exams that count run in lernmodul itself or its LTI tool.
"""

from __future__ import annotations

from .build import FORMATS, PackageOptions, build_package

__all__ = ["FORMATS", "PackageOptions", "build_package"]
