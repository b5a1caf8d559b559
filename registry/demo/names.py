"""Invented but plausible Chinese names and credit codes for synthetic records.

No real institution names are used: every name is composed from parts, so nothing in the demo
can be mistaken for a real carrier. Credit codes are valid (python-stdnum check digit) and unique
by construction (an affine permutation of a counter), never by luck.
"""

from __future__ import annotations

import random
from typing import ClassVar

from stdnum.cn import uscc as uscc_mod

#: short place words used in carrier names, by town code (a few towns have two)
TOWN_WORDS: dict[str, tuple[str, ...]] = {
    "guancheng": ("莞城", "西城楼"), "nancheng": ("南城", "鸿福"), "dongcheng": ("东城", "旗峰"),
    "wanjiang": ("万江", "华南湾"), "shijie": ("石碣",), "shilong": ("石龙", "龙城"), "chashan": ("茶山", "南社"),
    "shipai": ("石排",), "qishi": ("企石",), "hengli": ("横沥",), "qiaotou": ("桥头",), "xiegang": ("谢岗", "银瓶"),
    "dongkeng": ("东坑",), "changping": ("常平",), "liaobu": ("寮步", "香市"), "zhangmutou": ("樟木头",),
    "dalang": ("大朗", "巍峨"), "huangjiang": ("黄江",), "qingxi": ("清溪",), "tangxia": ("塘厦",),
    "fenggang": ("凤岗",), "dalingshan": ("大岭山",), "changan": ("长安", "乌沙"), "humen": ("虎门", "威远"),
    "houjie": ("厚街",), "shatian": ("沙田",), "daojiao": ("道滘",), "hongmei": ("洪梅",), "machong": ("麻涌",),
    "wangniudun": ("望牛墩",), "zhongtang": ("中堂",), "gaobu": ("高埗",), "songshanhu": ("松湖", "松山湖"),
    "binhaiwan": ("滨海湾", "湾区"),
}

CARRIER_BRANDS = ("智谷", "云谷", "创新港", "科创园", "智汇", "星火", "创客汇", "启航", "众创汇", "芯谷", "智造港",
                  "创享", "汇智", "梦工场", "硅谷", "创新谷", "数智", "慧谷", "创业园", "科技城", "智慧园", "青创",
                  "海归", "同创", "融创", "鼎创", "天工", "双创", "湾创", "信息港")
KIND_WORDS = {
    "maker_space": ("众创空间", "创客空间", "创客工场", "前孵化器"),
    "incubator": ("孵化器", "科技企业孵化器", "孵化基地", "创业孵化中心"),
    "accelerator": ("加速器", "科技企业加速器", "产业加速器"),
    "industrial_park": ("产业园", "科技产业园", "智造产业园", "创新产业园"),
}
#: specialised fields (专业领域) for specialised incubators and for R&D institution names
FIELDS = ("智能装备", "电子信息", "生物医药", "新材料", "新能源", "集成电路", "人工智能", "大健康", "机器人",
          "精密制造", "5G通信", "光电显示", "医疗器械", "数字创意", "智能终端", "新能源汽车")
RD_PREFIXES = ("东莞", "松山湖", "广东", "粤港澳", "大湾区", "东莞市", "广东省")
RD_SUFFIXES = ("研究院", "创新研究院", "技术研究院", "工业技术研究院", "产业技术研究院", "创新中心", "研究中心")
RD_BRANDS = ("华莞", "松研", "粤新", "湾研", "莞创", "中粤", "华湾", "粤科", "创研", "新湾", "莞研", "东湖")

_CORE = "华睿智创鼎泰恒瑞信达源越新力博康宏盛联汇海星光云天辰锐拓晶芯微动能嘉弘德安正腾飞宇志诚明远航达骏"
_INDUSTRY = ("智能", "电子", "生物", "科技", "精密", "光电", "新材料", "信息", "自动化", "医疗", "软件", "通信",
             "机器人", "新能源", "半导体", "数据", "环保", "检测", "激光", "传感")
_FIRM_SUFFIX = ("科技有限公司", "技术有限公司", "科技股份有限公司", "有限公司", "技术开发有限公司", "设备有限公司")
_SURNAMES = "陈李张黄王林刘叶何罗郑梁谢周吴钟莫邓杨蔡卢袁"
_GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰涛明超秀霞平刚桂英华建文斌辉健"


def person_name(rng: random.Random) -> str:
    return rng.choice(_SURNAMES) + "".join(rng.choice(_GIVEN) for _ in range(rng.choice((1, 2))))


def phone(rng: random.Random) -> str:
    return f"0769-{rng.randint(22000000, 89999999)}"


def carrier_name(rng: random.Random, category: str, town: str, used: set[str]) -> str:
    """e.g. 松湖智谷孵化器, 大朗创客汇众创空间; unique among `used` (a bounded number of tries, then numbered)."""
    for _ in range(20):
        name = rng.choice(TOWN_WORDS[town]) + rng.choice(CARRIER_BRANDS) + rng.choice(KIND_WORDS[category])
        if name not in used:
            used.add(name)
            return name
    n = 2
    while f"{name}（{n}期）" in used:
        n += 1
    used.add(f"{name}（{n}期）")
    return f"{name}（{n}期）"


def operator_name(rng: random.Random, carrier: str, category: str) -> str:
    """The company that runs a carrier (运营主体)."""
    kind = {"maker_space": "创业服务", "incubator": "孵化器", "accelerator": "产业服务", "industrial_park": "产业园开发"}[category]
    core = carrier
    for words in KIND_WORDS.values():
        for w in sorted(words, key=len, reverse=True):
            if core.endswith(w):
                core = core[: -len(w)]
                break
    return f"东莞市{core}{kind}有限公司"


def rd_name(rng: random.Random, used: set[str]) -> str:
    """e.g. 东莞华莞智能装备研究院."""
    for _ in range(30):
        name = rng.choice(RD_PREFIXES) + rng.choice(RD_BRANDS) + rng.choice(FIELDS) + rng.choice(RD_SUFFIXES)
        if name not in used:
            used.add(name)
            return name
    name = f"{name}（{len(used)}）"
    used.add(name)
    return name


def firm_name(rng: random.Random, used: set[str] | None) -> str:
    """e.g. 东莞市睿泰智能科技有限公司; `used=None` skips the uniqueness check (national scale).

    One draw of random bits per try, split into the parts: half a million names in a second or two.
    """
    nc, ni, ns = len(_CORE), len(_INDUSTRY), len(_FIRM_SUFFIX)
    for _ in range(5):
        r = rng.getrandbits(48)
        prefix = "广东" if r % 5 == 0 else "东莞市"
        r //= 5
        name = (prefix + _CORE[r % nc] + _CORE[(r // nc) % nc] + _INDUSTRY[(r // (nc * nc)) % ni]
                + _FIRM_SUFFIX[(r // (nc * nc * ni)) % ns])
        if used is None:
            return name
        if name not in used:
            used.add(name)
            return name
    return name


class CreditCodes:
    """Unique valid 统一社会信用代码 for Dongguan (行政区划 441900), one counter per seed.

    The 9-character subject code is an affine permutation of the counter modulo 10⁹, so codes
    never repeat within a run and still look scattered.
    """

    _MULT = 387_420_489  # 3¹⁸: coprime with 10⁹, so i ↦ (a·i + b) mod 10⁹ is a permutation
    _PREFIX: ClassVar[dict[str, str]] = {"enterprise": "91", "public_institution": "12", "private_non_enterprise": "52"}

    def __init__(self, seed: int) -> None:
        self._offset = (seed * 7_919 + 12_345) % 1_000_000_000
        self._n = 0
        # the check digit's weighted sum over the fixed 8-character head, per prefix (GB 32100-2015)
        self._head = {k: sum(int(ch) * w for ch, w in zip(f"{p}441900", _WEIGHTS)) for k, p in self._PREFIX.items()}

    def next(self, kind: str = "enterprise") -> str:
        self._n += 1
        subject = f"{(self._MULT * self._n + self._offset) % 1_000_000_000:09d}"
        total = self._head[kind] + sum(int(ch) * w for ch, w in zip(subject, _WEIGHTS[8:]))
        return f"{self._PREFIX[kind]}441900{subject}{_ALPHABET[(31 - total % 31) % 31]}"


#: GB 32100-2015 check-digit alphabet and weights (the same algorithm as stdnum.cn.uscc.calc_check_digit,
#: computed inline because the demo draws half a million codes; tests compare the two)
_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def check_digit(body: str) -> str:
    """The reference implementation (python-stdnum), for tests and spot checks."""
    return uscc_mod.calc_check_digit(body)
