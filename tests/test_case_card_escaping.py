"""Issue 19 §4/§8: what a customer wrote, an approver's comment, a name or an actor is shown
as text in every card and table artifact on the Prefect dashboard and in every ``show`` in a
terminal — it never becomes a heading, a table row, a link, an image or an HTML control, and
a bidi override never reaches the screen.

Prefect's UI renders markdown artifacts and string table cells with marked: links of any
scheme, remote images and sanitised raw HTML (``<input>``, ``<a href>`` pass). The cards are
parsed here with markdown-it-py (CommonMark + tables) set up as permissively: raw HTML on,
every link scheme allowed.

The five case tests fail on the code before ``tasks/markdown.py`` (checked on a copy of the
tree with the old cards and commands): the cards interpolated every value raw
(``f"> {content}"``, ``f"| {comment} |"``, ``f"# … {name}"``), so the hostile content below
rendered ``<a href>``, ``<img>`` and ``<input>``, a second ``<h1>`` and extra approvals rows,
and ``kefu … show`` printed the name's ``## 伪造`` as a line of its own and U+202E as it was.
The three properties at the end are of ``tasks/markdown.py`` itself, which had no
predecessor (an ImportError on the old code).
"""

from __future__ import annotations

import re

from complaint.test_complaint_steps import approve, db  # noqa: F401  (db: fixture)
from hypothesis import given
from hypothesis import strategies as st
from markdown_it import MarkdownIt
from typer.testing import CliRunner

from models import ApprovalTask, Customer, CustomerYearFigures
from models.db import session_scope
from policy.load import load_policy
from tasks import events, markdown
from tasks.complaint import case
from tasks.complaint.card import case_card_markdown, complaint_view
from tasks.complaint.intake import file_complaint, parse_complaint
from tasks.deadlines import now
from tasks.new_customer.card import projects_table, prospect_card_markdown
from tasks.new_customer.case import apply_prospect
from tasks.tier.case import assessment_view, open_assessment, table_markdown

RLO = "\u202e"  # RIGHT-TO-LEFT OVERRIDE: "退\u202e款" shows as another word
HOSTILE = ("# 标题\n"
           "| a | b |\n|---|---|\n| forged | row |\n"
           "[点此](javascript:alert(1)) ![x](http://evil.example/x.png)\n"
           "<input type=password><button>登录</button> <a href=http://evil>官网</a>\n"
           f"<http://evil.example/> www.evil.example 退{RLO}款")
HOSTILE_NAME = f"恶意酒行\n## 伪造\n| forged | row |\n![x](http://evil.example/x.png)<input type=password>{RLO}"
FORGED_LINES = ("| forged", "# 标题", "## 伪造", "<input", "![x]")
MARKUP = ("<a", "<img", "<input", "<button", "<script")


def rendered(text: str) -> str:
    """``text`` as HTML, rendered as permissively as Prefect's UI renders it."""
    md = MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"])
    md.validateLink = lambda url: True  # marked keeps javascript: and data: links
    return md.render(text)


def tables(text: str) -> dict[str, int]:
    """{a table's first header cell: its number of body rows} in rendered Markdown."""
    md = MarkdownIt("commonmark").enable("table")
    found, header, in_body = {}, None, False
    for token in md.parse(text):
        if token.type == "table_open":
            header = ""
        elif token.type == "inline" and header == "":
            header = token.content
            found[header] = 0
        elif token.type in ("tbody_open", "tbody_close"):
            in_body = token.type == "tbody_open"
        elif token.type == "tr_open" and in_body:
            found[header] += 1
    return found


def assert_inert(html: str, headings: dict[str, int]) -> None:
    for tag in MARKUP:
        assert tag not in html, f"{tag} rendered from case data:\n{html}"
    for tag, count in headings.items():
        assert html.count(f"<{tag}>") == count, f"a forged <{tag}>:\n{html}"
    assert RLO not in html


def assert_no_forged_line(output: str) -> None:
    for line in output.splitlines():
        assert not line.startswith(FORGED_LINES), f"a forged line: {line!r}"
    assert RLO not in output


def kefu(*args: str) -> str:
    from cli.main import app

    done = CliRunner().invoke(app, list(args), catch_exceptions=False)
    assert done.exit_code == 0, done.output
    return done.output


def hostile_complaint() -> str:
    """A complaint with hostile content and customer name, a decided handling step whose
    comment breaks lines, and values stored before comments and actors were checked (a
    U+202E in the comment, a newline in the actor)."""
    policy = load_policy()
    number = file_complaint(policy, parse_complaint(
        policy, channel="phone", customer=HOSTILE_NAME, phone="13800000000", content=f"酒的口感不对\n{HOSTILE}",
        address="上海\n| forged | row |")).number
    case.classify_complaint(policy, number)
    case.route_complaint(policy, number)
    task_id = case.request_handling_step(policy, number, policy.complaint.handling_steps[0], None)
    approve(policy, task_id, comment=f"同意\n| forged | row |\n{HOSTILE}")
    with session_scope() as session:
        session.get(ApprovalTask, task_id).comment = f"同意{RLO}\n| forged | row |\n{HOSTILE}"
        events.record(session, "complaint", number, "note", f"mallory\n## 伪造{RLO}")
    return number


def test_the_complaint_card_shows_hostile_content_and_comments_as_text(db):  # noqa: F811
    number = hostile_complaint()
    card = case_card_markdown(number)
    assert_inert(rendered(card), {"h1": 1, "h2": 1, "table": 2, "blockquote": 1})
    assert "<h1>投诉" in rendered(card) and "<h2>经过</h2>" in rendered(card)
    assert "登录" in rendered(card) and "forged" in rendered(card)  # shown, as text


def test_a_comment_with_a_line_break_stays_in_its_approvals_row(db):  # noqa: F811
    number = hostile_complaint()
    view = complaint_view(number)
    counted = tables(case_card_markdown(number))
    assert counted == {"审批": len(view["approvals"]), "时限": len(view["clocks"])}


def test_kefu_complaint_show_prints_no_forged_line_and_no_bidi_override(db):  # noqa: F811
    number = hostile_complaint()
    output = kefu("complaint", "show", number)
    assert_no_forged_line(output)
    assert "> | forged | row |" in output                  # the content, quoted line by line
    assert "同意 ↵ \\| forged \\| row \\|" in output        # the comment, kept in its row
    assert kefu("complaint", "list").count("\n") == 1       # one complaint, one line


def test_the_project_card_and_overview_show_a_hostile_name_as_text(db):  # noqa: F811
    number = apply_prospect(load_policy(), name=HOSTILE_NAME, product_line="cast_balls",
                            expected_annual_revenue="3500000", owner="zheng.sales").number
    # 评审, 审批, 跟踪记录, 经过
    assert_inert(rendered(prospect_card_markdown(number)), {"h1": 1, "h2": 4, "table": 2})
    # Prefect's UI renders each string cell of a table artifact as Markdown on its own.
    for row in markdown.table(projects_table()):
        for value in row.values():
            if isinstance(value, str):
                assert_inert(rendered(value), {"h1": 0, "h2": 0, "table": 0})
    assert_no_forged_line(kefu("new-customer", "show", number))
    assert kefu("new-customer", "list").count("\n") == 1


def test_the_tier_table_and_kefu_tiers_show_keep_one_row_per_customer(db):  # noqa: F811
    with session_scope() as session:
        for name in (HOSTILE_NAME[:120], "华东酒行"):
            customer = Customer(name=name, phone="13522220001", territory="east", created_at=now())
            session.add(customer)
            session.flush()
            session.add(CustomerYearFigures(customer_id=customer.id, year=2026, sales=380,
                                            growth=25, overdue_payments=0, cooperation=92,
                                            imported_at=now()))
    number = open_assessment(load_policy(), 2027)
    card = table_markdown(number)
    assert_inert(rendered(card), {"h1": 1, "h2": 0})
    assert tables(card) == {"客户": len(assessment_view(number)["proposals"])}
    assert_no_forged_line(kefu("tiers", "show", "2027"))


HOSTILE_PIECES = st.lists(st.sampled_from(
    [*"\\`*_[](){}#+-.!|~=:@<>&\n\r\t 1aw退款", RLO, "\u2028", "    ", "1.", "javascript:",
     "www.", "http://", "![", "](", "<input>", "&lt;", "&#60;", "---", "===", "```"]),
    max_size=40).map("".join)


@given(HOSTILE_PIECES)
def test_any_text_renders_as_one_plain_paragraph(value):
    html = rendered(markdown.text(value))
    assert re.sub(r"</?p>", "", html).count("<") == 0, html
    assert not re.search(r"(?<!\\):|(?i:www)\.", markdown.text(value))  # no bare autolink


@given(HOSTILE_PIECES)
def test_any_text_stays_in_its_table_cell(value):
    html = rendered(f"| h |\n|---|\n| {markdown.cell(value)} |")
    assert html.count("<tr>") == 2, html                    # the header and the one row
    assert re.sub(r"</?(table|thead|tbody|tr|th|td)>", "", html).count("<") == 0, html


@given(HOSTILE_PIECES)
def test_any_text_stays_inside_its_block_quote(value):
    html = rendered("\n".join(markdown.quote(value)))
    assert re.sub(r"</?(blockquote|p)>|<br />", "", html).count("<") == 0, html
    assert html.count("<blockquote>") == 1
