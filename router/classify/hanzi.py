"""Traditional Chinese characters mapped to their simplified forms, for the
vocabulary a wallet support desk sees.

Customers from Taiwan and Hong Kong write traditional characters; rules and the
model are written in simplified ones.  A full converter (OpenCC) would be a
dependency with data files; the characters below cover the domain, and a
character missing here only costs a rule or model feature, never an error.
"""
from __future__ import annotations

# Pairs: traditional then simplified.  Grouped loosely by topic for review.
_PAIRS = (
    # money, transfers, fees
    "錢钱幣币帳账賬账轉转匯汇兌兑閃闪鏈链橋桥額额餘余資资產产費费續续價价買买賣卖"
    "貨货虧亏賺赚損损賠赔償偿補补儲储值值錄录紀纪記记單单據据確确認认勢势漲涨跌跌"
    "筆笔總总數数億亿萬万兩两現现進进過过還还給给發发收收款款劃划撥拨遲迟慢慢"
    # security
    "盜盗竊窃騙骗詐诈險险護护衛卫鑰钥詞词碼码權权約约簽签異异陌陌黑黑駭骇釣钓魚鱼"
    "詭诡謊谎偽伪冒冒僞伪毒毒漏漏洩泄鎖锁凍冻結结號号戶户證证驗验識识臉脸"
    # account and technical
    "登登錄录設设備备綁绑機机電电腦脑軟软體体載载裝装壞坏當当選选擇择應应該该"
    "網网絡络連连節节點点開开關关啟启動动圖图標标頁页鍵键盤盘顯显示示錯错誤误"
    "舊旧新新版版壓压斷断線线訊讯簡简郵邮箱箱複复製制導导匯汇輸输傳传檔档歷历曆历"
    "狀状況况擊击舉举視视頻频聽听聲声響响鈴铃執执駕驾駛驶廣广場场術术獲获燒烧熱热"
    # service, complaints, promotions, policy, feedback
    "員员務务態态訴诉師师監监報报經经級级處处理理責责負负愛爱滿满爛烂氣气罵骂騷骚擾扰"
    "紅红獎奖勵励薦荐歡欢謝谢議议見见優优贈赠積积參参與与達达夠够禮礼週周專专業业"
    "條条協协規规則则稅税隱隐區区種种類类陸陆灣湾國国際际歐欧團团隊队權权許许準准"
    "讚赞厲厉順顺暢畅細细義义鬆松樹树殺杀豬猪幫帮煩烦頭头遠远長长門门問问題题請请"
    # function words and common verbs
    "們们這这麼么為为間间時时個个後后說说話话讓让對对從从來来會会實实際际嗎吗嗎吗"
    "將将與与該该無无麼么沒没並并誰谁裡里裏里著着妳你囉啰係系繫系聯联於于麵面臺台"
    "東东樣样車车雜杂寫写預预擔担憂忧嚴严緊紧風风陣阵刪删訂订閱阅詢询諮咨憶忆鐘钟"
    "齊齐幾几舉举罰罚夢梦聞闻歲岁雙双邊边極极識识終终紹绍討讨論论絕绝換换辦办結结"
    "臺台灣湾讀读難难聽听變变亂乱戲戏熱热興兴藝艺麗丽親亲愛爱戀恋標标準准"
    "憑凭飛飞掃扫跡迹蹤踪庫库純纯螢萤閉闭謹谨嗚呜鬧闹櫃柜銷销獨独態态礎础壇坛戰战勞劳"
    # common characters of everyday messages
    "註注敗败傭佣塊块瀏浏覽览礦矿審审盡尽儘尽觀观購购貸贷貼贴貿贸銀银鋪铺陽阳隨随項项須须領领飛飞髮发齊齐龍龙倆俩債债傷伤僅仅兒儿內内冊册別别則则剛刚創创劑剂圍围堅坚"
    "奪夺學学寶宝尋寻層层帶带張张強强歸归復复懷怀戰战戶户掃扫掛挂採采換换揚扬擴扩攝摄時时暫暂書书會会條条東东極极構构標标樂乐樣样機机檢检欄栏歡欢歷历殺杀毀毁氣气淨净"
    "減减測测準准滅灭滿满漲涨濟济災灾為为無无營营爭争獎奖獨独獲获現现環环產产畫画異异當当發发盤盘眾众碼码確确禮礼種种稱称穩稳競竞筆笔節节範范簽签簡简糾纠紀纪約约紅红"
    "納纳紙纸級级細细終终組组結结絕绝給给統统經经綁绑緊紧線线編编練练總总績绩織织繳缴繼继續续罰罚義义習习聯联聲声聽听腦脑臉脸與与興兴舊旧萬万葉叶號号術术衛卫補补裝装"
    "製制複复見见規规視视親亲覺觉觸触訂订計计訊讯討讨記记設设許许訴诉詞词試试詳详詢询認认誤误說说誰谁調调談谈請请謝谢證证識识議议護护讀读變变讓让負负財财貨货責责貴贵"
    "買买資资賠赔賣卖質质贈赠贊赞趕赶跡迹車车軟软較较載载輸输辦办這这連连進进運运過过達达違违遠远適适遲迟選选還还邊边郵邮醫医釋释銷销錯错鍵键鐵铁長长門门開开間间閉闭"
    "關关陸陆際际隊队階阶隱隐雖虽電电靜静頂顶預预頭头頻频題题額额願愿類类顧顾顯显風风餘余館馆驗验驚惊體体鬥斗點点黨党礎础兌兑匯汇滙汇鏈链錢钱鎖锁鑰钥徵征瑣琐鍊炼幾几"
    "麼么裡里後后贏赢虧亏滲渗凍冻結结帳账戶户稅税憑凭顆颗筆笔餽馈鎮镇飽饱餵喂紐纽擋挡攜携壟垄拋抛捲卷掙挣據据擠挤擬拟")


def _table() -> dict[int, str]:
    pairs = _PAIRS
    if len(pairs) % 2:
        raise AssertionError("hanzi pairs must come in twos")
    return {ord(pairs[i]): pairs[i + 1] for i in range(0, len(pairs), 2) if pairs[i] != pairs[i + 1]}


# For str.translate: traditional code point -> simplified character.
TO_SIMPLIFIED: dict[int, str] = _table()
