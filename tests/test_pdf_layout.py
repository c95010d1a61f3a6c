"""PDF text by layout (index.pdf_reader + index.layout) on PDFs the tests draw themselves:
hard wraps, running headers and page numbers, a sentence over a page break, two columns,
tables with and without rules, headings, hyphens and letter-spacing, title lines."""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

import pytest
from pdf_draw import Page, draw_docs, english_lines, need_font

from index.errors import LoadError
from index.loaders import ReadLimits, load_file
from index.types import LoadedText

CN_1 = "为贯彻落实《中华人民共和国个人所得税法》及其实施条例，强化个人所得税纳税信用协同共治，促进纳税人依法诚信纳税，现就加强个人所得税纳税信用建设有关事项通知如下。"
CN_2 = "各地区、各部门要以新时代中国特色社会主义思想为指导，建立健全个人所得税纳税信用记录，完善守信激励与失信惩戒机制，有效引导纳税人诚信纳税。"
EN_1 = (
    "Development zones in China were set up to attract foreign investment and to test reforms of "
    "administration before they were applied elsewhere in the country."
)
EN_2 = "Management committees act for the city government inside the zone and report to it every quarter."
RUNNING = "天津市滨海高新区管理体制改革文件汇编"
LONG = (
    "天津高新区推行法定机构改革，管委会与公司分设，把干部人员工资划分为基本收入和评价收入，基本收入按月发放，评价收入依考核结果发放，"
    "着力构建以业绩为导向的分配体制，领导班子实行任期激励，突出体现以岗定薪和岗变薪变，园区自主履行组织领导、发展规划、区域开发、"
    "科技创新、产业发展、投资促进、协调服务等职能，特别是招商引资项目，原则上由园区自主审核。"
)
LEFT = (
    "左栏的正文从这里开始，讲的是开发区的机构设置和人员编制情况。改革以后，管委会只保留经济发展和投资服务两类职能，"
    "社会事务交还属地政府，机构由二十三个精简为九个，编制内人员减少三成，其余人员转为聘用制，按岗位签订合同，一共写了好几行文字。"
)
RIGHT = (
    "右栏的正文从这里开始，讲的是高新区的考核办法和薪酬制度改革情况。考核按季度进行，结果分为优秀、良好、合格和不合格四等，"
    "与评价收入直接挂钩，连续两次不合格的人员调整岗位，同样写了好几行文字，用来检验右栏是否排在左栏之后，而不是两栏逐行交错。"
)


def _headers_doc() -> list[Page]:
    """Three pages with a running header, "— N —" footers (alternating sides, as 公文 do) and
    LONG running from page 1 over page 2 into page 3."""
    per_line, size = 30, 12
    lines = [LONG[i : i + per_line] for i in range(0, len(LONG), per_line)]
    pages = []
    for n, chunk in enumerate([lines[:3], lines[3:6], lines[6:]], 1):
        page = Page().text(200, 40, RUNNING, 9)
        page.text(480 if n % 2 else 72, 800, f"— {n} —", 12)
        y = 100.0
        for line in chunk:
            page.text(72, y, line, size)
            y += 1.6 * size
        if n == 3:
            page.paragraph(72, y, CN_2, per_line=per_line)
        pages.append(page)
    return pages


def _wrapped_doc() -> list[Page]:
    page = Page()
    y = page.paragraph(72, 100, CN_1, per_line=30)
    y = page.paragraph(72, y, CN_2, per_line=30)
    y += 30
    for text in (EN_1, EN_2):
        for line in english_lines(text, 360):  # the same measure as the Chinese text
            page.text(72, y, line)
            y += 16
        y += 14  # block paragraphs: a blank line between them, no indent
    return [page]


def _columns_doc() -> list[Page]:
    page = Page().text(200, 60, "两栏排版的报告标题", 18)
    page.paragraph(50, 110, LEFT, per_line=19)
    page.paragraph(315, 110, RIGHT, per_line=19)
    return [page]


NOTES = ["①收稿日期：2024-01-05；录用日期：2024-03-01", "②基金项目：国家自然科学基金（72272133）资助"]


def _footnotes_doc() -> list[Page]:
    """Two columns; the left one ends with footnotes in a smaller font, below a gap, and a
    sentence runs from the foot of the left column's text to the head of the right one."""
    page = Page().text(200, 60, "两栏排版的论文标题", 18)
    text = LEFT + RIGHT
    lines = [text[:17]] + [text[i : i + 19] for i in range(17, len(text), 19)]
    half = len(lines) // 2 + 1
    page.paragraph(50, 110, "".join(lines[:half]), per_line=19)
    y = 110 + 1.6 * 12 * half + 30
    for note in NOTES:
        page.text(50, y, note, 8)
        y += 12
    y = page.paragraph(315, 110, "".join(lines[half:]), per_line=19, indent=0)
    page.paragraph(315, y, CN_2, per_line=19)  # the right column's next paragraph
    return [page]


def _tables_doc() -> list[Page]:
    page = Page()
    page.text(72, 80, "表1 主要会计数据", 12)
    xs, ys = [72, 232, 352, 472], [95, 115, 150, 170]
    for x in xs:
        page.rule(x, ys[0], x, ys[-1])
    for y in ys:
        page.rule(xs[0], y, xs[-1], y)
    page.text(76, 110, "项目", 10).text(236, 110, "本报告期", 10).text(356, 110, "上年同期", 10)
    page.text(76, 129, "归属于上市公司股东的扣除非", 10).text(76, 144, "经常性损益的净利润（元）", 10)
    page.text(236, 138, "8,171,627,000.00", 10).text(356, 138, "3,751,980,000.00", 10)
    page.text(76, 165, "基本每股收益（元/股）", 10).text(236, 165, "3.12", 10).text(356, 165, "1.57", 10)
    page.text(72, 200, "表2 没有表格线的表", 12)
    for n, (a, b, c) in enumerate([("地区", "园区数", "面积"), ("衡阳", "12", "35.6"), ("绵阳", "9", "28.1")]):
        page.text(72, 225 + 18 * n, a, 10).text(200, 225 + 18 * n, b, 10).text(320, 225 + 18 * n, c, 10)
    return [page]


def _headings_doc() -> list[Page]:
    page = Page()
    page.text(96, 100, "一、总体要求")
    y = page.paragraph(72, 125, CN_1, per_line=30)
    page.text(96, y, "（一）加强组织领导")
    y = page.paragraph(72, y + 20, CN_2, per_line=30)
    page.text(96, y, "1.明确责任分工")
    page.paragraph(72, y + 20, "各部门明确责任分工，按时完成各项任务。", per_line=30)
    return [page]


def _inset_doc() -> list[Page]:
    """An abstract set in from both margins above body text, and a two-line centred title."""
    page = Page().text(220, 60, "开发区管理体制", 16).text(214, 84, "改革的比较研究", 16)
    y = page.paragraph(108, 120, "摘要：" + CN_2, per_line=24, indent=0)
    page.paragraph(72, y + 10, CN_1, per_line=30)
    return [page]


def _chars_doc() -> list[Page]:
    page = Page()
    x = 150.0
    for ch in "发展改革委":  # letter-spaced masthead: gaps of 0.4 em between characters
        page.text(x, 60, ch, 20)
        x += 28
    page.text(72, 100, "国务院关于印发社会信用体系建设规划纲要（2014-2020年）的通知。")
    return [page]


def _titles_doc() -> list[Page]:
    page = Page().text(100, 80, "关于加强个人所得税纳税信用", 22).text(100, 110, "建设的通知", 22)
    page.paragraph(72, 160, CN_1, per_line=30)
    page.text(290, 810, "3")  # a lone page number at the bottom edge
    return [page]


@pytest.fixture(scope="module")
def pdfs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    need_font()
    docs = {
        "headers": _headers_doc(),
        "wrapped": _wrapped_doc(),
        "columns": _columns_doc(),
        "footnotes": _footnotes_doc(),
        "tables": _tables_doc(),
        "headings": _headings_doc(),
        "chars": _chars_doc(),
        "inset": _inset_doc(),
        "titles": _titles_doc(),
        "word_title": _titles_doc(),
    }
    titles = {"titles": "个人所得税纳税信用建设", "word_title": "Microsoft Word - 2019-860.doc"}
    folder = tmp_path_factory.mktemp("pdfs")
    out = {}
    for name, data in draw_docs(docs, titles=titles).items():
        out[name] = folder / f"{name}.pdf"
        out[name].write_bytes(data)
    return out


def _load(path: Path) -> LoadedText:
    return load_file(path, path.name)


def _page_text(loaded: LoadedText, page: int) -> str:
    starts = [*loaded.page_starts, len(loaded.text)]
    return loaded.text[starts[page - 1] : starts[page]]


def test_hard_wrapped_chinese_and_english_paragraphs_are_joined(pdfs: dict[str, Path]) -> None:
    loaded = _load(pdfs["wrapped"])
    assert loaded.text.split("\n") == [CN_1, CN_2, EN_1, EN_2]  # no space inside Chinese, one in English


def test_running_header_and_page_numbers_go_and_a_sentence_runs_over_the_page_break(pdfs: dict[str, Path]) -> None:
    loaded = _load(pdfs["headers"])
    assert RUNNING not in loaded.text
    assert not re.search(r"—\s*\d\s*—", loaded.text)
    assert loaded.text.split("\n") == [LONG, CN_2]
    assert len(loaded.page_starts) == 3
    per_line = 30
    assert _page_text(loaded, 2).startswith(LONG[3 * per_line : 3 * per_line + 10])  # mid-sentence
    assert _page_text(loaded, 3).startswith(LONG[6 * per_line : 6 * per_line + 10])


def test_two_columns_are_read_left_then_right(pdfs: dict[str, Path]) -> None:
    assert _load(pdfs["columns"]).text.split("\n") == ["两栏排版的报告标题", LEFT, RIGHT]


def test_a_columns_footnotes_go_after_the_paragraph_they_interrupt(pdfs: dict[str, Path]) -> None:
    lines = _load(pdfs["footnotes"]).text.split("\n")
    # the paragraph over the gutter is whole, not cut by the notes, which follow it
    assert lines[-4:] == [LEFT + RIGHT, *NOTES, CN_2]


def test_pieces_of_a_line_that_touch_are_not_table_cells() -> None:
    from index.layout import lay_out
    from index.types import PageLine, PageLines

    size = 8.0
    rows = [
        ("4. Editorial Of", "fice of IEEE Journal of Automatica Sinica,"),
        ("5. Editorial Of", "fice of Acta Automatica"),
    ]
    lines = []
    for n, (a, b) in enumerate(rows):
        top = 100 + 12 * n
        lines += [PageLine(a, 52, top, 110, top + size, size), PageLine(b, 108, top, 287, top + size, size)]
    text = lay_out([PageLines(1, 595.0, 842.0, tuple(lines))]).text
    assert " | " not in text and "4. Editorial Office of IEEE" in text


def test_tables_come_out_as_rows_with_cells_separated(pdfs: dict[str, Path]) -> None:
    lines = _load(pdfs["tables"]).text.split("\n")
    assert lines == [
        "表1 主要会计数据",  # a space written in the PDF stays
        "项目 | 本报告期 | 上年同期",
        "归属于上市公司股东的扣除非经常性损益的净利润（元） | 8,171,627,000.00 | 3,751,980,000.00",
        "基本每股收益（元/股） | 3.12 | 1.57",
        "表2 没有表格线的表",
        "地区 | 园区数 | 面积",
        "衡阳 | 12 | 35.6",
        "绵阳 | 9 | 28.1",
    ]


def test_headings_start_their_own_lines(pdfs: dict[str, Path]) -> None:
    assert _load(pdfs["headings"]).text.split("\n") == [
        "一、总体要求",
        CN_1,
        "（一）加强组织领导",
        CN_2,
        "1.明确责任分工",
        "各部门明确责任分工，按时完成各项任务。",
    ]


def test_a_block_set_in_from_both_margins_is_joined_but_a_centred_title_is_not(pdfs: dict[str, Path]) -> None:
    assert _load(pdfs["inset"]).text.split("\n") == ["开发区管理体制", "改革的比较研究", "摘要：" + CN_2, CN_1]


def test_hyphens_are_kept_and_letter_spacing_is_closed(pdfs: dict[str, Path]) -> None:
    text = _load(pdfs["chars"]).text
    assert text.split("\n") == ["发展改革委", "国务院关于印发社会信用体系建设规划纲要（2014-2020年）的通知。"]


def test_title_lines_are_the_largest_font_and_a_meaningful_title_property(pdfs: dict[str, Path]) -> None:
    loaded = _load(pdfs["titles"])
    assert loaded.title_lines == ("个人所得税纳税信用建设", "关于加强个人所得税纳税信用建设的通知")
    assert loaded.text.split("\n")[:2] == ["关于加强个人所得税纳税信用建设的通知", CN_1]
    assert not loaded.text.rstrip().endswith("3")  # the lone page number at the edge went
    word = _load(pdfs["word_title"])
    assert word.title_lines == ("关于加强个人所得税纳税信用建设的通知",)  # "Microsoft Word - …" is no title


def test_pdf_limits_still_apply_while_reading(pdfs: dict[str, Path]) -> None:
    with pytest.raises(LoadError, match=r"^headers\.pdf: has 3 pages, over the limit of 2; split it"):
        load_file(pdfs["headers"], "headers.pdf", limits=ReadLimits(max_pdf_pages=2))
    with pytest.raises(LoadError, match=r"^headers\.pdf: .*100"):
        load_file(pdfs["headers"], "headers.pdf", limits=ReadLimits(max_chars=100))


def test_a_signature_set_right_is_not_joined_to_the_date_under_it() -> None:
    from index.layout import lay_out
    from index.types import PageLine, PageLines

    size, left, right = 12.0, 72.0, 522.0
    full = "当事人可以在收到本决定书之日起十五个工作日内向协会提出书面复核申请，说明"
    lines = (
        PageLine(full, left, 100, right, 100 + size, size),
        PageLine("申请复核的事实、理由和要求。", left, 120, left + 14 * size, 120 + size, size),
        PageLine("中国证券投资基金业协会", right - 11 * size, 160, right, 160 + size, size),
        PageLine("2025年11月25日", right - 7 * size, 180, right, 180 + size, size),
    )
    text = lay_out([PageLines(1, 595.0, 842.0, lines)]).text
    assert text.split("\n")[-2:] == ["中国证券投资基金业协会", "2025年11月25日"]


def test_an_ocr_line_only_a_little_taller_is_no_title_line() -> None:
    from index.layout import lay_out
    from index.types import PageLine, PageLines

    body = [
        PageLine(LONG[i : i + 20], 60, 200 + 30 * n, 480, 222 + 30 * n, 22.0) for n, i in enumerate(range(0, 200, 20))
    ]
    merged = PageLine("庆县某人驾驶农用车，行驶时，将存在安装技术水平不高、焊接质量", 60, 520, 1200, 547, 27.0)
    title = PageLine("北京市天然气管道泄漏事故分析", 200, 100, 800, 140, 40.0)
    page = PageLines(1, 1258.0, 1196.0, (title, *body, merged), ocr=True)
    assert lay_out([page]).title_lines == ("北京市天然气管道泄漏事故分析",)
    # the same lines from a text layer: there a font a fifth larger is a heading's
    assert (
        "庆县某人驾驶农用车，行驶时，将存在安装技术水平不高、焊接质量"
        in lay_out([replace(page, ocr=False)]).title_lines
    )
