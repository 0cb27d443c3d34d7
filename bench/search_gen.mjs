// bench/search_gen.mjs - documents and queries for the search benchmark (bench/run.sh search).
//
//   node bench/search_gen.mjs N DOCS.jsonl QUERIES.tsv
//
// N realistic documents for `onewindow search index-file`: knowledge-base articles, work
// orders and policies in Chinese (about 60%), Tibetan (20%), English (10%) and Chinese with
// English terms (10%), built from the names of the reference divisions
// (data/xizang-divisions.csv, data/xizang-villages.csv) and a vocabulary of government
// service and complaint phrases. Deterministic (a seeded PRNG), so runs compare.
// The queries file has one "CLASS<TAB>QUERY" a line: 1char, 2char, 3char, multiword,
// tibetan, english and nohit.
import { readFileSync, writeFileSync, createWriteStream } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const [N = '100000', DOCS = '/dev/stdout', QUERIES = '/dev/null'] = process.argv.slice(2);

let seed = 20261126;
function rnd() { // mulberry32
  seed = (seed + 0x6d2b79f5) | 0;
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}
const pick = (a) => a[Math.floor(rnd() * a.length)];
const between = (lo, hi) => lo + Math.floor(rnd() * (hi - lo + 1));

function csv(path) {
  const [head, ...lines] = readFileSync(path, 'utf8').split('\n').filter((l) => l);
  const cols = head.split(',');
  return lines.map((l) => Object.fromEntries(l.split(',').map((v, i) => [cols[i], v])));
}
const divisions = csv(join(ROOT, 'data', 'xizang-divisions.csv'));
const villages = csv(join(ROOT, 'data', 'xizang-villages.csv'));
const places = divisions.filter((d) => d.level !== 'region');
const placesBo = places.filter((d) => d.name_bo);
const placesEn = places.filter((d) => d.name_en);

const ZH_SERVICES = ['户口登记', '户口迁移', '婚姻登记', '出生医学证明', '居民身份证换领', '居住证办理',
  '社会保障卡补办', '城乡居民医保参保登记', '养老保险待遇领取', '失业保险金申领', '住房公积金提取',
  '营业执照办理', '个体工商户登记', '食品经营许可', '不动产登记', '建设工程规划许可', '机动车驾驶证换证',
  '最低生活保障申请', '残疾人证办理', '高龄津贴申领', '新生儿落户', '退休手续办理', '学籍转移',
  '药品零售许可', '道路运输经营许可', '林木采伐许可', '草原承包经营权登记', '农村宅基地审批'];
const ZH_COMPLAINTS = ['夜间施工噪音扰民', '小区停水三天无人处理', '冬季供暖温度不达标', '拖欠农民工工资',
  '路灯损坏影响出行', '物业乱收费', '出租车拒载', '菜市场缺斤短两', '餐馆卫生条件差', '道路积水严重',
  '垃圾清运不及时', '违章搭建占用通道', '网吧接纳未成年人', '药店销售过期药品', '牦牛肉价格上涨过快',
  '旅游景区强制消费', '学校乱收费', '医院排队时间过长', '手机信号差', '公交车班次太少'];
const ZH_SENTENCES = ['请问需要携带哪些材料', '办理时限为{n}个工作日', '可以通过一网通办平台在线申请',
  '申请人应当本人到场', '窗口工作时间为周一至周五', '材料齐全的当场办结', '不收取任何费用',
  '来电人反映情况属实', '已转交相关部门处理', '要求尽快解决', '群众对处理结果表示满意', '已电话回访',
  '涉及多个部门需要协调', '依据相关法律法规办理', '请按照要求补正材料', '逾期未补正的视为撤回申请',
  '可以委托他人代为办理', '需要提供原件和复印件', '跨省通办事项', '异地就医备案'];
const BO_PHRASES = ['ཁྱིམ་ཚང་ཐོ་འགོད', 'གཉེན་སྒྲིག་ཐོ་འགོད', 'ལག་ཁྱེར་བཟོ་བ', 'སྤྱི་ཚོགས་ཉེན་སྲུང་ཁཱ་ཌ',
  'འཕྲོད་བསྟེན་ཉེན་སྲུང', 'རྒན་གསོའི་ཉེན་སྲུང', 'ཚོང་ལས་ཆོག་མཆན', 'སློབ་གྲྭའི་ཐོ་འགོད', 'སྨན་ཁང་དུ་སྨན་བཅོས',
  'ཆུ་གློག་གི་དཀའ་ངལ', 'ལམ་བཟོ་བའི་སྐད་སྒྲ', 'གླ་ཕོགས་སྤྲོད་མེད', 'གཞུང་ཞབས་ཞུ', 'དྲ་ཐོག་ནས་ཞུ་འབུལ',
  'ལས་ཁུངས་ལ་ཞུ་གཏུག', 'བསམ་འཆར་འདོན་པ', 'ཐག་གཅོད་བྱེད་པ', 'བུ་ཕྲུག་སྐྱེས་པའི་ཐོ་འགོད', 'གནས་ཚུལ་ཞིབ་བཤེར'];
const BO_SENTENCES = ['ཡིག་ཆ་ག་རེ་ཁྱེར་དགོས་སམ།', 'ལས་ཀའི་ཉིན་གྲངས་{n}ནང་ཐག་གཅོད་བྱེད།', 'དྲ་ཐོག་ནས་ཞུ་འབུལ་བྱེད་ཆོག',
  'རང་ཉིད་ཡོང་དགོས།', 'རིན་འབབ་མེད།', 'འབྲེལ་ཡོད་ལས་ཁུངས་ལ་སྤྲོད་ཟིན།', 'མགྱོགས་མྱུར་ཐག་གཅོད་བྱེད་རོགས།',
  'ཁ་པར་བརྒྱུད་ལན་འདེབས་བྱས་ཟིན།'];
const EN_SERVICES = ['marriage registration', 'household registration', 'resident ID card renewal',
  'social security card', 'medical insurance enrolment', 'pension payment', 'business licence',
  'food business permit', 'property registration', 'driving licence renewal', 'housing fund withdrawal',
  'noise complaint', 'water supply cut', 'heating below standard', 'unpaid wages', 'broken street light'];
const EN_SENTENCES = ['Bring the original documents and copies.', 'Decided within {n} working days.',
  'Apply online through the one-window platform.', 'The caller asks for a quick solution.',
  'Transferred to the responsible department.', 'No fee is charged.', 'The applicant must come in person.'];

const fill = (s) => s.replace('{n}', String(between(1, 30)));
function sentences(list, min, max) {
  const out = [];
  for (let i = between(min, max); i > 0; i--) out.push(fill(pick(list)));
  return out;
}

function doc(i) {
  const place = pick(places);
  const village = rnd() < 0.5 ? pick(villages).name_zh : '';
  const r = rnd();
  const kind = r < 0.3 ? 'kb' : r < 0.9 ? 'order' : 'policy';
  const l = rnd();
  let lang, title, body;
  if (l < 0.6) {
    lang = 'zh';
    const topic = kind === 'order' ? pick(ZH_COMPLAINTS) : pick(ZH_SERVICES);
    title = kind === 'order' ? `${place.name_zh}${village}${topic}` : `${topic}办事指南`;
    body = [`${place.name_zh}${village}群众咨询${pick(ZH_SERVICES)}。`, ...sentences(ZH_SENTENCES, 3, 8).map((s) => s + '。'),
      kind === 'order' ? `${pick(ZH_COMPLAINTS)}。` : ''].join('');
  } else if (l < 0.8) {
    lang = 'bo';
    const bo = pick(placesBo).name_bo.replace(/།$/, '');
    title = `${bo}་གི་${pick(BO_PHRASES)}`;
    body = [pick(BO_PHRASES) + '།', ...sentences(BO_SENTENCES, 3, 7), pick(BO_PHRASES) + '།'].join(' ');
  } else if (l < 0.9) {
    lang = 'en';
    const en = pick(placesEn).name_en;
    title = `${en}: ${pick(EN_SERVICES)}`;
    body = sentences(EN_SENTENCES, 3, 7).join(' ') + ` About ${pick(EN_SERVICES)} in ${en}.`;
  } else {
    lang = 'zh';
    title = `${pick(ZH_SERVICES)}（${pick(EN_SERVICES)}）`;
    body = [...sentences(ZH_SENTENCES, 2, 5).map((s) => s + '。'), `See also: ${pick(EN_SERVICES)}.`].join('');
  }
  return {
    kind, id: i + 1, lang, title, body, dept_id: between(1, 40), division_code: Number(place.code),
    tag: kind === 'order' ? pick(['complaint', 'request', 'consult', 'suggestion']) : 'guide',
    visibility: kind === 'order' ? 1 : 0, updated_at: 1767225600000 + i * 60000,
  };
}

const n = Number(N);
const out = createWriteStream(DOCS);
for (let i = 0; i < n; i++) {
  if (!out.write(JSON.stringify(doc(i)) + '\n')) await new Promise((r) => out.once('drain', r));
}
out.end();

const Q = {
  '1char': ['婚', '水', '证', '费', '医', '路', '税', '房'],
  '2char': ['户口', '社保', '医保', '噪音', '停水', '供暖', '工资', '执照', '婚姻', '出生', '退休', '养老',
    '低保', '路灯', '物业', '拉萨', '昌都', '材料', '窗口', '回访'],
  '3char': ['身份证', '公积金', '营业执照', '出生医学', '驾驶证', '居住证', '不动产', '一网通办', '工作日',
    '宅基地', '农民工', '出租车', '未成年人', '日喀则'],
  multiword: ['户口 迁移', '噪音 扰民 拉萨', '工资 拖欠', '营业执照 办理', '医保 参保 登记', '供暖 温度',
    '材料 原件 复印件', '跨省 通办'],
  tibetan: ['ཐོ་འགོད', 'སྨན་ཁང', 'ལག་ཁྱེར', 'བོད', 'ཞབས་ཞུ', 'ལྷ་ས', 'ཉེན་སྲུང', 'གླ་ཕོགས', 'ཁྱིམ་ཚང་ཐོ་འགོད', 'རིན་འབབ'],
  english: ['marriage', 'noise complaint', 'ID', 'business licence', 'Lhasa', 'working days', 'pension'],
  nohit: ['火星基地', '量子计算机', 'xyzzyq', 'ཀཀཀཀཀ', '东京铁塔', '冰淇淋机', 'zz'],
};
writeFileSync(QUERIES, Object.entries(Q).flatMap(([c, qs]) => qs.map((q) => `${c}\t${q}`)).join('\n') + '\n');
