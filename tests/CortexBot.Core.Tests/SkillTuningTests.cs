using CortexBot.Core.Messages;

namespace CortexBot.Core.Tests;

public sealed class SkillTuningTests
{
    [Theory]
    [InlineData(null, false)]
    [InlineData("", false)]
    [InlineData("firm_grip", true)]
    [InlineData("firm_grip=true", true)]
    [InlineData(" firm_grip = 1 ", true)]
    [InlineData("firm_grip=false", false)]
    [InlineData("firm_grip;firm_grip=0", false)]
    public void Parses_the_text_form(string? text, bool firm)
    {
        Assert.True(SkillTuning.TryParse(text, out var t, out var error), error);
        Assert.Equal(firm, t.FirmGrip);
    }

    [Fact]
    public void The_text_form_round_trips_and_the_defaults_are_empty()
    {
        Assert.Equal("", SkillTuning.Default.ToString());
        Assert.True(SkillTuning.Default.IsDefault);
        var firm = new SkillTuning(FirmGrip: true);
        Assert.Equal("firm_grip", firm.ToString());
        Assert.Equal(firm, SkillTuning.Parse(firm.ToString()));
    }

    [Theory]
    [InlineData("grip=hard", "unknown skill tuning 'grip'")]
    [InlineData("firm_grip=maybe", "firm_grip takes no value")]
    public void Bad_text_is_refused_with_the_reason(string text, string expected)
    {
        Assert.False(SkillTuning.TryParse(text, out _, out var error));
        Assert.Contains(expected, error);
        Assert.Throws<FormatException>(() => SkillTuning.Parse(text));
    }
}
