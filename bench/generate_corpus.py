"""Write a synthetic corpus for the speed benchmarks.

    .venv/bin/python bench/generate_corpus.py N OUT [--seed S] [--per-case 50]

Writes N documents into OUT/case-0001/, OUT/case-0002/, ... (50 per case by
default): about 85% Chinese and 15% English, 800-3000 characters each.  The
sentences are recombined from phrase templates about industrial projects, data
centres, supply chains, research institutes, policies and costs, with place,
firm, product and number slots, plus the noise a scraped page carries (bylines,
share buttons, copyright lines).  Formats: mostly UTF-8 .txt, some .md and
.html, and 10% of the documents are .txt in GB18030.

Deterministic: document i depends only on (seed, i), so the first 2,000
documents of a 10,000-document corpus are the 2,000-document corpus.  None of
the built-in study's text is used.
"""

from __future__ import annotations

import argparse
import html
import random
import sys
from pathlib import Path

# --------------------------------------------------------------------- slots
ZH_SLOTS: dict[str, list[str]] = {
    "east": ["上海", "深圳", "苏州", "杭州", "宁波", "广州", "东莞", "无锡", "南京", "北京", "天津", "厦门", "青岛"],
    "west": ["成都", "重庆", "西安", "贵阳", "昆明", "兰州", "银川", "西宁", "南宁", "呼和浩特", "乌鲁木齐", "绵阳",
             "宜宾", "遵义", "曲靖", "天水", "庆阳", "中卫", "宝鸡", "德阳"],
    "zone": ["高新区", "经开区", "两江新区", "天府新区", "西咸新区", "综合保税区", "产业园", "临空经济区", "大数据产业园"],
    "firm": ["华擎", "恒远", "星衡", "博川", "致拓", "澜芯", "启明", "远域", "中科瑞", "德泰", "朗盛", "泰嘉", "云衡",
             "新程", "拓维", "宏图", "迈科", "瀚海", "磐石", "凌越"],
    "suffix": ["科技", "电子", "新能源", "智能装备", "材料", "数据", "半导体", "汽车", "精密制造", "生物医药"],
    "product": ["动力电池", "光伏组件", "显示面板", "功率芯片", "服务器", "工业机器人", "新能源整车", "储能电池",
                "传感器", "精密模具", "锂电材料", "智能终端", "液冷机柜", "车规级芯片", "医疗器械"],
    "inst": ["清华大学", "中国科学院", "浙江大学", "哈尔滨工业大学", "上海交通大学", "北京理工大学", "西安交通大学",
             "电子科技大学", "四川大学", "重庆大学"],
    "lab": ["研究院", "技术研究院", "创新中心", "中试基地", "联合实验室", "成果转化中心", "工程技术研究中心"],
    "field": ["储能", "先进材料", "集成电路", "智能制造", "新能源汽车", "人工智能", "生物医药", "氢能", "工业软件"],
    "policy": ["东数西算", "西部大开发", "成渝地区双城经济圈", "产业转移指导目录", "对口协作", "飞地经济",
               "科技成果转化条例", "招商引资优惠政策", "首台套补贴", "人才专项计划"],
    "dept": ["省发展改革委", "市经信局", "市科技局", "管委会", "市政府", "省商务厅", "国家发展改革委", "市招商局"],
    "cost": ["电价", "地价", "用工成本", "物流成本", "融资成本", "厂房租金", "运营成本", "综合成本"],
    "unit_dc": ["标准机架", "PUE", "算力规模", "服务器", "上架率"],
    "tier": ["一级", "二级", "三级", "核心", "本地"],
}

ZH_TEMPLATES: dict[str, list[str]] = {
    "project": [
        "{firm}{suffix}在{west}{zone}投资{n100}亿元建设{product}生产基地，项目分{n3}期实施。",
        "该项目由{east}的{firm}{suffix}投资，规划年产{product}{n1000}万件，预计{year}年全面达产。",
        "{west}{zone}的{firm}{suffix}{product}项目于{year}年{month}月开工，首条产线已于当年年底投产。",
        "据介绍，新基地采用了{east}总部的先进工艺，关键设备全部新购，而不是搬迁旧产线。",
        "项目二期计划新增{n10}条自动化产线，达产后年产值将超过{n100}亿元。",
        "{firm}{suffix}负责人表示，选择{west}主要看中当地的产业基础和{cost}优势。",
        "目前一期工程已完成主体厂房建设，设备正在安装调试，预计{month}月试生产。",
        "新厂区占地约{n1000}亩，建成后可带动就业{n1000}余人。",
    ],
    "datacentre": [
        "{west}数据中心集群已建成标准机架{n10}万架，上架率达到{pct}%。",
        "在“东数西算”工程带动下，{east}多家互联网企业把冷数据存储和离线计算迁往{west}。",
        "该数据中心采用液冷和自然冷却技术，年均PUE降至1.{n10d}以下。",
        "{firm}数据在{west}建设的智算中心算力规模达到{n1000}PFlops，主要服务{east}的模型训练需求。",
        "由于当地{cost}较低，数据中心的运营成本比{east}低约{pct}%。",
        "运营方表示，跨区域网络时延已控制在{n10}毫秒以内，可以承接实时性要求不高的业务。",
        "园区引进了{n10}家数据标注和云服务企业，形成了算力、数据和应用一体的生态。",
    ],
    "supply": [
        "围绕{firm}{suffix}这一链主企业，{n10}家{tier}配套供应商先后落户{west}{zone}。",
        "过去{product}的关键零部件需要从{east}运来，现在{pct}%可以在本地配套。",
        "{east}负责研发设计和关键部件，{west}承担规模化制造和总装，形成了跨区域分工。",
        "配套企业在整车厂周边{n10}公里范围内集聚，物流时间从两天缩短到{n3}0小时。",
        "供应链本地化率提高后，{firm}{suffix}每年节省物流成本约{n10}亿元。",
        "上游材料企业也开始跟进布局，产业链从单一环节向上下游延伸。",
        "部分核心元器件仍依赖外地采购，产业链的短板尚未完全补齐。",
    ],
    "research": [
        "{inst}与{west}市政府共建{west}{lab}，聚焦{field}领域的成果转化。",
        "{lab}成立以来累计孵化科技型企业{n100}家，其中{n10}家获得风险投资。",
        "一项{field}专利以作价入股的方式转让给本地企业，合同金额{n1000}万元。",
        "{inst}团队在{west}设立中试线，把实验室样品放大到小批量生产。",
        "研究院采取“研发在{east}、转化在{west}”的模式，科研人员可以在两地之间流动。",
        "孵化企业{firm}{suffix}完成A轮融资后，在{zone}建设了首条量产线。",
        "校地双方约定，成果转化收益的{pct}%奖励给科研团队。",
        "{lab}还建设了共享仪器平台，向中小企业开放检测和试验服务。",
    ],
    "policy": [
        "{dept}出台了支持{field}产业发展的若干措施，对新落户企业给予{n3}年税收减免。",
        "按照{policy}的部署，{west}被列为重点承接地区。",
        "{east}与{west}签订了对口合作协议，共建产业园区并按比例分享税收。",
        "地方政府设立了规模{n100}亿元的产业引导基金，重点投向{field}项目。",
        "{dept}实行项目专班和“一企一策”服务，审批时间缩短到{n10}个工作日。",
        "对于引进的高层次人才，{west}提供安家补贴和子女入学等配套政策。",
        "有学者指出，单靠优惠政策吸引的项目容易出现“候鸟式”转移。",
    ],
    "cost": [
        "{west}的工业{cost}约为{east}的{pct}%，这是企业西迁的重要原因之一。",
        "不过，{west}的熟练工人相对不足，企业需要投入更多培训成本。",
        "综合测算，在{west}建厂的单位产品成本比{east}低{pct}%左右。",
        "随着{east}{cost}持续上涨，劳动密集型环节的外迁压力越来越大。",
        "企业负责人坦言，物流成本的上升在一定程度上抵消了土地和人工的优势。",
        "当地{cost}每千瓦时不到{n10d}角钱，对高耗能的数据中心和材料企业很有吸引力。",
    ],
}

NOISE_ZH = [
    "来源：{west}日报",
    "责任编辑：{name}",
    "（记者 {name}）",
    "点击查看更多精彩内容。",
    "分享到：微信 微博 QQ空间",
    "本文图片来自网络，如有侵权请联系删除。",
    "发布时间：{year}-{mm}-{dd} {hh}:{mi}",
    "【打印本页】【关闭窗口】",
    "扫一扫在手机上打开当前页",
    "相关阅读：{west}{zone}再添新项目",
]
NAMES_ZH = ["王晓", "李敏", "张磊", "刘洋", "陈静", "杨帆", "赵强", "黄蕾", "周婷", "吴昊"]

EN_SLOTS: dict[str, list[str]] = {
    "east": ["Shanghai", "Shenzhen", "Suzhou", "Hangzhou", "Guangzhou", "Beijing", "Ningbo"],
    "west": ["Chengdu", "Chongqing", "Xi'an", "Guiyang", "Kunming", "Lanzhou", "Yinchuan", "Nanning", "Mianyang"],
    "firm": ["Huaqing", "Hengyuan", "Xingheng", "Bochuan", "Lanxin", "Qiming", "Yuanyu", "Detai", "Langsheng"],
    "suffix": ["Technology", "Electronics", "New Energy", "Materials", "Data", "Semiconductor", "Motors"],
    "product": ["battery cells", "solar modules", "display panels", "power chips", "servers", "industrial robots",
                "electric vehicles", "sensors", "energy storage systems"],
    "inst": ["Tsinghua University", "the Chinese Academy of Sciences", "Zhejiang University",
             "Xi'an Jiaotong University", "Sichuan University"],
    "field": ["energy storage", "advanced materials", "integrated circuits", "smart manufacturing", "hydrogen",
              "artificial intelligence", "industrial software"],
    "policy": ["East Data West Computing", "Western Development", "Chengdu-Chongqing economic circle",
               "industrial transfer guidance catalogue"],
    "cost": ["electricity prices", "land prices", "labour costs", "logistics costs", "rents"],
}
EN_TEMPLATES: dict[str, list[str]] = {
    "project": [
        "{firm} {suffix} will invest {n100} billion yuan in a new {product} plant in {west}.",
        "The first production line started operating in {year}, and full capacity is expected within {n3} years.",
        "Equipment for the new plant was bought new rather than moved from the old factory in {east}.",
        "Once complete, the base is expected to employ about {n1000} workers.",
    ],
    "datacentre": [
        "Under the East Data West Computing programme, {west} now hosts about {n10}0,000 server racks.",
        "The facility reports an annual PUE of 1.{n10d}, helped by liquid cooling and a cool climate.",
        "Operators in {east} have moved cold storage and offline model training to {west}.",
        "Network latency to the coast stays below {n10} milliseconds for most workloads.",
    ],
    "supply": [
        "Around the anchor firm, {n10} suppliers have opened plants within a short drive of the assembly line.",
        "About {pct} percent of the components are now sourced locally, up from a small share five years ago.",
        "Design and key components stay in {east}, while volume manufacturing moves to {west}.",
        "Some core parts still have to be shipped in, and the local chain has gaps.",
    ],
    "research": [
        "{inst} and the {west} government jointly run an institute focused on {field}.",
        "The institute says it has incubated {n100} start-ups, {n10} of which have raised venture capital.",
        "A {field} patent was licensed to a local firm for {n1000} million yuan in equity.",
        "Researchers can split their time between the lab in {east} and the pilot line in {west}.",
    ],
    "policy": [
        "The provincial government offers {n3}-year tax breaks to firms that relocate to the zone.",
        "A {n100} billion yuan guidance fund backs {field} projects in the region.",
        "{east} and {west} share the tax revenue of a co-built industrial park.",
        "Critics warn that projects attracted only by subsidies may leave when the incentives end.",
    ],
    "cost": [
        "Industrial {cost} in {west} are roughly {pct} percent of those in {east}.",
        "Skilled workers remain scarce, so firms spend more on training.",
        "Higher freight costs offset part of the savings on land and labour.",
    ],
}
NOISE_EN = [
    "Source: {west} Daily",
    "Editor: {name}",
    "Share this article: WeChat | Weibo | Email",
    "Published {year}-{mm}-{dd} {hh}:{mi}",
    "All rights reserved. Reproduction without permission is prohibited.",
    "Read more: new projects in {west}",
]
NAMES_EN = ["Li Wei", "Zhang Min", "Wang Lei", "Chen Jing", "Liu Yang", "Zhou Ting"]

TOPICS = list(ZH_TEMPLATES)


def _numbers(rng: random.Random) -> dict[str, str]:
    return {
        "n3": str(rng.randint(2, 4)), "n10": str(rng.randint(2, 60)), "n10d": str(rng.randint(1, 9)),
        "n100": str(rng.randint(5, 300)), "n1000": str(rng.randint(100, 9000)), "pct": str(rng.randint(15, 95)),
        "year": str(rng.randint(2012, 2024)), "month": str(rng.randint(1, 12)), "mm": f"{rng.randint(1, 12):02d}",
        "dd": f"{rng.randint(1, 28):02d}", "hh": f"{rng.randint(0, 23):02d}", "mi": f"{rng.randint(0, 59):02d}",
    }


def _fill(template: str, slots: dict[str, list[str]], names: list[str], rng: random.Random) -> str:
    values = {key: rng.choice(options) for key, options in slots.items()}
    values.update(_numbers(rng))
    values["name"] = rng.choice(names)
    return template.format(**values)


def document_text(seed: int, index: int) -> tuple[str, str, str]:
    """(language, title, body) of document ``index``; body is 800-3000 characters."""
    rng = random.Random(f"{seed}:{index}")
    english = rng.random() < 0.15
    slots, templates, noise, names = (
        (EN_SLOTS, EN_TEMPLATES, NOISE_EN, NAMES_EN) if english else (ZH_SLOTS, ZH_TEMPLATES, NOISE_ZH, NAMES_ZH)
    )
    target = rng.randint(800, 3000)
    # each document leans on two or three topics, as a news item or a report does
    topics = rng.sample(TOPICS, rng.randint(2, 3))
    weights = [rng.random() + 0.3 for _ in topics]
    title = _fill(rng.choice(templates[topics[0]]), slots, names, rng).rstrip("。.")
    paragraphs: list[str] = []
    if rng.random() < 0.6:
        paragraphs.append(_fill(rng.choice(noise), slots, names, rng))
    length = sum(len(p) + 1 for p in paragraphs)
    decks: dict[str, list[str]] = {}
    while length <= target:  # length counts one newline too many
        if rng.random() < 0.08:  # a stray line of page furniture between paragraphs
            paragraphs.append(_fill(rng.choice(noise), slots, names, rng))
            length += len(paragraphs[-1]) + 1
        sentences = []
        for _ in range(rng.randint(2, 6)):
            topic = rng.choices(topics, weights)[0]
            if not decks.get(topic):  # every template of a topic once before any repeats
                decks[topic] = rng.sample(templates[topic], len(templates[topic]))
            sentences.append(_fill(decks[topic].pop(), slots, names, rng))
        paragraph = (" " if english else "").join(sentences)
        room = target - length
        if len(paragraph) > room and length > 800:
            break
        paragraphs.append(paragraph)
        length += len(paragraph) + 1
    body = "\n".join(paragraphs)
    if len(body) > 3000:  # the last paragraph overshot: cut at a sentence end
        cut = max(body.rfind(end, 0, 3000) for end in ("。", ". ", "\n"))
        body = body[: cut + 1].rstrip() if cut >= 800 else body[:3000]
    return ("en" if english else "zh"), title, body


def _render(kind: str, title: str, body: str, language: str) -> str:
    if kind == "md":
        return f"# {title}\n\n" + "\n\n".join(body.split("\n")) + "\n"
    if kind == "html":
        paragraphs = "\n".join(f"    <p>{html.escape(p)}</p>" for p in body.split("\n"))
        return (
            f'<!DOCTYPE html>\n<html lang="{language}">\n<head>\n<meta charset="utf-8">\n'
            f"<title>{html.escape(title)}</title>\n<style>p {{ margin: 0 }}</style>\n</head>\n<body>\n"
            f'<nav><a href="/">首页</a> | <a href="/news">新闻</a></nav>\n<article>\n  <h1>{html.escape(title)}</h1>\n'
            f"{paragraphs}\n</article>\n<footer>Copyright © 2024</footer>\n"
            "<script>var _hmt = _hmt || [];</script>\n</body>\n</html>\n"
        )
    return f"{title}\n{body}\n"


def write_corpus(n: int, out: Path, seed: int = 0, per_case: int = 50) -> dict[str, int]:
    """Write the corpus; returns counts per format and the total source bytes."""
    counts = {"txt": 0, "txt-gb18030": 0, "md": 0, "html": 0, "bytes": 0, "chars": 0}
    for i in range(n):
        language, title, body = document_text(seed, i)
        pick = random.Random(f"{seed}:{i}:format").random()
        if pick < 0.10 and language == "zh":
            kind, encoding, label = "txt", "gb18030", "txt-gb18030"
        elif pick < 0.20:
            kind, encoding, label = "md", "utf-8", "md"
        elif pick < 0.28:
            kind, encoding, label = "html", "utf-8", "html"
        else:
            kind, encoding, label = "txt", "utf-8", "txt"
        folder = out / f"case-{i // per_case + 1:04d}"
        folder.mkdir(parents=True, exist_ok=True)
        data = _render(kind, title, body, language).encode(encoding)
        (folder / f"doc-{i + 1:05d}.{kind}").write_bytes(data)
        counts[label] += 1
        counts["bytes"] += len(data)
        counts["chars"] += len(body)
    return counts


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("n", type=int, help="number of documents")
    parser.add_argument("out", type=Path, help="output folder (case folders are made inside)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--per-case", type=int, default=50)
    args = parser.parse_args(argv)
    counts = write_corpus(args.n, args.out, args.seed, args.per_case)
    print(
        f"wrote {args.n} documents to {args.out}: {counts['txt']} .txt (UTF-8), {counts['txt-gb18030']} .txt (GB18030), "
        f"{counts['md']} .md, {counts['html']} .html; {counts['bytes'] / 1e6:.1f} MB, {counts['chars']} characters of text"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
