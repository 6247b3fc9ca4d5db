"""The words of the mini corpus's bilingual grammar (:mod:`.grammar`): number words and tables.

Every entry pairs an English form with its Chinese one, plus what the templates need to use it
(plurals, classifiers, the four English verb forms, tags saying which verbs and adjectives fit a
noun). Tables are "|"-separated text so they stay compact and easy to extend. The vocabulary is
small (a few hundred words per language); the templates of :mod:`.grammar` combine it into
millions of distinct sentences. A changed table changes the corpus (``core.GENERATOR_VERSION``).
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "ACTIVITIES",
    "CITIES",
    "COLOURS",
    "COMPARATIVES",
    "DAYPARTS",
    "DEGREES",
    "EN_ONES",
    "FREQUENCY_ADVERBS",
    "FUTURE_TIMES",
    "HABIT_TIMES",
    "HOME",
    "LANDMARKS",
    "LANDMARKS_FOR_RELATION",
    "MASS",
    "MASS_BY_TAG",
    "MONTHS",
    "Mass",
    "NOUNS",
    "NOUN_BY_TAG",
    "Noun",
    "PAST_TIMES",
    "PEOPLE",
    "PLACES",
    "POSSESSIVES",
    "PRONOUNS",
    "PROPERTIES",
    "Person",
    "Place",
    "QUALITIES",
    "RELATIONS",
    "RELATIVES",
    "SCHEDULE_EVENTS",
    "SCHEDULE_VERBS",
    "STATES",
    "TRANSITIVE",
    "TRANSPORT",
    "Verb",
    "WEATHER_ADJECTIVES",
    "WEEKDAYS",
    "ZH_DIGITS",
    "en_number",
    "zh_number",
]

# ---------------------------------------------------------------------------------------------
# numbers
EN_ONES = (
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
    "fifteen sixteen seventeen eighteen nineteen"
).split()
_EN_TENS = "_ _ twenty thirty forty fifty sixty seventy eighty ninety".split()
ZH_DIGITS = "零一二三四五六七八九"


def en_number(n: int) -> str:
    """Spell 0..999 in English words ("three hundred forty two")."""
    if not 0 <= n <= 999:
        raise ValueError(n)
    if n < 20:
        return EN_ONES[n]
    if n < 100:
        tens, ones = divmod(n, 10)
        return _EN_TENS[tens] + ("" if ones == 0 else " " + EN_ONES[ones])
    hundreds, rest = divmod(n, 100)
    return EN_ONES[hundreds] + " hundred" + ("" if rest == 0 else " " + en_number(rest))


def zh_number(n: int, counting: bool = False) -> str:
    """Write 0..999 in hanzi. ``counting`` uses 两 for a leading 2 before a classifier
    (两个, 两百)."""
    if not 0 <= n <= 999:
        raise ValueError(n)
    if n < 10:
        return "两" if (counting and n == 2) else ZH_DIGITS[n]
    if n < 100:
        tens, ones = divmod(n, 10)
        head = "十" if tens == 1 else ZH_DIGITS[tens] + "十"
        return head + ("" if ones == 0 else ZH_DIGITS[ones])
    hundreds, rest = divmod(n, 100)
    head = ("两" if counting and hundreds == 2 else ZH_DIGITS[hundreds]) + "百"
    if rest == 0:
        return head
    if rest < 10:
        return head + "零" + ZH_DIGITS[rest]
    tens, ones = divmod(rest, 10)
    # inside a larger number 10-19 is 一十X
    return head + ZH_DIGITS[tens] + "十" + ("" if ones == 0 else ZH_DIGITS[ones])


# ---------------------------------------------------------------------------------------------
# lexicon. Tables are "|"-separated text so they stay compact and easy to extend.
def _rows(table: str) -> list[list[str]]:
    rows = []
    for line in table.strip().splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            rows.append([c.strip() for c in line.split("|")])
    return rows


@dataclass(frozen=True)
class Person:
    en: str  # subject form
    obj: str  # object form
    zh: str
    person: str  # agreement class: "1s", "2", "3s", "pl"


PRONOUNS = [
    Person("i", "me", "我", "1s"),
    Person("you", "you", "你", "2"),
    Person("he", "him", "他", "3s"),
    Person("she", "her", "她", "3s"),
    Person("we", "us", "我们", "pl"),
    Person("they", "them", "他们", "pl"),
]
POSSESSIVES = [
    ("my", "我的"),
    ("your", "你的"),
    ("his", "他的"),
    ("her", "她的"),
    ("our", "我们的"),
    ("their", "他们的"),
]

# relatives take any possessive ("his older sister" / 他的姐姐)
RELATIVES = _rows("""
mother | 妈妈
father | 爸爸
older brother | 哥哥
younger brother | 弟弟
older sister | 姐姐
younger sister | 妹妹
grandmother | 奶奶
grandfather | 爷爷
uncle | 叔叔
aunt | 阿姨
friend | 朋友
neighbour | 邻居
son | 儿子
daughter | 女儿
classmate | 同学
""")
# other people: (english, chinese, plural?)
PEOPLE = _rows("""
the teacher | 老师 | s
the doctor | 医生 | s
the nurse | 护士 | s
the driver | 司机 | s
the cook | 厨师 | s
the farmer | 农民 | s
the police officer | 警察 | s
the boss | 老板 | s
the student | 那个学生 | s
the old man | 那个老人 | s
the little girl | 那个小女孩 | s
the little boy | 那个小男孩 | s
the children | 孩子们 | p
the students | 学生们 | p
my parents | 我的父母 | p
my classmates | 我的同学们 | p
our friends | 我们的朋友们 | p
""")


@dataclass(frozen=True)
class Noun:
    sg: str
    pl: str
    zh: str
    cl: str  # classifier
    tags: frozenset[str]


def _nouns(table: str) -> list[Noun]:
    out = []
    for sg, pl, zh, cl, tags in _rows(table):
        out.append(Noun(sg, pl or sg + "s", zh, cl, frozenset(tags.split())))
    return out


# tags: food animal object clothes vehicle read open wash fix write draw
NOUNS = _nouns("""
cat | | 猫 | 只 | animal pet
dog | | 狗 | 只 | animal pet
bird | | 鸟 | 只 | animal pet
fish | fish | 鱼 | 条 | animal pet food
pig | | 猪 | 头 | animal
sheep | sheep | 羊 | 只 | animal
rabbit | | 兔子 | 只 | animal pet
chicken | | 鸡 | 只 | animal
tiger | | 老虎 | 只 | animal
monkey | | 猴子 | 只 | animal
panda | | 熊猫 | 只 | animal
elephant | | 大象 | 头 | animal
mouse | mice | 老鼠 | 只 | animal
bear | | 熊 | 只 | animal
apple | | 苹果 | 个 | food fruit
banana | | 香蕉 | 根 | food fruit
orange | | 橙子 | 个 | food fruit
pear | | 梨 | 个 | food fruit
peach | peaches | 桃子 | 个 | food fruit
strawberry | strawberries | 草莓 | 个 | food fruit
egg | | 鸡蛋 | 个 | food
cake | | 蛋糕 | 块 | food
sandwich | sandwiches | 三明治 | 个 | food
tomato | tomatoes | 西红柿 | 个 | food
potato | potatoes | 土豆 | 个 | food
book | | 书 | 本 | object read open
pen | | 笔 | 支 | object
cup | | 杯子 | 个 | object wash
bag | | 包 | 个 | object open
box | boxes | 盒子 | 个 | object open
key | | 钥匙 | 把 | object
phone | | 手机 | 部 | object fix
computer | | 电脑 | 台 | object fix
chair | | 椅子 | 把 | object fix
table | | 桌子 | 张 | object fix wash
watch | watches | 手表 | 块 | object fix
umbrella | | 伞 | 把 | object open
letter | | 信 | 封 | object read write
newspaper | | 报纸 | 份 | object read
map | | 地图 | 张 | object read draw
ball | | 球 | 个 | object
knife | knives | 刀 | 把 | object wash
plate | | 盘子 | 个 | object wash
door | | 门 | 扇 | open fix
window | | 窗户 | 扇 | open fix wash
flower | | 花 | 朵 | object draw
present | | 礼物 | 个 | object open
guitar | | 吉他 | 把 | object fix
shirt | | 衬衫 | 件 | clothes wash
coat | | 外套 | 件 | clothes wash
hat | | 帽子 | 顶 | clothes
dress | dresses | 裙子 | 条 | clothes wash
sweater | | 毛衣 | 件 | clothes wash
bike | | 自行车 | 辆 | vehicle fix wash
car | | 汽车 | 辆 | vehicle fix wash
bus | buses | 公共汽车 | 辆 | vehicle
boat | | 船 | 条 | vehicle fix
""")
NOUN_BY_TAG: dict[str, list[Noun]] = {}
for _n in NOUNS:
    for _t in _n.tags:
        NOUN_BY_TAG.setdefault(_t, []).append(_n)


@dataclass(frozen=True)
class Mass:
    en: str
    zh: str
    unit: str  # english container, singular
    units: str  # english container, plural
    cl: str
    tags: frozenset[str]


MASS = [
    Mass(en, zh, u, us or u + "s", cl, frozenset(tags.split()))
    for en, zh, u, us, cl, tags in _rows("""
tea | 茶 | cup | | 杯 | drink
coffee | 咖啡 | cup | | 杯 | drink
milk | 牛奶 | glass | glasses | 杯 | drink
water | 水 | bottle | | 瓶 | drink
juice | 果汁 | glass | glasses | 杯 | drink
rice | 米饭 | bowl | | 碗 | dish
noodles | 面条 | bowl | | 碗 | dish
soup | 汤 | bowl | | 碗 | dish
dumplings | 饺子 | plate | | 盘 | dish
shoes | 鞋 | pair | | 双 | clothes
""")
]
MASS_BY_TAG: dict[str, list[Mass]] = {}
for _m in MASS:
    for _t in _m.tags:
        MASS_BY_TAG.setdefault(_t, []).append(_m)

COLOURS = _rows("""
red | 红色的
blue | 蓝色的
green | 绿色的
yellow | 黄色的
white | 白色的
black | 黑色的
brown | 棕色的
orange | 橙色的
purple | 紫色的
pink | 粉色的
grey | 灰色的
""")
# quality adjectives before a noun: english, chinese, takes 的?, allowed noun tags
QUALITIES = [
    (en, zh, de == "de", frozenset(tags.split()))
    for en, zh, de, tags in _rows("""
big | 大 | | animal food object clothes vehicle
small | 小 | | animal food object clothes vehicle
new | 新 | | object clothes vehicle
old | 旧 | | object clothes vehicle
cheap | 便宜的 | de | object clothes vehicle food
expensive | 贵的 | de | object clothes vehicle
beautiful | 漂亮的 | de | object clothes animal
heavy | 重的 | de | object
clean | 干净的 | de | object clothes vehicle
dirty | 脏的 | de | object clothes vehicle
cute | 可爱的 | de | animal
fat | 胖的 | de | animal
fresh | 新鲜的 | de | fruit
""")
]


@dataclass(frozen=True)
class Place:
    loc: str  # "in the park"
    dest: str  # "the park"
    zh: str  # "公园" (destination)
    zh_in: str  # "公园里" (location / topic of an existential)


PLACES = [
    Place(*r)
    for r in _rows("""
in the park | the park | 公园 | 公园里
at school | school | 学校 | 学校
in the kitchen | the kitchen | 厨房 | 厨房里
in the garden | the garden | 花园 | 花园里
in the library | the library | 图书馆 | 图书馆里
in the office | the office | 办公室 | 办公室里
at the hospital | the hospital | 医院 | 医院
at the station | the station | 车站 | 车站
at the market | the market | 市场 | 市场
at the supermarket | the supermarket | 超市 | 超市里
in the restaurant | the restaurant | 饭店 | 饭店里
in the shop | the shop | 商店 | 商店里
by the river | the river | 河边 | 河边
on the beach | the beach | 海边 | 海边
in the museum | the museum | 博物馆 | 博物馆里
at the zoo | the zoo | 动物园 | 动物园里
at the airport | the airport | 机场 | 机场
at the bank | the bank | 银行 | 银行
in the classroom | the classroom | 教室 | 教室里
in the coffee shop | the coffee shop | 咖啡店 | 咖啡店里
""")
]
HOME = Place("at home", "home", "家", "家里")
CITIES = _rows("""
beijing | 北京
shanghai | 上海
guangzhou | 广州
shenzhen | 深圳
hong kong | 香港
london | 伦敦
paris | 巴黎
tokyo | 东京
new york | 纽约
berlin | 柏林
""")
TRANSPORT = _rows("""
by bus | 坐公共汽车
by train | 坐火车
by plane | 坐飞机
by taxi | 坐出租车
by subway | 坐地铁
by boat | 坐船
by car | 开车
by bike | 骑自行车
on foot | 走路
""")
# spatial relations for "X is under the table": english, chinese suffix
RELATIONS = _rows("""
on | 上
under | 下面
in | 里
next to | 旁边
behind | 后面
in front of | 前面
near | 附近
""")
LANDMARKS = _rows("""
table | 桌子
bed | 床
chair | 椅子
box | 盒子
door | 门
window | 窗户
sofa | 沙发
desk | 书桌
tree | 树
car | 汽车
house | 房子
shelf | 架子
""")
LANDMARKS_FOR_RELATION = {
    "on": {"table", "bed", "chair", "sofa", "desk", "shelf", "box", "car"},
    "in": {"box", "car", "house"},
}


@dataclass(frozen=True)
class Verb:
    """English head-verb forms + the rest of the phrase; Chinese pattern with {o} and {le} slots."""

    forms: tuple[str, str, str, str]  # base, 3sg, past, -ing
    rest: str  # english after the head verb; "{o}" = object
    zh: str  # e.g. "给{o}打{le}电话"; {le} becomes 了 in the affirmative past
    objs: tuple[str, ...] = ()  # object kinds: noun tags, "m:<mass tag>", "person", "place"


def _verbs(table: str, with_obj: bool) -> list[Verb]:
    out = []
    for row in _rows(table):
        forms = tuple(row[0].split())
        assert len(forms) == 4, row
        if with_obj:
            out.append(Verb(forms, row[1], row[2], tuple(row[3].split())))
        else:
            out.append(Verb(forms, row[1], row[2]))
    return out


TRANSITIVE = _verbs(
    """
eat eats ate eating | {o} | 吃{le}{o} | food m:dish
drink drinks drank drinking | {o} | 喝{le}{o} | m:drink
buy buys bought buying | {o} | 买{le}{o} | food object clothes vehicle m:drink m:clothes pet
sell sells sold selling | {o} | 卖{le}{o} | food object clothes vehicle pet
see sees saw seeing | {o} | 看见{le}{o} | animal vehicle person
find finds found finding | {o} | 找到{le}{o} | object pet clothes
lose loses lost losing | {o} | 丢{le}{o} | object clothes
bring brings brought bringing | {o} | 带{le}{o} | object food m:drink
wash washes washed washing | {o} | 洗{le}{o} | wash
fix fixes fixed fixing | {o} | 修{le}{o} | fix
read reads read reading | {o} | 看{le}{o} | read
write writes wrote writing | {o} | 写{le}{o} | write
draw draws drew drawing | {o} | 画{le}{o} | animal draw
open opens opened opening | {o} | 打开{le}{o} | open
close closes closed closing | {o} | 关上{le}{o} | open
feed feeds fed feeding | {o} | 喂{le}{o} | animal
look looks looked looking | for {o} | 找{le}{o} | object pet person
meet meets met meeting | {o} | 见{le}{o} | person
call calls called calling | {o} | 给{o}打{le}电话 | person
help helps helped helping | {o} | 帮{le}{o} | person
wait waits waited waiting | for {o} | 等{le}{o} | person vehicle
visit visits visited visiting | {o} | 看望{le}{o} | person
visit visits visited visiting | {o} | 参观{le}{o} | place
""",
    True,
)
ACTIVITIES = _verbs(
    """
play plays played playing | football | 踢{le}足球
play plays played playing | basketball | 打{le}篮球
play plays played playing | tennis | 打{le}网球
play plays played playing | the piano | 弹{le}钢琴
play plays played playing | the guitar | 弹{le}吉他
play plays played playing | games | 玩{le}游戏
go goes went going | swimming | 去游泳{le}
go goes went going | shopping | 去购物{le}
go goes went going | for a walk | 去散步{le}
go goes went going | to work | 去上班{le}
run runs ran running | | 跑{le}步
cook cooks cooked cooking | dinner | 做{le}晚饭
cook cooks cooked cooking | breakfast | 做{le}早饭
eat eats ate eating | lunch | 吃{le}午饭
watch watches watched watching | television | 看{le}电视
watch watches watched watching | a film | 看{le}一部电影
listen listens listened listening | to music | 听{le}音乐
read reads read reading | the newspaper | 看{le}报纸
do does did doing | the homework | 做{le}作业
study studies studied studying | english | 学{le}英语
study studies studied studying | chinese | 学{le}中文
study studies studied studying | maths | 学{le}数学
sing sings sang singing | a song | 唱{le}一首歌
sleep sleeps slept sleeping | | 睡{le}觉
drive drives drove driving | a car | 开{le}车
clean cleans cleaned cleaning | the house | 打扫{le}房子
wash washes washed washing | the dishes | 洗{le}碗
wash washes washed washing | the clothes | 洗{le}衣服
draw draws drew drawing | a picture | 画{le}一幅画
write writes wrote writing | a story | 写{le}一个故事
work works worked working | | 工作{le}
""",
    False,
)

PAST_TIMES = _rows("""
yesterday | 昨天
yesterday morning | 昨天早上
yesterday afternoon | 昨天下午
last night | 昨天晚上
last week | 上个星期
last month | 上个月
last year | 去年
last weekend | 上个周末
this morning | 今天早上
""")
FUTURE_TIMES = _rows("""
tomorrow | 明天
tomorrow morning | 明天早上
tomorrow afternoon | 明天下午
tomorrow evening | 明天晚上
tonight | 今天晚上
this afternoon | 今天下午
next week | 下个星期
next month | 下个月
next year | 明年
next weekend | 下个周末
the day after tomorrow | 后天
""")
HABIT_TIMES = _rows("""
every day | 每天
every morning | 每天早上
every evening | 每天晚上
every week | 每个星期
every weekend | 每个周末
in the morning | 早上
in the afternoon | 下午
in the evening | 晚上
""")
FREQUENCY_ADVERBS = _rows("""
usually | 通常
often | 经常
sometimes | 有时候
always | 总是
""")
WEEKDAYS = _rows("""
monday | 星期一
tuesday | 星期二
wednesday | 星期三
thursday | 星期四
friday | 星期五
saturday | 星期六
sunday | 星期天
""")
MONTHS = (
    "january february march april may june july august september october november december".split()
)
DAYPARTS = [
    ("in the morning", "早上", (6, 11)),
    ("in the afternoon", "下午", (1, 5)),
    ("in the evening", "晚上", (6, 10)),
]


# ---------------------------------------------------------------------------------------------
# words of one template each (grammar.t_state, t_property, t_compare, t_weather, t_schedule)
STATES = _rows("""
tired | 累
happy | 高兴
busy | 忙
hungry | 饿
thirsty | 渴
angry | 生气
sad | 难过
sleepy | 困
cold | 冷
hot | 热
""")
DEGREES = _rows("""
very | 很
a little | 有点
really | 真
extremely | 非常
not | 不
""")
PROPERTIES = [
    (en, zh, frozenset(tags.split()))
    for en, zh, tags in _rows("""
sweet | 甜 | fruit
delicious | 好吃 | food
fresh | 新鲜 | fruit
new | 新 | object clothes vehicle
old | 旧 | object clothes vehicle
big | 大 | animal object clothes vehicle food
small | 小 | animal object clothes vehicle food
expensive | 贵 | object clothes vehicle food
cheap | 便宜 | object clothes vehicle food
beautiful | 漂亮 | object clothes animal
heavy | 重 | object vehicle animal
clean | 干净 | object clothes vehicle
dirty | 脏 | object clothes vehicle animal
cute | 可爱 | animal
fat | 胖 | animal
interesting | 有意思 | read
boring | 无聊 | read
fast | 快 | vehicle animal
slow | 慢 | vehicle animal
""")
]
COMPARATIVES = [
    (en, zh, kind)
    for en, zh, kind in _rows("""
taller | 高 | person
shorter | 矮 | person
older | 大 | person
younger | 小 | person
bigger | 大 | animal
smaller | 小 | animal
faster | 快 | animal
heavier | 重 | animal
bigger | 大 | city
colder | 冷 | city
hotter | 热 | city
more expensive | 贵 | city
cheaper | 便宜 | object
more expensive | 贵 | object
heavier | 重 | object
""")
]
WEATHER_ADJECTIVES = _rows("""
cold | 冷
hot | 热
warm | 暖和
cool | 凉快
windy | 风大
""")
SCHEDULE_EVENTS = _rows("""
the train | 火车 | leaves arrives
the bus | 公共汽车 | leaves arrives
the plane | 飞机 | leaves arrives
the meeting | 会议 | starts ends
the class | 课 | starts ends
the film | 电影 | starts ends
the concert | 音乐会 | starts ends
the shop | 商店 | opens closes
the bank | 银行 | opens closes
the library | 图书馆 | opens closes
the restaurant | 饭店 | opens closes
""")
SCHEDULE_VERBS = {
    "leaves": "出发",
    "arrives": "到达",
    "starts": "开始",
    "ends": "结束",
    "opens": "开门",
    "closes": "关门",
}
