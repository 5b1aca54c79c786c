"""Control characters are refused in every text input: API bodies and queries, forms, uploads."""

import csv
import io
import math
import re
from datetime import datetime
from typing import Any, get_args

import pytest
from openpyxl import Workbook
from pydantic import BaseModel, ValidationError
from sqlmodel import func, select

from app.clock import REPORTING_TZ
from app.exports.writers import XLSX_MEDIA_TYPE
from app.fields import NON_BLANK, PLAIN
from app.main import create_app
from app.models import Park, ProgressEntry, Project
from tests import factories

# Vertical tab and escape (C0), DEL, and CSI (C1): none is text anyone types.
CONTROLS = ["\x0b", "\x1b", "\x7f", "\x9b"]
HEADERS = [
    "项目编号",
    "项目名称",
    "报告日期",
    "项目状态",
    "完成百分比（%）",
    "累计完成投资（万元）",
]
TEXT_HEADERS = {"note": "形象进度", "issues": "存在问题"}
PARK = {"id": "zhuanghe", "name": "大连庄河经济开发区", "aliases": ["庄河开发区"], "tier": "key"}
PROJECT = {
    "category": "innovation",
    "name": "高新区智慧路网改造工程",
    "park_id": "gaoxin",
    "content": "改造道路约12公里。",
    "start_year": 2026,
    "end_year": 2028,
    "total_investment_wan": 36000,
}


def today():
    return datetime.now(REPORTING_TZ).date().isoformat()


def report_body(**changes):
    return {"as_of": today(), "status": "under_construction", "note": "桩基", **changes}


def stored(session):
    """What a refused request must leave untouched."""
    return (
        session.exec(select(func.count()).select_from(Park)).one(),
        session.exec(select(func.count()).select_from(Project)).one(),
        session.exec(select(func.count()).select_from(ProgressEntry)).one(),
        session.exec(select(func.sum(Park.version))).one(),
        session.exec(select(func.sum(Project.version))).one(),
    )


def _refused(response, loc):
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    errors = response.json()["errors"]
    assert [e["loc"][: len(loc)] for e in errors] == [loc], errors
    assert "control character" in errors[0]["msg"]


@pytest.fixture
def code(session) -> str:
    """A project of park gaoxin made for the test."""
    return factories.project(session).code


def entry_id(client, auth, code):
    response = client.post(
        f"/api/v1/projects/{code}/progress", json=report_body(), headers=auth("officer", "gaoxin")
    )
    assert response.status_code == 201, response.text
    return response.json()["id"]


def _with_text(value, text):
    """The field's valid value with the text inside it, or a list holding it."""
    if isinstance(value, list):
        return [f"甲{text}乙"]
    return f"{value[:2]}{text}{value[2:]}" if value else f"甲{text}乙"


# Every text field of every request body, as (method, path, body, field, who, etag path);
# `{code}` is a project of park gaoxin the test makes.
BODIES = [
    *(
        ("post", "/api/v1/projects/{code}/progress", report_body(), field, "admin", None)
        for field in ("note", "issues")
    ),
    *(
        ("post", "/api/v1/parks", PARK, field, "admin", None)
        for field in ("name", "aliases", "table4_name")
    ),
    *(
        ("patch", "/api/v1/parks/gaoxin", {}, field, "admin", "/api/v1/parks/gaoxin")
        for field in ("name", "aliases", "table4_name")
    ),
    *(
        ("post", "/api/v1/projects", PROJECT, field, "admin", None)
        for field in ("name", "printed_park_name", "content")
    ),
    *(
        ("patch", "/api/v1/projects/{code}", {}, field, "admin", "/api/v1/projects/{code}")
        for field in ("name", "printed_park_name", "content")
    ),
]


@pytest.mark.parametrize("control", CONTROLS)
@pytest.mark.parametrize(
    ("method", "path", "body", "field", "role", "etag_of"),
    BODIES,
    ids=[f"{m}-{p}-{f}" for m, p, _, f, _, _ in BODIES],
)
def test_json_bodies_refuse_control_characters(
    client, auth, session, control, method, path, body, field, role, etag_of
):
    if "{code}" in path:
        code = factories.project(session).code
        path = path.format(code=code)
        etag_of = etag_of and etag_of.format(code=code)
    headers = auth(role)
    if etag_of is not None:
        headers["If-Match"] = client.get(etag_of, headers=headers).headers["etag"]
    default = ["大连某某"] if field == "aliases" else "大连某某"
    sent = {**body, field: _with_text(body.get(field, default), control)}
    before = stored(session)
    response = client.request(method, path, json=sent, headers=headers)
    _refused(response, ["body", field])
    assert stored(session) == before


@pytest.mark.parametrize("control", CONTROLS)
def test_project_ids_refuse_control_characters(client, auth, session, control):
    # park_id names a park, but it is a text field of the body all the same.
    response = client.post(
        "/api/v1/projects", json={**PROJECT, "park_id": f"gao{control}xin"}, headers=auth("admin")
    )
    _refused(response, ["body", "park_id"])


@pytest.mark.parametrize("control", CONTROLS)
@pytest.mark.parametrize("decision", ["approve", "return"])
def test_review_comments_refuse_control_characters(client, auth, session, code, control, decision):
    reported = entry_id(client, auth, code)
    response = client.post(
        f"/api/v1/projects/{code}/progress/{reported}/{decision}",
        json={"comment": f"请核实{control}数据"},
        headers=auth("planner"),
    )
    _refused(response, ["body", "comment"])
    assert session.get(ProgressEntry, reported).review_state == "submitted"


@pytest.mark.parametrize("control", CONTROLS)
@pytest.mark.parametrize(
    "path", ["/api/v1/projects", "/api/v1/rollups", "/api/v1/reports/blockers"]
)
def test_search_text_refuses_control_characters(client, auth, control, path):
    params = {"q": f"大{control}连", **({"by": "park"} if "rollups" in path else {})}
    response = client.get(path, params=params, headers=auth())
    _refused(response, ["query", "q"])


def test_tab_and_line_breaks_are_text(client, auth, session, code):
    response = client.post(
        f"/api/v1/projects/{code}/progress",
        json=report_body(note="一、桩基\n二、主体\r\n三、\t装修", issues="甲\t乙"),
        headers=auth("admin"),
    )
    assert response.status_code == 201, response.text
    entry = session.get(ProgressEntry, response.json()["id"])
    assert (entry.note, entry.issues) == ("一、桩基\n二、主体\r\n三、\t装修", "甲\t乙")


# Uploads ----------------------------------------------------------------------------------


def csv_upload(code, field, text):
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([*HEADERS, *TEXT_HEADERS.values()])
    values = {"note": "桩基", "issues": "", field: f"主体{text}施工"}
    writer.writerow([code, "", today(), "在建", 40, "", values["note"], values["issues"]])
    return buffer.getvalue().encode("utf-8-sig")


def xlsx_upload(code, field, text):
    book = Workbook()
    sheet = book.active
    sheet.append([*HEADERS, *TEXT_HEADERS.values()])
    values = {"note": "桩基", "issues": "", field: f"主体{text}施工"}
    sheet.append([code, "", today(), "在建", 40, None, values["note"], values["issues"]])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


# XML, and so XLSX, cannot carry most C0 characters at all; DEL and C1 it can.
UPLOADS = [
    *(("csv", control) for control in CONTROLS),
    *(("xlsx", control) for control in ("\x7f", "\x9b")),
]


@pytest.mark.parametrize(("kind", "control"), UPLOADS)
@pytest.mark.parametrize("field", ["note", "issues"])
def test_uploads_refuse_control_characters_naming_row_and_column(
    client, auth, session, code, kind, control, field
):
    content = (csv_upload if kind == "csv" else xlsx_upload)(code, field, control)
    mime = "text/csv" if kind == "csv" else XLSX_MEDIA_TYPE
    before = stored(session)
    response = client.post(
        "/api/v1/progress-uploads",
        files={"file": (f"report.{kind}", content, mime)},
        headers=auth("officer", "gaoxin"),
    )
    _refused(response, ["file", 2, TEXT_HEADERS[field]])
    assert "row 2" in response.json()["detail"]
    assert stored(session) == before


# The OpenAPI document ---------------------------------------------------------------------


def _rule(parts: tuple[Any, ...]) -> Any:
    """`PLAIN` or `NON_BLANK` if a field's annotation or metadata carries it, else None."""
    for part in parts:
        if part is PLAIN or part is NON_BLANK:
            return part
        if found := _rule(get_args(part)):
            return found
    return None


def _models() -> list[type[BaseModel]]:
    found, todo = [], [BaseModel]
    while todo:
        for sub in todo.pop().__subclasses__():
            found.append(sub)
            todo.append(sub)
    return [model for model in found if model.__module__.startswith("app.")]


# Built first: the app imports every schema module.
DOCUMENT = create_app().openapi()
# Every field of every schema that carries the rule, as (model, field name, rule).
TEXT_FIELDS = [
    (model, name, rule)
    for model in _models()
    for name, field in model.model_fields.items()
    if (rule := _rule((*field.metadata, field.annotation)))
]


def _documented(model: type[BaseModel], name: str) -> list[tuple[dict[str, Any], bool]]:
    """The document's string schemas for a field (body or query), each with: is it a list?"""
    alias = model.model_fields[name].alias or name
    schemas = DOCUMENT["components"]["schemas"]
    if model.__name__ in schemas:
        found = [schemas[model.__name__]["properties"][alias]]
    else:
        found = [
            parameter["schema"]
            for operations in DOCUMENT["paths"].values()
            for operation in operations.values()
            for parameter in operation.get("parameters", [])
            if (parameter["in"], parameter["name"]) == ("query", alias)
        ]
    kinds = [
        next(kind for kind in schema.get("anyOf", [schema]) if kind.get("type") != "null")
        for schema in found
    ]
    return [(kind.get("items", kind), "items" in kind) for kind in kinds]


def _stated(schema: dict[str, Any], text: str) -> bool:
    """Whether the document allows `text`, read as a JSON Schema validator reads it."""
    return re.search(schema["pattern"], text) is not None and schema.get("minLength", 0) <= len(
        text
    ) <= schema.get("maxLength", math.inf)


def _accepted(model: type[BaseModel], name: str, value: object) -> bool:
    try:
        model.__pydantic_validator__.validate_assignment(model.model_construct(), name, value)
    except ValidationError:
        return False
    return True


# Every character below U+0300 and in the blocks where the other blanks a strip takes off
# live (every control and every such blank is there), and texts of several characters.
SAMPLES = [
    *(chr(code) for code in range(0x300)),
    *(chr(code) for code in (0x1680, *range(0x2000, 0x2070), *range(0x3000, 0x3010))),
    *["", "  ", "\u3000\u3000", " \t\r\n", " 主体 ", "主体封顶", "第一行\n第二行\t", "\ufeff"],
    *["\x1b[31m", "a\x7fb", "甲\x9b乙", "\x00", "a\x85", " \x0b ", "😀", "x" * 4001],
]


def test_the_document_names_every_text_field():
    found = {(model.__name__, name) for model, name, _ in TEXT_FIELDS}
    assert {("ProgressCreate", "note"), ("ParkCreate", "name"), ("ProjectFilters", "q")} <= found
    assert {
        ("ParkCreate", "aliases"),
        ("ProjectCreate", "name"),
        ("ReturnRequest", "comment"),
    } <= found


@pytest.mark.parametrize(
    ("model", "name", "rule"),
    TEXT_FIELDS,
    ids=[f"{model.__name__}.{name}" for model, name, _ in TEXT_FIELDS],
)
def test_every_text_field_states_the_rule_its_validator_holds(model, name, rule):
    documented = _documented(model, name)
    assert documented, "the document does not show this field"
    for schema, is_list in documented:
        assert schema["pattern"] == rule.pattern
        # What the document allows the service accepts, and the other way round: the pattern
        # and the field's lengths are the whole rule, stripping included.
        longest = schema.get("maxLength", 0)
        for text in [*SAMPLES, "x" * longest, "x" * (longest + 1)]:
            value = [text] if is_list else text
            assert _stated(schema, text) == _accepted(model, name, value), repr(text)
