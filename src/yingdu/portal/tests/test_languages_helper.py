"""The helper of the page-language test (yingdu.testing.languages): what counts as visible text, and which words are
of the other language."""

from yingdu.testing.languages import english_words, han_characters, leaks, visible_texts


def test_visible_text_includes_shown_attributes_and_skips_scripts_and_hidden_inputs():
    html = ('<html lang="en"><head><title>Works</title><style>p{color:red}</style></head><body>'
            '<script>var 中文 = 1;</script><img alt="Logo"><input type="hidden" value="隐藏">'
            '<input type="submit" value="Save"><input placeholder="Search" aria-label="Search works">'
            '<p title="Hint">Text<br>more</p><pre>yingdu-verify 命令</pre></body></html>')
    texts = [piece.text for piece in visible_texts(html, page_lang="en")]
    assert texts == ["Works", "Logo", "Save", "Search", "Search works", "Hint", "Text", "more"]


def test_the_nearest_lang_attribute_gives_the_language_of_a_text():
    html = '<div><p lang="zh-Hans">数据告知书<b>正文</b></p><p>Notice</p><br><span>after</span></div>'
    languages = [(piece.text, piece.lang) for piece in visible_texts(html, page_lang="en")]
    assert languages == [("数据告知书", "zh-Hans"), ("正文", "zh-Hans"), ("Notice", "en"), ("after", "en")]


def test_english_words_leave_out_technical_tokens_and_allowed_names():
    text = ("请上传 PDF 文件到 https://example.org/x，SKU gpu-a100-hour，哈希 9f86d081884c7d65，"
            "用 yingdu-verify 和 Excel，文件 营业执照.pdf，--state 选项")
    assert english_words(text) == []
    assert english_words("请选择 Select an option") == ["Select", "an", "option"]
    assert english_words("作品 Lost Among the Stars 已登记", data=frozenset({"Lost Among the Stars"})) == []


def test_han_characters_are_found_unless_they_are_typed_data():
    assert han_characters("Voucher 算力券 issued") == "Voucher 算力券 issued"
    assert han_characters("Work 《星河迷途》", data=frozenset({"星河迷途"})) == ""
    assert han_characters("Plain English") == ""


def test_leaks_check_each_region_against_its_own_language():
    page = ('<html lang="en"><body><h1>Decision</h1><section lang="zh-Hans"><p>决定书正文</p></section>'
            '<p>审核通过</p></body></html>')
    assert leaks(page, page_lang="en") == ["<p> Chinese: '审核通过'"]
    chinese = '<html lang="zh-CN"><body><p>审核 This field is required.</p><p lang="en">Lost</p></body></html>'
    assert leaks(chinese, page_lang="zh-hans") == ["<p> English ['This', 'field', 'is', 'required.']: "
                                                   "'审核 This field is required.'"]
