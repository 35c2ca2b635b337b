"""Free text with planted personal information: 12345 hotline requests and grid event reports.

Each text is assembled from a template; every personal value is written through
:class:`TextBuilder`, which records its exact character span in the final text. Templates also
carry numbers that are *not* personal information (years, amounts, counts, reference numbers,
the 12345 line itself) so that false positives of a detector can be measured.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import TypedDict

import numpy as np
import numpy.typing as npt

from huiliu.city.arrays import Indexes
from huiliu.city.geo import CityGeo
from huiliu.city.identity import bank_cards
from huiliu.city.people import Population

PII_FIELDS: dict[str, str] = {
    "name": "PERSON",
    "name2": "PERSON",
    "phone": "CN_MOBILE",
    "id": "CN_RESIDENT_ID",
    "addr": "ADDRESS",
    "card": "BANK_CARD",
}
_FIELD = re.compile(r"\{(\w+)\}")
_FULL_WIDTH = str.maketrans("0123456789+", "０１２３４５６７８９＋")


class SpanRecord(TypedDict):
    """A :class:`Span` as JSON, as the ground truth lists it."""

    entity_type: str
    start: int
    end: int


@dataclass(frozen=True)
class Span:
    """One planted entity: its type and ``[start, end)`` offsets in the text."""

    entity_type: str
    start: int
    end: int

    def as_dict(self) -> SpanRecord:
        return {"entity_type": self.entity_type, "start": self.start, "end": self.end}


class TextBuilder:
    """Concatenate text pieces, remembering where the personal ones are."""

    def __init__(self) -> None:
        self._parts: list[str] = []
        self._length = 0
        self.spans: list[Span] = []

    def add(self, piece: str, entity_type: str | None = None) -> None:
        """Append a piece; when ``entity_type`` is given, record the piece as an entity."""
        if entity_type is not None:
            self.spans.append(Span(entity_type, self._length, self._length + len(piece)))
        self._parts.append(piece)
        self._length += len(piece)

    def text(self) -> str:
        return "".join(self._parts)


@dataclass(frozen=True)
class Template:
    """A text pattern of one category; ``{field}`` marks a value to fill in."""

    category: str
    department: str
    pieces: tuple[str, ...]

    @classmethod
    def parse(cls, category: str, department: str, pattern: str) -> Template:
        return cls(category, department, tuple(_FIELD.split(pattern)))

    @property
    def fields(self) -> tuple[str, ...]:
        return self.pieces[1::2]

    def render(self, values: dict[str, str]) -> tuple[str, list[Span]]:
        """The filled-in text and the spans of its personal values."""
        builder = TextBuilder()
        for index, piece in enumerate(self.pieces):
            if index % 2 == 0:
                if piece:
                    builder.add(piece)
            else:
                builder.add(values[piece], PII_FIELDS.get(piece))
        return builder.text(), builder.spans


HOTLINE_TEMPLATES: tuple[Template, ...] = tuple(
    Template.parse(*t)
    for t in (
        (
            "噪音扰民",
            "区生态环境局",
            "来电人反映{addr}楼上住户长期在夜间{hour}点后装修施工，噪音扰民已持续{days}天，多次沟通无果，"
            "希望相关部门尽快处理。来电人{name}，联系电话{phone}。",
        ),
        (
            "噪音扰民",
            "区城市管理局",
            "市民通过12345热线反映附近建筑工地夜间{hour}点以后仍有机械作业，影响周边约{count}户居民休息，请求查处。",
        ),
        (
            "物业管理",
            "区住房和城乡建设局",
            "市民{name}反映其居住的{addr}所在小区物业{year}年起未按合同提供保洁服务，电梯故障{days}天未修复，"
            "物业费每月{fee}元，要求物业整改。回访电话{phone}。",
        ),
        (
            "物业管理",
            "区住房和城乡建设局",
            "反映小区地下车库雨后积水严重，已有{count}辆车受损，物业不作为，请协调处理。原工单号{ref}。",
        ),
        (
            "市政设施",
            "区城市管理局",
            "反映{addr}门口路灯损坏{count}盏已{days}天，夜间出行不便，请尽快维修。联系人{name}。",
        ),
        (
            "环境卫生",
            "街道办事处",
            "{addr}楼下垃圾桶满溢，{days}天无人清运，气味难闻，来电人{name}（{phone}）要求尽快处理。",
        ),
        (
            "劳动保障",
            "区人力资源和社会保障局",
            "{name}（身份证号{id}）反映在某建筑工地务工，{year}年{month}月至今被拖欠工资共计{wage}元，"
            "涉及工友{count}人，请求协调解决。联系电话{phone}。",
        ),
        (
            "社会救助",
            "区民政局",
            "来电人{name}，身份证号码{id}，反映其家庭低保金{month}月份未到账，发放银行卡号{card}，请核实原因。",
        ),
        (
            "社会救助",
            "区民政局",
            "反映{addr}住户{name}独居、行动不便，家中无人照顾，申请纳入特困供养，"
            "已于{year}年{month}月提交材料，联系人电话{phone}。",
        ),
        (
            "医疗卫生",
            "区卫生健康局",
            "市民反映{year}年{month}月{day}日在社区卫生服务中心就诊，收费{bill}元与公示价格不符，"
            "要求退还差价。来电号码{phone}。",
        ),
        (
            "教育",
            "区教育局",
            "家长{name}咨询{year}年秋季小学一年级入学政策，孩子户籍在{addr}，询问对应学区划分。联系电话{phone}。",
        ),
        (
            "交通出行",
            "市交通运输局",
            "反映{count}路公交车在早高峰间隔超过{minutes}分钟，候车人数多，建议增加班次。",
        ),
        (
            "供水供电",
            "水务集团",
            "{addr}自{month}月{day}日起停水{days}天未恢复，未收到任何通知，请尽快处理。来电人{name}，{phone}。",
        ),
        (
            "供水供电",
            "供电局",
            "反映片区{month}月以来已停电{count}次，每次约{minutes}分钟，冰箱等电器受损，请求排查线路。",
        ),
        (
            "消费维权",
            "区市场监督管理局",
            "消费者{name}反映{year}年{month}月在商场购买家电，价格{price}元，{days}天后出现质量问题，"
            "商家拒绝退换，订单号{ref}。联系电话{phone}。",
        ),
        (
            "住房保障",
            "区住房和城乡建设局",
            "市民{name}（身份证{id}）咨询公租房申请进度，{year}年已提交材料，至今未收到审核结果，现住址{addr}，"
            "电话{phone}。",
        ),
        (
            "户籍证件",
            "区公安分局",
            "来电人咨询身份证丢失补办流程，需补办人{name}，身份证号{id}，询问能否异地办理，本月第{count}次来电。",
        ),
        (
            "社会保障",
            "区医疗保障局",
            "{name}反映{year}年住院医疗费用{medical}元至今未报销，身份证号{id}，社保卡关联银行卡{card}，请跟进。",
        ),
        (
            "咨询建议",
            "市政务服务中心",
            "建议在{count}个社区增设便民服务点，方便老年人办理业务，本次为第{count2}次反映，原工单号{ref}。",
        ),
        (
            "噪音扰民",
            "街道办事处",
            "反映小区广场舞音响声音过大，每晚{hour}点后仍未停止，约{count}户居民受影响，希望协调控制音量。",
        ),
        (
            "市容环境",
            "区城市管理局",
            "反映菜市场门口占道经营摊点约{count}个，早上{hour}点前后堵塞人行道，请加强管理。",
        ),
        (
            "住房公积金",
            "市住房公积金管理中心",
            "咨询{year}年住房公积金提取政策，贷款{count2}年后能否提前还款，每月缴存{fee}元是否有额度限制。",
        ),
        (
            "交通出行",
            "市公安局交通管理局",
            "反映路口信号灯红灯时长{minutes}秒，早晚高峰车辆排队超过{count}辆，建议优化配时。",
        ),
    )
)

GRID_TEMPLATES: tuple[Template, ...] = tuple(
    Template.parse(*t)
    for t in (
        (
            "环境卫生",
            "街道办事处",
            "网格员巡查发现{addr}楼下生活垃圾堆积约{count}袋，已联系物业清运，预计{hour}点前处理完毕。",
        ),
        (
            "消防安全",
            "街道办事处",
            "{addr}楼道内堆放杂物并私拉电线为电动车充电，存在消防隐患，已告知住户{name}（电话{phone}）"
            "限期{days}日内整改。",
        ),
        (
            "矛盾纠纷",
            "社区居委会",
            "{addr}住户{name}与邻居{name2}因漏水问题发生纠纷，网格员现场调解，双方同意{days}日内维修，"
            "费用约{bill}元。",
        ),
        (
            "特殊人群关爱",
            "社区居委会",
            "走访独居老人{name}，身体状况良好，家属联系电话{phone}，本月第{count}次走访。",
        ),
        (
            "流动人口登记",
            "派出所",
            "本月第{count}名新登记流动人口{name}，身份证号{id}，暂住{addr}，手机{phone}，已录入系统。",
        ),
        (
            "市政设施",
            "区城市管理局",
            "巡查发现路灯损坏{count}盏、井盖缺失{count2}处，已拍照上报区城管局，工单号{ref}。",
        ),
        (
            "违章搭建",
            "区城市管理局",
            "{addr}楼顶违规搭建彩钢棚约{area}平方米，已劝导当事人{name}限期{days}日内拆除。",
        ),
        (
            "安全生产",
            "区应急管理局",
            "辖区内{count}家小餐馆液化气瓶未按规定放置，已督促整改，{year}年累计检查{count2}次。",
        ),
        (
            "治安隐患",
            "派出所",
            "居民反映{addr}附近夜间{hour}点前后有可疑人员徘徊，已通知派出所加强巡逻，联系人{name}，电话{phone}。",
        ),
        (
            "困难帮扶",
            "社区居委会",
            "入户核查低保户{name}家庭情况，户主身份证{id}，{year}年家庭月收入约{income}元，建议继续保障。",
        ),
    )
)


def format_phone(number: str, style: int) -> str:
    """A mobile number written the ways people type it: plain, spaced, dashed, full-width or with +86."""
    if style == 1:
        return f"{number[:3]} {number[3:7]} {number[7:]}"
    if style == 2:
        return f"{number[:3]}-{number[3:7]}-{number[7:]}"
    if style == 3:
        return number.translate(_FULL_WIDTH)
    if style == 4:
        return f"+86 {number}"
    if style == 5:
        return f"+86-{number[:3]}-{number[3:7]}-{number[7:]}"
    return number


def format_card(number: str, style: int) -> str:
    """A card number, plain or grouped by four digits."""
    if style == 1:
        return " ".join(number[i : i + 4] for i in range(0, len(number), 4))
    return number


@dataclass
class Texts:
    """Texts of one chunk of rows with the facts they were built from.

    Attributes:
        categories: category of each text.
        departments: department the request is assigned to.
        texts: the texts.
        spans: the planted entities of each text.
        people: index into the population of the person a text is about (their phone and address).
        phones: the plain 11-digit mobile number of that person (or of a neighbour when they have none).
    """

    categories: list[str]
    departments: list[str]
    texts: list[str]
    spans: list[list[Span]]
    people: Indexes
    phones: npt.NDArray[np.str_]


def compose(
    rng: np.random.Generator,
    templates: tuple[Template, ...],
    pool: Indexes,
    population: Population,
    geo: CityGeo,
    as_of: date,
    n: int,
) -> Texts:
    """Compose ``n`` texts from templates, filling personal values from people of ``pool``.

    Args:
        rng: random stream.
        templates: the templates to pick from (uniformly).
        pool: population indexes of people who may be mentioned (alive, valid ID).
        population: the population.
        geo: the city's places.
        as_of: the generation date; years mentioned are recent.
        n: how many texts.
    """
    choice = rng.integers(0, len(templates), n)
    person = pool[rng.integers(0, len(pool), n)]
    other = pool[rng.integers(0, len(pool), n)]
    phones = population.phone[person].copy()
    missing = phones == ""
    phones[missing] = population.phone[pool[rng.integers(0, len(pool), int(missing.sum()))]]
    phones[phones == ""] = "13985012345"
    phone_style = rng.choice(6, n, p=[0.5, 0.12, 0.12, 0.1, 0.1, 0.06])
    addresses = population.street_address(geo, person)
    district_names = [
        geo.districts[d].name for d in geo.community_district[population.community[person]].tolist()
    ]
    address_style = rng.choice(3, n, p=[0.7, 0.2, 0.1])
    cards = bank_cards(rng, n)
    card_style = rng.integers(0, 2, n)
    id_lower = rng.random(n) < 0.5
    numbers = {
        "hour": rng.integers(9, 12, n) + 12 * (rng.random(n) < 0.5),
        "days": rng.integers(2, 46, n),
        "count": rng.integers(2, 60, n),
        "count2": rng.integers(2, 12, n),
        "year": as_of.year - rng.integers(0, 4, n),
        "month": rng.integers(1, 13, n),
        "day": rng.integers(1, 29, n),
        "fee": rng.integers(100, 800, n),
        "wage": rng.integers(30, 900, n) * 100,
        "bill": rng.integers(50, 3_000, n),
        "price": rng.integers(5, 200, n) * 100 - 1,
        "income": rng.integers(5, 30, n) * 100,
        "medical": rng.integers(2_000, 80_000, n),
        "minutes": rng.integers(15, 90, n),
        "area": rng.integers(8, 120, n),
        "ref": rng.integers(10**12, 10**13 - 1, n),
    }
    ids = population.id_number[person]
    names = population.name[person]
    names2 = population.name[other]
    out = Texts([], [], [], [], person, phones)
    for row in range(n):
        template = templates[int(choice[row])]
        values: dict[str, str] = {}
        for field in template.fields:
            if field == "name":
                values[field] = str(names[row])
            elif field == "name2":
                values[field] = str(names2[row])
            elif field == "phone":
                values[field] = format_phone(str(phones[row]), int(phone_style[row]))
            elif field == "id":
                number = str(ids[row])
                values[field] = number.lower() if id_lower[row] else number
            elif field == "addr":
                values[field] = _address(addresses[row], district_names[row], int(address_style[row]))
            elif field == "card":
                values[field] = format_card(str(cards[row]), int(card_style[row]))
            elif field == "ref":
                values[field] = f"{as_of.year}{int(numbers['ref'][row]) % 10**9:09d}"
            else:
                values[field] = str(int(numbers[field][row]))
        text, spans = template.render(values)
        out.categories.append(template.category)
        out.departments.append(template.department)
        out.texts.append(text)
        out.spans.append(spans)
    return out


def _address(street_address: str, district: str, style: int) -> str:
    """An address as people mention it: below the community, with the district, or from the compound on."""
    if style == 1:
        return district + street_address
    if style == 2:
        return street_address[street_address.index("号") + 1 :]
    return street_address
