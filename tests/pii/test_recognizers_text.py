"""PERSON, ADDRESS and the sensitive categories through a real AnalyzerEngine: (text, spans) tables.

The sentences are written by hand, not taken from the synthetic city's templates. ⟦…⟧ marks each
expected span in the original text.
"""

from __future__ import annotations

import pytest

from huiliu.pii.engine import PiiEngine, get_engine
from tests.pii import unmark


@pytest.fixture(scope="module")
def engine() -> PiiEngine:
    return get_engine()


def check(engine: PiiEngine, marked: str, entity: str) -> None:
    text, expected = unmark(marked)
    found = sorted((r.start, r.end) for r in engine.analyze(text) if r.entity_type == entity)
    assert found == expected, [text[s:e] for s, e in found]


@pytest.mark.parametrize(
    "marked",
    [
        pytest.param("户主⟦王建国⟧，男，汉族。", id="after-context-word"),
        pytest.param("据居民⟦李秀英⟧称，其子⟦张伟⟧于昨日离家未归。", id="two-context-words"),
        pytest.param("联系人：⟦陈小明⟧ 13912345678", id="context-colon"),
        pytest.param("申请人⟦欧阳娜娜⟧提交了低保申请材料。", id="compound-surname"),
        pytest.param("联系人：⟦Zhang Wei⟧，电话见附件", id="pinyin-after-a-context-word"),
        pytest.param("申请人⟦ZHANG Weiming⟧已到场", id="pinyin-surname-in-capitals"),
        pytest.param("请转告⟦Wang Fang⟧女士明天来办理", id="pinyin-before-a-title"),
        pytest.param("联系人：⟦Ouyang Xiu⟧、⟦Lyu Bin⟧", id="pinyin-compound-surname-and-a-joined-name"),
        pytest.param("Called by Mr. ⟦Li Ming⟧ Today", id="pinyin-after-an-english-title"),
        pytest.param("Mr ⟦Li Ming⟧ called back", id="pinyin-after-a-title-without-a-stop"),
        pytest.param("联系人：⟦Zhang Xiaoming⟧、⟦SHANGGUAN WAN⟧", id="pinyin-long-given-name-and-surname"),
        pytest.param("Items Li Ming", id="pinyin-after-a-word-ending-like-a-title"),
        pytest.param("会议由⟦ZHANG Wei⟧主持", id="pinyin-surname-in-capitals-without-context"),
        pytest.param("The report by ⟦LI Na⟧ was accepted.", id="pinyin-surname-in-capitals-in-english"),
        pytest.param("HE Said that, AN Old man", id="capitals-before-words-that-are-no-pinyin"),
        pytest.param("ZHANG WEIMING SIGNED", id="capitals-throughout-without-context"),
        pytest.param("Applicant: ⟦Li Ming⟧, Address: 见附件", id="pinyin-after-an-english-label"),
        pytest.param("PASSENGER NAME: ⟦Wang Fang⟧", id="pinyin-after-an-english-label-in-capitals"),
        pytest.param("Owner's name: ⟦Chen Jie⟧", id="pinyin-after-an-english-label-of-a-name"),
        pytest.param("Passenger: ⟦李娜⟧", id="an-english-label-is-no-name"),
        pytest.param("文件请rename为Li Ming", id="an-english-phrase-around-a-pinyin-name"),
        pytest.param("叶子silence今天发了微博", id="a-nickname-of-chinese-and-english"),
        pytest.param("主裁判⟦阿特金森⟧（martinatkinson）吹罚了点球", id="a-name-ends-at-its-bracket"),
        pytest.param("⟦A·约翰森⟧表示将继续比赛", id="an-initial-before-a-transliterated-name"),
        pytest.param("西面是有“高原明珠”之称的乌干达", id="a-country-is-no-name"),
        pytest.param("参赛的有德国、英格兰、阿根廷、比利时和巴拉圭", id="countries-in-a-list-are-no-names"),
        pytest.param("我常去上海、杭州、南宁、南京、大连等地出差", id="a-city-in-a-list-of-cities"),
        pytest.param("b组有四川、河北、黑龙江、吉林、河南、湖北、重庆和江苏", id="a-province-in-a-list"),
        pytest.param("参会的有⟦王建国⟧、⟦李秀英⟧、⟦张伟⟧三位", id="names-in-a-list-of-names"),
        pytest.param("⟦巴特勒⟧说，伊拉克现在比以往任何时候都更需要合作", id="a-country-starting-a-clause"),
        pytest.param("⟦张伟⟧路边等车", id="a-person-by-the-road"),
        pytest.param("He Long said the Long March began", id="pinyin-words-without-context"),
        pytest.param("经查，⟦刘德华⟧已于2024年迁出本辖区。", id="clause-start-jieba-nr"),
        pytest.param("⟦赵想⟧反映小区停水。", id="clause-start-before-verb"),
        pytest.param("⟦罗东⟧（身份证号见附件）咨询入学政策。", id="clause-start-before-bracket"),
        pytest.param("住户⟦秦磊波⟧与邻居⟦杜秀华⟧因漏水发生纠纷。", id="three-character-names"),
        pytest.param("残疾人⟦孙丽丽⟧需要帮扶。", id="context-then-verb"),
        pytest.param("联系人⟦王五⟧、⟦赵六⟧。", id="joined-names"),
        pytest.param("市民\u200b⟦张佳林⟧反映", id="zero-width-before-name"),
        pytest.param("高峰期间车辆排队较长。", id="word-starting-with-surname"),
        pytest.param("建议加强管理，向社区反映多次未果。", id="preposition-surname"),
        pytest.param("于是居民们自发组织清理。", id="conjunction"),
        pytest.param("小区业主委员会决定更换物业公司。", id="context-word-then-noun"),
        pytest.param("市民通过12345热线反映噪音问题。", id="context-word-then-verb"),
        pytest.param("时间：2024年5月3日，地点：南明区人民政府。", id="dates-and-places"),
        pytest.param("严重，", id="common-word-alone"),
        pytest.param("请联系⟦宋轩⟧（电话见附件）", id="after-a-verb-before-bracket"),
        pytest.param("补助款已打入⟦欧阳辉⟧名下的账户", id="compound-surname-mid-sentence"),
        pytest.param("已通知业主⟦吕芳⟧整改", id="role-noun-then-verb"),
        pytest.param("车主⟦江娜⟧的车辆占用消防通道", id="role-noun-then-particle"),
        pytest.param("⟦杜涵⟧与⟦程俊秀⟧因邻里纠纷到社区调解", id="pair-at-clause-start"),
        pytest.param("参加活动的有⟦王芳⟧、⟦李娜⟧和⟦张伟⟧三人", id="list-of-names"),
        pytest.param("监护人⟦司马云飞⟧签字确认", id="compound-surname-after-role"),
        pytest.param("⟦李鹏⟧说，中国对欧盟实施", id="the-tagger-ends-a-name-before-a-particle"),
        pytest.param("昏迷不醒，⟦王⟧大娘用自己的身子照顾她", id="surname-and-kin-term"),
        pytest.param("⟦郑国华⟧先生在耄耋之年仍坚持写作", id="title-after-a-name"),
        pytest.param("住户⟦王鹏兵⟧与邻居⟦孔欣英⟧因漏水发生纠纷", id="role-nouns-keep-the-rule-end"),
        pytest.param("回族", id="an-ethnic-group-value"),
        pytest.param("锡伯族", id="a-three-character-ethnic-group-value"),
        pytest.param("苗", id="a-bare-ethnic-group-value"),
        pytest.param("该户户主为苗族，妻子为布依族。", id="ethnic-groups-in-a-sentence"),
        pytest.param("⟦苗青⟧反映小区停水。", id="a-name-with-a-group-surname"),
        pytest.param("⟦梁⟧某与丈夫⟦郭⟧某于1977年结婚", id="surnames-with-a-placeholder"),
        pytest.param("70年代初，⟦杜⟧氏在阿姆斯特丹大学任教", id="surname-with-clan-mark"),
        pytest.param("住户⟦李⟧老反映楼上漏水", id="surname-with-honorific-after"),
        pytest.param("老⟦李⟧反映楼上漏水", id="surname-with-honorific-before"),
        pytest.param("志愿者⟦胡家全⟧深入乡村为群众服务", id="a-name-holding-a-mark-stays-whole"),
        pytest.param("这座古老的建筑保存完好，养老院就在旁边", id="words-ending-in-an-honorific"),
        pytest.param("来电人⟦周⟧女士反映小区停水", id="surname-and-title"),
        pytest.param("来电人⟦欧阳⟧先生反映", id="compound-surname-and-title"),
        pytest.param("村民⟦李⟧某某反映", id="surname-and-double-placeholder"),
        pytest.param("网格员⟦罗⟧某入户走访", id="surname-placeholder-and-a-verb"),
        pytest.param("业主⟦李强⟧曾多次投诉", id="a-name-before-an-adverb"),
        pytest.param("户主⟦王华⟧便到社区反映", id="a-name-before-bian"),
        pytest.param("网格员⟦刘静⟧均已到场", id="a-name-before-jun"),
        pytest.param("业主高兴地说", id="a-word-and-a-particle"),
        pytest.param("已回访⟦苏⟧女士，问题已解决", id="surname-and-title-after-a-verb"),
        pytest.param("感谢⟦王⟧阿姨🌹", id="an-emoji-after-a-name"),
        pytest.param("万分感谢🙏🙏", id="emoji-alone"),
        pytest.param("金额（大写）：伍佰元整", id="an-amount-in-capitals"),
        pytest.param("配送范围：南明区、云岩区", id="districts-in-a-list"),
        pytest.param("谢谢⟦张⟧哥，⟦赵⟧总明天到", id="informal-titles"),
        pytest.param("⟦马龙⟧夺得冠军", id="a-name-that-is-also-a-district"),
        pytest.param("籍贯：黎平，户籍：罗甸，品牌：华为，小区：万科城", id="form-fields-holding-no-person"),
        pytest.param("姓名：⟦王芳⟧", id="a-name-field"),
        pytest.param("⟦王家卫⟧先生的新片", id="a-full-name-before-a-title"),
        pytest.param("对于先生们的建议，任何女士都可以报名", id="titles-after-words"),
        pytest.param("留学中心总监⟦孙晶⟧⟦孙⟧女士介绍", id="a-name-and-its-surname-with-a-title"),
        pytest.param("⟦托娅⟧副外长说，亚洲金融形势趋稳", id="a-deputy-title-after-a-name"),
        pytest.param("⟦李明⟧向主任汇报了情况", id="a-preposition-before-a-title"),
        pytest.param("⟦张伟⟧请主任签字", id="a-verb-before-a-title"),
        pytest.param("⟦周恩来⟧总理说", id="a-name-ending-like-a-particle-before-a-title"),
        pytest.param("⟦李大同⟧主任介绍", id="a-name-ending-like-a-joiner-before-a-title"),
        pytest.param("经⟦朱朗标⟧主任等进行了手术", id="a-three-character-name-before-a-title"),
        pytest.param("泰国王储⟦玛哈·哇集拉隆功⟧今天上午参观", id="a-title-before-a-name-cut-off"),
        pytest.param("⟦王子豪⟧馆长介绍", id="a-name-starting-like-a-title-before-it"),
        pytest.param("小区居民都叫她“⟦刘⟧妈妈”", id="a-surname-like-adverb-before-a-pronoun"),
        pytest.param("项目经理⟦张伟⟧⟦张⟧总介绍说", id="a-name-and-its-surname-with-an-informal-title"),
        pytest.param("⟦王建国⟧户共4人，均已纳入监测", id="a-household-named-by-its-head"),
        pytest.param("监测户⟦周建军⟧户已脱贫", id="a-household-after-a-role-noun"),
        pytest.param("车辆行驶至李家湾路段时", id="a-place-named-after-a-clan"),
        pytest.param("孙家寨路口发生事故", id="a-village-named-after-a-clan"),
        pytest.param("⟦王家卫⟧导演的新片", id="a-name-with-jia-inside"),
        pytest.param("我们到王家组走访了三户", id="the-clan-of-a-village-group-is-no-person"),
        pytest.param("左权路口有积水", id="a-road-named-after-a-person-is-no-person"),
        pytest.param("⟦张伟⟧路上遇到⟦李娜⟧", id="a-person-on-the-way"),
        pytest.param("业主于今年3月反映漏水", id="role-noun-then-preposition-before-a-time"),
        pytest.param("居民于昨日10时在小区门口集合", id="role-noun-then-preposition-before-yesterday"),
        pytest.param("租户向房东反映热水器损坏", id="role-noun-then-preposition-before-a-noun"),
        pytest.param("住户⟦于秀兰⟧反映楼上漏水", id="preposition-surname-of-a-name"),
        pytest.param(
            "业主⟦向红梅⟧家中漏水", id="preposition-surname-before-a-word-the-tagger-reads-as-a-name"
        ),
    ],
)
def test_person(engine: PiiEngine, marked: str) -> None:
    check(engine, marked, "PERSON")


@pytest.mark.parametrize(
    "marked",
    [
        pytest.param("户主现住⟦南明区花果园大街12号⟧。", id="district-road-number"),
        pytest.param("被申请人刘刚，住⟦云岩区中华北路12号⟧。", id="a-verb-after-a-comma-is-no-part"),
        pytest.param("经查，该户⟦南明区沙冲南路55号⟧无人居住。", id="a-pronoun-is-no-part"),
        pytest.param("投诉，楼上⟦南明区新华路8号302室⟧漏水", id="a-location-word-is-no-part"),
        pytest.param("暂住地⟦南明区沙冲南路55号⟧", id="a-label-ending-in-di"),
        pytest.param("王某暂住地为⟦南明区沙冲南路55号⟧", id="a-label-and-a-copula"),
        pytest.param("户籍所在地⟦南明区沙冲南路55号⟧", id="a-label-the-tagger-reads-as-a-place"),
        pytest.param("住址⟦建设北路153号和谐公寓6栋4单元104室⟧", id="a-road-named-with-a-verb"),
        pytest.param("投诉，⟦建设北路153号⟧漏水", id="a-road-named-with-a-verb-after-a-comma"),
        pytest.param("他在⟦四方河路88号⟧家中休息", id="at-home-is-no-part"),
        pytest.param("家住⟦碧海花园3-1-1502室⟧，", id="dashed-building-unit-room"),
        pytest.param("王芳\t13812345678\t⟦云岩区中华北路100号⟧", id="a-tab-before-the-address"),
        pytest.param("📍⟦云岩区中华北路100号⟧", id="an-emoji-before-the-address"),
        pytest.param("当事人驾驶苏E12345号小型轿车", id="a-plate-with-hao-is-no-address"),
        pytest.param("经查，（2024）黔0102民初1234号案件已审结", id="a-court-case-number-is-no-address"),
        pytest.param("住⟦德凤镇高屯村王家组12号⟧的村民", id="a-village-group-named-after-a-clan"),
        pytest.param("户籍地址：⟦高屯村欧阳家组3号⟧", id="a-village-group-of-a-compound-surname"),
        pytest.param("执行依据：（2023）黔0102民初9921号民事调解书", id="a-case-number-before-its-document"),
        pytest.param("本院以（2022）黔民申789号裁定驳回", id="a-case-number-of-a-provincial-court"),
        pytest.param("（2023）最高法民申789号", id="a-case-number-of-the-supreme-court"),
        pytest.param("家住⟦黔东路12号⟧", id="a-road-named-after-the-province"),
        pytest.param("经国际艺术村专家组审议通过", id="an-expert-group-is-no-village-group"),
        pytest.param("户籍：⟦崇礼镇高河村7社⟧", id="a-village-group-called-she"),
        pytest.param("家住⟦新华村一队12号⟧", id="a-village-group-called-dui"),
        pytest.param("家住⟦石关村大坡组18号⟧", id="a-village-group-named-after-the-land"),
        pytest.param("⟦红旗村高定寨⟧有户人家漏雨", id="a-hamlet-of-a-village"),
        pytest.param("召集村小组长开会", id="a-village-s-small-group-is-no-unit"),
        pytest.param("我们到⟦王家组⟧走访了三户", id="a-clan-s-group-someone-goes-to"),
        pytest.param("⟦左权路⟧口有积水", id="a-road-named-after-a-person-at-its-crossing"),
        pytest.param("住在⟦李家湾⟧的老人反映", id="a-clan-s-place-someone-lives-in"),
        pytest.param("王家组队参加比赛", id="a-family-team-is-no-place"),
        pytest.param("他在石家庄工作多年", id="a-city-named-so-is-no-clan-place"),
        pytest.param("周末去农家院吃饭", id="a-farm-stay-is-no-clan-place"),
        pytest.param("全村村民到屯里开会", id="villagers-going-to-the-hamlet-name-no-hamlet"),
        pytest.param("我们走遍了村村寨寨，了解情况。", id="every-village-and-hamlet"),
        pytest.param("住在⟦南明区中山路⟧和朋友一起走到路口", id="no-crossing-across-a-clause"),
        pytest.param("事发地点在⟦南开区鞍山西道与赤峰道⟧交口东南侧", id="the-second-road-of-a-crossing"),
        pytest.param("⟦鞍山西道与赤峰道⟧交口发生一起事故", id="a-bare-crossing"),
        pytest.param("交通事故发生于⟦鞍山西道与赤峰道⟧交口", id="a-bare-crossing-after-a-verb"),
        pytest.param("我知道与他同路口味不同", id="no-crossing-without-roads"),
        pytest.param("业主家住⟦花果园二期⟧，联系电话13812345678。", id="a-phase-of-an-estate"),
        pytest.param("分别是⟦松坪村三期⟧和⟦深康村⟧。", id="a-phase-of-a-village-s-estate"),
        pytest.param("第三期培训班在市里举办", id="a-course-s-third-session-is-no-place"),
        pytest.param("地址：⟦锦绣华庭B座28F⟧", id="a-floor-written-f"),
        pytest.param("单位地址是⟦复兴路甲1号⟧。", id="a-plot-numbered-with-a-stem"),
        pytest.param("送到⟦东直门南大街乙12号院3号楼⟧", id="a-stem-numbered-courtyard-and-building"),
        pytest.param("甲方12号前付款，乙方验收。", id="a-contract-party-and-a-date-are-no-plot"),
        pytest.param("请街道核实处理", id="the-street-office"),
        pytest.param("已转属地街道处理", id="the-local-street-office"),
        pytest.param("住在城中村的自建房里", id="an-urban-village-named-by-no-name"),
        pytest.param("住在⟦云岩区中华北路200号⟧的居民反映路灯不亮。", id="cue-word"),
        pytest.param("地址：⟦贵州省贵阳市观山湖区长岭北路55号会展城B区3栋1单元602室⟧", id="full-with-zone"),
        pytest.param("⟦花溪区青岩镇龙井村3组12号⟧村民反映饮水困难。", id="village-group"),
        pytest.param("李明说他住在⟦阳光花园5栋2单元301室⟧。", id="compound-first"),
        pytest.param("反映⟦宝山南路１３１号碧水新村７栋２单元１３０４室⟧门口", id="full-width-digits"),
        pytest.param("现住址⟦南明区沙冲中路190号林城雅居5栋\u200b2单元1104室⟧，", id="zero-width-inside"),
        pytest.param("反映59路公交车间隔超过20分钟。", id="bus-route"),
        pytest.param("位于⟦遵义路⟧的商铺占道经营。", id="road-named-alone"),
        pytest.param("车主的车辆停在⟦南明区花果园街道花溪社区24栋2单元3003室⟧", id="street-community"),
        pytest.param("他家住在⟦上海市浦东新区张江镇祖冲之路899弄12号501室⟧，已经三年。", id="lane-room"),
        pytest.param("快递寄到⟦北京市海淀区中关村大街27号中关村大厦B座1203⟧", id="tower-and-room"),
        pytest.param("我在⟦杭州西湖区文三路478号华星时代广场A座3层⟧上班", id="floor-of-a-tower"),
        pytest.param("事发于⟦朝阳区建国路88号院3号楼2单元⟧门口", id="courtyard-building"),
        pytest.param("住在⟦7-6-1046⟧的住户反映漏水", id="dashed-building-unit-room"),
        pytest.param("他去了北京，又去了美国纽约。", id="cities-named-alone"),
        pytest.param("事故发生在⟦萧山区蜀山街道蜀山路与亚太路⟧交汇处", id="crossing-of-two-roads"),
        pytest.param("货送到⟦富阳市高桥镇高尔夫路巨润混泥土有限公司⟧", id="company-named-with-its-address"),
        pytest.param("转南明区花果园街道办事处处理", id="street-office-is-no-address"),
        pytest.param("寄到⟦浙江省台州市黄岩区新前街道⟧，谢谢", id="city-the-tagger-calls-an-organisation"),
        pytest.param(
            "收件地址：⟦西湖区文山路832号浙大西溪北苑东大楼10楼⟧", id="split-by-a-name-joined-again"
        ),
        pytest.param("请到市民服务中心3楼办理。", id="building-floor-of-an-office"),
        pytest.param("反映小区地下车库积水，已有18辆车受损。", id="compound-without-building"),
        pytest.param("门口路灯损坏12盏已3天。", id="road-like-word"),
        pytest.param("收货地址：⟦浙江省-温州市-鹿城区五马街道解放街12号⟧", id="divisions-with-dashes"),
        pytest.param("寄到⟦浙江-宁波-海曙区中山西路88号⟧", id="short-division-names"),
        pytest.param(
            "寄往⟦广东省_广州市_天河区_石牌街道_华师社区_中山大道西55号⟧", id="underscores-from-a-form"
        ),
        pytest.param("货放在⟦义乌国际商贸城二期27051⟧，", id="stall-number-ending-the-clause"),
        pytest.param("送到⟦四季青服装市场B3-1180⟧", id="market-and-dashed-stall"),
        pytest.param("他住在⟦大自然三期11幢C单元1016室⟧", id="building-unit-room-without-compound"),
        pytest.param("寄到⟦浙江省东阳市大联镇邮局旁沙发垫厂⟧", id="rest-of-the-clause-names-premises"),
        pytest.param("寄到⟦绍兴市柯桥区钱清镇后东塘工业区⟧", id="zone-inside-a-run-of-places"),
        pytest.param("记者在⟦福州五一路⟧上看到，一辆货车侧翻", id="road-split-by-the-tagger-before-on"),
        pytest.param("曼城客场2-0战胜了对手", id="score-is-no-stall"),
        pytest.param("沿着盘山公路前进，风景很美", id="road-as-a-common-noun"),
        pytest.param("利用虚拟社区开展培训", id="community-as-a-common-noun"),
        pytest.param("⟦解放路12号⟧发生火灾，消防员赶到现场", id="a-verb-ends-the-address"),
        pytest.param("2栋楼房倒塌", id="a-count-of-buildings"),
        pytest.param(
            "奖学金发放名单：苏艳，借记卡6216 6149 2096 4462，金额284239元", id="card-groups-are-no-stall"
        ),
        pytest.param("您的借记卡于10月20日转入人民币403,668.21元", id="an-amount-is-no-stall"),
        pytest.param("联系电话17322204690，工单号12345-2023", id="a-ticket-number-is-no-stall"),
        pytest.param("紧急联系人电话139 5984 2379，已建立台账。", id="phone-groups-are-no-stall"),
    ],
)
def test_address(engine: PiiEngine, marked: str) -> None:
    check(engine, marked, "ADDRESS")


@pytest.mark.parametrize(
    ("marked", "entity"),
    [
        pytest.param("该户户主为⟦苗族⟧，妻子为⟦布依族⟧。", "ETHNICITY", id="ethnic-groups"),
        pytest.param("⟦土家族⟧", "ETHNICITY", id="longest-name"),
        pytest.param("汉", "ETHNICITY", id="bare-name-scores-below-the-threshold"),
        pytest.param("周末带孩子去水族馆。", "ETHNICITY", id="aquarium"),
        pytest.param("汉字书写规范", "ETHNICITY", id="bare-name-inside-text"),
        pytest.param("其母信仰⟦佛教⟧，本人为⟦基督徒⟧。", "RELIGION", id="religions"),
        pytest.param("新教材已发放。", "RELIGION", id="new-textbooks"),
        pytest.param("患有⟦高血压⟧和⟦糖尿病⟧多年。", "HEALTH", id="illnesses"),
        pytest.param("老人患⟦阿尔茨海默病⟧，儿子确诊⟦帕金森病⟧。", "HEALTH", id="illnesses-named-with-bing"),
        pytest.param("持有⟦肢体残疾二级⟧证明。", "HEALTH", id="disability-grade"),
        pytest.param("⟦视力残疾⟧", "HEALTH", id="disability-value"),
        pytest.param("视力检查时间调整。", "HEALTH", id="eyesight-is-not-a-disability"),
    ],
)
def test_sensitive_categories(engine: PiiEngine, marked: str, entity: str) -> None:
    check(engine, marked, entity)


@pytest.mark.parametrize(
    ("marked", "entity"),
    [
        pytest.param("男，⟦1990年3月7日⟧出生，汉族", "DATE_OF_BIRTH", id="date-then-born"),
        pytest.param("女，⟦1975年12月⟧生；", "DATE_OF_BIRTH", id="month-then-sheng"),
        pytest.param("⟦1990年3月7日⟧生。", "DATE_OF_BIRTH", id="sheng-and-full-stop"),
        pytest.param("⟦1990年3月7日⟧生于贵州省贵阳市", "DATE_OF_BIRTH", id="date-then-born-in"),
        pytest.param("⟦一九九〇年三月七日⟧出生", "DATE_OF_BIRTH", id="date-in-numerals"),
        pytest.param("出生地贵阳，2020年3月1日登记", "DATE_OF_BIRTH", id="birthplace-is-no-birth-word"),
        pytest.param("出生证明编号20200301", "DATE_OF_BIRTH", id="birth-certificate-is-no-birth-word"),
        pytest.param("出生日期：⟦1990-03-07⟧", "DATE_OF_BIRTH", id="after-birth-word-dashes"),
        pytest.param("生于⟦1985.6.1⟧的居民", "DATE_OF_BIRTH", id="after-sheng-yu-dots"),
        pytest.param("出生日期⟦19900307⟧", "DATE_OF_BIRTH", id="eight-digits-after-birth-word"),
        pytest.param(
            "出生年月：⟦1990.03⟧；生日蛋糕订单202312", "DATE_OF_BIRTH", id="a-month-after-birth-words"
        ),
        pytest.param("本条例自2020年3月1日起施行", "DATE_OF_BIRTH", id="other-date"),
        pytest.param("2020年3月生效", "DATE_OF_BIRTH", id="sheng-xiao-is-not-born"),
        pytest.param("受理编号19900307", "DATE_OF_BIRTH", id="eight-digits-alone"),
        pytest.param("身份证520102199003074517", "DATE_OF_BIRTH", id="birth-date-inside-an-id"),
        pytest.param("王某，⟦45岁⟧，住花果园", "AGE", id="years-old"),
        pytest.param("他今年⟦18周岁⟧", "AGE", id="full-years"),
        pytest.param("现年⟦六十五岁⟧，⟦一百零二岁⟧的老人", "AGE", id="numerals"),
        pytest.param("千岁、万岁", "AGE", id="no-age-in-numerals"),
        pytest.param("年龄：⟦45⟧，性别男", "AGE", id="number-after-age-word"),
        pytest.param("共有45人参加", "AGE", id="count-of-people"),
        pytest.param("年龄45%以上", "AGE", id="share"),
        pytest.param("60岁以上老人免费，3周岁以下儿童", "AGE", id="age-limits-of-a-rule"),
        pytest.param("18-60岁、18至60岁的居民", "AGE", id="ends-of-a-range"),
        pytest.param("年满5年，Stage 3，page 12", "AGE", id="no-age-words"),
        pytest.param("年满60周岁的老人，未满18岁，年龄段18-60岁", "AGE", id="limits-after-man-and-ranges"),
    ],
)
def test_birth_dates_and_ages(engine: PiiEngine, marked: str, entity: str) -> None:
    check(engine, marked, entity)
