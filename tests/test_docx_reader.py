"""Word files read as a reader sees them: body only, list numbers, fields, tracked changes,
text boxes, tables. Every .docx here is built by the test (python-docx, plus raw XML where
python-docx has no API)."""

from __future__ import annotations

import io
from pathlib import Path

import docx
import pytest
from docx.oxml import parse_xml

from index.docx_numbering import format_number
from index.docx_reader import docx_text
from index.loaders import load_file

W = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'
NS = (
    W + ' xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006"'
    ' xmlns:wps="http://schemas.microsoft.com/office/word/2010/wordprocessingShape"'
    ' xmlns:wp="http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing"'
    ' xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main"'
    ' xmlns:v="urn:schemas-microsoft-com:vml"'
)


def _append(document: docx.document.Document, xml: str) -> None:
    """Add a raw block (a w:p or w:tbl) at the end of the body, before its section properties."""
    body = document.element.body
    body.insert(len(body) - 1, parse_xml(xml))


def _bytes(document: docx.document.Document) -> bytes:
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def _p(inner: str, ppr: str = "") -> str:
    return f"<w:p {NS}>{f'<w:pPr>{ppr}</w:pPr>' if ppr else ''}{inner}</w:p>"


def _r(text: str, rpr: str = "") -> str:
    return f'<w:r>{f"<w:rPr>{rpr}</w:rPr>" if rpr else ""}<w:t xml:space="preserve">{text}</w:t></w:r>'


def _field(instr: str, result: str) -> str:
    return (
        '<w:r><w:fldChar w:fldCharType="begin"/></w:r>'
        f'<w:r><w:instrText xml:space="preserve"> {instr} </w:instrText></w:r>'
        '<w:r><w:fldChar w:fldCharType="separate"/></w:r>'
        f"{_r(result)}"
        '<w:r><w:fldChar w:fldCharType="end"/></w:r>'
    )


# -- body only ------------------------------------------------------------------------------
def test_headers_and_footers_stay_out_of_the_body() -> None:
    document = docx.Document()
    section = document.sections[0]
    section.header.paragraphs[0].text = "某某市发展改革委 内部资料"
    footer = section.footer.paragraphs[0]
    footer.text = "第"
    footer._p.append(parse_xml(f'<w:fldSimple {W} w:instr=" PAGE "><w:r><w:t>7</w:t></w:r></w:fldSimple>'))
    document.add_paragraph("开发区实行“管委会+公司”模式。")
    text = docx_text(_bytes(document))
    assert text == "开发区实行“管委会+公司”模式。"


def test_a_text_box_in_the_body_is_read_once_and_its_page_number_is_not() -> None:
    """Word writes a text box twice (DrawingML choice, VML fallback): one copy is read."""
    box = (
        "<w:txbxContent>"
        + _p(_r("专栏1：园区“去行政化”改革"))
        + _p(_r("第") + _field("PAGE", "3") + _r("页"))
        + "</w:txbxContent>"
    )
    drawing = (
        "<w:r><mc:AlternateContent><mc:Choice Requires=\"wps\"><w:drawing><wp:anchor><a:graphic><a:graphicData>"
        f"<wps:wsp><wps:txbx>{box}</wps:txbx></wps:wsp></a:graphicData></a:graphic></wp:anchor></w:drawing>"
        f"</mc:Choice><mc:Fallback><w:pict><v:rect><v:textbox>{box}</v:textbox></v:rect></w:pict>"
        "</mc:Fallback></mc:AlternateContent></w:r>"
    )
    document = docx.Document()
    _append(document, _p(_r("正文第一段。") + drawing))
    document.add_paragraph("正文第二段。")
    text = docx_text(_bytes(document))
    assert text.split("\n") == ["正文第一段。", "专栏1：园区“去行政化”改革", "第页", "正文第二段。"]


def test_vml_text_boxes_are_read_alone_or_as_the_only_alternative() -> None:
    box = "<w:txbxContent>" + _p(_r("附：园区名单")) + "</w:txbxContent>"
    vml = f"<w:pict><v:rect><v:textbox>{box}</v:textbox></v:rect></w:pict>"
    document = docx.Document()
    _append(document, _p(_r("甲") + f"<w:r>{vml}</w:r>"))
    _append(document, _p(_r("乙") + f"<w:r><mc:AlternateContent><mc:Fallback>{vml}</mc:Fallback></mc:AlternateContent></w:r>"))
    assert docx_text(_bytes(document)).split("\n") == ["甲", "附：园区名单", "乙", "附：园区名单"]


# -- fields, tracked changes, inline wrappers -----------------------------------------------------
def test_form_field_text_is_kept_and_field_instructions_are_not() -> None:
    document = docx.Document()
    _append(document, _p(_r("ICS ") + _field("FORMTEXT", "27.120.99")))
    _append(document, _p(_r("共") + _field("NUMPAGES", "15") + _r("页")))
    _append(document, _p(_r("见") + '<w:fldSimple w:instr=" REF _Ref1 \\h "><w:r><w:t>表1</w:t></w:r></w:fldSimple>'))
    text = docx_text(_bytes(document))
    assert text.split("\n") == ["ICS 27.120.99", "共页", "见表1"]
    assert "FORMTEXT" not in text and "REF" not in text


def test_tracked_insertions_are_kept_and_deletions_dropped() -> None:
    document = docx.Document()
    _append(
        document,
        _p(
            _r("管委会")
            + '<w:ins w:id="1" w:author="a">' + _r("不再") + "</w:ins>"
            + '<w:del w:id="2" w:author="a"><w:r><w:delText>继续</w:delText></w:r></w:del>'
            + _r("承担社会事务。")
        ),
    )
    assert docx_text(_bytes(document)) == "管委会不再承担社会事务。"


def test_hyperlink_smart_tag_and_content_control_text_is_kept_hidden_text_is_not() -> None:
    document = docx.Document()
    _append(
        document,
        _p(
            _r("详见")
            + '<w:hyperlink w:anchor="x">' + _r("国务院办公厅文件") + "</w:hyperlink>"
            + '<w:smartTag w:uri="u" w:element="place">' + _r("天津") + "</w:smartTag>"
            + "<w:sdt><w:sdtContent>" + _r("高新区") + "</w:sdtContent></w:sdt>"
            + _r("（批注）", "<w:vanish/>")
        ),
    )
    assert docx_text(_bytes(document)) == "详见国务院办公厅文件天津高新区"


# -- numbering --------------------------------------------------------------------------------------
def _lvl(ilvl: int, fmt: str, text: str, *, start: int = 1, extra: str = "") -> str:
    return (
        f'<w:lvl w:ilvl="{ilvl}"><w:start w:val="{start}"/><w:numFmt w:val="{fmt}"/>'
        f'<w:lvlText w:val="{text}"/>{extra}</w:lvl>'
    )


def _numbered_document(*levels: str, num_id: int = 90, abstract: int = 90, extra_nums: str = "") -> docx.document.Document:
    document = docx.Document()
    numbering = document.part.numbering_part.element
    numbering.insert(0, parse_xml(f'<w:abstractNum {W} w:abstractNumId="{abstract}">{"".join(levels)}</w:abstractNum>'))
    numbering.append(parse_xml(f'<w:num {W} w:numId="{num_id}"><w:abstractNumId w:val="{abstract}"/></w:num>'))
    for xml in extra_nums.split("|") if extra_nums else []:
        numbering.append(parse_xml(xml))
    return document


def _item(text: str, ilvl: int, num_id: int = 90) -> str:
    return _p(_r(text), f'<w:numPr><w:ilvl w:val="{ilvl}"/><w:numId w:val="{num_id}"/></w:numPr>')


def test_chinese_outline_numbering_is_rendered_with_counters_that_restart() -> None:
    document = _numbered_document(
        _lvl(0, "chineseCounting", "%1、"),
        _lvl(1, "chineseCounting", "（%2）"),
        _lvl(2, "decimal", "%3."),
        _lvl(3, "decimalEnclosedCircle", "%4"),
    )
    for text, ilvl in [
        ("总体要求", 0), ("指导思想", 1), ("坚持问题导向", 2), ("坚持系统观念", 2), ("基本原则", 1),
        ("主要任务", 0), ("优化管理机构", 1), ("精简内设机构", 2), ("撤并", 3), ("整合", 3),
    ]:
        _append(document, _item(text, ilvl))
    assert docx_text(_bytes(document)).split("\n") == [
        "一、总体要求", "（一）指导思想", "1. 坚持问题导向", "2. 坚持系统观念", "（二）基本原则",
        "二、主要任务", "（一）优化管理机构", "1. 精简内设机构", "①撤并", "②整合",
    ]


def test_multilevel_decimal_numbering_uses_every_level_and_legal_numbers() -> None:
    document = _numbered_document(
        _lvl(0, "upperLetter", "附录%1"),
        _lvl(1, "decimal", "%1.%2", extra='<w:isLgl/><w:suff w:val="space"/>'),
        _lvl(2, "lowerLetter", "%3)"),
    )
    for text, ilvl in [("资料", 0), ("范围", 1), ("术语", 1), ("核电厂设计", 2), ("老化", 2), ("表格", 0), ("说明", 1)]:
        _append(document, _item(text, ilvl))
    assert docx_text(_bytes(document)).split("\n") == [
        "附录A 资料", "1.1 范围", "1.2 术语", "a) 核电厂设计", "b) 老化", "附录B 表格", "2.1 说明",
    ]


def test_numbering_from_the_paragraph_style_and_start_override() -> None:
    document = _numbered_document(
        _lvl(0, "decimal", "%1", start=3, extra='<w:suff w:val="space"/>'),
        extra_nums=f'<w:num {W} w:numId="91"><w:abstractNumId w:val="90"/>'
        '<w:lvlOverride w:ilvl="0"><w:startOverride w:val="1"/></w:lvlOverride></w:num>',
    )
    styles = document.styles.element
    styles.append(
        parse_xml(
            f'<w:style {W} w:type="paragraph" w:styleId="ChapterTitle"><w:name w:val="章标题"/>'
            '<w:pPr><w:numPr><w:numId w:val="90"/></w:numPr></w:pPr></w:style>'
        )
    )
    _append(document, _p(_r("范围"), '<w:pStyle w:val="ChapterTitle"/>'))
    _append(document, _p(_r("术语"), '<w:pStyle w:val="ChapterTitle"/>'))
    _append(document, _p(_r("不编号"), '<w:pStyle w:val="ChapterTitle"/><w:numPr><w:numId w:val="0"/></w:numPr>'))
    _append(document, _item("新的列表", 0, num_id=91))
    assert docx_text(_bytes(document)).split("\n") == ["3 范围", "4 术语", "不编号", "1 新的列表"]


@pytest.mark.parametrize(
    ("n", "fmt", "shown"),
    [
        (1, "chineseCounting", "一"), (10, "chineseCounting", "十"), (12, "chineseCountingThousand", "十二"),
        (20, "chineseCounting", "二十"), (105, "chineseCounting", "一百零五"), (3, "decimalEnclosedCircle", "③"),
        (4, "lowerRoman", "iv"), (27, "lowerLetter", "aa"), (2, "ideographTraditional", "乙"),
        (5, "decimalZero", "05"), (3, "none", ""),
    ],
)
def test_number_formats(n: int, fmt: str, shown: str) -> None:
    assert format_number(n, fmt) == shown


# -- tables ------------------------------------------------------------------------------------------
def test_tables_read_as_rows_with_merged_and_empty_cells_in_place() -> None:
    document = docx.Document()
    table = document.add_table(rows=4, cols=3)
    table.cell(0, 0).merge(table.cell(0, 2)).text = "2023年开发区主要指标"
    for c, text in enumerate(["指标", "数值", "备注"]):
        table.cell(1, c).text = text
    table.cell(2, 0).merge(table.cell(3, 0)).text = "经济"
    table.cell(2, 1).text = "136个"
    table.cell(2, 2).text = ""
    table.cell(3, 1).text = "45%"
    table.cell(3, 2).text = "工业增加值占比"
    text = docx_text(_bytes(document))
    assert text.split("\n") == ["2023年开发区主要指标", "指标 | 数值 | 备注", "经济 | 136个", "经济 | 45% | 工业增加值占比"]


def test_a_nested_table_stays_inside_its_cell() -> None:
    document = docx.Document()
    outer = document.add_table(rows=1, cols=2)
    outer.cell(0, 0).text = "机构"
    inner = outer.cell(0, 1).add_table(rows=2, cols=2)
    for (r, c), text in {(0, 0): "管委会", (0, 1): "5个", (1, 0): "公司", (1, 1): "2家"}.items():
        inner.cell(r, c).text = text
    assert docx_text(_bytes(document)) == "机构 | 管委会 / 5个; 公司 / 2家"


def test_the_loader_reads_docx_through_the_reader(tmp_path: Path) -> None:
    document = _numbered_document(_lvl(0, "chineseCounting", "%1、"))
    _append(document, _item("总体要求", 0))
    path = tmp_path / "r.docx"
    path.write_bytes(_bytes(document))
    loaded = load_file(path, "r.docx")
    assert loaded.text == "一、总体要求" and loaded.fmt == "docx"
