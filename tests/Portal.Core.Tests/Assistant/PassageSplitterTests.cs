using Portal.Core.Assistant;

namespace Portal.Core.Tests.Assistant;

/// <summary>Sentences end where a reader sees them end, in English and in Chinese; abbreviations and numbers do not end one.</summary>
public sealed class PassageSplitterTests
{
    [Fact]
    public void English_sentences_end_at_a_stop_before_a_capital_and_not_inside_numbers_or_names()
    {
        Assert.Equal(
            ["BNP was 1,450 pg/mL at 08.30 today.", "Echo showed e.g. an EF of 35 percent!", "Why?", "(Plan follows.)"],
            PassageSplitter.Sentences("BNP was 1,450 pg/mL at 08.30 today. Echo showed e.g. an EF of 35 percent! Why? (Plan follows.)"));
    }

    [Fact]
    public void Chinese_sentences_end_at_their_own_stops_without_spaces()
    {
        Assert.Equal(
            ["患者男性，六十七岁。", "既往有高血压病史！", "是否需要随访？", "两周后复查。"],
            PassageSplitter.Sentences("患者男性，六十七岁。既往有高血压病史！是否需要随访？ 两周后复查。"));
    }
}
