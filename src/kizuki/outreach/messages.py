"""Message templates for proactive outreach, in polite Japanese and in English.

One template per cause; ``{title}`` (an incident's title) and ``{article}`` (the help article
that resolved similar customers) are filled in where the cause has them. Customers are not
addressed by name: Kizuki does not keep names (personal data); a delivery system that does
can put the name in front.
"""

from __future__ import annotations

__all__ = ["TEMPLATES", "message"]

TEMPLATES: dict[str, dict[str, str]] = {
    "incident": {
        "ja": (
            "いつもご利用いただき、誠にありがとうございます。\n"
            "{date}に発生した「{title}」により、ご不便とご迷惑をおかけしましたことを"
            "心よりお詫び申し上げます。現在は復旧しております。\n"
            "その後もお困りのことがございましたら、このメールにご返信ください。担当者が"
            "優先してご案内いたします。"
        ),
        "en": (
            "Thank you for using our service.\n"
            'We are sorry for the trouble that "{title}" on {date} caused you. It has been '
            "fixed.\nIf anything still does not work for you, reply to this e-mail and we will "
            "help you first."
        ),
    },
    "renewal_falling": {
        "ja": (
            "いつもご利用いただき、誠にありがとうございます。\n"
            "まもなく契約更新日を迎えられますが、最近のご利用状況から、何かお困りのことが"
            "ないかと思いご連絡いたしました。{article_ja}"
            "ご不明な点がございましたら、お気軽にご返信ください。"
        ),
        "en": (
            "Thank you for using our service.\n"
            "Your renewal is coming up, and we noticed you have been using the service less "
            "lately, so we wanted to check whether anything is getting in your way. "
            "{article_en}Just reply to this e-mail if we can help."
        ),
    },
    "satisfaction_drop": {
        "ja": (
            "先日はアンケートにご回答いただき、誠にありがとうございました。\n"
            "ご期待に沿えなかった点がございましたことを、深くお詫び申し上げます。"
            "改善のため、担当者から詳しくお話を伺えましたら幸いです。"
        ),
        "en": (
            "Thank you for answering our survey.\n"
            "We are sorry we did not meet your expectations. We would be grateful for the "
            "chance to hear more and put it right."
        ),
    },
    "silent_struggle": {
        "ja": (
            "いつもご利用いただき、誠にありがとうございます。\n"
            "操作でお困りのことはございませんか。{article_ja}"
            "解決しない場合は、このメールにご返信ください。"
        ),
        "en": (
            "Thank you for using our service.\n"
            "It looked as if something was not working for you. {article_en}"
            "If that does not solve it, reply to this e-mail and we will help."
        ),
    },
    "alive_falling": {
        "ja": (
            "いつもご利用いただき、誠にありがとうございます。\n"
            "しばらくご利用がないようでしたので、何かご不便をおかけしていないかと思い"
            "ご連絡いたしました。{article_ja}"
            "ご要望やお困りのことがございましたら、お気軽にご返信ください。"
        ),
        "en": (
            "Thank you for being our customer.\n"
            "We have not seen you for a while and wanted to check whether anything put you "
            "off. {article_en}Just reply to this e-mail if there is anything we can do."
        ),
    },
    "high_risk": {
        "ja": (
            "いつもご利用いただき、誠にありがとうございます。\n"
            "より便利にお使いいただけるよう、ご利用状況に合わせたご案内をお送りしております。"
            "{article_ja}ご不明な点がございましたら、お気軽にご返信ください。"
        ),
        "en": (
            "Thank you for using our service.\n"
            "We are reaching out with a few tips for the way you use it. {article_en}"
            "Reply to this e-mail if we can help with anything."
        ),
    },
}


def message(cause: str, lang: str, *, title: str = "", date: str = "", article: str = "") -> str:
    """The template of ``cause`` in ``lang`` (ja or en) with its blanks filled in."""
    template = TEMPLATES[cause][lang]
    article_ja = f"こちらの記事もご参照ください：「{article}」。\n" if article else ""
    article_en = f'This article may help: "{article}". ' if article else ""
    return template.format(title=title, date=date, article_ja=article_ja, article_en=article_en)
