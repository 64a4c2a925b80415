"""The borderline conventions of docs/taxonomy.md, one case each way, in English and
Chinese, rules alone and with the shipped model.  The sentences are written for these
tests; none comes from the labelled corpus."""
from __future__ import annotations

import pytest

CASES = [
    # Urgency follows substance, not tone.
    ("URGENT!!! how do I switch the app to Spanish???", "general", "normal"),
    ("紧急!!!怎么把界面语言换成英文?", "general", "normal"),
    ("Hi, I opened the wallet this morning and the balance is 0. I did not send anything.", "security", "critical"),
    ("早上打开钱包发现余额变成0了,我没有转过账", "security", "critical"),
    ("URGENT: what is the daily withdrawal limit?", "policy", "normal"),
    ("急!!!你们支持哪些国家的用户?", "policy", "normal"),
    # Someone asking for keys now, or a secret already given: critical.
    ("A guy on Telegram who says he is from your support team wants my recovery phrase to fix my wallet",
     "security", "critical"),
    ("有个自称客服的人私信我,让我把助记词发给他做验证", "security", "critical"),
    ("I typed my seed phrase into a website that looked like yours, what do I do now?", "security", "critical"),
    ("我刚才把私钥填到一个网站上了,怎么办", "security", "critical"),
    # A fake site, app or message that the customer did not act on: security normal.
    ("FYI there is a fake Pinecone site handing out airdrops, I did not connect my wallet. Just letting you know.",
     "security", "normal"),
    ("提醒一下,有个假冒你们的群在发空投链接,我没有点,已经举报了", "security", "normal"),
    # Greetings, hours, reaching a person, partnerships, press, jobs, spam: general low.
    ("hello?", "general", "low"),
    ("在吗", "general", "low"),
    ("What are your support hours on weekends?", "general", "low"),
    ("请问人工客服周末几点上班?", "general", "low"),
    ("We would like to discuss a partnership with your business team.", "general", "low"),
    ("Are you hiring backend engineers? I'd like to send my CV.", "general", "low"),
    # A how-to question: general normal.
    ("How do I back up my wallet before I switch phones?", "general", "normal"),
    ("请问怎么导出私钥?", "general", "normal"),
    # Promotions: questions are low, a reward that did not arrive is normal.
    ("When does the referral campaign end?", "promotion", "low"),
    ("空投活动什么时候开始?", "promotion", "low"),
    ("I invited three friends last month but never received the referral bonus.", "promotion", "normal"),
    ("邀请好友的返佣奖励一直没到账", "promotion", "normal"),
    # Every policy question is normal.
    ("Do you share my personal data with third parties? Where is your privacy policy?", "policy", "normal"),
    ("你们的隐私政策会把我的个人信息给第三方吗?", "policy", "normal"),
    # A complaint is high only when it demands escalation or threatens regulators or lawyers.
    ("Third time asking and nobody answers. Terrible service.", "complaint", "normal"),
    ("客服态度太差了,等了三天都没人回复", "complaint", "normal"),
    ("Nobody has fixed my case in two weeks. I want a supervisor or I will contact my lawyer.", "complaint", "high"),
    ("再不处理我就去消协投诉,找律师起诉你们", "complaint", "high"),
    # Two categories: the higher wins (a complaint about a stolen balance is security).
    ("Your support is useless! My wallet was drained last night and nobody has answered.", "security", "critical"),
    # Blocked from money or account: high; minutes are not a missing transfer.
    ("My withdrawal of 500 USDT has not arrived after 6 hours.", "transaction", "high"),
    ("提币三个小时了还没到账", "transaction", "high"),
    ("sent 5 minutes ago and it's not there yet!!!", "transaction", "normal"),
    ("The swap failed but the ETH was still deducted from my balance.", "transaction", "high"),
    ("I can't log in, the verification code never arrives.", "account", "high"),
    ("账号被冻结了,登录不了", "account", "high"),
    ("How do I change the email address on my account?", "account", "normal"),
    # A real problem with nothing at risk: normal.
    ("The app crashes every time I open it on my Android phone.", "technical", "normal"),
    ("更新后app一直闪退", "technical", "normal"),
    # Praise and suggestions: low.
    ("Love the new design, great job everyone!", "feedback", "low"),
    ("建议增加深色模式", "feedback", "low"),
    # The customer's own transfer hangs or failed and the funds left: transaction high,
    # however "gone" it is worded.
    ("My bridge to Arbitrum has been pending for an hour and the USDT is gone from my wallet.",
     "transaction", "high"),
    ("闪兑一直卡在处理中,USDT已经扣了,ETH还没到", "transaction", "high"),
    # Funds the customer saw safe on chain: a display fault, nothing at risk.
    ("The app says my balance is zero but tronscan shows the USDT is still at my address.",
     "technical", "normal"),
    ("钱包里余额显示不对,区块浏览器上看资产都在,也没有转出记录", "technical", "normal"),
    ("App shows 0 BTC since the update; the explorer says my address still has 0.3 BTC.", "technical", "normal"),
    # "不小心" tells what the customer did; a password handed over is out like a phrase.
    ("我不小心把助记词粘贴到一个聊天网站里了", "security", "critical"),
    ("A fake admin on Discord asked for my password and I sent my password to him, then he went quiet.",
     "security", "critical"),
    # Money at risk outranks anger at the desk.
    ("Your support is a joke and I'm calling my lawyer: someone drained my wallet yesterday and nobody answers.",
     "security", "critical"),
    # Transfers out that the customer does not recognise: money leaving now.
    ("There are two withdrawals in my history that I never made, 0.4 BTC in total.", "security", "critical"),
    ("记录里多了两笔陌生的转出,一共五千U", "security", "critical"),
    # A SIM swap: the number that guards the account taken over right now.
    ("No signal since this morning and the carrier says my number was ported to a new SIM. Help!",
     "security", "critical"),
    # Account details changed by someone else: a takeover in progress.
    ("My phone number and email on the account were just changed, not by me. Lock it please!",
     "security", "critical"),
    ("Balance is 0 this morning, it was 3,000 USDC last night. I haven't made a single transfer.",
     "security", "critical"),
    # A failed transfer that only cost the fee: nothing else at stake.
    ("My USDT transfer failed, the balance is unchanged apart from the gas. Why did it fail?",
     "transaction", "normal"),
    ("转账失败了,币本身没少,只扣了一点矿工费,为什么会失败?", "transaction", "normal"),
    # A routine change asked in no hurry.
    ("Where do I change the email on my account? No rush.", "account", "normal"),
    # A scam token left alone.
    ("A token I never bought appeared with a link to claim it. I haven't touched it, is it a scam?",
     "security", "normal"),
    # Neither Chinese nor English: the gravest words still route it.
    ("Me robaron todo de la billetera anoche, ayuda", "security", "critical"),
    ("С кошелька ушли все деньги, я ничего не отправлял", "security", "critical"),  # noqa: RUF001 - Russian
    # Money leaving that the customer never sent, however plainly said.
    ("my USDC went from 2,400 to zero overnight, what happened", "security", "critical"),
    ("there is a swap in my history that i never did", "security", "critical"),
    ("钱包里的币莫名其妙少了一半,我这几天都没转过账", "security", "critical"),
    # A phrase typed anywhere, however it is named or whatever it is typed into.
    ("the bot asked for my wallet words and I typed them in before thinking", "security", "critical"),
    ("刚在一个领奖页面上输了助记词,钱暂时还在", "security", "critical"),
    # Someone else at the controls of the computer holding the wallet.
    ("A 'technician' had me install TeamViewer and was on my PC for half an hour", "security", "critical"),
    # A takeover: the email on the account changed and the customer did not ask for it.
    ("I got a notice that my login email was updated. I did not request this change.", "security", "critical"),
    ("我的绑定邮箱被人改了,不是我改的", "security", "critical"),
    # Not acted on, or the customer's own login: a report or a question, not an emergency.
    ("Got a login alert from a new laptop, pretty sure it was me at the office. Just checking.",
     "security", "normal"),
    ("收到短信说账户异常,让点链接去验证,我没点,是你们发的吗", "security", "normal"),
    ("Someone phoned saying they're from support and wanted my phrase. I told them nothing and hung up.",
     "security", "normal"),
    # "I didn't do anything wrong" denies blame, not a transfer.
    ("My account says disabled and I can't log in. I didn't do anything wrong!", "account", "high"),
    # A fee bigger than expected: a question about money spent, nothing at risk.
    ("为什么这次转账的gas费这么高?平时才一块多", "transaction", "normal"),
    # An approval or signature a drainer can use: critical even while the tokens are still there.
    ("I signed an unlimited USDT allowance on a giveaway page, the tokens are still there for now",
     "security", "critical"),
    ("在一个活动页面上签了个名,现在显示USDT无限授权,币暂时还在", "security", "critical"),
    # A scammer wanting money now: a "fee" before a withdrawal, a "safe" wallet, or else.
    ("The platform says I must pay a 10% tax before I can withdraw my profits, they want it today",
     "security", "critical"),
    ("那个导师说要先交五千U保证金才能提现", "security", "critical"),
    ("Got an email: send 0.2 BTC to this address or we will drain your wallet. They quote my old password.",
     "security", "critical"),
    # A phrase read aloud to a caller has been handed over.
    ("a man on the phone said he was from the wallet company and I read him my recovery words", "security", "critical"),
    ("我爸把那张纸上的12个词念给打电话的人听了", "security", "critical"),
    # Two weak signs add up (a wallet found empty, nothing done); one alone does not.
    ("why is my wallet empty?? I didn't touch anything since friday", "security", "critical"),
    # Where to keep the phrase, how to move to a new phone: a how-to, nothing at risk.
    ("Is it ok to keep my recovery phrase in a password manager?", "general", "normal"),
    ("助记词存在哪里比较安全?可以存网盘吗", "general", "normal"),
    # The customer's own transfer to the wrong network: high, however "gone" the funds are.
    ("I sent 300 USDT on the wrong network to my exchange and the funds are gone from my wallet",
     "transaction", "high"),
    # Sellers of reviews and rankings are not customers.
    ("We offer guaranteed app store ranking and real reviews, reply for our price list", "general", "low"),
]


@pytest.mark.parametrize(("text", "category", "urgency"), CASES, ids=[c[0][:40] for c in CASES])
def test_convention(system, text, category, urgency):
    result = system(text)
    assert (result.category, result.urgency) == (category, urgency), result.reasons
