"""Synthetic people and petitions for the demo county, made from small word lists.

Nothing here is real personal data. Names are drawn from common surnames and given-name
characters; every 居民身份证号码 has the region code of 郓城县 (371725), a plausible
birth date, the order code ``99x`` (which marks it as synthetic) and a correct GB 11643
check digit, so registration accepts it; every phone number is ``155 0000 xxxx``.
Companies, estates and schools are invented names.
"""
from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, timedelta

REGION_CODE = "371725"  # 山东省菏泽市郓城县
SYNTHETIC_ORDER_PREFIX = "99"
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"

SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕苏卢蒋蔡贾丁魏薛叶阎"
GIVEN_MALE = "建国伟强军磊洋勇杰涛明超刚平辉鹏华飞鑫波斌宇浩凯健俊帆帅旭宁龙林"
GIVEN_FEMALE = "秀英兰芳娟敏静丽艳霞玲桂芝红梅琳燕雪慧婷娜莉萍洁倩颖"

# Township, then villages/communities in it (the four townships of engine/orgchart.py).
PLACES = {
    "城关镇": ("东关社区", "西关社区", "南门社区", "北关村", "李庄村"),
    "运河街道": ("运河社区", "文化路社区", "杨楼村", "前进社区"),
    "黄集镇": ("黄集村", "刘楼村", "大王庄村", "后屯村"),
    "张营镇": ("张营村", "孟庄村", "小高庄村", "西王楼村"),
}
TOWN_UNITS = {"城关镇": "town-chengguan", "运河街道": "town-yunhe", "黄集镇": "town-huanggang",
              "张营镇": "town-zhangying"}
ESTATES = ("锦华苑", "金河湾", "翰林府", "御景园", "滨河花园", "东方明珠小区")
COMPANIES = ("宏远置业有限公司", "鑫城建筑工程有限公司", "恒达纺织有限公司", "金穗食品有限公司",
             "瑞丰物流有限公司", "嘉和物业服务有限公司")
SCHOOLS = ("县实验小学", "城关镇第二中学", "运河街道中心小学", "黄集镇初级中学")
HOSPITALS = ("县人民医院", "县中医院", "黄集镇卫生院")


@dataclass
class Person:
    """A synthetic petitioner."""

    name: str
    id_number: str
    phone: str
    town: str
    address: str


@dataclass
class Matter:
    """What a petition asks, with the classification a registrar would give it."""

    category: str  # 申诉求决 | 建议意见 | 检举控告
    domain: str
    request: str
    facts: str
    reasons: str
    demand_type: str | None = None  # for 申诉求决: the 依法分类处理清单 entry
    units: tuple[str, ...] = ()  # competent units, first is the usual one
    concerns_officials: bool = False
    values: dict[str, str] = field(default_factory=dict)


def id_number(birth: date, male: bool, rng: random.Random) -> str:
    """A well-formed, check-digit-correct and recognisably synthetic 18-digit id number."""
    order = SYNTHETIC_ORDER_PREFIX + str(rng.choice((1, 3, 5, 7, 9) if male else (0, 2, 4, 6, 8)))
    body = f"{REGION_CODE}{birth:%Y%m%d}{order}"
    return body + _ID_CHECK[sum(int(d) * w for d, w in zip(body, _ID_WEIGHTS)) % 11]


def person_name(rng: random.Random, male: bool | None = None) -> str:
    """A two- or three-character Chinese name."""
    male = rng.random() < 0.55 if male is None else male
    pool = GIVEN_MALE if male else GIVEN_FEMALE
    given = rng.choice(pool) if rng.random() < 0.35 else rng.choice(pool) + rng.choice(pool)
    return rng.choice(SURNAMES) + given


def person(rng: random.Random) -> Person:
    """A petitioner living in one of the county's townships."""
    male = rng.random() < 0.58
    birth = date(1948, 1, 1) + timedelta(days=rng.randrange(0, 365 * 55))
    town = rng.choice(tuple(PLACES))
    village = rng.choice(PLACES[town])
    return Person(
        name=person_name(rng, male),
        id_number=id_number(birth, male, rng),
        phone=f"1550000{rng.randrange(0, 10000):04d}",
        town=town,
        address=f"郓城县{town}{village}{rng.randrange(1, 180)}号",
    )


# Each template: category, domain, demand type (申诉求决), competent units, texts with
# {placeholders} filled from the petitioner and the lists above.
TEMPLATES: tuple[dict, ...] = (
    # 城乡建设
    dict(category="申诉求决", domain="城乡建设", demand_type="其他", units=("zjj", "town"),
         request="请求督促{company}按合同约定交付{estate}商品房",
         facts="本人于{year}年购买{estate}住房一套，合同约定{year2}年6月底前交房，开发企业至今未交付，多次协商无果。",
         reasons="开发企业逾期交房，损害购房人合法权益。"),
    dict(category="申诉求决", domain="城乡建设", demand_type="其他", units=("zjj",),
         request="请求协调办理{estate}不动产权证书",
         facts="{estate}于{year}年交房入住，开发企业以配套费未结清为由至今未办理不动产权证书，涉及业主二百余户。",
         reasons="购房款已全额付清，合同约定交房后两年内办证。"),
    dict(category="申诉求决", domain="城乡建设", demand_type="其他", units=("zjj", "town"),
         request="请求落实棚户区改造安置补偿",
         facts="{year}年{village}棚户区改造中本人房屋被征收，补偿协议约定的过渡费自{year2}年起未再发放。",
         reasons="征收补偿协议约定的过渡费应按期足额发放。"),
    # 劳动社保
    dict(category="申诉求决", domain="劳动社保", demand_type="其他", units=("rsj", "town"),
         request="请求核定本人养老保险缴费年限",
         facts="本人在原县{company2}工作十二年，企业改制后档案缺失，社保经办机构仅认定缴费年限八年。",
         reasons="有工资表和同事证明可以证实工作年限。"),
    dict(category="申诉求决", domain="劳动社保", demand_type="拖欠工资", units=("rsj",),
         request="请求追讨{company}拖欠的农民工工资",
         facts="本人等十二人于{year}年在{company}承建的{estate}项目务工，拖欠工资共计{amount}万元。",
         reasons="工程已经完工验收，工资应当足额支付。"),
    dict(category="申诉求决", domain="劳动社保", demand_type="劳动人事争议", units=("rsj",),
         request="请求认定工伤并支付工伤待遇",
         facts="本人{year}年在{company}上班期间受伤，单位不申报工伤，拒绝支付医疗费用。",
         reasons="受伤发生在工作时间和工作场所。"),
    # 国土资源
    dict(category="申诉求决", domain="国土资源", demand_type="其他", units=("zrzyj", "town"),
         request="请求解决宅基地界址纠纷",
         facts="本人与邻居在{village}的宅基地界址存在争议，邻居新建院墙占用本人宅基地约一米。",
         reasons="{year}年颁发的宅基地使用权证载明四至。"),
    dict(category="申诉求决", domain="国土资源", demand_type="其他", units=("zrzyj",),
         request="请求足额发放土地征收补偿款",
         facts="{year}年{village}集体土地被征收用于道路建设，本户两亩承包地的青苗补偿款至今未发放。",
         reasons="征地补偿安置方案已公告，补偿款应发放到户。"),
    # 农村农业
    dict(category="申诉求决", domain="农村农业", demand_type="其他", units=("nyncj", "town"),
         request="请求发放耕地地力保护补贴",
         facts="本人在{village}承包耕地五亩，{year2}年的耕地地力保护补贴未到账，村里称名单遗漏。",
         reasons="补贴应按确权面积发放到承包户。"),
    dict(category="申诉求决", domain="农村农业", demand_type="农村土地承包经营纠纷", units=("nyncj",),
         request="请求确认土地承包经营权",
         facts="本人户口在{village}，二轮延包时未分得承包地，多次找村委会未解决。",
         reasons="本人属于本集体经济组织成员。"),
    # 教育
    dict(category="申诉求决", domain="教育", demand_type="其他", units=("jyj",),
         request="请求解决子女就近入学问题",
         facts="本人在{estate}购房居住，孩子今年入学被安排到距家八公里的学校。",
         reasons="按照学区划分应就近入学{school}。"),
    dict(category="申诉求决", domain="教育", demand_type="其他", units=("jyj",),
         request="请求退还校外培训机构预收费用",
         facts="本人为孩子在某培训机构预交培训费{amount}千元，机构停业后拒不退费。",
         reasons="培训未实际提供，预收费用应当退还。"),
    # 卫生健康
    dict(category="申诉求决", domain="卫生健康", demand_type="其他", units=("wjj",),
         request="请求处理医疗纠纷并赔偿损失",
         facts="本人父亲{year2}年在{hospital}手术后出现并发症，医院对病历记载前后不一的问题不作解释。",
         reasons="要求复印病历并进行医疗损害鉴定。"),
    dict(category="申诉求决", domain="卫生健康", demand_type="其他", units=("wjj",),
         request="请求解决医保异地报销问题",
         facts="本人{year2}年在外地住院治疗，回县报销时被告知备案手续不全，不予报销。",
         reasons="住院前已电话备案，有通话记录。"),
    # 其他 (towns)
    dict(category="申诉求决", domain="其他", demand_type="其他", units=("town",),
         request="请求整治{village}周边养殖场污染",
         facts="{village}附近的养殖场常年排放污水、气味刺鼻，影响周边一百余户村民生活。",
         reasons="养殖场未配套建设粪污处理设施。"),
    dict(category="申诉求决", domain="其他", demand_type="其他", units=("town",),
         request="请求修复{village}村内损毁道路",
         facts="{village}主干道因重型车辆通行严重损毁，雨天积水无法通行。",
         reasons="道路关系群众出行安全。"),
    # Legal channels and litigation (申诉求决 routed by the 清单 outside route 6).
    dict(category="申诉求决", domain="其他", demand_type="不服法院生效裁判", units=("xfj",),
         request="对县人民法院民事判决不服，请求再审",
         facts="本人与{company}买卖合同纠纷一案，县人民法院{year2}年作出判决，本人认为认定事实错误。",
         reasons="判决未采纳本人提交的付款凭证。"),
    dict(category="申诉求决", domain="城乡建设", demand_type="不服行政处罚", units=("xfj",),
         request="对违法建设行政处罚决定不服",
         facts="本人在自家院内搭建彩钢棚，被责令限期拆除并处罚款。",
         reasons="彩钢棚为临时存放农具，不属于违法建设。"),
    # 建议意见
    dict(category="建议意见", domain="城乡建设", units=("zjj",),
         request="建议在{estate}附近增设公交站点",
         facts="{estate}入住居民三千余人，最近的公交站点步行需二十分钟。",
         reasons="方便老年人和学生出行。"),
    dict(category="建议意见", domain="教育", units=("jyj",),
         request="建议延长中小学课后服务时间",
         facts="双职工家庭下班时间晚于课后服务结束时间，接送困难。",
         reasons="提高课后服务覆盖面。"),
    dict(category="建议意见", domain="农村农业", units=("nyncj", "town"),
         request="建议加强{village}农田水利设施维护",
         facts="{village}灌溉渠道多处淤堵，影响夏季灌溉。",
         reasons="保障粮食生产。"),
    dict(category="建议意见", domain="卫生健康", units=("wjj",),
         request="建议在乡镇卫生院开设夜间门诊",
         facts="{town}卫生院晚上六点后只有急诊，群众夜间看小病需到县城。",
         reasons="方便农村群众就医。"),
    # 检举控告
    dict(category="检举控告", domain="国土资源", units=("zrzyj",),
         request="举报{village}有人违法占用耕地建房",
         facts="{village}村北有人未经审批占用基本农田建设厂房，已建成围墙。",
         reasons="违法占用耕地，破坏耕地保护红线。"),
    dict(category="检举控告", domain="其他", units=("town",),
         request="举报{company}夜间违规施工扰民",
         facts="{company}在{estate}附近工地连续多日夜间施工至凌晨，噪声扰民。",
         reasons="违反夜间施工管理规定。"),
    dict(category="检举控告", domain="农村农业", units=("jw",), concerns_officials=True,
         request="举报{village}村干部在低保评定中优亲厚友",
         facts="{village}部分村干部亲属不符合条件却享受低保，真正困难的群众未被纳入。",
         reasons="违反低保评定公开公正原则。"),
)


# How often each category comes in (the county's mix, rounded).
CATEGORY_WEIGHTS = (("申诉求决", 55), ("建议意见", 20), ("检举控告", 25))


def matter(rng: random.Random, who: Person, year: int) -> Matter:
    """A petition's content drawn from the templates, filled in for ``who``."""
    categories, weights = zip(*CATEGORY_WEIGHTS)
    category = rng.choices(categories, weights)[0]
    t = rng.choice([t for t in TEMPLATES if t["category"] == category])
    village = who.address.split(who.town, 1)[1].rstrip("0123456789号")
    fill = {
        "company": rng.choice(COMPANIES), "company2": rng.choice(COMPANIES), "estate": rng.choice(ESTATES),
        "village": village, "town": who.town, "school": rng.choice(SCHOOLS), "hospital": rng.choice(HOSPITALS),
        "year": rng.randrange(year - 8, year - 1), "year2": year - 1, "amount": rng.randrange(3, 40),
    }
    units = tuple(TOWN_UNITS[who.town] if u == "town" else u for u in t["units"])
    return Matter(
        category=t["category"], domain=t["domain"], demand_type=t.get("demand_type"),
        request=t["request"].format(**fill), facts=t["facts"].format(**fill), reasons=t["reasons"].format(**fill),
        units=units, concerns_officials=t.get("concerns_officials", False),
    )


OPINION_BASIS = {
    "城乡建设": "《城市房地产开发经营管理条例》《商品房销售管理办法》",
    "劳动社保": "《社会保险法》《保障农民工工资支付条例》",
    "国土资源": "《土地管理法》及其实施条例",
    "农村农业": "《农村土地承包法》",
    "教育": "《义务教育法》",
    "卫生健康": "《医疗纠纷预防和处理条例》",
    "其他": "《信访工作条例》第三十一条",
}


# Potential disputes found in 矛盾纠纷排查 rounds (title, parties, domain).
DISPUTES = (
    ("{estate}物业费上调纠纷", "业主委员会、物业公司", "城乡建设"),
    ("{village}土地承包边界纠纷", "相邻承包户", "农村农业"),
    ("{company}拖欠农民工工资", "农民工、施工企业", "劳动社保"),
    ("{village}宅基地翻建采光纠纷", "相邻两户村民", "国土资源"),
    ("{estate}车位归属争议", "业主、开发企业", "城乡建设"),
    ("{village}养殖场异味扰民", "周边村民、养殖户", "其他"),
    ("{village}灌溉用水纠纷", "两个村民小组", "农村农业"),
    ("{company}劳动合同解除补偿争议", "职工、企业", "劳动社保"),
)


def disputes(rng: random.Random, unit_of_town: dict[str, str], n: int) -> list[dict[str, str]]:
    """``n`` potential disputes for one screening round."""
    out = []
    for _ in range(n):
        title, parties, domain = rng.choice(DISPUTES)
        town = rng.choice(tuple(PLACES))
        fill = {"estate": rng.choice(ESTATES), "village": rng.choice(PLACES[town]), "company": rng.choice(COMPANIES)}
        out.append({"title": title.format(**fill), "parties": parties, "unit": unit_of_town[town], "domain": domain,
                    "description": "排查中发现，存在引发信访的风险"})
    return out
