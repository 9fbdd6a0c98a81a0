"""Japanese and English text: tickets, chatbot transcripts, survey comments, mentions, articles.

Texts are assembled from the config's phrasings plus greetings, details and closings at two
politeness levels (keigo / casual), with typos, full-/half-width mixes, and some personal data
(names, e-mail addresses, phone numbers like ``090-1234-5678``, postal codes ``〒123-4567``).
Invoice and order numbers (``INV-2026-004512``) are quoted too: they are *not* personal data.
These are per-record Python functions: records here number in the thousands, not millions.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field

import numpy as np

from kizuki.simulate.config import Intent, SimConfig

__all__ = ["PiiItem", "TextMaker", "Ticket"]

_SURNAMES = [
    "佐藤",
    "鈴木",
    "高橋",
    "田中",
    "伊藤",
    "渡辺",
    "山本",
    "中村",
    "小林",
    "加藤",
    "吉田",
    "山田",
    "佐々木",
    "松本",
    "井上",
    "木村",
]
_SURNAMES_ROMA = [
    "sato",
    "suzuki",
    "takahashi",
    "tanaka",
    "ito",
    "watanabe",
    "yamamoto",
    "nakamura",
    "kobayashi",
    "kato",
    "yoshida",
    "yamada",
    "sasaki",
    "matsumoto",
    "inoue",
    "kimura",
]
_GIVEN = ["太郎", "花子", "健太", "美咲", "翔", "陽菜", "大輔", "さくら", "拓也", "葵"]
_GIVEN_ROMA = [
    "taro",
    "hanako",
    "kenta",
    "misaki",
    "sho",
    "hina",
    "daisuke",
    "sakura",
    "takuya",
    "aoi",
]
_EN_FIRST = ["James", "Emma", "Daniel", "Olivia", "Michael", "Sophie", "David", "Hannah"]
_EN_LAST = ["Smith", "Brown", "Wilson", "Taylor", "Clark", "Lee", "Walker", "Young"]
_MAIL_DOMAINS = ["example.jp", "example.com", "mail.example.ne.jp", "example.co.jp"]
_BUSINESSES = [
    "株式会社サンプル商事",
    "みどりデザイン事務所",
    "合同会社テスト工房",
    "山手会計事務所",
    "ブルーオーシャン株式会社",
    "さくら歯科クリニック",
]
_CITIES = [
    "東京都渋谷区神宮前1-2-3",
    "大阪府大阪市北区梅田2-4-9",
    "福岡県福岡市中央区天神1-1-1",
    "北海道札幌市中央区北1条西2-1",
    "愛知県名古屋市中村区名駅3-2-1",
]

_JA_GREET_KEIGO = [
    "お世話になっております。",
    "いつもお世話になっております。",
    "お世話になります。",
    "突然のご連絡失礼いたします。",
    "初めて問い合わせいたします。",
]
_JA_GREET_CASUAL = ["", "", "すみません、", "あの、", "ちょっと質問です。"]
_JA_WHEN = [
    "昨日の15時ごろから",
    "今朝から",
    "3日前から",
    "先週から",
    "さっきから",
    "月末の締め作業中に",
]
_JA_DEVICE = [
    "Windows の Chrome を使っています。",
    "iPhone の Safari からです。",
    "Mac の Chrome です。",
    "会社のPC（Edge）で操作しています。",
]
_JA_CLOSE_KEIGO = [
    "よろしくお願いいたします。",
    "お手数をおかけしますが、よろしくお願いいたします。",
    "ご確認のほどよろしくお願い申し上げます。",
    "至急ご対応いただけますと幸いです。",
]
_JA_ASK_KEIGO = [
    "ご確認いただけますでしょうか。",
    "対処方法を教えていただけますか。",
    "解決方法をご教示ください。",
    "",
]
_JA_CLOSE_CASUAL = ["よろしく。", "早めに見てほしいです", "どうすればいい？", "困ってます。", ""]
_EN_GREET = ["Hi,", "Hello,", "Dear Support Team,", "Hi there,", "", "Good morning,"]
_EN_WHEN = [
    "Since yesterday afternoon",
    "Since this morning",
    "For three days now",
    "Since last week",
    "Just now",
]
_EN_DEVICE = [
    "I'm using Chrome on Windows.",
    "This is on Safari on my iPhone.",
    "I'm on a Mac with Chrome.",
]
_EN_CLOSE = [
    "Thanks,",
    "Best regards,",
    "Thank you in advance.",
    "thx",
    "Kind regards,",
    "Please help, this is urgent.",
]

_NPS_JA = {
    "promoter": [
        "使いやすくて助かっています。",
        "請求書作成がとても速くなりました。",
        "サポートの対応が丁寧でした。",
        "税理士とのやり取りが楽になった",
        "文句なしです！",
    ],
    "passive": [
        "おおむね満足ですが、もう少し動作が速いと嬉しいです。",
        "機能は十分。料金がもう少し安ければ。",
        "慣れるまで少し時間がかかりました。",
    ],
    "detractor": [
        "使い方が分かりにくいです。",
        "エラーが多くて困っています。",
        "問い合わせても解決しなかった。",
        "他のサービスへの乗り換えを検討中です。",
    ],
}
_NPS_EN = {
    "promoter": [
        "Easy to use, saves me hours every month.",
        "Great support team!",
        "Invoicing is so much faster now.",
    ],
    "passive": ["Mostly fine, but it could be faster.", "Good features, a bit pricey."],
    "detractor": [
        "Too many errors lately.",
        "Support did not solve my problem.",
        "Hard to find anything in the help center.",
    ],
}
_CES_JA = [
    "すぐに解決できました。",
    "何度もやり取りが必要でした。",
    "回答まで時間がかかった。",
    "説明が分かりやすかったです。",
    "結局自分で調べました。",
]
_CES_EN = [
    "Solved quickly.",
    "Took several emails to sort out.",
    "The answer was clear.",
    "I had to figure it out myself.",
]
_CSAT_GOOD_JA = [
    "迅速なご対応ありがとうございました。",
    "助かりました！",
    "丁寧な説明でよく分かりました。",
]
_CSAT_BAD_JA = [
    "結局解決していません。",
    "返信が遅すぎます。",
    "テンプレートの回答で参考になりませんでした。",
]
_CSAT_GOOD_EN = ["Thanks for the quick help!", "Clear answer, thank you."]
_CSAT_BAD_EN = ["Still not solved.", "The reply took far too long."]

_MENTION_JA = {
    "positive": [
        "{name}で請求書作るの本当に楽。もう手放せない",
        "{name}のサポート神対応だった…ありがたい",
        "確定申告、今年は{name}のおかげで早く終わった",
    ],
    "neutral": [
        "{name}と他社の会計ソフト、どっちがいいんだろう",
        "{name}の新機能きてた",
        "{name}に乗り換えるか検討中",
    ],
    "negative": [
        "{name}、{topic}でずっと詰まってる…",
        "{name}の{topic}、何回やってもダメ",
        "{name}また{topic}。もう解約しようかな",
    ],
    "incident": [
        "{name}落ちてる？画面が開かない",
        "{name}障害かな、請求書が出せない…",
        "{name}つながらない😇",
    ],
}
_MENTION_EN = {
    "positive": [
        "Loving {name} for invoicing, so simple",
        "{name} support sorted me out in minutes",
    ],
    "neutral": [
        "Anyone compared {name} with other accounting apps?",
        "Trying out {name} this month",
    ],
    "negative": ["{name} {topic} again... so frustrating", "Stuck on {topic} in {name} for days"],
    "incident": ["Is {name} down? Nothing loads", "{name} outage? can't send invoices"],
}


@dataclass(frozen=True)
class PiiItem:
    """A piece of personal data written into a text: its kind and the exact value."""

    kind: str  # email, phone, postal_code, name
    value: str


@dataclass
class Ticket:
    """The words of one ticket."""

    subject: str
    description: str
    requester_name: str
    requester_email: str
    pii: list[PiiItem] = field(default_factory=list)


def _to_halfwidth_kana(text: str) -> str:
    table: dict[str, str] = {}
    for code in range(0xFF66, 0xFF9E):
        half = chr(code)
        table[unicodedata.normalize("NFKC", half)] = half
    out = []
    for ch in text:
        if ch in table:
            out.append(table[ch])
            continue
        base = unicodedata.normalize("NFD", ch)
        if len(base) == 2 and base[0] in table and base[1] in "\u3099\u309a":
            out.append(table[base[0]] + ("ﾞ" if base[1] == "\u3099" else "ﾟ"))
        else:
            out.append(ch)
    return "".join(out)


def _to_fullwidth_ascii(text: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if c.isascii() and c.isalnum() else c for c in text)


class TextMaker:
    """Draws texts with one seeded generator; same calls in the same order give the same text."""

    def __init__(self, cfg: SimConfig, rng: np.random.Generator) -> None:
        self.cfg = cfg
        self.rng = rng

    def _pick(self, items: list[str]) -> str:
        return items[int(self.rng.integers(len(items)))]

    def _chance(self, p: float) -> bool:
        return bool(self.rng.random() < p)

    def _typo(self, text: str, lang: int) -> str:
        if len(text) < 4:
            return text
        i = int(self.rng.integers(1, len(text) - 2))
        kind = int(self.rng.integers(3))
        if lang == 1 and not text[i].isalpha():
            return text
        if kind == 0:  # swap two neighbours
            return text[:i] + text[i + 1] + text[i] + text[i + 2 :]
        if kind == 1:  # drop one
            return text[:i] + text[i + 1 :]
        if lang == 0:  # lose a dakuten / choonpu, a common IME slip
            base = unicodedata.normalize("NFD", text[i])
            return text[:i] + base[0] + text[i + 1 :]
        return text[:i] + text[i] + text[i:]  # doubled letter

    def person(self, lang: int) -> tuple[str, str]:
        """A requester name and e-mail address."""
        if lang == 0:
            s = int(self.rng.integers(len(_SURNAMES)))
            g = int(self.rng.integers(len(_GIVEN)))
            name = f"{_SURNAMES[s]} {_GIVEN[g]}"
            local = f"{_GIVEN_ROMA[g]}.{_SURNAMES_ROMA[s]}"
        else:
            first, last = self._pick(_EN_FIRST), self._pick(_EN_LAST)
            name = f"{first} {last}"
            local = f"{first.lower()}.{last.lower()}"
        num = int(self.rng.integers(100))
        return name, f"{local}{num if num < 30 else ''}@{self._pick(_MAIL_DOMAINS)}"

    def _phone(self) -> str:
        head = self._pick(["090", "080", "070", "03", "06"])
        a = int(self.rng.integers(1000, 10_000))
        b = int(self.rng.integers(1000, 10_000))
        return f"{head}-{a}-{b}"

    def ticket(self, intent: Intent, lang: int, error_message: str | None) -> Ticket:
        """Subject and first message of a ticket about ``intent``."""
        t = self.cfg.text
        keigo = self._chance(t.keigo_share)
        name, email = self.person(lang)
        pii: list[PiiItem] = []
        phrasing = self._pick(intent.phrasings_ja if lang == 0 else intent.phrasings_en)
        if self._chance(t.typo_rate):
            phrasing = self._typo(phrasing, lang)
        parts: list[str] = []
        if lang == 0:
            parts.append(self._pick(_JA_GREET_KEIGO if keigo else _JA_GREET_CASUAL))
            if keigo and self._chance(0.4):
                parts.append(f"{self._pick(_BUSINESSES)}の{name.split()[0]}です。")
            when = self._pick(_JA_WHEN) + "、" if self._chance(0.4) else ""
            body = phrasing.rstrip("。")
            parts.append(when + body + ("。" if keigo else self._pick(["。", "…", "！", ""])))
            if error_message and self._chance(0.35):
                parts.append(f"画面には「{error_message}」と表示されています。")
            if self._chance(0.3):
                parts.append(self._pick(_JA_DEVICE))
            if self._chance(t.order_number_rate):
                parts.append(self._order_number(lang))
            if keigo:
                parts.append(self._pick(_JA_ASK_KEIGO))
            parts.extend(self._pii_sentence(lang, name, email, pii))
            parts.append(self._pick(_JA_CLOSE_KEIGO if keigo else _JA_CLOSE_CASUAL))
            text = "\n".join(p for p in parts if p)
            if self._chance(t.fullwidth_rate):
                text = _to_fullwidth_ascii(text)
            if self._chance(t.halfwidth_kana_rate):
                text = _to_halfwidth_kana(text)
            subject = self._subject_ja(intent, keigo)
        else:
            parts.append(self._pick(_EN_GREET))
            when = self._pick(_EN_WHEN) + ": " if self._chance(0.3) else ""
            parts.append(when + phrasing + ("." if not phrasing.endswith(("?", ".")) else ""))
            if error_message and self._chance(0.35):
                parts.append(f'The page says "{error_message}".')
            if self._chance(0.3):
                parts.append(self._pick(_EN_DEVICE))
            if self._chance(t.order_number_rate):
                parts.append(self._order_number(lang))
            parts.extend(self._pii_sentence(lang, name, email, pii))
            parts.append(self._pick(_EN_CLOSE))
            parts.append(name.split()[0])
            text = "\n".join(p for p in parts if p)
            subject = self._subject_en(intent)
        return Ticket(subject, text, name, email, pii)

    def _order_number(self, lang: int) -> str:
        n = int(self.rng.integers(1, 99_999))
        if lang == 0:
            return self._pick([f"請求書番号: INV-2026-{n:06d}", f"注文番号 ORD-{n:07d} の件です。"])
        return self._pick([f"Invoice number: INV-2026-{n:06d}", f"Order ORD-{n:07d}."])

    def _pii_sentence(self, lang: int, name: str, email: str, pii: list[PiiItem]) -> list[str]:
        if not self._chance(self.cfg.text.pii_rate):
            return []
        kind = int(self.rng.integers(4))
        if kind == 0:
            phone = self._phone()
            pii.append(PiiItem("phone", phone))
            return [
                f"お急ぎの場合は {phone} までお電話ください。"
                if lang == 0
                else f"You can call me at {phone}."
            ]
        if kind == 1:
            pii.append(PiiItem("email", email))
            return [
                f"返信は {email} にお願いします。" if lang == 0 else f"Please reply to {email}."
            ]
        if kind == 2:
            code = f"{int(self.rng.integers(100, 1000))}-{int(self.rng.integers(0, 10_000)):04d}"
            pii.append(PiiItem("postal_code", f"〒{code}"))
            return [
                f"請求先住所: 〒{code} {self._pick(_CITIES)}"
                if lang == 0
                else f"Billing address: 〒{code} {self._pick(_CITIES)}"
            ]
        phone = self._phone()
        pii.append(PiiItem("name", name))
        pii.append(PiiItem("phone", phone))
        return [f"担当: {name}（{phone}）" if lang == 0 else f"Contact: {name}, {phone}"]

    def _subject_ja(self, intent: Intent, keigo: bool) -> str:
        label = intent.label_ja
        options = [label, f"{label}について", f"{label}の件", "お問い合わせ", f"【至急】{label}"]
        if not keigo:
            options += [f"{label}!!", "ヘルプ"]
        return self._pick(options)

    def _subject_en(self, intent: Intent) -> str:
        label = intent.label_en
        return self._pick(
            [label, f"Question about {label.lower()}", "Help needed", f"URGENT: {label}"]
        )

    def agent_reply(self, intent: Intent, lang: int) -> str:
        """An agent's first public reply."""
        steps = intent.steps_ja if lang == 0 else intent.steps_en
        if lang == 0:
            body = "\n".join(f"・{s}" for s in steps) or "担当部署にて確認しております。"
            thanks = "お問い合わせいただきありがとうございます。"
            return f"{thanks}\n{body}\n何卒よろしくお願いいたします。"
        body = "\n".join(f"- {s}" for s in steps) or "Our team is looking into this."
        return f"Thank you for contacting us.\n{body}\nBest regards,"

    def chatbot(self, intent: Intent, lang: int, success: bool) -> tuple[str, str]:
        """Subject (the first message) and transcript of a chatbot conversation."""
        first = self._pick(intent.search_ja if lang == 0 else intent.search_en)
        steps = intent.steps_ja if lang == 0 else intent.steps_en
        if lang == 0:
            answer = steps[0] if steps else "申し訳ありません、該当する回答が見つかりませんでした。"
            end = (
                "解決しました、ありがとう"
                if success
                else self._pick(["解決しない", "オペレーターと話したい", "…"])
            )
            lines = [f"ユーザー: {first}", f"ボット: {answer}", f"ユーザー: {end}"]
        else:
            answer = steps[0] if steps else "Sorry, I could not find an answer to that."
            end = (
                "that worked, thanks"
                if success
                else self._pick(["not solved", "talk to a human", "..."])
            )
            lines = [f"User: {first}", f"Bot: {answer}", f"User: {end}"]
        return first, "\n".join(lines)

    def nps_comment(self, score: int, lang: int, problem_label: str | None) -> str:
        band = "promoter" if score >= 9 else "passive" if score >= 7 else "detractor"
        if band == "detractor" and problem_label and self._chance(0.6):
            return (
                f"{problem_label}がまだ解決していません。"
                if lang == 0
                else f"Still struggling: {problem_label.lower()}."
            )
        return self._pick((_NPS_JA if lang == 0 else _NPS_EN)[band])

    def ces_comment(self, lang: int) -> str:
        return self._pick(_CES_JA if lang == 0 else _CES_EN)

    def csat_comment(self, good: bool, lang: int) -> str:
        if lang == 0:
            return self._pick(_CSAT_GOOD_JA if good else _CSAT_BAD_JA)
        return self._pick(_CSAT_GOOD_EN if good else _CSAT_BAD_EN)

    def mention(self, kind: str, lang: int, topic: str) -> str:
        c = self.cfg.company
        name = c.name_ja if lang == 0 else c.name_en
        template = self._pick((_MENTION_JA if lang == 0 else _MENTION_EN)[kind])
        return template.format(name=name, topic=topic)

    def article_body(self, title: str, intent: Intent, lang: int, style: str = "plain") -> str:
        """The body of a help article: a lead and the intent's steps (numbered), or for a
        ``dense`` article one long formal paragraph with the steps run together."""
        steps = intent.steps_ja if lang == 0 else intent.steps_en
        if style == "dense":
            return _dense_body(title, steps, lang)
        if lang == 0:
            lines = [f"{title}について説明します。"]
            lines += [f"{i}. {s}" for i, s in enumerate(steps, 1)]
            lines.append("解決しない場合は、お問い合わせフォームからご連絡ください。")
        else:
            lines = [f"This article explains: {title.lower()}."]
            lines += [f"{i}. {s}" for i, s in enumerate(steps, 1)]
            lines.append("If this does not help, contact us through the support form.")
        return "\n".join(lines)


def _dense_body(title: str, steps: list[str], lang: int) -> str:
    """A hard-to-read article: formal wording, the steps in one sentence, no list."""
    if lang == 0:
        joined = "、".join(s.rstrip("。") for s in steps)
        return (
            f"{title}に関しましては、当該機能の仕様上の制約及び利用環境に起因する事象が想定される"
            f"ため、{joined}等の所定の手順を順次実施の上、設定内容の整合性を確認頂く必要が有ります。"
            "尚、上記手順実施後も事象が継続する場合には、環境依存の要因も考えられる為、"
            "利用環境及び設定内容を再度確認の上、所定の窓口へ問い合わせ願います。"
        )
    joined = ", and subsequently ".join(s.rstrip(".").lower() for s in steps)
    return (
        f"Regarding {title.lower()}, owing to functional specifications and configuration-"
        f"dependent circumstances, it is necessary that you {joined}, notwithstanding any "
        "environment-specific considerations that may necessitate further investigation, "
        "after which, should the phenomenon persist, correspondence with our designated "
        "support organisation is recommended."
    )
