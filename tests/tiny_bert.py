"""Small camel-tools NER models built offline, for tests and benchmarks.

camel-tools' real NER model (``camel_data -i ner-arabert``) is 540 MB and
downloaded from the internet; these helpers write a model of the same layout
(``config.json``, ``model.safetensors``, ``vocab.txt``, tokenizer files) with
seeded random weights, so ``NERecognizer`` and our fast path can be compared
on identical weights without a download.
"""

import json
import pathlib

import torch
from transformers import BertConfig, BertForTokenClassification

# camel_tools.ner._LABELS: ANERcorp's tags, with PERS (not PER) for persons.
CAMEL_LABELS = ("B-LOC", "B-ORG", "B-PERS", "B-MISC", "I-LOC", "I-ORG", "I-PERS", "I-MISC", "O")
SPECIAL_TOKENS = ("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]")
ARABIC_LETTERS = "ءآأؤإئابةتثجحخدذرزسشصضطظعغفقكلمنهوىي"
PUNCTUATION = ".,:;!?()[]\"'-/%،؛؟«»…"
DIGITS = "0123456789٠١٢٣٤٥٦٧٨٩"

# A few hundred words of news Arabic: names, places, organisations and the
# function words around them.
_NEWS_TEXT = """
قال أكد أعلن صرح أضاف أوضح أشار ذكر نقل كشف نفى رفض دعا طالب حذر اعتبر رأى
الرئيس الوزير وزير وزيرة رئيس رئيسة الحكومة البرلمان المجلس الملك الأمير الشيخ
السفير المتحدث الناطق الرسمي باسم الأمين العام المدير التنفيذي المستشار القائد
الخارجية الداخلية الدفاع المالية الاقتصاد الطاقة النفط الغاز الصحة التعليم
العدل الإعلام الزراعة النقل الاتصالات السياحة الثقافة الرياضة الشباب البيئة
المحادثات العلاقات التعاون الاستثمار التجارة الحدود الأمن الجيش القوات الشرطة
المنطقة العاصمة المدينة القرية المحافظة الولاية الإقليم الدولة الدول البلاد
اليوم أمس غدا الأحد الاثنين الثلاثاء الأربعاء الخميس الجمعة السبت صباح مساء
يناير فبراير مارس أبريل مايو يونيو يوليو أغسطس سبتمبر أكتوبر نوفمبر ديسمبر
مؤتمر صحافي صحفي بيان رسمي مصادر مطلعة اتفاق اتفاقية شراكة استراتيجية دعم
الأعضاء القمة السنوية المنظمة الدولية الأمم المتحدة مجلس العقوبات الحرب السلام
المفاوضات الوفد زيارة لقاء اجتماع الجانبين البلدين المشترك الإقليمي العالمي
النمو التضخم الموازنة العام المقبل الماضي الحالي الجديد الجديدة الأول الثاني
في على من إلى أن إن مع بين حول بعد قبل خلال منذ عن كما التي الذي الذين هذه هذا
ذلك تلك هناك هنا لم لن لا ما قد كان كانت يكون تكون وقد وكان وقال وأكد وأضاف
محمد أحمد علي حسن حسين محمود مصطفى إبراهيم يوسف خالد عمر عبد الله الرحمن سعيد
فاطمة مريم سارة ليلى نور هدى زينب عائشة سلمان فيصل عبدالله طارق كريم سامي
ماكرون بايدن بوتين أردوغان السيسي عباس نتنياهو غوتيريش زيلينسكي شي جين بينغ
مصر السعودية الإمارات قطر الكويت البحرين عمان الأردن لبنان سوريا العراق اليمن
فلسطين غزة القدس المغرب الجزائر تونس ليبيا السودان موريتانيا الصومال تركيا
إيران روسيا أوكرانيا الصين اليابان الهند فرنسا ألمانيا بريطانيا إيطاليا إسبانيا
أمريكا الأمريكية الولايات واشنطن موسكو باريس لندن برلين بكين طهران أنقرة
القاهرة الرياض دبي أبوظبي الدوحة بيروت دمشق بغداد عمان الرباط الجزائر طرابلس
الخرطوم صنعاء جدة مكة المدينة الإسكندرية حلب الموصل البصرة
الاتحاد الأوروبي الأفريقي الجامعة العربية حلف الناتو صندوق النقد البنك الدولي
المركزي منظمة الصحة العالمية اليونسكو اليونيسف الصليب الأحمر الهلال شركة أرامكو
مجموعة بنك جامعة مستشفى وكالة الأنباء رويترز فرانس برس الجزيرة العربية سكاي نيوز
حزب حركة حماس فتح الحوثيين الجبهة الشعبية التحالف المعارضة الائتلاف
الانتخابات الرئاسية البرلمانية التشريعية المحلية الدستور القانون المحكمة القضاء
الشعب المواطنين السكان اللاجئين النازحين الضحايا القتلى الجرحى المصابين
الأسعار الأسواق الدولار اليورو الريال الدينار الجنيه البورصة الأسهم الذهب
مليون مليار ألف مئة بالمئة نحو حوالي أكثر أقل أعلى أدنى ارتفاع انخفاض زيادة
العملية العسكرية الهجوم القصف الغارة الاشتباكات الهدنة وقف إطلاق النار المساعدات
الإنسانية الغذائية الطبية الإغاثة الإعمار البنية التحتية المشاريع الكهرباء المياه
كأس العالم الدوري المنتخب الوطني النادي الأهلي الزمالك الهلال النصر ريال مدريد برشلونة
"""
ARABIC_WORDS = tuple(_NEWS_TEXT.split())
_PIECES = ("ال", "و", "ب", "ل", "ف", "وال", "بال", "لل", "##ة", "##ات", "##ون", "##ين",
           "##ها", "##هم", "##ه", "##ي", "##ية", "##ان", "##نا", "##كم")


def base_vocabulary(words=ARABIC_WORDS):
    """Special tokens, letters, digits, punctuation, ``##`` pieces and whole
    words: every Arabic word tokenizes, known words into one piece."""
    tokens = list(SPECIAL_TOKENS)
    tokens += list(ARABIC_LETTERS) + ["##" + letter for letter in ARABIC_LETTERS]
    tokens += list(DIGITS) + ["##" + digit for digit in DIGITS] + list(PUNCTUATION)
    tokens += list(_PIECES) + list(words) + ["##" + word for word in words]
    return list(dict.fromkeys(tokens))


def save_ner_model(model_dir, vocabulary, *, seed=0, classifier_scale=10.0, **config):
    """Save a BertForTokenClassification with seeded random weights, camel's
    labels and ``vocabulary`` in the layout of camel's ``ner-arabert`` package.

    The classifier weights are scaled up so that the top two logits of a
    random model are far apart compared with float rounding: label
    comparisons between two correct implementations then never hinge on a
    near tie."""
    model_dir = pathlib.Path(model_dir)
    model_dir.mkdir(parents=True, exist_ok=True)
    (model_dir / "vocab.txt").write_text("\n".join(vocabulary) + "\n", encoding="utf-8")
    bert_config = BertConfig(
        vocab_size=len(vocabulary),
        id2label=dict(enumerate(CAMEL_LABELS)),
        label2id={label: index for index, label in enumerate(CAMEL_LABELS)},
        **config,
    )
    torch.manual_seed(seed)
    model = BertForTokenClassification(bert_config).eval()
    with torch.no_grad():
        model.classifier.weight.mul_(classifier_scale)
    model.save_pretrained(model_dir)
    # The tokenizer files of camel's package: vocab.txt plus a small config.
    (model_dir / "tokenizer_config.json").write_text(json.dumps({"do_lower_case": False}), encoding="utf-8")
    special_tokens = {"unk_token": "[UNK]", "sep_token": "[SEP]", "pad_token": "[PAD]",
                      "cls_token": "[CLS]", "mask_token": "[MASK]"}
    (model_dir / "special_tokens_map.json").write_text(json.dumps(special_tokens), encoding="utf-8")
    return model_dir


def build_tiny_ner_model(model_dir, *, max_position_embeddings=64, seed=0):
    """A 2-layer, 32-wide camel-layout NER model. With the default 64
    positions, sentences over 62 word pieces must be split; camel's own
    ``predict`` needs at least 256 positions (it pads every input to 256)."""
    return save_ner_model(
        model_dir,
        base_vocabulary(),
        seed=seed,
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=64,
        max_position_embeddings=max_position_embeddings,
    )


def write_stub_catalogue(data_dir):
    """Write the smallest ``catalogue.json`` camel-tools accepts into a
    CAMELTOOLS_DATA folder: without one, ``import camel_tools.ner``
    downloads the catalogue. It names the NER model at ``data/ner/arabert``,
    where ``camel_data -i ner-arabert`` installs it."""
    data_dir = pathlib.Path(data_dir)
    data_dir.mkdir(parents=True, exist_ok=True)
    catalogue = {
        "version": "1.6.0",
        "packages": {},
        "components": {
            "NamedEntityRecognition": {"default": "arabert", "datasets": {"arabert": {"path": "ner/arabert"}}},
        },
    }
    path = data_dir / "catalogue.json"
    path.write_text(json.dumps(catalogue, indent=2), encoding="utf-8")
    return path
