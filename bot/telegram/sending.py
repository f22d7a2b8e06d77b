"""One sendMessage call with JSON-ready parameters; Telegram's answer is not parsed.

`Bot.send_message` turns Telegram's answer into a `Message` (with the quoted message
and the keyboard inside) and wants the keyboard as PTB objects that it turns back into
JSON. Replies never look at that answer: under load the round trip cost about 12 % of
the bot's CPU (BENCHMARKS.md, "Load"). `post_message` makes the same request through
`Bot.do_api_request`: PTB's rate limiter, timeouts and errors (`BadRequest`,
`RetryAfter`, `Forbidden`…) are unchanged, the parameters are plain JSON values
(`callbacks.keyboard_json`), and it returns the new message's id.

The values `Defaults` would insert (HTML, no link preview, reply even when the quoted
message is gone) are set here explicitly: `do_api_request` inserts no defaults.
`tests/test_telegram_handlers.py` checks that both requests are the same.

`post_photo` sends a PNG (the status chart of /tiendo and the Monday digest) through
PTB's typed `Bot.send_photo`, which uploads it as multipart form data; it too returns
only the new message's id.
"""

from __future__ import annotations

import warnings
from typing import Any

from telegram import Bot, InputFile, ReplyParameters
from telegram.constants import ParseMode
from telegram.warnings import PTBUserWarning


def silence_typed_method_advice() -> None:
    """PTB warns whenever `do_api_request` names a method it has a typed call for; that
    advice is what this module deliberately does not take, for sendMessage only.
    Called once at start-up (`build_application`); calling again changes nothing."""
    warnings.filterwarnings(
        "ignore", message=r"Please use 'Bot\.(sendMessage|getUpdates)'", category=PTBUserWarning
    )


NO_PREVIEW: dict[str, Any] = {"is_disabled": True}


async def post_message(
    bot: Bot,
    chat_id: int,
    text: str,
    *,
    html: bool = True,
    reply_markup: dict[str, Any] | None = None,
    quote_id: int | None = None,
    thread_id: int | None = None,
) -> int | None:
    """Send `text` (HTML unless `html` is False) to `chat_id`, optionally quoting message
    `quote_id` (sent anyway if it is gone) in topic `thread_id`; the new message's id."""
    params: dict[str, Any] = {
        "chat_id": chat_id,
        "text": text,
        "link_preview_options": NO_PREVIEW,
    }
    if html:
        params["parse_mode"] = ParseMode.HTML.value
    if reply_markup is not None:
        params["reply_markup"] = reply_markup
    if quote_id is not None:
        params["reply_parameters"] = {
            "message_id": quote_id,
            "allow_sending_without_reply": True,
            "quote_parse_mode": ParseMode.HTML.value,  # as Defaults insert it; no quote is set
        }
    if thread_id is not None:
        params["message_thread_id"] = thread_id
    result = await bot.do_api_request("sendMessage", api_kwargs=params)
    message_id = result.get("message_id") if isinstance(result, dict) else None
    return message_id if isinstance(message_id, int) else None


async def post_photo(
    bot: Bot,
    chat_id: int,
    photo: bytes,
    *,
    caption: str | None = None,
    filename: str = "bieu-do.png",
    quote_id: int | None = None,
    thread_id: int | None = None,
) -> int | None:
    """Send the image `photo` with an HTML `caption` to `chat_id` (quoting `quote_id`,
    in topic `thread_id`, as `post_message`); the new message's id."""
    reply = (
        ReplyParameters(quote_id, allow_sending_without_reply=True)
        if quote_id is not None
        else None
    )
    message = await bot.send_photo(
        chat_id,
        InputFile(photo, filename=filename),
        caption=caption,
        parse_mode=ParseMode.HTML if caption else None,
        reply_parameters=reply,
        message_thread_id=thread_id,
    )
    return message.message_id
