"""The grammar of questions and of report text: every word list and pattern the answering
reads, in one place, used by everyone (question analysis, follow-ups, retrieval, grounding,
answer shapes, suggestions) and tested in tests/test_grammar.py.

Three parts:
- **question form**: what decides a question's kind (comparison, definition, summary, effect,
  list, measures, number, yes/no), the words that ask across places, counts (哪五个 → 5),
  years and numbers, and the frame and request words that are never its topic;
- **follow-up form**: the cues that a question leans on the previous turn (那…呢, 它们, 这些,
  上面说的), and the generic frames a resolved question is asked in;
- **report text form**: list numbering (一是, (一), ①), inline lists and lead-ins (包括…、…;
  …如下：), quantities (digits, 四十万, 三成), dates, defining sentences, background lines
  (出台《…》), link and byline lines, and the scope words of a general section (全国, 我国).

Patterns run on normalized text (Simplified, half-width), like the reports' `norm`.
"""

from __future__ import annotations

import re

from index.textnorm import normalize

# -- numerals ------------------------------------------------------------------------------------
CN_DIGITS = "〇零一二两三四五六七八九十"
NUM = rf"[\d{CN_DIGITS}]+"
"""A numeral, in digits or characters (3, 三, 十二)."""
NUMERAL = r"[\d〇零一二两三四五六七八九十百千半]+"
"""A numeral that may count (满两年, 半年)."""
CN_NUM = {"一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9, "十": 10}


def cn_number(n: str) -> int | None:
    """A small numeral's value: 5, 五, 十, 十二, 二十 (None: not one)."""
    if n.isdigit():
        return int(n)
    if n == "十":
        return 10
    if len(n) == 2 and n[0] == "十":
        return 10 + CN_NUM.get(n[1], 0)
    if len(n) == 2 and n[1] == "十":
        return 10 * CN_NUM.get(n[0], 0)
    return CN_NUM.get(n)


# -- question form: the kind ---------------------------------------------------------------------
CROSS = re.compile(
    r"(各地|各个?(地方|地区|城市|省|市|园区|开发区|高新区)|哪些(地方|地区|城市|省份?|市|园区|开发区|高新区)|"
    r"哪几个(地方|地区|城市|园区)|多地|不同(地方|地区|城市)|(哪些|哪几份|哪份|哪篇|哪几篇)(报告|文章|材料|资料|文件|案例))"
)
"""Asks across places without naming them: spread over reports."""
ACROSS = re.compile(
    r"(哪些(地方|地区|城市|省|市|园区|开发区|高新区)|各地|各个?(地方|地区|城市|园区|开发区|高新区)|"
    r"多地|不同(地方|地区|城市)|分别|对比|比较|异同|有何不同|有什么不同|哪几个)"
)
"""Wants breadth over depth (several places, or each of the places named): more hits, spread."""


def asks_across(text: str) -> bool:
    """A query that wants breadth over depth (哪些地方…, 各地…如何…, 比较…): see `ACROSS`."""
    return bool(ACROSS.search(normalize(text)))


COMPARE = re.compile(r"(分别|比较|对比|区别|异同|不同|不一样|一样吗|相同|差异|差别|各自|相比|两地|两者)")
"""Asks to set named places side by side."""
COMPARE_JOINED = re.compile(r"(和|与|跟|及|、).{0,30}(都|各|谁|哪个|哪家|更)")
"""Two places joined and asked about together (衡阳和绵阳都…, …哪个更…)."""
COMPARING = re.compile(r"(有何|有什么|有哪些)?(异同|区别|不同|差异|差别)|分别|各自|比较一下|对比一下|比较|对比|相比")
"""The words asking to compare: they match nothing in one place's report."""
DEFINE = re.compile(
    r"(是什么意思|什么意思|的意思|的含义|含义是|指的是什么|是指什么|指什么|是指|什么是|何为|何谓|所谓|的定义|"
    r"”(是什么|是啥))"
)
CONCEPT = re.compile(r"(是什么|是啥)(吗|呢|呀|啊)?[?？!！。]*$")
"""“X是什么?”: a definition when X is a concept (quoted, or bare with no place and no 的)."""
TELL_ME = re.compile(r"(介绍一?下|介绍介绍|讲讲|说说|谈谈|聊聊|讲一?下|说一?下)")
SUMMARY = re.compile(r"(总结|概括|归纳|概述|综述|梳理|简述|主要内容|讲了什么|说了什么|要点)")
EFFECT = re.compile(r"(效果|成效|作用|成果|成绩|效益|带来了?什么|取得了?什么|起到了?什么)")
MEASURES = re.compile(r"(怎么|如何|怎样|做法|措施|举措|办法|经验|路径|手段|抓手|建议|对策|采取了?哪些|采取了?什么)")
LIST = re.compile(rf"(哪些|哪几|有哪|哪{NUM}(个|项|件|条|类|种|点|部分|方面|大|步|家|批)|包括什么|包含什么|分为几)")
YESNO = re.compile(r"(是否|有没有|是不是|能否|可否|会不会|有无|吗[?？!！。]*$)")
NUMBER = re.compile(
    rf"(多少|几(?:{NUM})?[个项件人家次年倍名张批条成]|多大|多高|多长|多久|比例|比重|占比|百分之|增长了?多少|提高了?多少|几成)"
)
"""Asks a number (多大 only where a word starts: not inside 科罗拉多大学)."""
WH = re.compile(r"(什么|哪|谁|多少|几|怎么|如何|怎样|为何|为什么|何时)")
NUMERIC_Q = re.compile(r"(多少|几[个项人家种张年]|比例|数量|多大|增速|规模)")
"""A sentence with a number fits the question's shape."""
COUNT_Q = re.compile(r"(多少|几[个项件人家次年倍名张批条成天]|多久|多长时间)")
"""How many / how long: only a quantity answers (多大, 比例 may be answered in words)."""
TIME_Q = re.compile(r"(什么时候|何时|哪一年|哪年|时间)")
COUNT = re.compile(r"哪([一二两三四五六七八九十\d]+)(?:个|项|件|条|类|种|点|部分|方面|大|步|家|批|张)")
"""A list question's count: 哪五个方面 → 五."""

# -- question form: words that are not the topic ------------------------------------------------
ASIDE = re.compile(
    r"([\u4e00-\u9fff]{0,10}?[\u4e00-\u9fff]{1,6}(院|所|中心|研究会|协会))?(那|这|该|的)(篇|份)?(文章|报告|材料|文件|调研)"
    r"(里|中|里面|当中|上)?|"
    r"(请|帮我|帮忙|麻烦|给我)?(一条条|一条一条|逐条|逐一|分条|分点)(地)?(列出来|列出|列举|罗列|说明|说)(一下|下)?|"
    r"(帮我|给我|麻烦)(简单|简要)?(概括|总结|归纳|梳理|列举|列一下|说说|讲讲)(一下|下)?"
)
"""Words around a question that are not its content: the source it points at (昆明高新区发展战略
研究院那篇文章里: which report, not what it says) and a request (帮我一条条列出来, 帮我概括下).
They are form, and left out of the search query (they would find the byline, not the answer)."""
FRAME = re.compile(
    r"(是什么意思|什么意思|的意思|的含义|指的是什么|是指什么|指什么|什么是|所谓|是啥|"
    r"什么时候|何时|哪一年|哪年|哪个月|(多大|多少|几|什么)的?(比例|比重|份额|数量|规模)|"
    r"主要内容|有哪些方面|哪些方面|几个方面|主要做法|主要举措|怎么样|如何|怎样|"
    r"分别|比较|对比|区别|异同|有何不同|有什么不同|不同之处|不同|差异|差别|各自|相比|"
    r"(哪些|哪几份|哪份|哪篇|哪几篇|哪个|什么)(报告|文章|材料|资料|文件|文献|报道)(中|里|里面|上)?(有没有|是否|都|还)?"
    r"(提到|提及|说到|讲到|谈到|写到|涉及|介绍|讲|说|写)?(了|过)?|"
    r"(报告|文章|材料|资料|文件|文中|文献|报道)(中|里|里面|上)?(有没有|是否|都|还)?"
    r"(提到|提及|说到|讲到|谈到|写到|涉及|介绍|讲|说|写)(了|过)?|" + ASIDE.pattern + ")"
)
"""Spans that are the question's frame: they decide its kind, not its topic. Also the source a
question points at (昆明…研究院那篇文章里: which report, not what it says) and a request around
it (帮我一条条列出来, 帮我概括下)."""
KIND_WORDS = re.compile(
    r"^(做法|措施|举措|办法|经验|路径|手段|效果|成效|作用|成果|成绩|总结|概括|归纳|概述|梳理|简述|要点|"
    r"意思|含义|定义|比例|比重|占比|时候|方面|内容|情况|建议|对策)$"
)
"""Words of a kind's frame that jieba calls nouns or verbs (做法, 举措, 效果): form, not topic."""
REQUEST_LEAD = re.compile(
    r"^(请|请问|我|您|你|麻烦|劳驾|能|能不能|不能|可以|可不可以|可否|能否|想|我想|要|帮|帮忙|帮我)$"
)
"""Words a request around the question starts with (请总结一下…, 能不能告诉我…)."""
QUOTED = re.compile(r"“([^”]{1,40})”|《([^》]{1,60})》|‘([^’]{1,40})’|\"([^\"]{1,40})\"")
YEAR_SPAN = re.compile(r"(?:(?:19|20)\d{2}|[〇零一二三四五六七八九]{4})年")
YEAR = re.compile(r"(?<!\d)((?:19|20)\d{2})(?=年|(?!\d))")
CN_YEAR = re.compile(r"([〇零一二三四五六七八九]{4})年")
NUMBER_TOKEN = re.compile(r"\d+(?:\.\d+)?%?|百分之[\d〇零一二两三四五六七八九十百点]+")
COUNTED = re.compile(rf"(多少|几|哪{NUM}|{NUM})$")
"""A word before a counter (多少项, 几个): the next one-character word is the counter."""
DEICTIC = frozenset({"这个", "那个", "该", "本", "此", "这", "那"})
FUNCTION_POS = ("u", "y", "p", "c", "d", "r", "e", "o", "q", "f", "zg", "x", "w")
"""jieba parts of speech of function words: particles, adverbs, pronouns, prepositions, …"""
PARTICLES = frozenset({"一共", "总共", "一下", "下", "呀", "吧", "啊", "嘛", "呢", "吗", "哦", "哈", "啦", "么", "咯"})
"""Words jieba mis-tags that only total or soften (adverbs in use): a closed list of particles."""

QUESTION_WORDS = frozenset(
    [
        "哪些",
        "哪个",
        "哪几",
        "哪两",
        "哪四",
        "哪",
        "什么",
        "怎么",
        "怎样",
        "如何",
        "多少",
        "是否",
        "有何",
        "有哪些",
        "为何",
        "为什么",
        "何时",
        "什么时候",
        "几",
        "几个",
        "几种",
        "哪几种",
        "分为",
        "方面",
        "主要",
        "具体",
        "意义",
        "各地",
        "地方",
        "情况",
        "做法",
        "措施",
        "举措",
        "是",
        "有",
        "由",
        "对",
        "在",
        "了",
        "的",
        "呢",
        "吗",
        "指",
        "方式",
        "推行",
        "实行",
        "通过",
        "进行",
        "开展",
        "作用",
        "重要",
        "什么样",
        "什么样的",
        "呀",
        "啥",
        "多久",
        "多长",
        "谁的",
        "是谁",
    ]
)
"""Tokens of a question's form, not its topic: they never decide coverage."""
COUNTING = re.compile(r"^[一二三四五六七八九十两几多\d]+(?:[个项种条张类点次批轮级步件][\u4e00-\u9fff]?)?$")
HOW_MANY = re.compile(r"^第?几[个项种条张类点次批轮级步代年岁人家天月号位名盘场届层部本期任件]?[事样]?$")


def is_question_word(t: str) -> bool:
    """A token of the question's form (哪些, 几个, 第几代): never a topic term."""
    return t in QUESTION_WORDS or t.startswith("哪") or bool(HOW_MANY.match(t))


# -- follow-up form ------------------------------------------------------------------------------
FOLLOW_LEAD = re.compile(r"^((那么|那|还有|另外|再问一下|再问|然后|换成|换到|换作|改成|如果是|要是|假如是)[,，、\s]*)+")
FOLLOW_TAIL = re.compile(r"(的情况|情况|的)?(呢|怎么样|如何|怎样)?[?？。!！\s]*$")
PLURAL_REF = re.compile(
    r"(它们|他们|两地|两者|这两个地方|这两地|这两个城市|这两个园区|这两个高新区|这两个|这几个地方|这几个|这些地方|上述地方|各自)"
)
REFERENCE = re.compile(r"^(这些|这个|这种|这项|这几项|这几个|上述|以上|该|其|它|此|这)")
BACK_REF = re.compile(r"^(上面|上文|前面|前文|刚才|刚刚|之前)(说|提|讲|谈|介绍)(到)?(的|过的)")
"""A phrase pointing at what an earlier turn spoke of (上面说的国有公司改革): its subject."""
DEMONSTRATIVE = re.compile(r"(这个|这种|这项|这类|这一|该|此)(?=[\u4e00-\u9fff])")
"""A demonstrative before a noun (这个卡, 这个制度): the thing an earlier turn named."""
CONDITION = re.compile(r"^(.{1,12}?)的(呢)?[?？。!！\s]*$")
QUOTED_SPAN = re.compile(r"“[^”]{1,40}”|「[^」]{1,40}」|《[^》]{1,60}》")
WH_WORD = re.compile(r"(什么|哪|谁|多少|几|怎么|如何)")
KIND_NOUN = re.compile(r"^(做法|举措|措施|办法|经验|改革|政策|制度)$")
DEIXIS_WORDS = ("那边", "这边", "那里", "这里", "那块", "这块", "方面", "那儿", "这儿")
DEIXIS = re.compile(f"^({'|'.join(DEIXIS_WORDS)})")
"""那边 after a place points at it (天津那边有什么成效?): no part of the question's frame."""
POINTER = re.compile(r"(这个|那个)(省|市|州|县|区|地方)")
CONNECTOR = "和与及、,，"
"""Characters joining two place names (天津和衡阳)."""
NOUNISH = ("n", "vn", "nz", "j", "l", "b", "eng", "nr", "i", "an")
"""jieba parts of speech of a word that can head a topic noun phrase."""
GENERIC_FRAME = {
    "number": "是多少?",
    "list": "有哪些?",
    "measures": "是怎么做的?",
    "effect": "效果怎么样?",
    "definition": "是什么意思?",
    "summary": "的主要内容是什么?",
    "comparison": "有什么不同?",
    "yesno": "是什么情况?",
    "fact": "是什么?",
}
"""How a resolved question is asked when the previous frame does not fit its new topic."""

# -- report text form ----------------------------------------------------------------------------
ENUM = re.compile(
    r"^\s*(?:[一二三四五六七八九十]+是|第[一二三四五六七八九十]+[,，、]|首先|其次|再次|最后|[(（]\d{1,2}[)）]|[①-⑳])"
)
"""An enumerated item of running text: 一是…, 第二, 首先, (1), ①."""
NUMBERING = re.compile(r"^\s*(?:[(（]?[一二三四五六七八九十\d]{1,3}[)）、.．]|[①-⑳])")
"""A heading's number (2. 技术变革要“快”; （一）; ①): not a word the heading adds."""
HEADING_NUMBER = re.compile(r"^[（(]?[一二三四五六七八九十百\d]+[)）、.．]\s*")
ENUM_AFTER_COLON = re.compile(
    r"[:：](?=\s*(?:[一二三四五六七八九十]+是|第[一二三四五六七八九十]+[,，、]|[(（]\d{1,2}[)）]|[①-⑳]))"
)
"""A lead-in that a list starts right after (…主要有:一是…): the items are sentences of their own."""
INLINE_LIST = re.compile(
    r"(包括|包含|主要有|分为|分别是|即|：|:|通过)[“\"]?[^、，,。“”]{1,16}、[^、，,。]{1,16}[、和及]"
)
"""An inline list introduced as the answer (包括甲、乙、丙; 通过“整合、扩区、调规”)."""
DIVIDES = re.compile(
    r"(分为|划分为|分成|分别是|分别为|包括|包含|由[^，,。]{1,30}组成|[^、，,。]{1,16}、[^、，,。]{1,16})"
)
"""A sentence that divides or lists (划分为基本收入和评价收入; 甲、乙): what answers 哪两部分."""
LEAD_IN = re.compile(
    r"([:：；;]|(分为|分成|包括|包含|(?<![没所])有)[^，,。]{0,6}([两二三四五六七八九十几]+|\d+)(个|种|类|项|点|条|步|部分|方面)[。.]?)\s*$"
)
"""A sentence ending in a colon or semicolon is continued by the next (a provision's steps),
as is one that announces a count (…大约分成两种。 → 一种位于室内，一种位于室外。)."""
HAS_NUM = re.compile(
    r"\d|[一二三四五六七八九十百千万亿两半]+[余多]?(个|项|人|家|种|张|年|倍|成|天|日|月|周|万|亿|小时|分钟|%)"
    r"|分之|一半|翻番|翻一番|每[年月周天日季]"
)
"""A quantity (digits, 四十万, 三成, 一半) or a frequency (每年): what answers 多少 / 多久."""
HAS_TIME = re.compile(r"\d{2,4}年|\d{1,2}月|[上下]半年")
DEFINES = re.compile(r"(是指|所谓|指的是|即|是一种|是以)")
MEASURE = re.compile(
    r"(推行|实行|实施|建立|成立|组建|设立|设置|制定|出台|开展|采取|采用|探索|推动|推进|构建|搭建|打造|完善|优化|"
    r"调整|取消|合并|整合|剥离|移交|下放|下沉|赋予|引进|引入|编制|开设|推出|发放|压缩|精简|封存|签订|划转|承接|"
    r"清理|收回|征缴|给予|提供|列出|对接|实现)"
)
"""A verb of a concrete measure (推行, 设立, 下放, 整合…): what a summary of measures quotes."""
NOT_A_MEASURE = re.compile(
    r"^(改革前|此前|以往|过去|目前|当前|近年来|截至)|"
    r"^(按照|坚持|围绕|聚焦|本着|遵循|秉持|着眼)[^。]{0,40}(思路|理念|要求|原则|导向|方针)|"
    r"以[^。，,]{0,40}为指导|(现|特)就[^。]{0,40}(通知|意见|规定|公告)如下"
)
"""The background (改革前…), guiding principle (按照…的思路, 以…思想为指导) or a notice's purpose
clause (为…，现就…通知如下) a section or document opens with: not a measure."""
BACKGROUND = re.compile(r"(先后|相继)?(出台|印发|制定|发布)了?《")
"""Issuing a document (出台《…》): background to a measure, not the measure."""
_ISSUING = re.compile(r"(先后|相继)?(出台|印发|制定|发布)了?(《[^》]{0,60}》([(（][^)）]{0,20}[)）])?)+")


def is_background(norm: str) -> bool:
    """A sentence that only reports issuing documents (先后出台《…》《…》): no measure is left
    once the documents are taken out (出台《条例》,开展…改革 does one)."""
    return bool(BACKGROUND.search(norm)) and not MEASURE.search(_ISSUING.sub("", norm))


SENTENCE_YEAR = re.compile(r"(?<!\d)((?:19|20)\d{2})(?!\d)")
JUNK = re.compile(r"(链接|下载|电话|联系人|邮箱|传真|地址|邮编|作者单位|责任编辑|来源)\s*[:：]")
"""Link, contact and byline lines: they name a place or a source and nothing else."""
FUNCTION_CHARS = frozenset("的了着过是在和与及或之其对于关等情况主要")
"""Padding a restating heading adds (关于…的情况, …的主要…): no word of its own."""
GENERAL_SCOPE = re.compile(r"(全国|我国|国内外|各地|各省|普遍|近年来.{0,24}(概况|情况|综述|回顾))")
"""A heading that speaks of the country as a whole (一、全国高新区改革的背景): its section is
about no particular place, even inside a report on one."""
PROVINCE = re.compile(r".+(省|自治区)$|^(北京|天津|上海|重庆)市$")
"""A region name that is a province (or a municipality at province level)."""


def years_in(norm: str) -> set[int]:
    """The years (1900–2099) a text names in digits."""
    return {int(y) for y in SENTENCE_YEAR.findall(norm)}


# -- what a question asks of the document itself ----------------------------------------------------
DOC_FIELDS: dict[str, re.Pattern[str]] = {
    "doc_number": re.compile(r"文号|发文字号"),
    "date": re.compile(
        r"(落款|成文|印发|发布|签发|发文)的?(日期|时间)|哪一?天(印发|发布|签发|发出|成文)|"
        r"(何时|什么时候|哪年哪月)(印发|发布|签发)"
    ),
    "issuer": re.compile(
        r"发文机关|(印发|发布|发文|制定)(的)?(单位|机关|部门)|"
        r"(哪个|哪些|哪[两三四几]个|什么)(部门|单位|机关)[^?？。]{0,8}(印发|发布|联合|发文|制定|下发)"
    ),
}
"""A question about the document as such (这个通知的文号是多少?, 落款日期是哪天?, 哪两个部门联合
印发的?): its answer is the line that states it (文号, signature date, issuing bodies), which
the text rarely names with the question's words."""


THIS_DOCUMENT = re.compile(r"(这个|这份|这篇|该|本|此)(通知|文件|意见|办法|决定|公告|通告|报告|规定|方案|批复|函)")
"""这份通知, 该文件: the question is about the document at hand."""
OWN_FIELD = re.compile(r"落款|发文机关|发文字号|成文日期")
"""Fields only a document's own header or signature has."""


def doc_field(norm: str) -> str:
    """The field of the document at hand a (normalized) question asks for: doc_number, date,
    issuer, or "". Only when it points at the document (这份通知…) or names a field only the
    document's own header or signature has (落款日期); never when it quotes another document's
    title (《…》的文号 is a number cited in the text)."""
    if "《" in norm or not (THIS_DOCUMENT.search(norm) or OWN_FIELD.search(norm)):
        return ""
    return next((name for name, pattern in DOC_FIELDS.items() if pattern.search(norm)), "")
