"""Reading mail as Chinese mail clients send it (tasks/mail_reader.py): no database, no server."""

from __future__ import annotations

from tasks.mail_reader import html_to_text, read_mail


def test_a_gbk_header_sent_as_raw_bytes_and_a_body_labelled_gb2312_read_as_gb18030():
    raw = ("From: 张䶮 <z@example.cn>\r\nSubject: 投诉：包装破损\r\nMessage-ID: <a@b>\r\n"
           "Content-Type: text/plain; charset=gb2312\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
           "瓶子裂了，价格￥128·两瓶。\r\n").encode("gb18030")
    mail = read_mail(raw)
    assert (mail.sender_name, mail.sender_address) == ("张䶮", "z@example.cn")
    assert mail.subject == "投诉：包装破损"
    assert mail.text == "瓶子裂了，价格￥128·两瓶。"
    assert mail.message_id == "<a@b>"
    assert not mail.automatic


def test_a_body_whose_label_is_wrong_is_still_read():
    raw = (b"From: a@example.cn\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
           + "酒有沉淀".encode("gbk"))
    assert read_mail(raw).text == "酒有沉淀"


def test_an_html_only_mail_reads_as_its_paragraphs_without_markup_or_scripts():
    html = ("<html><head><title>t</title><style>p{}</style></head><body><p>第一段\n继续</p>"
            "<div><div>第二行</div></div><b>a</b> <i>b</i>&lt;c&gt;<script>x()</script></body></html>")
    assert html_to_text(html) == "第一段 继续\n\n第二行\na b<c>"


def test_an_auto_reply_is_marked_automatic_and_a_mail_without_message_id_has_a_stable_key():
    raw = b"From: a@example.cn\r\nAuto-Submitted: auto-replied\r\n\r\nOut of office\r\n"
    mail = read_mail(raw)
    assert mail.automatic
    assert mail.message_id.startswith("sha256:") and read_mail(raw).message_id == mail.message_id
