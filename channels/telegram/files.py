"""Fetch the files a message carries (getFile, then the download), within the attachment limit.

A file over the limit, by Telegram's declared size or by what arrives, is listed and not
kept, as for email. A file that cannot be fetched is listed with a note for the agent:
the message itself must still be stored, and Telegram would redeliver the whole update
(blocking the chat's later ones) if the webhook failed for it.
"""
from __future__ import annotations

import logging

from telegram import Bot
from telegram.error import TelegramError

from channels.base import Attachment, Inbound
from channels.telegram.bot import masked
from channels.telegram.updates import FileRef

log = logging.getLogger(__name__)


async def fetch_into(bot: Bot, inbound: Inbound, files: list[FileRef], max_bytes: int) -> None:
    """Replace `inbound`'s listed attachments by the fetched files, in order."""
    fetched: list[Attachment] = []
    for ref in files:
        attachment = Attachment(ref.filename, ref.content_type, None, ref.size or 0)
        if ref.size is not None and ref.size > max_bytes:
            inbound.parse_notes.append(f"{ref.filename}: {ref.size} bytes, over the {max_bytes}-byte "
                                       "attachment limit: listed, not kept")
        else:
            try:
                found = await bot.get_file(ref.file_id)
                # getFile tells the size when the update did not: do not download a file too big.
                data = b"" if (found.file_size or 0) > max_bytes else bytes(await found.download_as_bytearray())
            except (TelegramError, OSError) as exc:
                reason = masked(f"{type(exc).__name__}: {exc}")
                log.warning("telegram file %s of message %s not fetched: %s", ref.filename,
                            inbound.external_id, reason)
                inbound.parse_notes.append(f"{ref.filename}: could not be fetched from Telegram ({reason})")
            else:
                attachment.size = len(data) or found.file_size or 0
                if attachment.size > max_bytes:
                    inbound.parse_notes.append(f"{ref.filename}: {attachment.size} bytes, over the {max_bytes}-byte "
                                               "attachment limit: listed, not kept")
                else:
                    attachment.data = data
        fetched.append(attachment)
    inbound.attachments = fetched
