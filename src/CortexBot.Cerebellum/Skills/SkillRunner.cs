using CortexBot.Cerebellum.Control;
using CortexBot.Core.Messages;

namespace CortexBot.Cerebellum.Skills;

/// <summary>How one skill ended when run outside the actors: its outcome, the program's detail, the anomaly kind, and its robot-time length.</summary>
public sealed record SkillRun(SkillOutcome Outcome, string? Detail, string? AnomalyKind, double DurationS)
{
    public bool Succeeded => Outcome == SkillOutcome.Succeeded;
}

/// <summary>
/// Compile, submit, await: runs one skill on a running <see cref="ControlLoop"/> as the cerebellum actor does (compiled off
/// the control thread from the loop's latest command and the given scene), for the tools that drive a loop without the
/// actors: the demo recorder, the policy evaluator's expert, the episode replayer.
/// </summary>
public static class SkillRunner
{
    public static async Task<SkillRun> RunAsync(ControlLoop loop, SkillCompiler compiler, SkillInvocation skill, SceneSnapshot scene,
        SkillTuning? tuning, TimeSpan timeout, CancellationToken ct = default)
    {
        var compiled = compiler.Compile(skill, scene, loop.CurrentArm(), tuning);
        if (compiled.Program is null)
            return new SkillRun(SkillOutcome.Failed, compiled.Error, compiled.ErrorKind, 0);
        ProgramReport report;
        try
        {
            report = await loop.RunAsync(compiled.Program, ct).WaitAsync(timeout, ct);
        }
        catch (TimeoutException)
        {
            loop.Abort($"{skill} timed out");
            return new SkillRun(SkillOutcome.Aborted, "timeout", AnomalyKinds.NoProgress, timeout.TotalSeconds);
        }
        return report.Status == ProgramStatus.Succeeded
            ? new SkillRun(SkillOutcome.Succeeded, null, null, report.DurationS)
            : new SkillRun(SkillOutcome.Failed, report.Detail, report.AnomalyKind, report.DurationS);
    }
}
