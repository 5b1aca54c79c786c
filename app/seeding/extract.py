"""Extract the key-project library and the published rollup tables from the plan's text."""

from __future__ import annotations

import json
import re
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final, TypedDict

SEED_DIR: Final = Path(__file__).resolve().parents[1] / "seed"
APPENDIX_PATH: Final = SEED_DIR / "appendix3.txt"
TABLES_PATH: Final = SEED_DIR / "tables_4_5.txt"
PARKS_PATH: Final = SEED_DIR / "parks.json"
CORRECTIONS_PATH: Final = SEED_DIR / "corrections.toml"
PROJECTS_PATH: Final = SEED_DIR / "projects.json"
PUBLISHED_TABLES_PATH: Final = SEED_DIR / "published_tables.json"

# Appendix order of the three categories: printed heading, id, code prefix.
CATEGORIES: Final = (
    ("公共基础设施", "infrastructure", "INF"),
    ("公共服务平台", "service_platform", "SVC"),
    ("创业创新能力", "innovation", "INN"),
)
CATEGORY_BY_HEADING: Final = {heading: cid for heading, cid, _ in CATEGORIES}
PREFIX_BY_CATEGORY: Final = {cid: prefix for _, cid, prefix in CATEGORIES}

# The column header the PDF repeats at the top of every appendix page, line by line.
PAGE_HEADER_LINES: Final = (
    "序号 项目名称 所属园区名称 主要建设内容及规模 建设",
    "年限",
    "总投资",
    "（单位：万元） 项目进展情况",
)
# Running footer: the plan's title, followed by the page number on its own line.
PAGE_FOOTER_TITLE: Final = "大连沿海产业转型升级示范区建设方案"

_CATEGORY_HEADING = re.compile(
    r"^[一二三四五六七八九十]\s*(?P<heading>" + "|".join(CATEGORY_BY_HEADING) + r")"
    r"\s*(?:（(?P<count>\d+)个?）)?$"
)
_CATEGORY_COUNT = re.compile(r"^（(?P<count>\d+)个?）$")
_GRAND_TOTAL = re.compile(r"^总计（(?P<count>\d+)个）\s+(?P<amount>\d+)$")
_PAGE_NUMBER = re.compile(r"^\d+$")
# Years and investment sit side by side and the range is often broken over lines ("2020-\n2022",
# "2018\n-2020"). The search runs on the text with its whitespace intact: squashed, "2019 6300"
# (a single year, then the investment) would read as one number.
_YEARS_AND_INVESTMENT = re.compile(
    r"(?<!\S)(?P<start>20\d\d)(?:\s*-\s*(?P<end>20\d\d))?\s+(?P<amount>\d+)(?!\S)"
)
_WHITESPACE_RUN = re.compile(r"\s+")


class ExtractionError(ValueError):
    """The source text does not have the shape the extraction relies on."""


class ProjectRecord(TypedDict):
    """One row of the appendix as written to projects.json."""

    code: str
    category: str
    seq: int
    name: str
    park_name: str
    content: str
    start_year: int
    end_year: int
    total_investment_wan: int
    progress_note: str
    source_lines: list[int]


@dataclass(frozen=True)
class SourceLine:
    """One line of the appendix with its 1-based line number."""

    number: int
    text: str


@dataclass(frozen=True)
class Correction:
    """A documented reassignment of source lines from one row to another."""

    lines: tuple[int, ...]
    from_code: str
    to_code: str
    reason: str


@dataclass
class CategorySection:
    """The rows of one category heading, as numbered body lines."""

    category: str
    declared_count: int | None
    lines: list[SourceLine] = field(default_factory=list)


@dataclass(frozen=True)
class RowText:
    """The body lines that one printed row spans."""

    code: str
    category: str
    seq: int
    lines: tuple[SourceLine, ...]


@dataclass(frozen=True)
class AppendixLayout:
    """The appendix split into its printed total and its category sections."""

    total_count: int
    total_amount_wan: int
    sections: tuple[CategorySection, ...]


def project_code(category: str, seq: int) -> str:
    """Return the stable code of a project, such as ``INF-001``."""
    return f"{PREFIX_BY_CATEGORY[category]}-{seq:03d}"


def is_page_header(text: str) -> bool:
    """Tell whether a line belongs to the column header repeated on every page."""
    return text.strip() in PAGE_HEADER_LINES


def join_cell(text: str) -> str:
    """Join a cell's PDF-wrapped lines into its printed text."""
    # The PDF wraps cells mid-word and puts a typographic gap between Chinese and Latin or
    # digits ("公路 I级", "占地面积 30700平方米"); neither is part of the text. A space is real
    # only between two Latin letters or digits, where it separates words or numbers. No cell of
    # appendix 3 has such a gap (the only ones fall between cells), so every field comes out
    # free of whitespace: "公路I级", "庄河海域I（100MW）" and "庄河海域IV-1（350MW）" alike.
    text = text.strip()

    def keep(match: re.Match[str]) -> str:
        before = text[match.start() - 1]
        after = text[match.end()]
        return " " if _is_latin_alnum(before) and _is_latin_alnum(after) else ""

    return _WHITESPACE_RUN.sub(keep, text)


def _is_latin_alnum(char: str) -> bool:
    return char.isascii() and char.isalnum()


def split_layout(text: str) -> AppendixLayout:
    """Drop page furniture and split the appendix into its category sections."""
    lines = [SourceLine(number, line) for number, line in enumerate(text.splitlines(), start=1)]
    total: tuple[int, int] | None = None
    sections: list[CategorySection] = []
    skip_page_number = False
    pending_count: CategorySection | None = None
    for line in lines:
        stripped = line.text.strip()
        if not stripped:
            continue
        if skip_page_number and _PAGE_NUMBER.match(stripped):
            skip_page_number = False
            continue
        skip_page_number = False
        if pending_count is not None:
            count_match = _CATEGORY_COUNT.match(stripped)
            pending_count = None
            if count_match:
                sections[-1].declared_count = int(count_match["count"])
                continue
        if is_page_header(stripped):
            continue
        if stripped == PAGE_FOOTER_TITLE:
            skip_page_number = True
            continue
        grand_total = _GRAND_TOTAL.match(stripped)
        if grand_total:
            total = (int(grand_total["count"]), int(grand_total["amount"]))
            continue
        heading = _CATEGORY_HEADING.match(stripped)
        if heading:
            count = heading["count"]
            section = CategorySection(
                CATEGORY_BY_HEADING[heading["heading"]], int(count) if count else None
            )
            sections.append(section)
            if count is None:
                pending_count = section
            continue
        if not sections:
            # Only the appendix title precedes the first category heading.
            continue
        sections[-1].lines.append(line)
    if total is None:
        raise ExtractionError("the appendix prints no 总计 line")
    return AppendixLayout(total[0], total[1], tuple(sections))


def split_rows(section: CategorySection) -> list[RowText]:
    """Cut a category section into rows at each line that opens with the next number."""
    rows: list[list[SourceLine]] = []
    for line in section.lines:
        # Numbers inside a cell can also open a line ("3 年内可启动）"), so only the next
        # expected sequence number starts a row.
        expected = len(rows) + 1
        if re.match(rf"^\s*{expected}(?:\s|$)", line.text):
            rows.append([line])
        elif rows:
            rows[-1].append(line)
        else:
            raise ExtractionError(f"line {line.number} precedes the first row of its category")
    return [
        RowText(project_code(section.category, seq), section.category, seq, tuple(row))
        for seq, row in enumerate(rows, start=1)
    ]


def load_corrections(text: str) -> list[Correction]:
    """Read the documented corrections from corrections.toml text."""
    data = tomllib.loads(text)
    entries: list[dict[str, Any]] = data.get("correction", [])
    return [
        Correction(
            lines=tuple(int(n) for n in entry["lines"]),
            from_code=str(entry["from"]),
            to_code=str(entry["to"]),
            reason=str(entry["reason"]),
        )
        for entry in entries
    ]


def apply_corrections(rows: list[RowText], corrections: Iterable[Correction]) -> list[RowText]:
    """Move the lines each correction names from one row to another, keeping line order."""
    by_code = {row.code: list(row.lines) for row in rows}
    for correction in corrections:
        source = by_code[correction.from_code]
        moved = [line for line in source if line.number in correction.lines]
        if len(moved) != len(correction.lines):
            raise ExtractionError(
                f"correction lines {correction.lines} are not all in {correction.from_code}"
            )
        by_code[correction.from_code] = [line for line in source if line not in moved]
        target = by_code[correction.to_code] + moved
        by_code[correction.to_code] = sorted(target, key=lambda line: line.number)
    return [RowText(row.code, row.category, row.seq, tuple(by_code[row.code])) for row in rows]


def park_spellings(parks: Sequence[Mapping[str, Any]]) -> list[str]:
    """Return the park spellings the appendix prints, longest first."""
    spellings: list[str] = []
    for park in parks:
        # Table 4's short labels never occur in the appendix; matching them could only misfire.
        printed = [park["name"], *(a for a in park["aliases"] if a != park["table4_name"])]
        spellings.extend(str(s) for s in printed)
    return sorted(set(spellings), key=lambda s: (-len(s), s))


def _spelling_pattern(spelling: str) -> re.Pattern[str]:
    # A park name is its own cell: whitespace may break it anywhere, and it never runs into
    # the neighbouring name or content cell without a gap ("万纬大连保税区产业园项目" is a name).
    body = r"\s*".join(re.escape(char) for char in spelling)
    return re.compile(rf"(?<!\S){body}(?!\S)")


def parse_row(row: RowText, spellings: Sequence[str]) -> ProjectRecord:
    """Split one row's text into its printed fields."""
    text = "\n".join(line.text for line in row.lines)
    seq_match = re.match(rf"\s*{row.seq}(?=\s|$)", text)
    if seq_match is None:
        raise ExtractionError(f"{row.code} does not open with its number")
    rest = text[seq_match.end() :]

    candidates = [
        (match.start(), -len(spelling), spelling, match)
        for spelling in spellings
        if (match := _spelling_pattern(spelling).search(rest))
    ]
    if not candidates:
        raise ExtractionError(f"{row.code} names no known park")
    _, _, park_name, park_match = min(candidates, key=lambda c: (c[0], c[1]))

    after_park = rest[park_match.end() :]
    years = _YEARS_AND_INVESTMENT.search(after_park)
    if years is None:
        raise ExtractionError(f"{row.code} prints no years and investment")
    start_year = int(years["start"])
    end_year = int(years["end"] or years["start"])
    if end_year < start_year:
        raise ExtractionError(f"{row.code} prints a year range that runs backwards")

    return ProjectRecord(
        code=row.code,
        category=row.category,
        seq=row.seq,
        name=join_cell(rest[: park_match.start()]),
        park_name=park_name,
        content=join_cell(after_park[: years.start()]),
        start_year=start_year,
        end_year=end_year,
        total_investment_wan=int(years["amount"]),
        progress_note=join_cell(after_park[years.end() :]),
        source_lines=[row.lines[0].number, row.lines[-1].number],
    )


def extract_rows(text: str, corrections: Iterable[Correction] = ()) -> list[RowText]:
    """Return every appendix row as the body lines it spans, corrections applied."""
    layout = split_layout(text)
    rows = [row for section in layout.sections for row in split_rows(section)]
    return apply_corrections(rows, corrections)


def extract_projects(
    text: str,
    parks: Sequence[Mapping[str, Any]],
    corrections: Iterable[Correction] = (),
) -> list[ProjectRecord]:
    """Parse the appendix text into project records in appendix order."""
    spellings = park_spellings(parks)
    return [parse_row(row, spellings) for row in extract_rows(text, corrections)]


# Table 4's column groups in print order; table 5's start-year buckets in print order.
TABLE4_COLUMNS: Final = ("all", "infrastructure", "service_platform", "innovation")
TABLE5_COLUMNS: Final = ("all", "before_2019", "2019", "2020", "2021")
TIER_BY_LABEL: Final = {"（一）示范园区": "demonstration", "（二）重点园区": "key"}
_TABLE_TITLE = re.compile(r"^表\s*(?P<number>\d+)：")
_EMPTY_CELL: Final = "——"


def _cell_value(token: str) -> int | None:
    if token == _EMPTY_CELL:
        return None
    if not token.isdigit():
        raise ExtractionError(f"unexpected table cell {token!r}")
    return int(token)


def _table_rows(lines: Sequence[str], width: int) -> list[tuple[str, list[int | None]]]:
    rows: list[tuple[str, list[int | None]]] = []
    for line in lines:
        label, *tokens = line.split()
        # Data rows are a label and then only numbers or dashes; header rows are words.
        if len(tokens) == 2 * width and all(t.isdigit() or t == _EMPTY_CELL for t in tokens):
            rows.append((label, [_cell_value(t) for t in tokens]))
    return rows


def _cells(columns: Sequence[str], values: Sequence[int | None]) -> dict[str, dict[str, Any]]:
    return {
        column: {"count": values[2 * i], "amount_wan": values[2 * i + 1]}
        for i, column in enumerate(columns)
    }


def extract_published_tables(
    tables_text: str, appendix_text: str, parks: Sequence[Mapping[str, Any]]
) -> dict[str, Any]:
    """Read tables 4 and 5 as printed, with the headline figures of plan and appendix."""
    blocks: dict[str, list[str]] = {}
    titles: dict[str, str] = {}
    current: str | None = None
    for line in tables_text.splitlines():
        stripped = line.strip()
        if not stripped:
            continue
        title = _TABLE_TITLE.match(stripped)
        if title:
            current = f"table{title['number']}"
            titles[current] = stripped
            blocks[current] = []
        elif current is not None:
            blocks[current].append(stripped)
    if set(blocks) != {"table4", "table5"}:
        raise ExtractionError(f"expected tables 4 and 5, found {sorted(blocks)}")

    park_by_label = {str(p["table4_name"]): (str(p["id"]), str(p["tier"])) for p in parks}
    table4_rows: list[dict[str, Any]] = []
    printed_tier: str | None = None
    for label, values in _table_rows(blocks["table4"], len(TABLE4_COLUMNS)):
        cells = _cells(TABLE4_COLUMNS, values)
        if label == "合计":
            table4_rows.append(
                {"label": label, "kind": "total", "park_id": None, "tier": None, "cells": cells}
            )
        elif label in TIER_BY_LABEL:
            printed_tier = TIER_BY_LABEL[label]
            table4_rows.append(
                {
                    "label": label,
                    "kind": "tier",
                    "park_id": None,
                    "tier": printed_tier,
                    "cells": cells,
                }
            )
        elif label in park_by_label:
            park_id, tier = park_by_label[label]
            # A region belongs to the tier heading it is printed under; parks.json must agree.
            if tier != printed_tier:
                raise ExtractionError(f"table 4 prints {label} under {printed_tier}, not {tier}")
            table4_rows.append(
                {"label": label, "kind": "park", "park_id": park_id, "tier": tier, "cells": cells}
            )
        else:
            raise ExtractionError(f"table 4 row {label!r} is no known region")

    table5_rows: list[dict[str, Any]] = []
    for label, values in _table_rows(blocks["table5"], len(TABLE5_COLUMNS)):
        cells = _cells(TABLE5_COLUMNS, values)
        if label == "合计":
            table5_rows.append({"label": label, "kind": "total", "category": None, "cells": cells})
        elif label in CATEGORY_BY_HEADING:
            table5_rows.append(
                {
                    "label": label,
                    "kind": "category",
                    "category": CATEGORY_BY_HEADING[label],
                    "cells": cells,
                }
            )
        else:
            raise ExtractionError(f"table 5 row {label!r} is no known category")

    total = table4_rows[0]["cells"]["all"]
    if table5_rows[0]["cells"]["all"] != total:
        raise ExtractionError("tables 4 and 5 print different grand totals")
    layout = split_layout(appendix_text)
    return {
        "table4": {"title": titles["table4"], "columns": list(TABLE4_COLUMNS), "rows": table4_rows},
        "table5": {"title": titles["table5"], "columns": list(TABLE5_COLUMNS), "rows": table5_rows},
        "headline": {
            "count": total["count"],
            "amount_wan": total["amount_wan"],
            "appendix_count": layout.total_count,
            "appendix_amount_wan": layout.total_amount_wan,
        },
    }


def to_json(data: object) -> str:
    """Serialise seed data the way the seed files store it."""
    return json.dumps(data, ensure_ascii=False, indent=2) + "\n"


def read_parks(path: Path = PARKS_PATH) -> list[dict[str, Any]]:
    """Read the park reference data."""
    parks: list[dict[str, Any]] = json.loads(path.read_text(encoding="utf-8"))
    return parks


def read_corrections(path: Path = CORRECTIONS_PATH) -> list[Correction]:
    """Read the documented corrections."""
    return load_corrections(path.read_text(encoding="utf-8"))


def build_seed_files(seed_dir: Path = SEED_DIR) -> dict[str, str]:
    """Return the generated seed files' names and contents, read from the copies in seed_dir."""
    appendix = (seed_dir / APPENDIX_PATH.name).read_text(encoding="utf-8")
    tables = (seed_dir / TABLES_PATH.name).read_text(encoding="utf-8")
    parks = read_parks(seed_dir / PARKS_PATH.name)
    corrections = read_corrections(seed_dir / CORRECTIONS_PATH.name)
    projects = extract_projects(appendix, parks, corrections)
    published = extract_published_tables(tables, appendix, parks)
    return {
        PROJECTS_PATH.name: to_json(projects),
        PUBLISHED_TABLES_PATH.name: to_json(published),
    }


def main() -> None:
    """Regenerate projects.json and published_tables.json from the seed text copies."""
    for name, content in build_seed_files().items():
        (SEED_DIR / name).write_text(content, encoding="utf-8", newline="\n")


if __name__ == "__main__":
    main()
