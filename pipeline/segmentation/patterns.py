"""Regular expressions for the shapes of lines in Chinese newspapers.

Kept in one place so they can be read, tested and extended (config adds more).
"""

from __future__ import annotations

import re

from pipeline.text import HAN, PAGE_LABEL

CJK = HAN
CJK_RE = re.compile(f"[{CJK}]")

# Sentence-final punctuation, optionally followed by closing quotes/brackets.
TERMINAL_RE = re.compile(r"[。！？!?；;…]+[”’」』）)\]】》]*$|[.]{3,}$|[。！？!?][”’」』）)\]】》]+$")
ELLIPSIS_END_RE = re.compile(r"(……|…|\.\.\.|——)$")
CLAUSE_PUNCT_RE = re.compile(r"[，,、；;：:]")
CLAUSE_END_RE = re.compile(r"[，,、；;：:—-]$")
SENTENCE_INSIDE_RE = re.compile(r"[。！？!?][^”’」』）)\]】》]")

# ---- noise -------------------------------------------------------------------------------
DATE_RE = r"(?:\d{4}\s*年\s*\d{1,2}\s*月\s*\d{1,2}\s*日|\d{4}[-./]\d{1,2}[-./]\d{1,2})"
PAGE_RE = r"(?:第\s*[0-9０-９一二三四五六七八九十]+\s*版|[A-H]\s?\d{1,2}(?![0-9])|\d{1,2}\s*版)"
WEEKDAY_RE = r"(?:星期[一二三四五六日天]|周[一二三四五六日])"
# the label of a box printed inside an article (its text follows): part of the article's text
BOX_LABEL_RE = re.compile(r"^[【\[]?(?:相关链接|新闻链接|知识链接|背景链接|链接|背景|记者手记|小贴士|延伸阅读)[】\]]?[:：]?$")
# a page header dated in Chinese numerals, as papers printed it before the 1990s
# (`一九六四年三月二十一日 星期六 第二版`)
CN_DATE_HEADER_RE = re.compile(
    r"^[一二][九〇○零O][〇○零O一二三四五六七八九]{2}年[一二三四五六七八九十]{1,2}月[一二三四五六七八九十]{1,3}[日曰]"
    r"(?:\s*(?:星期[一二三四五六日天]|农历\S{2,10}|第\s*[一二三四五六七八九十0-9０-９]{1,3}\s*版|[\u4e00-\u9fff]{2,4}))*\s*$"
)
# a running head cut into pieces by the extraction leaves a line that is only a date or only
# a weekday (`2026年1月20日`, `星期二`): 104 such lines on every gold file, all noise
DATE_ONLY_RE = re.compile(rf"^(?=\S)(?:{DATE_RE})?\s*[（(]?(?:{WEEKDAY_RE})?[）)]?$")
PAGE_HEADER_RE = re.compile(
    rf"^(?=.*{DATE_RE})(?=.*(?:{WEEKDAY_RE}|{PAGE_RE}|版|报)).{{0,70}}$"
)
# a page's label line without a date: `第２版 经济`, `A12 健康`, `A01版 要闻`, `04版 · 城事`,
# `第01版：要闻` (an e-paper's page list: 48 such lines on every gold file, all noise)
PAGE_SECTION_RE = re.compile(
    rf"^(?:(?:第\s*[0-9一二三四五六七八九十]{{1,3}}\s*版|[（(]\s*第\s*[0-9一二三四五六七八九十]{{1,3}}\s*版\s*[）)]"
    rf"|[A-H]\s?\d{{1,2}}(?:\s*版)?|\d{{1,2}}\s*版)\s*[·•|｜丨:：]?\s*[{CJK}·•]{{0,8}}"
    rf"|\d{{2}}\s+[{CJK}]{{2,4}})$"
)
# a line that is only a paper's name (`南石都市报`: the masthead of a page) or a section name
# and page number (`城事 05`, `棠溪晚报 A04`, `琅州晚报·A01`): page furniture on every gold file
PAPER_NAME_ENDS = ("日报", "晚报", "都市报", "时报", "商报", "早报", "晨报", "县报")
# or any other name in 报 (`青禾报`, `华夏教育报`, `民生导报`: 23 such lines on every gold file, all
# noise), save the words in 报 a column or a head ends with (`城事快报`, `要闻简报`, `志愿填报`)
_NOT_PAPER_BEFORE_BAO = "快简小填情预年捷喜通汇举申电海公月季警画学战"
PAPER_NAME_RE = re.compile(
    rf"^(?!.*[的了及与是在为对将把被也就还而或并])(?:[{CJK}]{{2,6}}(?:{'|'.join(PAPER_NAME_ENDS)})"
    rf"|[{CJK}]{{1,6}}[^\s{_NOT_PAPER_BEFORE_BAO}]报)$"
)
SECTION_PAGE_RE = re.compile(rf"^[{CJK}·]{{2,8}}[\s\u3000·|｜]+(?:[A-H]\s?\d{{1,2}}|0\d|\d{{1,2}}\s*版)$")
# a masthead, or a piece of one the wrap cut (`中共泠江市委机关报 泠江市融媒体中心主办` +
# `今日8版`): on every gold file at wrap widths 16-30, 596 lines of these shapes, all noise
MASTHEAD_RE = re.compile(
    r"^(?!.*[由，,。；])(?:.*(?:机关报|总第\s*[0-9０-９]+\s*期|国内统一|CN\s?\d{2}\s*[-－]\s*\d{4}|邮发代号)"
    r"|.*(?:社|中心|集团|报社|传媒|[市县区省]委)\s*(?:主办|主管|出版|主管主办)\s*(?:.*今日\s*[0-9０-９一二三四五六七八九十]*\s*版?)?\s*$"
    r"|(?:今日|本期|共)\s*[0-9０-９一二三四五六七八九十]+\s*版\s*$)"
)
_MASTHEAD_GATE_RE = re.compile(r"[机总统C邮办管版]")  # a character each alternative needs


# the paper's name in capitals (`SHAZHOU DAILY`, `NINGZE EVENING NEWS`, or the piece a wrap
# left: `NG NEWS`): on every gold file at wrap widths 18-26, 150 such lines, all noise
LATIN_MASTHEAD_RE = re.compile(r"^[A-Z][A-Z .·&'-]{4,40}$")


# the paper's name with its name in capitals on one line (`沧浦商报 CANGPU BUSINESS NEWS`)
# (and whatever the masthead prints after them on that line, or the piece of it a wrap left)
_NAME_AND_LATIN_RE = re.compile(rf"^[{CJK}]{{2,8}}报\s+[A-Z][A-Z.·&'-]{{1,20}}(?:\s[A-Z][A-Z.·&'-]*)*(?:\s+\S.*)?$")


# a news-hotline or contact footer (`新闻热线：0761-88216600`, `投稿邮箱：…`): on every gold
# file 77 lines open so, all noise
HOTLINE_RE = re.compile(
    r"^(?:(?:新闻|报料|读者|发行|广告|服务|订报|投诉)(?:热线|电话)|投稿邮箱|报料邮箱)\s*[:：]"
)

# a publisher's imprint or an advertiser's address line (`本报地址：…路8号 邮编：415600`,
# `广告经营许可证：…`, `零售价：1.50元`): on every gold file 93 lines carry `地址：`, `邮编：`, such a
# licence or a cover price, all noise
IMPRINT_RE = re.compile(
    r"(?:社址|地址)\s*[:：]|(?:邮编|邮政编码)\s*[:：]\s*[0-9０-９]|广告(?:经营)?许可证\s*[:：]"
    r"|零售价\s*[:：]?\s*(?:每份)?[0-9０-９.．]+\s*元|(?:全年)?定价\s*[:：]\s*[0-9０-９]"
)


# a row of a data list or table kept in an article's text (`92号汽油 7.62元/升`, `大米（粳米）3.05元/500克`,
# `家具及其零件 142.5 +6.8%`, `青石港 348 8.9%`): a short label, then one to four figures, each
# after a space (or, the first, right after a label's closing bracket); 58 such lines on the gold files (as printed and wrapped) are text, and the
# 85 noise ones are page headers, page numbers and counters that earlier tests take first (a
# section and a bare page number, `经济 5`, is no row)
_FIGURE = (
    r"[-+↑↓]?\s?[0-9０-９][0-9０-９.．,，]*\s*(?:%|％|‰|元|万元|亿元|万|亿|吨|万吨|点|个|人|辆|公斤|斤|升|千克"
    r"|毫米|标箱|万标箱|人次|万人次|米)?(?:/[0-9]{0,3}[\u4e00-\u9fffA-Za-z]{1,3})?"
)
DATA_ROW_RE = re.compile(
    rf"^(?![第（(])(?!\S+[\s　]+[0-9０-９]{{1,2}}$)[\u4e00-\u9fffA-Za-z0-9０-９（）()·]{{1,16}}"
    rf"(?:(?:[\s　]+|(?<=[）)])){_FIGURE}){{1,4}}$"
)


# a public notice's own title line (`遗失声明`, `征集老照片启事`, `公　告`, `停水公告`): on every
# gold file 127 such lines are noise and one is a column label (`通知公告`); a news headline
# about a notice names who issued it (`我市发布征兵公告`)
NOTICE_TITLE_RE = re.compile(
    r"^(?!通知公告$)(?!.*(?:发布|公布|出台|印发|下发))[^\s，。,；;：:！!？?]{0,16}(?:启\s*事|公\s*告|声\s*明|通\s*告)$"
)


# the end of a masthead line the wrap cut: the issue's serial number (`月廿四 第26431号 今日12版`,
# `9-0123 第11872号 今日8版`): on every gold file, as printed and wrapped, 59 lines end so, all noise
# (after a space or alone: `…读书会”迎来第300期` is a headline)
ISSUE_NUMBER_END_RE = re.compile(
    r"(?:^|[\s　])第\s*[0-9０-９]{3,}\s*[号期](?:[\s　]*今日\s*[0-9０-９一二三四五六七八九十]+\s*版)?\s*$"
)


# a character one of `is_masthead`'s tests needs: a capital first, 报 (a name with its Latin
# form), 号 or 期 (an issue number at the end), or `_MASTHEAD_GATE_RE`'s
_MASTHEAD_ANY_RE = re.compile(r"[A-Z报号期机总统C邮办管版]")


def is_masthead(s: str) -> bool:
    if "A" <= s[:1] <= "Z" and LATIN_MASTHEAD_RE.match(s):
        return True
    if "报" in s[2:10] and _NAME_AND_LATIN_RE.match(s):
        return True
    if ("号" in s[-8:] or "期" in s[-8:] or "版" in s[-3:]) and ISSUE_NUMBER_END_RE.search(s):
        return True
    return bool(_MASTHEAD_GATE_RE.search(s) and MASTHEAD_RE.match(s))


# a front page's table of contents (导读): its label, and `第3版 老旧小区改造进度过半` (a page
# label, a space and one headline of 9+ characters: a page header's section name is shorter or
# is followed by more fields); never a page header, so it names no page for what follows
TOC_RE = re.compile(
    r"^(?:今日|本期|本版|要闻)?导读(?:$|[\s　:：▶►■●]+.*$)"
    r"|^第\s*[0-9０-９一二三四五六七八九十]{1,3}\s*版[\s　]+(?!.*(?:编辑|校对|美编))[^\s　]{9,40}$"
)
# a table-of-contents teaser naming the page its story is on (`●全市外贸企业开年订单饱满（3版）`):
# 5 such lines on every gold file, all noise; or with the page after a space (`▶ 云州队客场1比1战平
# B02`, `年夜饭预订过半 “半成品年菜”走俏 A04`: 9+ characters before it, no date, no paper's name
# or 周刊 in front: a page header's; 14 such lines on every gold file, all noise)
TOC_TEASER_RE = re.compile(
    r"^.{4,40}[（(]\s*(?:第\s*)?[0-9０-９A-H]{1,3}\s*版\s*[）)]$"
    r"|^(?:[▶►●■◆▲·]\s*)?(?!\S{2,8}报[\s　·])(?!.*(?:星期|\d{4}\s*[年.\-/]|周刊|专刊|特刊))(?=(?:\S[\s　]*){9,})"
    r"\S.{7,40}\S[\s　]+(?:[A-H]\s?[0-9]{1,2}|第?\s*[0-9０-９]{1,2}\s*版)$"
)
PAGE_NUMBER_ONLY_RE = re.compile(rf"^(?:[-—－]*\s*(?:{PAGE_RE}|\d{{1,3}})\s*[-—－]*)$")
EDITOR_RE = re.compile(
    r"^[（(]?(?:本版|本期)?(?:责任编辑|值班编辑|美术编辑|编辑|责编|校对|美编|版式设计|版式|组版|审读|签发|一审|二审|三审|终审|制版|排版|版面设计)"
    r"\s*[/／:：\s]"
)
# the first characters EDITOR_RE can match (`本版…`, `责任编辑`, `一审` …): other lines skip it
EDITOR_FIRST = frozenset("本责值美编校版组审签一二三终制排（(")  # (or in brackets: `(本版编辑 余  明)`: 19 such, all noise)
EDITOR_INSIDE_RE = re.compile(r"(?:本版编辑|责任编辑|责编|美编|版式|校对)\s*[/／:：]")

# web-page furniture in copies taken from a paper's site or app: breadcrumbs, share / print /
# font-size buttons, view counts, previous / next links, source and time lines, copyright
_ACTIONS = "(?:举报|写评论|评论|点赞|收藏|转发|分享|打赏|在看)"
_CHANNELS = (
    "(?:首页|推荐|本地|视频|政务|要闻|时政|社会|财经|经济|体育|娱乐|科技|教育|文旅|图片|专题|直播|国际|国内|民生|热点|评论)"
)
SITE_CHROME_RE = re.compile(
    r"^(?:首页|网站首页)?\s*(?:[^\s>＞›»]{1,14}\s*[>＞›»]\s*){1,6}[^\s>＞›»]{1,14}\s*$"
    r"|分享到|[【\[]\s*(?:打印|关闭|收藏|纠错|推荐)\s*[】\]]|打印本页|关闭窗口|字号\s*[:：]?\s*[大中小]"
    r"|(?:阅读量|浏览量|浏览次数|点击量|点击数|阅读数)\s*[:：]?\s*\d"
    r"|^(?:上一篇|下一篇|上一版|下一版|返回目录|返回首页|返回上页|版面导航|本版新闻|本版导航|相关新闻|相关阅读"
    r"|相关报道|猜你喜欢|推荐阅读|热点推荐|热门推荐|延伸阅读)"
    r"|^(?:来源|稿源|文章来源|信息来源|发布时间|发布日期|更新时间)\s*[:：]"
    r"|点击查看大图|查看原图|点击图片查看|版权所有|版权声明|未经授权|ICP备|Copyright|©"
    r"|^PDF\s*版|数字报刊?平台|电子版\s*$"
    rf"|[_｜|]\s*[{CJK}]{{2,10}}(?:网|客户端|报)\s*$"
    # app and portal pages: fold buttons, action bars, channel bars, editor sign-offs,
    # disclaimers, time stamps, related-link lists (`· 标题`)
    r"|展开全文|阅读全文|收起全文"
    rf"|^{_ACTIONS}\s*\d*(?:\s+{_ACTIONS}\s*\d*)+\s*$"
    rf"|^{_CHANNELS}(?:(?:\s+|\s*[|｜]\s*){_CHANNELS}){{2,}}\s*[|｜]?\s*$"
    r"|^[（(]?\s*(?:责任编辑|编辑|审核|监制|值班编辑)\s*[:：]\s*[^\s，。]{2,4}\s*[）)]?(?:\s|$)"
    r"|(?:仅|只)代表作者(?:本人)?观点|不代表本(?:网|站|平台|报)(?:立场|观点)"
    r"|^\d{4}[-/]\d{1,2}[-/]\d{1,2}\s+\d{1,2}:\d{2}"
    r"|^[·•]\s+[^，。！？]{2,30}$"
    # recommendation blocks, video player times, app download prompts, comment time stamps
    # (`江边的风 · 澜江 · 2小时前`)
    r"|^(?:相关推荐|为你推荐|精彩推荐|更多推荐)"
    # the site's title bar: `枫桥新闻网`, `枫桥新闻网 — 枫桥日报官方网站`
    rf"|^[{CJK}]{{2,8}}新闻网\s*$|^[{CJK}]{{2,10}}(?:网|客户端)\s*[—–\-－|｜]+\s*[{CJK}]{{2,12}}(?:官方网站|官网)\s*$"
    r"|^\d{1,2}:\d{2}\s*/\s*\d{1,2}:\d{2}\s*$"
    r"|(?:打开|下载)[^，。]{0,12}(?:APP|App|app|客户端)|查看更多精彩"
    r"|\d{1,2}\s*(?:分钟|小时)前\s*$"
    r"|^(?:举报|写评论|点赞|收藏|转发|分享|打赏|在看|阅读|浏览|播放)\s*[0-9.]*\s*万?\+?\s*$"  # one action and its count
)

# What a line needs for any of SITE_CHROME_RE's shapes: a first character of its anchored
# words, or a breadcrumb's `>`, a bracket, a separator bar, `©` or one of its other words
# (each alternative of the pattern holds one of these, so a line with none never matches);
# (`_CHROME_CHAR_RE`: a character each alternative of `_CHROME_NEEDS_RE` holds; the scan for
# their first characters says no for most lines alike, so it is no longer asked first)
_CHROME_FIRST = frozenset(
    "上下返版本相猜推热延来稿文信发更P"
    "举写评点收转分打在首视政要时社财经体娱科教旅图专直国民（(责编审监值·•0123456789为精阅浏播"
)
# (every alternative opens with a literal character, so the regex engine scans for those
# characters first instead of trying each alternative at every position)
_CHROME_NEEDS_RE = re.compile(
    r">|＞|›|»|【|\[|©|_|｜|\||分享到|打印本页|关闭窗口|字号|阅读[量数全]|浏览[量次]|点击[量数查图]|查看原图|版权[所声]"
    r"|未经授权|ICP备|Copyright|数字报|电子版|全文|仅代表|只代表|不代表"
    r"|打开|下载|查看更多精彩|分钟前|小时前"  # app prompts, comment time stamps
    r"|新闻网|官方网站|官网"  # a site's title bar
)
_CHROME_CHAR_RE = re.compile(r"[>＞›»【\[©_｜|分打关字阅浏点查版未IC数电全代下前]")


# How SITE_CHROME_RE's anchored alternatives start (besides the breadcrumb, which needs a
# `>`-like character anyway): a word of theirs, a bracket, a middle dot, `PDF`, or a time
# stamp's digits; each begins with a character of _CHROME_FIRST
_CHROME_STARTS = (
    "上一篇", "下一篇", "上一版", "下一版", "返回目录", "返回首页", "返回上页", "版面导航", "本版新闻", "本版导航",
    "相关新闻", "相关阅读", "相关报道", "猜你喜欢", "推荐阅读", "热点推荐", "热门推荐", "延伸阅读",
    "来源", "稿源", "文章来源", "信息来源", "发布时间", "发布日期", "更新时间", "PDF",
    "举报", "写评论", "评论", "点赞", "收藏", "转发", "分享", "打赏", "在看",
    "首页", "推荐", "本地", "视频", "政务", "要闻", "时政", "社会", "财经", "体育", "娱乐", "科技", "教育", "文旅",
    "图片", "专题", "直播", "国际", "国内", "民生", "热点",
    "（", "(", "责任编辑", "编辑", "审核", "监制", "值班编辑", "·", "•",
    "相关推荐", "为你推荐", "精彩推荐", "更多推荐", "阅读", "浏览", "播放", "经济",
)  # fmt: skip


# `_CHROME_STARTS` by first character (`s.startswith(_CHROME_STARTS)` is
# `s.startswith(_CHROME_STARTS_OF.get(s[:1], ()))`, the same words in the same order)
_CHROME_STARTS_OF: dict[str, tuple[str, ...]] = {}
for _w in _CHROME_STARTS:
    _CHROME_STARTS_OF[_w[0]] = (*_CHROME_STARTS_OF.get(_w[0], ()), _w)


def maybe_site_chrome(s: str) -> bool:
    """A necessary condition of `SITE_CHROME_RE.search(s)`, without the scan of its many
    alternatives at every position: the start of one of its anchored alternatives, or a
    character and a word of the others."""
    c = s[:1]
    # (a time stamp opens with four digits and a `-` or `/`: `2024-09-01 12:30`)
    # (a video player's time opens with one or two digits and a colon: `00:00 / 03:26`)
    # (the starts that open with the line's first character: a short tuple, not all of them)
    if c in _CHROME_FIRST and (
        s.startswith(_CHROME_STARTS_OF.get(c, ())) or (s[:4].isdecimal() and s[4:5] in ("-", "/")) or ":" in s[1:3]
    ):
        return True
    # (`_CHROME_CHAR_RE`, a character each of these alternatives holds, is implied: no
    # class scan before this one, which scans for their first characters alike)
    return bool(_CHROME_NEEDS_RE.search(s))


# ---- continuation markers ----------------------------------------------------------------
_PAGE = rf"(?P<page>{PAGE_LABEL})"
MARK_TO_RE = re.compile(
    rf"[（(【\[]?\s*(?:▶+|►+|→|>>|》》)?\s*(?:下转|转第|转至第|转)\s*(?:第)?\s*{_PAGE}\s*(?:版|页)(?:[^)）】\]]{{0,8}})?\s*[）)】\]]?"
)
MARK_FROM_RE = re.compile(
    rf"[（(【\[]?\s*(?:▶+|►+|→|>>|》》)?\s*(?:上接|紧接|接第|接)\s*(?:第)?\s*{_PAGE}\s*(?:版|页)(?:[^)）】\]]{{0,8}})?\s*[）)】\]]?"
)

# ---- captions ----------------------------------------------------------------------------
CAPTION_END_RE = re.compile(
    r"(?:摄|供图|摄影|图片由\S{1,20}提供|资料图片|资料图|图片来源[^）)]{0,20}|视频截图|制图|图/\S{2,12}|新华社发|受访者供图)"
    r"\s*[)）]?$"
)

# ---- bylines -----------------------------------------------------------------------------
ROLE = (
    r"(?:(?:全媒体|融媒体|首席|特约|见习|驻[" + CJK + r"]{1,4}|本报|本刊|特派)?"
    r"(?:记者|通讯员|实习生|撰稿人|撰稿|评论员|编译|整理|摄影|摄像|主持人|特约作者))"
)
ROLE_RE = re.compile(ROLE)
PAPER_PREFIX = rf"(?:[{CJK}]{{1,10}}?(?:日报|晚报|早报|时报|商报|都市报|新闻|融媒|传媒|报社|报|社|台|网)\s*)"
STANDALONE_BYLINE_RE = re.compile(
    rf"^[■□◎●◆▲☆★·\s（(]*(?:{PAPER_PREFIX})?(?:(?:文\s*/\s*图|文/图|图\s*/\s*文|文字|文|图)\s*[/／:：|丨]\s*)?(?:{ROLE})"
)
LEADING_CREDIT_RE = re.compile(
    r"^[■□◎●◆▲☆★·\s]*(?:(?:文\s*/\s*图|图\s*/\s*文|文|图)\s*[/／:：]|口述\s*[/／:：]?)\s*\S"
)  # `文/图 …`, and an oral history's `口述 胡某 整理 本报记者 林某`
# News-agency or paper datelines glued to the first paragraph.
GLUED_HEAD_RE = re.compile(
    # (`【本报讯】`, `【新华社北京十日电】`: the dispatch in black brackets, as papers printed it into the 1970s)
    rf"^(?P<head>【(?:本报讯|本报[{CJK}]{{1,8}}电|(?:新华社|中新社)[{CJK}0-9]{{0,14}}电)】"
    rf"|(?:本报讯|本报[{CJK}]{{1,8}}电|本报[{CJK}]{{1,8}}\d{{1,2}}月\d{{1,2}}日(?:讯|电)"
    rf"|[{CJK}]{{1,12}}(?:报|网|社|台|新闻|融媒|客户端)讯"
    rf"|(?:新华社|中新社|人民日报|央视网|中新网)[{CJK}]{{0,12}}(?:\d{{1,2}}月\d{{1,2}}日)?电"
    rf"|[{CJK}]{{0,8}}\d{{1,2}}月\d{{1,2}}日电))"
)
BRACKET_AFTER_RE = re.compile(r"^\s*(?P<b>[（(][^（()）]{0,60}[)）])")

# a commentary's closing author note (`（作者系省委党校教授…）`): its byline
AUTHOR_NOTE_RE = re.compile(r"^[（(](?:作者|本文作者)(?:系|为|是|单位)")
# a closing source credit in brackets, as county papers printed them (`（白石县广播站）`)
SOURCE_CREDIT_RE = re.compile(
    r"^[（(][^）)\s]{1,14}(?:广播站|通讯组|报道组|记者站|供稿)[）)]$"
    # a unit and its writer, OCR's stray spaces and all (`（县交通局 陈 光 明）`, `（县体委 罗 健）`)
    r"|^[（(][^）)\s]{1,8}(?:局|委|站|所|办|社|厂|院|校|队|组|会|馆|中心|公司)[\s\u3000]*[\u4e00-\u9fff][\u4e00-\u9fff\s\u3000]{1,6}[）)]$"
)

# ---- column labels -----------------------------------------------------------------------
_COLUMN_SUFFIXES = ("周年", "专栏", "系列报道", "特别报道", "特别策划", "专题", "系列评论")
_COLUMN_WORDS = (
    "观察", "关注", "聚焦", "视点", "时评", "快评", "热评", "短评", "特稿", "调查", "纪实", "走基层", "一线", "探访", "面对面",
    "访谈", "看点", "新闻眼", "记忆", "档案", "巡礼", "简讯", "快讯", "短讯", "速递", "速览", "动态", "资讯", "声音", "人物",
    "回眸", "寻访", "印记", "随笔", "漫谈", "锐评", "论坛", "进行时", "在行动", "大家谈", "看变化", "新气象",
    "图片新闻", "新闻图片", "图片报道", "摄影报道", "读者来信", "口述历史", "大事记", "编读往来", "镜头",
    "对话", "专访", "解读", "问答", "追踪", "述评", "笔谈", "口述", "评论员文章",
    # (each a column label on our gold files and never a head or sub-head there; bare 调研 is
    # not one: `省长到我市调研` is a headline)
    "一线调研", "蹲点调研", "基层调研", "传真", "往事", "旧事", "史话", "文史", "实录", "热线", "以案说法",
    "一家之言", "今日谈", "新读", "两会", "倒计时",
)  # fmt: skip
COLUMN_RES = [
    re.compile(r"^【[^】]{1,24}】$"),
    re.compile(r"^\[[^\]]{1,24}\]$"),
    re.compile(r"^[■□◎●◆☆★]\s*[^，。,]{2,16}$"),
    re.compile(rf"^[{CJK}0-9０-９]{{2,16}}(?:{'|'.join(_COLUMN_SUFFIXES)})$"),
    re.compile(rf"^[{CJK}]{{2,10}}[·•][{CJK}]{{2,10}}$"),
    re.compile(rf"^[{CJK}]{{0,6}}(?:{'|'.join(_COLUMN_WORDS)})$"),
]
# What a line needs to have any of those shapes: a bracket or bullet first, a middle dot, or
# a label word's last character last (`$` also matches before a final newline: let those by)
COLUMN_FIRST = frozenset("【[■□◎●◆☆★")
COLUMN_LAST = frozenset(w[-1] for w in _COLUMN_SUFFIXES + _COLUMN_WORDS) | {"\n"}


def maybe_column(s: str) -> bool:
    """A necessary condition of `COLUMN_ANY_RE.match(s)`, without a regex scan."""
    return bool(s) and (s[0] in COLUMN_FIRST or s[-1] in COLUMN_LAST or "·" in s or "•" in s)


_PAGE_LABEL_FIRST = frozenset("-—－第ABCDEFGH(（")  # (`(第3版) 经济·社会`: a bracketed page mark)


def maybe_page_label(s: str) -> bool:
    """A necessary condition of `PAGE_NUMBER_ONLY_RE.match(s)` or `PAGE_SECTION_RE.match(s)`,
    without a regex scan: a dash, a space, `第`, a section letter or a digit (`\\d`: any
    Unicode decimal digit) first."""
    c = s[:1]
    return bool(c) and (c in _PAGE_LABEL_FIRST or c.isdecimal() or c.isspace())


# all of COLUMN_RES in one pattern (each is anchored with ^, so `.match` == any member's `.search`)
COLUMN_ANY_RE = re.compile("|".join(f"(?:{rx.pattern})" for rx in COLUMN_RES))
NUMBERED_SUBHEAD_RE = re.compile(r"^(?:[一二三四五六七八九十]{1,3}[、.．]|[（(][一二三四五六七八九十0-9]{1,3}[)）]|[0-9]{1,2}[、.．](?!\d))")
DATE_LEAD_RE = re.compile(
    r"^(?:\d{1,2}月\d{1,2}日|\d{4}年|近日|日前|昨天|昨日|今天|今日|本周|上周|记者从|记者近日|记者日前|[一二三四五六七八九十]+月)"
)

COMMON_SURNAMES = set(
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤常温康施文牛樊葛邢安齐易乔伍庞颜倪庄聂章鲁岳翟殷詹申欧耿关兰焦俞左柳甘祝包宁尚符舒阮柯纪梅童凌毕单季裴霍涂成苗谷盛曲翁冉骆蓝路游辛靳管柴蒙鲍华喻祁蒲房滕屈饶解牟艾尤阳时穆农司卓古吉缪简车项连芦麦褚娄窦戚岑景党宫费卜冷晏席卫米柏宗瞿桂全佟应臧闵苟邬边卞姬师和仇栾隋商刁沙荣巫寇桑郎甄丛仲虞敖巩明佘池查麻苑迟邝"
)
COMPOUND_SURNAMES = ("欧阳", "司马", "诸葛", "上官", "东方", "皇甫", "尉迟", "公孙", "慕容", "令狐", "司徒", "夏侯", "端木")


# ---- OCR and width folding (for matching only) -------------------------------------------
_FOLD_WIDTH = str.maketrans(
    "０１２３４５６７８９ＡＢＣＤＥＦＧＨＩＪＫＬＭＮＯＰＱＲＳＴＵＶＷＸＹＺ．／－：　",
    "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ./-: ",
)
_OCR_DIGIT_RE = re.compile(
    r"(?<=[0-9])[OoIl](?=[0-9年月日曰./-]|$)|(?<=[0-9年月.])[OoIl](?=[0-9])|(?<=[0-9])曰"
    r"|(?<=[年月])[Il]{2}(?=[日曰号])"  # `5月ll曰`: a two-digit day read as two letters
    r"|(?<![0-9A-Za-z])[Il](?=[0-9]{3}年)"  # `l996年`: a year's first digit read as a letter
)
_DAY_SLIP_RE = re.compile(r"(?<=[0-9])曰")  # the 曰 after a digit the first pass made (`1O曰`)


_FOLDABLE_RE = re.compile("[" + re.escape("".join(map(chr, _FOLD_WIDTH))) + "]")
_OCR_SLIP_CHAR_RE = re.compile("[OoIl曰]")
# a character of either step: a line with neither is left as it is by both
_FOLD_OR_SLIP_RE = re.compile("[" + re.escape("".join(map(chr, _FOLD_WIDTH))) + "OoIl曰]")


def ocr_fold(s: str) -> str:
    """Full-width digits and letters to ASCII, and the OCR slips that break date and page
    patterns (`2O24年1O月22曰` -> `2024年10月22日`, `l8日` -> `18日`). Used only to
    recognise a line's shape; the text itself is never changed. (Runs for every short line:
    a quick scan first, since most lines need neither step.)"""
    if not _FOLD_OR_SLIP_RE.search(s):
        return s  # most lines: one scan says neither step applies
    if _FOLDABLE_RE.search(s):
        s = s.translate(_FOLD_WIDTH)
    if not _OCR_SLIP_CHAR_RE.search(s):
        return s
    s = _OCR_DIGIT_RE.sub(_unslip, s)
    return _DAY_SLIP_RE.sub("日", s) if "曰" in s else s


def _unslip(m: re.Match) -> str:
    """One character for each one matched: the folded form keeps the line's length."""
    g = m.group(0)
    return "日" if g == "曰" else ("0" if g in "Oo" else "1" * len(g))
