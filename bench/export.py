"""Benchmark: export the flagship course (courses/) as SCORM 1.2, SCORM 2004 and cmi5 packages.

Prints the median time per export and the package size for each format, and as the bare
baseline a plain zip (deflate, default settings) of the same course files (the Markdown and
images) in the same run, with the ratios against it. Compiling the course is measured once
on its own and is not part of the export times (the app compiles a version once per process).
Last line: name=value pairs.
"""

from __future__ import annotations

import sys

# bench/http.py must not shadow the standard library's `http` package for this script
sys.path[:] = [p for p in sys.path if not p.endswith("bench")]

import argparse
import io
import statistics
import time
import zipfile
from collections.abc import Callable
from pathlib import Path

from lernmodul.content import load_course, read_course_files
from lernmodul.packages import FORMATS, build_package

FLAGSHIP = Path(__file__).resolve().parents[1] / "courses" / "bedrohungsmanagement"


def median_seconds(run: Callable[[], bytes], repeat: int) -> tuple[float, bytes]:
    times, data = [], b""
    for _ in range(repeat):
        start = time.perf_counter()
        data = run()
        times.append(time.perf_counter() - start)
    return statistics.median(times), data


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--course", type=Path, default=FLAGSHIP)
    args = parser.parse_args()

    start = time.perf_counter()
    result = load_course(args.course)
    compile_seconds = time.perf_counter() - start
    course = result.course
    assert course is not None and result.ok, "the course has errors"
    media = {m: (args.course / m).read_bytes() for u in course.units for m in u.media}
    names = sorted(read_course_files(args.course))
    sources = {name: (args.course / name).read_bytes() for name in names}

    def plain_zip() -> bytes:
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for name, data in sources.items():
                archive.writestr(name, data)
        return buffer.getvalue()

    base_seconds, base = median_seconds(plain_zip, args.repeat)
    print(f"course: {course.id} {course.version}, {len(course.units)} units, "
          f"{len(course.questions())} questions, {len(media)} images; compile "
          f"{compile_seconds * 1000:.1f} ms (once, not in the export times)")
    print(f"baseline plain zip of the course files: {base_seconds * 1000:.2f} ms, "
          f"{len(base)} bytes")
    pairs = [f"baseline_ms={base_seconds * 1000:.2f}", f"baseline_bytes={len(base)}"]
    for package_format in FORMATS:
        seconds, data = median_seconds(
            lambda f=package_format: build_package(course, media, f), args.repeat)
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            entries = len(archive.namelist())
        print(f"{package_format:>9}: {seconds * 1000:7.2f} ms  {len(data):7d} bytes  "
              f"{entries:2d} files  time x{seconds / base_seconds:.1f}  "
              f"size x{len(data) / len(base):.2f} of the baseline")
        pairs += [f"{package_format}_ms={seconds * 1000:.2f}", f"{package_format}_bytes={len(data)}",
                  f"{package_format}_time_ratio={seconds / base_seconds:.1f}",
                  f"{package_format}_size_ratio={len(data) / len(base):.2f}"]
    print(" ".join(pairs))


if __name__ == "__main__":
    main()
