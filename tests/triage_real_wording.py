"""Messages written for issue 21 in the failure families seen on strangers' wording.

Each is (text, category, urgency); "!x" means "anything but x", None "not checked".
They were written here, from the issue's descriptions of the families, never
copied from a tracker, forum or web page, and they are not in the dev corpus or
the training examples: they check that triage generalises to these families.
"""
from __future__ import annotations

NOT_CRITICAL = "!critical"

# A secret mentioned in a how-to or restore question is not an emergency.
SECRET_MENTIONED_ONLY = [
    ("how do i restore my wallet with my 助记词 on the new phone", None, NOT_CRITICAL),
    ("换了新手机，怎么用助记词把钱包恢复回来", None, NOT_CRITICAL),
    ("I forgot my wallet password but I still have the recovery phrase written down. how do I get back in?",
     None, NOT_CRITICAL),
    ("where do i type the 12 words to restore my wallet, cant find the option", None, NOT_CRITICAL),
    ("钱包密码忘记了 助记词有抄下来 请问怎么重新导入", None, NOT_CRITICAL),
    ("Is it ok to keep my seed phrase on paper in a safe or should I use a metal plate?", None, NOT_CRITICAL),
    ("可以用私钥导入钱包吗？还是只能用助记词", None, NOT_CRITICAL),
    ("restoring from mnemonic shows a different address than before, did i pick the wrong path?", None,
     NOT_CRITICAL),
]

# Funds leaving without the customer, in the languages a wallet desk sees.
THEFT_OTHER_LANGUAGES = [
    ("私の操作なしで、知らないアドレスにUSDTが全部送金されていました", "security", "critical"),
    ("제가 하지 않았는데 모르는 주소로 코인이 전부 빠져나갔어요", "security", "critical"),
    ("все монеты перевели на чужой адрес без моего ведома, помогите", "security", "critical"),
    ("me sacaron todos los fondos de la billetera a una dirección desconocida, yo no autoricé nada",
     "security", "critical"),
    ("transferiram todo o meu saldo para um endereço desconhecido sem minha autorização", "security", "critical"),
    ("ví của tôi bị rút hết tiền sang một địa chỉ lạ, tôi không hề thực hiện giao dịch nào",
     "security", "critical"),
    ("cüzdanımdaki tüm USDT bilinmeyen bir adrese gönderilmiş, ben yapmadım", "security", "critical"),  # noqa: RUF001 - Turkish dotless i
    ("تمام موجودی کیف پول من بدون اجازه من به یک آدرس ناشناس منتقل شد", "security", "critical"),
    ("saldo saya hilang semua, dikirim ke alamat yang tidak saya kenal", "security", "critical"),
    ("تم سحب كل أموالي من المحفظة إلى عنوان غير معروف دون علمي", "security", "critical"),
]

OTHER_THEFT = [
    # A new device logged in, not the customer.
    ("got an alert that a new device logged into my account from another city. that was not me",
     "security", "critical"),
    ("收到通知说有新设备在另一个城市登录了我的账户，我本人根本没登", "security", "critical"),
    # One-line panics.
    ("币没了!!!", "security", "critical"),
    ("钱全没了！！！", "security", "critical"),
    ("all my usdt is GONE help", "security", "critical"),
    # Clipboard hijack in traditional Chinese.
    ("我複製的收款地址貼上之後變成另一個地址，幣已經轉到陌生地址了", "security", "critical"),
    # A private key pasted into a third-party site, then funds moved.
    (("I pasted my private key into a wallet checker website to see my airdrop and the next morning "
      "everything had been sent out"), "security", "critical"),
    # A scam "admin" asking the customer to connect their wallet to a site.
    (("an admin in the telegram group dm'd me and said to connect my wallet to his site to fix the sync, "
      "should i do it?"), "security", "critical"),
    ("电报群里的管理员私聊我，叫我把钱包连接到一个网站去修复同步问题", "security", "critical"),
]

WRONG_CATEGORY = [
    # Suggestions about the deposit or withdrawal status screens are feedback.
    ("suggestion: the withdrawal status screen should show how many confirmations are left", "feedback", "low"),
    ("建议充值记录页面把确认进度显示出来，现在只显示处理中", "feedback", "low"),
    # "Your support never answers" is a complaint.
    ("your support never answers. wrote three times this week and nothing", "complaint", None),
    ("你们客服从来不回消息，找了好几次都没人理", "complaint", None),
    # A token missing from the app's list is a display matter, not the account.
    ("my PEPE token is not showing in the token list anymore", "technical", None),
    ("代币列表里找不到我的USDC了，首页不显示", "technical", None),
    # A restore after a forgotten wallet password is the account, not a general question.
    ("forgot my wallet password and it wont let me in, do i have to restore the whole wallet?", "account", None),
    ("忘记钱包密码了，进不去，只能重新恢复钱包吗", "account", None),
]

CASES = SECRET_MENTIONED_ONLY + THEFT_OTHER_LANGUAGES + OTHER_THEFT + WRONG_CATEGORY
