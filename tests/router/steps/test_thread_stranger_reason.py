"""Mail from someone who is not a conversation's customer does not thread into it, however
it names it, and the case it opens says what it named and why it was not followed: by
References, and by the subject token."""
from __future__ import annotations

from datetime import timedelta

from pipeline_support import conversation, ingest, later, outbound_of
from support import make_email


def _case() -> tuple[int, str]:
    first = ingest(make_email(sender="ann@example.com", subject="Withdrawal missing",
                              text="My withdrawal of 200 USDT has not arrived."))
    [ack] = outbound_of(first.conversation_id)
    return first.conversation_id, ack.external_id


def _thread_reasons(conversation_id: int, message_id: int) -> list[str]:
    return [r["reason"] for r in conversation(conversation_id).reasons
            if r["step"] == "thread" and r["message_id"] == message_id]


def test_a_stranger_quoting_our_message_id_is_told_apart(db_url, broker):
    case, ack = _case()
    forged = ingest(make_email(sender="mallory@example.net", subject="Re: Withdrawal missing",
                               text="Send the refund to my address instead.", in_reply_to=ack, references=[ack]))
    assert forged.conversation_id not in (None, case)
    assert _thread_reasons(forged.conversation_id, forged.id) == [
        f"references names #{case}, but the sender is not its customer: not threaded"]


def test_a_stranger_quoting_the_subject_token_is_told_apart(db_url, broker):
    case, _ = _case()
    forged = ingest(make_email(sender="mallory@example.net", subject=f"Re: Withdrawal missing [#{case}]",
                               text="Send the refund to my address instead."))
    assert forged.conversation_id not in (None, case)
    assert _thread_reasons(forged.conversation_id, forged.id) == [
        f"subject token [#{case}] names #{case}, but the sender is not its customer: not threaded"]


def test_the_customer_quoting_the_subject_token_threads_by_it(db_url, broker):
    case, _ = _case()
    reply = ingest(make_email(sender="ann@example.com", subject=f"Any news? [#{case}]", text="Any news?"))
    assert reply.conversation_id == case
    assert _thread_reasons(case, reply.id) == [f"threaded into #{case} by subject token [#{case}]"]


def test_a_reference_to_someone_elses_case_does_not_hide_the_senders_own_token(db_url, broker):
    """Ann forwards Bob's thread (its References name Bob's case) under her own case's
    subject token: the reference is not followed, the token still is."""
    anns, _ = _case()
    bob = ingest(make_email(sender="bob@example.com", subject="Deposit late", text="My deposit of 1 BTC is late."))
    [bobs_ack] = outbound_of(bob.conversation_id)
    forwarded = ingest(make_email(sender="ann@example.com", subject=f"Same as this one? [#{anns}]",
                                  text="My friend has the same problem as me.",
                                  in_reply_to=bobs_ack.external_id, references=[bobs_ack.external_id]))
    assert forwarded.conversation_id == anns
    assert _thread_reasons(anns, forwarded.id) == [
        f"references names #{bob.conversation_id}, but the sender is not its customer: not threaded",
        f"threaded into #{anns} by subject token [#{anns}]"]


def test_a_stranger_copying_our_message_id_does_not_hide_the_customers_thread(db_url, broker):
    """Anybody can write any Message-ID: Mallory sends mail under the id of our answer to
    Ann, later than our answer. Ann's reply to that answer, under a subject of her own,
    still joins her case by its References, and Mallory's case gets nothing of hers."""
    case, ack = _case()
    copy = ingest(make_email(sender="mallory@example.net", subject="Hello", message_id=ack,
                             text="Is this the support desk of the wallet?"))
    assert copy.external_id == ack and copy.conversation_id not in (None, case)
    with later(timedelta(days=1)):  # past the same-sender window: only References can join them
        reply = ingest(make_email(sender="ann@example.com", subject="Still nothing",
                                  text="The withdrawal has still not arrived.", in_reply_to=ack, references=[ack]))
    assert reply.conversation_id == case
    assert _thread_reasons(case, reply.id) == [f"threaded into #{case} by references"]
    # A reply of Mallory's to the same id still finds only her own case.
    mallorys = ingest(make_email(sender="mallory@example.net", subject="Re: Hello", text="Hello?",
                                 in_reply_to=ack, references=[ack]))
    assert mallorys.conversation_id == copy.conversation_id
