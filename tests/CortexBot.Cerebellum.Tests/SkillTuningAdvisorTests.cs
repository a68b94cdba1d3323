using CortexBot.Cerebellum.Skills;
using CortexBot.Core.Messages;

namespace CortexBot.Cerebellum.Tests;

public sealed class SkillTuningAdvisorTests
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 1, 0, 0, 0, TimeSpan.Zero);
    private static readonly SkillInvocation PickRed = SkillInvocation.Of("pick", "red_cube");

    private static SemanticFact Fact(string obj, string skill, string tuning, int ok, int failed, params string[] reasons) =>
        new(obj, skill, ok, failed, 0, T0, T0.AddMinutes(ok + failed), ok > 0 ? T0.AddMinutes(ok) : null,
            failed > 0 ? T0.AddMinutes(failed) : null, [.. reasons], 1) { Tuning = tuning };

    [Fact]
    public void With_nothing_remembered_the_defaults_are_used()
    {
        var a = SkillTuningAdvisor.Advise(PickRed, [], []);
        Assert.True(a.Tuning.IsDefault);
        Assert.Contains("nothing remembered", a.Reason);
    }

    [Fact]
    public void An_object_that_slipped_from_the_default_grip_is_gripped_firmly_next_time()
    {
        var facts = new[] { Fact("red_cube", "pick", "", 0, 1, "object_dropped: lift red_cube: the gripper opening fell") };
        var a = SkillTuningAdvisor.Advise(PickRed, facts, []);
        Assert.True(a.Tuning.FirmGrip, a.Reason);
        // Only that object: another cube keeps the defaults.
        Assert.True(SkillTuningAdvisor.Advise(SkillInvocation.Of("pick", "blue_cube"), facts, []).Tuning.IsDefault);
    }

    [Fact]
    public void A_grip_that_carried_the_object_before_is_reused()
    {
        var facts = new[]
        {
            Fact("red_cube", "pick", "", 0, 2, "object_dropped: a", "object_dropped: b"),
            Fact("red_cube", "pick", "firm_grip", 3, 0),
            Fact("red_cube", "place", "firm_grip", 3, 0),
        };
        var a = SkillTuningAdvisor.Advise(PickRed, facts, []);
        Assert.True(a.Tuning.FirmGrip);
        Assert.Contains("carried red_cube 3 time(s)", a.Reason);
    }

    [Fact]
    public void Failures_that_are_not_slips_do_not_change_the_grip()
    {
        var facts = new[] { Fact("red_cube", "pick", "", 2, 1, "grasp_missed: grasp red_cube"), Fact("red_cube", "place", "", 2, 0) };
        Assert.True(SkillTuningAdvisor.Advise(PickRed, facts, []).Tuning.IsDefault);
    }

    [Fact]
    public void A_slip_earlier_in_the_episode_makes_the_retry_firm_even_without_long_term_memory()
    {
        var earlier = new[] { new TuningAttempt(SkillInvocation.Of("place", "red_cube", "bin"), SkillTuning.Default, SkillOutcome.Failed, AnomalyKinds.ObjectDropped) };
        var a = SkillTuningAdvisor.Advise(PickRed, [], earlier);
        Assert.True(a.Tuning.FirmGrip);
        Assert.Contains("earlier in this episode", a.Reason);
    }

    [Fact]
    public void Only_picks_are_tuned()
    {
        var facts = new[] { Fact("red_cube", "pick", "", 0, 1, "object_dropped: x") };
        Assert.True(SkillTuningAdvisor.Advise(SkillInvocation.Of("place", "red_cube", "bin"), facts, []).Tuning.IsDefault);
        Assert.True(SkillTuningAdvisor.Advise(SkillInvocation.Of("move_home"), facts, []).Tuning.IsDefault);
    }
}
