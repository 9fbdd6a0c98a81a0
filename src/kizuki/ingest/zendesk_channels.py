"""Zendesk's ``via.channel`` values and the Kizuki contact channel each one means.

Zendesk names a ticket's channel by a *via type* (``web_form``, ``mail``, ``phone_call_inbound``;
audits and triggers use these), by the shorter *ticket created by* value of ticket objects
(``web``, ``email``, ``voice``), or by a numeric *via id* (``4`` = ``mail``). All three are
mapped here. Values that are not contact channels (a trigger, a merge, a sample ticket, a
side conversation) map to ``other``. A value not listed is also ``other``; the connector keeps
the value itself in ``contacts.channel_raw`` either way, and never quarantines a ticket for it.
"""

from __future__ import annotations

from kizuki.ingest.validate import sql_literal

__all__ = ["CHANNELS", "VIA_IDS", "channel_sql"]

_GROUPS: dict[str, tuple[str, ...]] = {
    "email": ("email", "mail", "connect_mail", "mailgun", "lotus", "closed_ticket"),
    "form": (
        "web",
        "web_form",
        "web_service",
        "api",
        "web_widget",
        "mobile_sdk",
        "dropbox",
        "help_center",
        "helpcenter",
        "forum",
        "topic",
        "get_satisfaction",
    ),
    "chat": (
        "chat",
        "chat_transcript",
        "chat_offline_message",
        "native_messaging",
        "messaging",
        "whatsapp",
        "line",
        "wechat",
        "messenger",
        "instagram_dm",
        "telegram",
        "viber",
        "kakaotalk",
        "google_rcs",
        "google_business_messages",
        "apple_business_chat",
        "slack",
        "business_messaging_slack_connect",
        "sunshine_conversations",
        "sunshine_conversations_api",
        "sunshine_conversations_facebook_messenger",
        "connect_ipm",
    ),
    "chatbot": (
        "answer_bot",
        "answer_bot_for_agents",
        "answer_bot_api",
        "answer_bot_for_sdk",
        "answer_bot_for_slack",
        "answer_bot_for_web_widget",
        "automatic_solution_suggestions",
        "ai_agent",
        "ai_agents",
        "chatbot",
    ),
    "phone": (
        "voice",
        "phone",
        "voicemail",
        "phone_call_inbound",
        "phone_call_outbound",
        "api_voicemail",
        "api_phone_call_inbound",
        "api_phone_call_outbound",
        "sms",
        "text_message",
        "twilio_sms",
        "messagebird_sms",
        "connect_sms",
    ),
    "social": (
        "twitter",
        "x",
        "twitter_dm",
        "twitter_favorite",
        "sunshine_conversations_twitter_dm",
        "facebook",
        "facebook_post",
        "facebook_message",
        "any_channel",
    ),
    "other": (
        "sample_ticket",
        "sample_interactive_ticket",
        "side_conversation",
        "rule",
        "rule_revision",
        "linked_problem",
        "merge",
        "user_merge",
        "user_change",
        "user_deletion",
        "group_change",
        "group_deletion",
        "resource_push",
        "batch",
        "import",
        "ticket_sharing",
        "macro_reference",
        "recovered_from_suspended_tickets",
        "satisfaction_prediction",
        "monitor_event",
        "admin_setting",
        "churned_account",
        "ticket_tagging",
        "logmein_rescue",
        "omnichannel",
        "symphony",
        "github",
        "blog",
        "iphone",
        "mobile",
    ),
}

#: Zendesk ``via.channel`` (lower case) → Kizuki ``contacts.channel``
CHANNELS: dict[str, str] = {value: kind for kind, values in _GROUPS.items() for value in values}

#: Zendesk's numeric via ids (``"channel": 4``) → via type
VIA_IDS: dict[str, str] = {
    "0": "web_form",
    "4": "mail",
    "5": "web_service",
    "8": "rule",
    "9": "linked_problem",
    "10": "group_deletion",
    "11": "user_change",
    "12": "user_deletion",
    "13": "group_change",
    "14": "resource_push",
    "15": "iphone",
    "16": "get_satisfaction",
    "17": "dropbox",
    "19": "merge",
    "20": "batch",
    "21": "recovered_from_suspended_tickets",
    "22": "automatic_solution_suggestions",
    "23": "twitter_favorite",
    "24": "topic",
    "25": "user_merge",
    "26": "twitter_dm",
    "27": "closed_ticket",
    "28": "logmein_rescue",
    "29": "chat",
    "30": "twitter",
    "31": "ticket_sharing",
    "32": "macro_reference",
    "33": "voicemail",
    "34": "phone_call_inbound",
    "35": "phone_call_outbound",
    "36": "blog",
    "37": "text_message",
    "38": "facebook_post",
    "39": "import",
    "40": "github",
    "41": "facebook_message",
    "44": "api_voicemail",
    "45": "api_phone_call_inbound",
    "46": "api_phone_call_outbound",
    "48": "web_widget",
    "49": "mobile_sdk",
    "50": "helpcenter",
    "54": "satisfaction_prediction",
    "55": "any_channel",
    "56": "mobile",
    "57": "sms",
}


def channel_sql(raw: str) -> str:
    """SQL: the Kizuki channel of the Zendesk value ``raw`` (``other`` when unknown or blank)."""
    known = {**CHANNELS, **{i: CHANNELS[t] for i, t in VIA_IDS.items()}}
    cases = " ".join(f"WHEN {sql_literal(k)} THEN {sql_literal(v)}" for k, v in known.items())
    return f"coalesce(CASE lower(trim({raw})) {cases} END, 'other')"
