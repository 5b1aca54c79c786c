"""The extracted project library is complete, faithful to appendix 3 and reproducible."""

import itertools
import json
import re
from collections import Counter, defaultdict
from typing import Any

import pytest

from app.seeding.extract import (
    APPENDIX_PATH,
    CORRECTIONS_PATH,
    PARKS_PATH,
    PROJECTS_PATH,
    PUBLISHED_TABLES_PATH,
    SEED_DIR,
    TABLES_PATH,
    Correction,
    ExtractionError,
    build_seed_files,
    extract_projects,
    extract_published_tables,
    extract_rows,
    join_cell,
    load_corrections,
    read_corrections,
    read_parks,
    split_layout,
    to_json,
)

APPENDIX_TEXT = APPENDIX_PATH.read_text(encoding="utf-8")
APPENDIX_LINES = APPENDIX_TEXT.splitlines()
PROJECTS: list[dict[str, Any]] = json.loads(PROJECTS_PATH.read_text(encoding="utf-8"))
PARKS: list[dict[str, Any]] = json.loads(PARKS_PATH.read_text(encoding="utf-8"))
TABLES: dict[str, Any] = json.loads(PUBLISHED_TABLES_PATH.read_text(encoding="utf-8"))
CORRECTIONS = read_corrections()
BY_CODE = {p["code"]: p for p in PROJECTS}

# Page furniture, recognised here on its own terms rather than with the extraction's code.
PAGE_HEADER = {
    "序号 项目名称 所属园区名称 主要建设内容及规模 建设",
    "年限",
    "总投资",
    "（单位：万元） 项目进展情况",
}
PAGE_FOOTER = "大连沿海产业转型升级示范区建设方案"
STRUCTURE = re.compile(
    r"^(附件 3产业转型升级示范区重点项目库|总计（178个） 21124119"
    r"|[一二三] (公共基础设施|公共服务平台|创业创新能力).*|（\d+个）)$"
)
# The one row printed with a range that starts and ends in the same year.
PRINTED_AS_RANGE = {"INF-048"}


def _furniture() -> set[int]:
    numbers: set[int] = set()
    after_footer = False
    for number, line in enumerate(APPENDIX_LINES, start=1):
        text = line.strip()
        if not text:
            continue
        if after_footer and text.isdigit():
            numbers.add(number)
        after_footer = text == PAGE_FOOTER
        if text in PAGE_HEADER or text == PAGE_FOOTER:
            numbers.add(number)
    return numbers


FURNITURE = _furniture()
BODY = [
    number
    for number, line in enumerate(APPENDIX_LINES, start=1)
    if line.strip() and number not in FURNITURE and not STRUCTURE.match(line.strip())
]


def _row_lines() -> dict[str, list[int]]:
    """Give every body line to the row that opens last before it, then apply the corrections."""
    starts = sorted((p["source_lines"][0], p["code"]) for p in PROJECTS)
    owned: dict[str, list[int]] = defaultdict(list)
    for number in BODY:
        opened = [code for first, code in starts if first <= number]
        assert opened, f"line {number} lies before the first row"
        owned[opened[-1]].append(number)
    for correction in CORRECTIONS:
        for number in correction.lines:
            owned[correction.from_code].remove(number)
            owned[correction.to_code].append(number)
    return {code: sorted(lines) for code, lines in owned.items()}


ROW_LINES = _row_lines()


def _squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


def _printed_years(project: dict[str, Any]) -> str:
    start, end = project["start_year"], project["end_year"]
    if start != end or project["code"] in PRINTED_AS_RANGE:
        return f"{start}-{end}"
    return str(start)


def test_category_counts_match_the_headings() -> None:
    counts = Counter(p["category"] for p in PROJECTS)
    assert counts == {"infrastructure": 53, "service_platform": 11, "innovation": 114}
    layout = split_layout(APPENDIX_TEXT)
    assert [(s.category, s.declared_count) for s in layout.sections] == [
        ("infrastructure", 53),
        ("service_platform", 11),
        ("innovation", 114),
    ]
    assert (layout.total_count, layout.total_amount_wan) == (178, 21124119)


def test_total_investment_matches_the_printed_total() -> None:
    assert sum(p["total_investment_wan"] for p in PROJECTS) == 21_124_119


def test_sequence_numbers_are_contiguous_and_codes_unique() -> None:
    prefix = {"infrastructure": "INF", "service_platform": "SVC", "innovation": "INN"}
    by_category: dict[str, list[int]] = defaultdict(list)
    for project in PROJECTS:
        by_category[project["category"]].append(project["seq"])
        assert project["code"] == f"{prefix[project['category']]}-{project['seq']:03d}"
    for seqs in by_category.values():
        assert seqs == list(range(1, len(seqs) + 1))
    assert len({p["code"] for p in PROJECTS}) == len(PROJECTS) == 178


def test_records_have_exactly_the_agreed_keys() -> None:
    keys = [
        "code",
        "category",
        "seq",
        "name",
        "park_name",
        "content",
        "start_year",
        "end_year",
        "total_investment_wan",
        "progress_note",
        "source_lines",
    ]
    assert all(list(p) == keys for p in PROJECTS)


def test_years_and_investments_are_sane() -> None:
    for project in PROJECTS:
        assert 2000 <= project["start_year"] <= project["end_year"] <= 2030, project["code"]
        amount = project["total_investment_wan"]
        assert isinstance(amount, int), project["code"]
        assert amount > 0, project["code"]


def test_text_fields_hold_no_whitespace() -> None:
    # No cell of the appendix has a gap between two Latin letters or digits, so the joining
    # rule leaves no space anywhere; a space here would mean two cells ran together.
    for project in PROJECTS:
        for key in ("name", "park_name", "content", "progress_note"):
            assert not re.search(r"\s", project[key]), (project["code"], key)
        assert project["name"], project["code"]
        assert project["content"], project["code"]


@pytest.mark.parametrize("project", PROJECTS, ids=lambda p: p["code"])
def test_fields_spell_out_the_source_row(project: dict[str, Any]) -> None:
    lines = ROW_LINES[project["code"]]
    assert project["source_lines"] == [lines[0], lines[-1]]
    source = "".join(APPENDIX_LINES[number - 1] for number in lines)
    fields = (
        str(project["seq"]),
        project["name"],
        project["park_name"],
        project["content"],
        _printed_years(project),
        str(project["total_investment_wan"]),
        project["progress_note"],
    )
    assert _squash("".join(fields)) == _squash(source)


def test_rows_cover_the_body_once_and_in_order() -> None:
    covered = sorted(number for lines in ROW_LINES.values() for number in lines)
    assert covered == BODY
    corrected = {c.from_code for c in CORRECTIONS} | {c.to_code for c in CORRECTIONS}
    ranges = [p["source_lines"] for p in PROJECTS if p["code"] not in corrected]
    for (_, last), (first, _) in itertools.pairwise(ranges):
        assert last < first
    for first, last in (p["source_lines"] for p in PROJECTS):
        inside = range(first, last + 1)
        assert not any(STRUCTURE.match(APPENDIX_LINES[n - 1].strip()) for n in inside)


def test_rerun_reproduces_the_seed_files_byte_for_byte() -> None:
    files = build_seed_files(SEED_DIR)
    assert files["projects.json"] == PROJECTS_PATH.read_text(encoding="utf-8")
    assert files["published_tables.json"] == PUBLISHED_TABLES_PATH.read_text(encoding="utf-8")
    again = extract_projects(APPENDIX_TEXT, read_parks(), CORRECTIONS)
    assert to_json(again) == PROJECTS_PATH.read_bytes().decode("utf-8")
    tables = extract_published_tables(
        TABLES_PATH.read_text(encoding="utf-8"), APPENDIX_TEXT, read_parks()
    )
    assert to_json(tables) == PUBLISHED_TABLES_PATH.read_bytes().decode("utf-8")


# Rows read by eye against seed/appendix3.txt, every field written out from the printed text.
VERIFIED: list[dict[str, Any]] = [
    {
        # 大连金普新区 is printed on this row only; "公路 I级" loses the typographic gap.
        "code": "INF-001",
        "category": "infrastructure",
        "seq": 1,
        "name": "沈海高速金州互通立交改造工程",
        "park_name": "大连金普新区",
        "content": "互通立交改造，公路I级。",
        "start_year": 2020,
        "end_year": 2022,
        "total_investment_wan": 45000,
        "progress_note": "正在开展前期论证。",
        "source_lines": [14, 17],
    },
    {
        # A single printed year, on the same line as the end of the content.
        "code": "INF-009",
        "category": "infrastructure",
        "seq": 9,
        "name": "大连软件园腾飞园区7号楼项目",
        "park_name": "大连高新技术产业园区",
        "content": "占地面积为10300m²，建筑面积为13683m²，包含办公楼1栋，地上7层。",
        "start_year": 2019,
        "end_year": 2019,
        "total_investment_wan": 6300,
        "progress_note": "封顶，主体验收。",
        "source_lines": [110, 117],
    },
    {
        # The progress note starts on its own line below the investment and runs over three.
        "code": "INF-015",
        "category": "infrastructure",
        "seq": 15,
        "name": "旅顺新城区综合管廊工程（一期）",
        "park_name": "旅顺经济技术开发区",
        "content": "管廊总长度约5.46千米，建设公共管廊工程的主体结构、控制中心、设备房及管廊供电"
        "照明、通风、通信监控报警及消防等辅助设施。",
        "start_year": 2017,
        "end_year": 2020,
        "total_investment_wan": 60000,
        "progress_note": "完成设计交底、图纸会审，2号路底板浇筑25m，底板钢筋绑扎200m，20号路管廊"
        "350m。",
        "source_lines": [193, 208],
    },
    {
        # Park and content share the name's second line; the content breaks over a blank line.
        "code": "INF-023",
        "category": "infrastructure",
        "seq": 23,
        "name": "维龙-中驰车福辽宁电商产业园项目",
        "park_name": "大连保税区",
        "content": "占地面积10万平米。拟在全国范围内开发定制15个区域运营中心。",
        "start_year": 2020,
        "end_year": 2022,
        "total_investment_wan": 60000,
        "progress_note": "地上物动迁中。",
        "source_lines": [293, 298],
    },
    {
        "code": "INF-025",
        "category": "infrastructure",
        "seq": 25,
        "name": "F2国际汽车赛道",
        "park_name": "大连花园口经济区",
        "content": "占地面积75265平方米（112亩），其中高速赛道面积32460平方米（48.69亩），后场看台"
        "面积36908平方米（55.36亩），商业配套建筑占地面积5897平方米（8.85亩）。",
        "start_year": 2019,
        "end_year": 2020,
        "total_investment_wan": 170000,
        "progress_note": "完成可行性研究报告。",
        "source_lines": [316, 325],
    },
    {
        # The number stands alone above a blank line; the range is printed as 2020-2020.
        "code": "INF-048",
        "category": "infrastructure",
        "seq": 48,
        "name": "大连港庄河港区将军石作业区301#—303#通用泊位配套内航道及公共航道疏浚工程",
        "park_name": "大连循环经济产业区",
        "content": "建设捏航道按照30000吨级杂货船乘潮单项通航的标准设计，航道通航宽度140米，"
        "设计底高程为-8.9米，公共航道清淤疏浚约4.9万立方米，疏浚后设计底标高为7.8米。",
        "start_year": 2020,
        "end_year": 2020,
        "total_investment_wan": 2214,
        "progress_note": "已完成施工图批复。",
        "source_lines": [677, 694],
    },
    {
        # 大连普兰店经\n济区, and a progress note that itself mentions "2019 年 10月".
        "code": "INF-052",
        "category": "infrastructure",
        "seq": 52,
        "name": "海天妇婴医院项目",
        "park_name": "大连普兰店经济区",
        "content": "项目是经大连市卫计委批准的二级专科医院，规划用地面积11173平方米，总建筑面积"
        "40294平方米，医院设住院床位200张，诊疗科目包括妇科、产科、内外科、中医科、急诊科、"
        "医学检验科、医学影像科等。",
        "start_year": 2017,
        "end_year": 2019,
        "total_investment_wan": 35000,
        "progress_note": "项目主体完工，外部装修及配套设施建设已完成，正在进行内部装修设计，"
        "计划2019年10月分投入使用13000平方米。",
        "source_lines": [730, 745],
    },
    {
        "code": "INF-053",
        "category": "infrastructure",
        "seq": 53,
        "name": "新建三台变电站项目",
        "park_name": "大连瓦房店轴承产业园区",
        "content": "占地面积34699平方米，220KV进出线终期8回，本期4回。110KV出线终期16回，本期12回。"
        "10KV出线本期及终期8回。本期及终期安装6台主变压器，其中本期2台240MVA主变、"
        "2台40MVA主变。",
        "start_year": 2018,
        "end_year": 2019,
        "total_investment_wan": 36411,
        "progress_note": "完成投资3000万元人民币，变电站基础已完成。",
        "source_lines": [746, 761],
    },
    {
        # The park name breaks over a blank line: 大连经济技术\n\n开发区.
        "code": "SVC-002",
        "category": "service_platform",
        "seq": 2,
        "name": "计量检测校准中心平台项目",
        "park_name": "大连经济技术开发区",
        "content": "办公楼房维修、改造10500平方米，购置相关校准、检测等仪器设备。本项目要建设计量"
        "检测校准中心平台，其中包括以下内容：计量检测校准综合服务中心",
        "start_year": 2018,
        "end_year": 2021,
        "total_investment_wan": 12000,
        "progress_note": "搭建计量检测校准中心的基础框架，完成大部分仪器设备采购，基本完成本项目"
        "各项功能所需的仪器及设备采购",
        "source_lines": [781, 798],
    },
    {
        "code": "SVC-003",
        "category": "service_platform",
        "seq": 3,
        "name": "通用仪器仪表制造及综合检验检测项目",
        "park_name": "大连经济技术开发区",
        "content": "建筑面积7588.26平方米，新建包括色谱检测实验室、微生物检测实验室、光谱检测"
        "实验室、理化检测实验室，前处理实验室，色谱检测实验室等以及相关平台配套设施",
        "start_year": 2018,
        "end_year": 2018,
        "total_investment_wan": 8252,
        "progress_note": "主体工程完成",
        "source_lines": [800, 813],
    },
    {
        # The word-order variant 大连循环产业经济区, printed on this row only.
        "code": "SVC-010",
        "category": "service_platform",
        "seq": 10,
        "name": "大连九成智慧城",
        "park_name": "大连循环产业经济区",
        "content": "项目规划占地500亩，建筑面积约100万平方米，总投资40亿元，重点发展智慧城市、"
        "时空信息、计算机与信息技术、云计算服务、电子商务、大数据、物联网等新兴产业。",
        "start_year": 2015,
        "end_year": 2025,
        "total_investment_wan": 400000,
        "progress_note": "智慧城一期工程占地78.8亩，建筑面积7.3万平方米，总投资6亿元，现已全部"
        "建成，目前已入驻面积1.2万平方米。",
        "source_lines": [909, 923],
    },
    {
        # The range breaks before the dash: "2018\n-2020".
        "code": "INN-033",
        "category": "innovation",
        "seq": 33,
        "name": "恒力石化（大连）有限公司年产250万吨PTA-4项目",
        "park_name": "大连长兴岛经济技术开发区",
        "content": "占地面积月14.6万平方米，主要采用国际先进的技术建设年产250万吨PTA装置及配套"
        "附属设施。",
        "start_year": 2018,
        "end_year": 2020,
        "total_investment_wan": 290000,
        "progress_note": "全面进入设备安装阶段",
        "source_lines": [1436, 1449],
    },
    {
        # The investment sits below the years, after a blank line.
        "code": "INN-039",
        "category": "innovation",
        "seq": 39,
        "name": "哈瓦无人机项目",
        "park_name": "旅顺经济技术开发区",
        "content": "规划占地面积5.8万平方米，总建筑面积约5.33万平方米，开展特殊用途无人机的研发、"
        "生产和销售。",
        "start_year": 2019,
        "end_year": 2021,
        "total_investment_wan": 40000,
        "progress_note": "正在积极开展项目投资洽谈。",
        "source_lines": [1530, 1540],
    },
    {
        "code": "INN-066",
        "category": "innovation",
        "seq": 66,
        "name": "大连鑫洋食品有限公司二期扩建厂房项目（红河农产品物流分拨基地）",
        "park_name": "大连保税区",
        "content": "仓储物流及加工设施，占地1.6万，建筑面积1.2万。",
        "start_year": 2019,
        "end_year": 2019,
        "total_investment_wan": 6000,
        "progress_note": "办理施工许可手续。",
        "source_lines": [1885, 1892],
    },
    {
        # The name contains the park's spelling, which is not the park cell.
        "code": "INN-071",
        "category": "innovation",
        "seq": 71,
        "name": "万纬大连保税区产业园项目",
        "park_name": "大连保税区",
        "content": "占地23.7万平方米，建筑面积13万平方米，建设仓储分拨中心、商品展示交易中心、"
        "分拣加工中心、物流金融中心、信息处理中心及综合楼。",
        "start_year": 2018,
        "end_year": 2019,
        "total_investment_wan": 90000,
        "progress_note": "形象进度完成，钢结构主体完成，屋面完成，墙面维护结构施工。投资计划完成。",
        "source_lines": [1945, 1957],
    },
    {
        "code": "INN-074",
        "category": "innovation",
        "seq": 74,
        "name": "中英（大连）先进制造产业示范园国家汽车质量监督检验中心—新能源汽车测试科研"
        "中心及创新项目",
        "park_name": "大连花园口经济区",
        "content": "占地357.5亩，规划建筑面积28642平方米，新建一座新能源测试科研中心，"
        "一座创新大楼，并购置相关实验设备。",
        "start_year": 2019,
        "end_year": 2020,
        "total_investment_wan": 51495,
        "progress_note": "已完成项目备案，正在进行施工招标。",
        "source_lines": [1989, 2008],
    },
    {
        # "海域 I" on one line and "（100MW）" on the next join without a space.
        "code": "INN-097",
        "category": "innovation",
        "seq": 97,
        "name": "大连市庄河海域I（100MW）海上风电场项目",
        "park_name": "大连循环经济产业区",
        "content": "装机容量100MW。",
        "start_year": 2020,
        "end_year": 2022,
        "total_investment_wan": 200000,
        "progress_note": "正在开展前期核准工作。",
        "source_lines": [2282, 2290],
    },
    {
        # The park name broken across lines: 大连普兰店经\n济开发区.
        "code": "INN-101",
        "category": "innovation",
        "seq": 101,
        "name": "固特异五期二阶段",
        "park_name": "大连普兰店经济开发区",
        "content": "在原有厂区新增建筑面积5.67万平方米。年新增生产子午线乘用车轮胎500万条。"
        "五期二阶段主要进行自密封技术部分施工。",
        "start_year": 2019,
        "end_year": 2020,
        "total_investment_wan": 169763,
        "progress_note": "因市场原因项目暂缓，厂房暂时不建，但有设备投资，"
        "其中自密封轮胎部分正常进行。",
        "source_lines": [2328, 2340],
    },
    {
        # No progress note is printed.
        "code": "INN-103",
        "category": "innovation",
        "seq": 103,
        "name": "海通电器项目",
        "park_name": "大连普兰店经济开发区",
        "content": "占地10亩，主要从事机械部件加工及销售、机电设备维修等。",
        "start_year": 2019,
        "end_year": 2020,
        "total_investment_wan": 2200,
        "progress_note": "",
        "source_lines": [2358, 2365],
    },
    {
        # The content mentions years ("2019 年 4", "2030 年") that are not the row's years.
        "code": "INN-105",
        "category": "innovation",
        "seq": 105,
        "name": "中国移动（辽宁大连）数据中心",
        "park_name": "大连普兰店经济开发区",
        "content": "占地10.7万平方米，建筑面积15万平方米，项目分三期建设，一期投资9.37亿元，"
        "二期投资10亿元，三期投资5亿元，主要建设数据机房、动力机房、维护支撑用房、变电站用房"
        "及相应机电配套工程和室外工程等。计划一期2019年4约开工，2021年建成运营，三期工程"
        "2030年建成运营。",
        "start_year": 2019,
        "end_year": 2030,
        "total_investment_wan": 252000,
        "progress_note": "场地基础夯实。",
        "source_lines": [2378, 2393],
    },
    {
        # The last row, after the last page header.
        "code": "INN-114",
        "category": "innovation",
        "seq": 114,
        "name": "年产108万吨镍铁合金一期项目",
        "park_name": "大连瓦房店轴承产业园区",
        "content": "占地面积1328.31亩，建设18条Φ4.8×110米回转窑、18×33MVA电炉及公辅配套设施。",
        "start_year": 2017,
        "end_year": 2020,
        "total_investment_wan": 200000,
        "progress_note": "完成投资6.5亿元，完成回转窑基础、矿热炉基础和料棚建设。",
        "source_lines": [2490, 2502],
    },
]


@pytest.mark.parametrize("expected", VERIFIED, ids=lambda row: row["code"])
def test_rows_verified_by_eye(expected: dict[str, Any]) -> None:
    assert BY_CODE[expected["code"]] == expected


def test_verified_rows_span_every_category_and_park() -> None:
    park_of = {s: p["id"] for p in PARKS for s in [p["name"], *p["aliases"]]}
    assert {row["category"] for row in VERIFIED} == {
        "infrastructure",
        "service_platform",
        "innovation",
    }
    assert {park_of[row["park_name"]] for row in VERIFIED} == {p["id"] for p in PARKS}


def test_every_printed_park_spelling_maps_to_exactly_one_park() -> None:
    for project in PROJECTS:
        owners = [p["id"] for p in PARKS if project["park_name"] in [p["name"], *p["aliases"]]]
        assert len(owners) == 1, project["code"]


def test_parks_list_the_twelve_printed_spellings_and_the_table_labels() -> None:
    printed = Counter(p["park_name"] for p in PROJECTS)
    assert len(printed) == 12
    assert [p["id"] for p in PARKS] == [
        "kaifaqu",
        "gaoxin",
        "changxingdao",
        "lvshun",
        "baoshui",
        "huayuankou",
        "xunhuan",
        "pulandian",
        "wafangdian",
    ]
    listed: set[str] = set()
    for park in PARKS:
        spellings = [park["name"], *park["aliases"]]
        assert len(spellings) == len(set(spellings)), park["id"]
        in_appendix = [s for s in spellings if s in printed]
        # The name is the park's most frequent spelling; other aliases are table 4's label.
        assert park["name"] == max(in_appendix, key=lambda s: printed[s])
        assert set(spellings) - set(in_appendix) <= {park["table4_name"]}
        assert park["table4_name"] in spellings
        assert (park["tier"], park["tier_name"]) in {
            ("demonstration", "示范园区"),
            ("key", "重点园区"),
        }
        assert park["evidence"].endswith(".")
        listed.update(in_appendix)
    assert listed == set(printed)
    table4_parks = [r for r in TABLES["table4"]["rows"] if r["kind"] == "park"]
    assert [(r["label"], r["park_id"], r["tier"]) for r in table4_parks] == [
        (p["table4_name"], p["id"], p["tier"]) for p in PARKS
    ]


def test_published_tables_read_back_the_printed_totals() -> None:
    assert TABLES["headline"] == {
        "count": 179,
        "amount_wan": 20841119,
        "appendix_count": 178,
        "appendix_amount_wan": 21124119,
    }
    table4, table5 = TABLES["table4"], TABLES["table5"]
    assert table4["title"] == "表 4：大连沿海产业转型升级示范区项目表（按区域分）"
    assert table5["title"] == "表 5：大连沿海产业转型升级示范区项目表（按开工年份分）"
    assert table4["columns"] == ["all", "infrastructure", "service_platform", "innovation"]
    assert table5["columns"] == ["all", "before_2019", "2019", "2020", "2021"]
    assert [r["kind"] for r in table4["rows"]] == ["total", "tier", "park", "park", "tier"] + [
        "park"
    ] * 7
    assert table4["rows"][0]["cells"]["all"] == {"count": 179, "amount_wan": 20841119}
    total5 = table5["rows"][0]
    assert total5["label"] == "合计"
    assert {k: (v["count"], v["amount_wan"]) for k, v in total5["cells"].items()} == {
        "all": (179, 20841119),
        "before_2019": (83, 13517434),
        "2019": (71, 3719800),
        "2020": (24, 3600885),
        "2021": (1, 3000),
    }
    assert [(r["label"], r["category"]) for r in table5["rows"][1:]] == [
        ("公共基础设施", "infrastructure"),
        ("公共服务平台", "service_platform"),
        ("创业创新能力", "innovation"),
    ]
    # "——" prints an empty cell: 大连高新区 has no service platform, nothing started in 2021
    # outside innovation.
    gaoxin = table4["rows"][3]
    assert gaoxin["cells"]["service_platform"] == {"count": None, "amount_wan": None}
    assert table5["rows"][1]["cells"]["2021"] == {"count": None, "amount_wan": None}


def _value(cell: dict[str, int | None], measure: str) -> int:
    return cell[measure] or 0


MEASURES = ("count", "amount_wan")


def test_printed_tables_add_up_internally() -> None:
    table4 = TABLES["table4"]["rows"]
    table5 = TABLES["table5"]["rows"]
    parts4 = ("infrastructure", "service_platform", "innovation")
    parts5 = ("before_2019", "2019", "2020", "2021")
    for row in table4:
        for m in MEASURES:
            assert sum(_value(row["cells"][c], m) for c in parts4) == row["cells"]["all"][m]
    for row in table5:
        for m in MEASURES:
            assert sum(_value(row["cells"][c], m) for c in parts5) == row["cells"]["all"][m]
    tiers = [r for r in table4 if r["kind"] == "tier"]
    for tier in tiers:
        parks = [r for r in table4 if r["kind"] == "park" and r["tier"] == tier["tier"]]
        for column, cell in tier["cells"].items():
            for m in MEASURES:
                assert sum(_value(p["cells"][column], m) for p in parks) == _value(cell, m)
    for column, cell in table4[0]["cells"].items():
        for m in MEASURES:
            assert sum(_value(t["cells"][column], m) for t in tiers) == cell[m]
    for column, cell in table5[0]["cells"].items():
        for m in MEASURES:
            assert sum(_value(r["cells"][column], m) for r in table5[1:]) == cell[m]
    # Both tables split the same 179 projects into the same category totals.
    for row in table5[1:]:
        assert row["cells"]["all"] == table4[0]["cells"][row["category"]]


def test_appendix_disagrees_with_the_published_tables_where_known() -> None:
    park_of = {s: p["id"] for p in PARKS for s in [p["name"], *p["aliases"]]}
    sums: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
    for project in PROJECTS:
        for column in ("all", project["category"]):
            cell = sums[(park_of[project["park_name"]], column)]
            cell[0] += 1
            cell[1] += project["total_investment_wan"]
    differences = {}
    for row in TABLES["table4"]["rows"]:
        if row["kind"] != "park":
            continue
        for column, cell in row["cells"].items():
            printed = [_value(cell, "count"), _value(cell, "amount_wan")]
            computed = sums[(row["park_id"], column)]
            if printed != computed:
                differences[(row["park_id"], column)] = (tuple(computed), tuple(printed))
    # (appendix, table 4) as (count, 万元). Region totals agree everywhere except 大连开发区 and
    # 长兴岛开发区 (table 4 leaves out INN-033, 290000); inside 大连高新区, 保税区 and 普兰店,
    # table 4 files some innovation rows as infrastructure.
    assert differences == {
        ("kaifaqu", "all"): ((28, 727867), (30, 734867)),
        ("kaifaqu", "service_platform"): ((5, 85897), (7, 118897)),
        ("kaifaqu", "innovation"): ((22, 596970), (22, 570970)),
        ("gaoxin", "infrastructure"): ((13, 996000), (14, 1000000)),
        ("gaoxin", "innovation"): ((8, 190100), (7, 186100)),
        ("changxingdao", "all"): ((4, 9697662), (3, 9407662)),
        ("changxingdao", "innovation"): ((4, 9697662), (3, 9407662)),
        ("baoshui", "infrastructure"): ((4, 480000), (5, 487000)),
        ("baoshui", "innovation"): ((17, 729368), (16, 722368)),
        ("pulandian", "infrastructure"): ((1, 35000), (3, 51800)),
        ("pulandian", "innovation"): ((13, 824663), (11, 807863)),
    }
    headline = TABLES["headline"]
    assert (headline["count"], headline["amount_wan"]) == (179, 20841119)
    assert (headline["appendix_count"], headline["appendix_amount_wan"]) == (178, 21124119)


@pytest.mark.parametrize(
    ("printed", "joined"),
    [
        ("公路 I级。", "公路I级。"),
        ("施工招\n\n标。", "施工招标。"),
        ("海域 I\n（100MW）海上风电", "海域I（100MW）海上风电"),
        ("花园口海域 I、II", "花园口海域I、II"),
        ("Model 3 line", "Model 3 line"),
        ("  \n中心项目\n", "中心项目"),
    ],
)
def test_join_cell_keeps_only_gaps_between_latin_words(printed: str, joined: str) -> None:
    assert join_cell(printed) == joined


def test_corrections_file_is_documented_and_empty() -> None:
    text = CORRECTIONS_PATH.read_text(encoding="utf-8")
    assert text.startswith("# Corrections")
    assert CORRECTIONS == []


def test_a_correction_moves_lines_between_rows_without_editing_them() -> None:
    correction = load_corrections(
        '[[correction]]\nlines = [17]\nfrom = "INF-001"\nto = "INF-002"\nreason = "example"\n'
    )
    assert correction == [
        Correction(lines=(17,), from_code="INF-001", to_code="INF-002", reason="example")
    ]
    rows = {row.code: row for row in extract_rows(APPENDIX_TEXT, correction)}
    assert [line.number for line in rows["INF-001"].lines] == [14, 15]
    assert [line.number for line in rows["INF-002"].lines][:2] == [17, 19]
    with pytest.raises(ExtractionError):
        extract_rows(APPENDIX_TEXT, [Correction((17,), "INF-002", "INF-001", "not there")])
