"""Pages: who is responsible for a project, the editions of the library, and the
reconciliation's worklist with each differing cell linked to its projects."""

import re

from tests import factories

CODE = "2019-210200-44-01-012345"


def test_the_project_page_shows_who_is_responsible(sign_in, session):
    project = factories.project(
        session,
        owner="大连光电子科技有限公司",
        responsible_unit="大连高新区经济发展局",
        leader="张三",
        national_code=CODE,
    )
    page = sign_in("planner").get(f"/web/projects/{project.code}")
    assert page.status_code == 200, page.text
    for label in ("业主单位", "责任单位", "包保领导", "项目代码", "入库批次"):
        assert f"<dt>{label}</dt>" in page.text
    assert "大连光电子科技有限公司" in page.text
    assert 'href="/web/projects?unit=%E5%A4%A7%E8%BF%9E' in page.text
    assert CODE in page.text
    assert 'href="/web/projects?edition=additions"' in page.text


def test_a_seeded_project_reads_unspecified(sign_in):
    page = sign_in("planner").get("/web/projects/INN-033")
    assert page.status_code == 200
    owner = re.search(r'<dd id="owner">([^<]*)</dd>', page.text)
    assert owner is not None
    assert owner.group(1) == "(未指定)"
    assert "示范区建设方案附件3（2019）" in page.text


def test_the_editions_page_lists_the_plan_and_its_batches(sign_in):
    page = sign_in("officer", "gaoxin").get("/web/editions")
    assert page.status_code == 200, page.text
    assert 'data-edition="plan"' in page.text
    assert 'href="/web/projects?edition=plan"' in page.text
    assert "178" in page.text


def test_each_differing_cell_links_to_its_projects_and_its_explanation(sign_in):
    browser = sign_in("planner")
    page = browser.get("/web/reconciliation")
    assert page.status_code == 200
    item = re.search(
        r'<li id="(cell-1-\d+-innovation)" data-row="长兴岛开发区".*?</li>', page.text, re.S
    )
    assert item is not None
    text = item.group(0)
    assert 'href="/web/projects/INN-033"' in text
    assert "恒力石化" in text
    assert "说明" in text
    assert 'href="/web/projects?edition=plan&amp;park=changxingdao&amp;category=innovation"' in text
    # The difference in the table links to the item.
    assert f'href="#{item.group(1)}"' in page.text
    listed = browser.get("/web/projects?edition=plan&park=changxingdao&category=innovation")
    assert listed.status_code == 200
    assert "INN-033" in listed.text


def test_the_list_marks_projects_added_after_the_plan(sign_in, session):
    project = factories.project(session, name="新增的项目")
    page = sign_in("planner").get("/web/projects", params={"q": "新增的项目"})
    assert page.status_code == 200
    assert project.code in page.text
    assert "后续入库（未注明批次）</span>" in page.text
    seeded = sign_in("planner").get("/web/projects", params={"q": "PTA-4"})
    assert "INN-033" in seeded.text
    assert '<span class="tag" title="入库批次">' not in seeded.text
