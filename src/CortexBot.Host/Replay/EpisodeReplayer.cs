using System.Collections.Immutable;
using System.Diagnostics;
using CortexBot.Brainstem;
using CortexBot.Cerebellum.Control;
using CortexBot.Cerebellum.Kinematics;
using CortexBot.Cerebellum.Learning.Runtime;
using CortexBot.Cerebellum.Skills;
using CortexBot.Core;
using CortexBot.Core.Goals;
using CortexBot.Core.Messages;
using CortexBot.Core.Robot;
using CortexBot.Core.Skills;
using CortexBot.Hippocampus.Recall;
using CortexBot.Sim.MuJoCo;
using Microsoft.Extensions.Logging.Abstractions;

namespace CortexBot.Host.Replay;

public sealed record ReplayOptions
{
    public string ScenePath { get; init; } = RepoPaths.DefaultScene;
    public string SkillCataloguePath { get; init; } = RepoPaths.DefaultSkillCatalogue;
    /// <summary>The learned policy for learned skills; null = the default policy file when present.</summary>
    public string? PolicyPath { get; init; }
    /// <summary>A joint differing by more than this (rad) from the recording is a divergence.</summary>
    public double ToleranceRad { get; init; } = 0.05;
    /// <summary>Replay a real-time-paced episode a second time from step starts estimated from the recorded step ends.</summary>
    public bool ReestimateStarts { get; init; } = true;
    /// <summary>Wall-clock limit for one replayed skill.</summary>
    public TimeSpan SkillTimeout { get; init; } = TimeSpan.FromMinutes(2);
}

public sealed record ReplayStep(
    int Index,
    string Skill,
    string? Parameters,
    double StartedAtS,
    string RecordedOutcome,
    string? RecordedDetail,
    string ReplayedOutcome,
    string? ReplayedDetail,
    double ReplayedDurationS,
    bool Matches);

/// <summary>The first sample where a joint left the tolerance: when, during which step, which joint, both values.</summary>
public sealed record ReplayDivergence(
    double RobotTimeS,
    int Sample,
    int? Step,
    string? StepSkill,
    string Joint,
    double RecordedRad,
    double ReplayedRad,
    double DifferenceRad);

public sealed record ReplayReport(
    long EpisodeId,
    string Instruction,
    int Seed,
    double ToleranceRad,
    double SamplePeriodS,
    int RecordedSamples,
    int ReplayedSamples,
    int ComparedSamples,
    bool Diverged,
    ReplayDivergence? FirstDivergence,
    double MaxDeviationRad,
    string? MaxDeviationJoint,
    double MaxDeviationAtS,
    double MaxGripperDeviationM,
    bool RecordedSuccess,
    bool ReplayedSuccess,
    string? ReplayedFailure,
    bool OutcomeMatches,
    IReadOnlyList<ReplayStep> Steps,
    IReadOnlyList<string> Notes,
    double ReplayedRobotS,
    double WallS)
{
    /// <summary>The object physics the replay's simulator ran with, read back from it after re-applying the episode's perturbations.</summary>
    public IReadOnlyList<AppliedPerturbation> Perturbations { get; init; } = [];
}

/// <summary>
/// Re-runs a remembered episode through today's cerebellum in the embedded simulator and says where it diverges: the
/// scene is reset from the episode's seed, the recorded steps are compiled by the real <see cref="SkillCompiler"/> (learned
/// skills by the configured policy) and executed by a <see cref="ControlLoop"/> in fast (lockstep) pacing behind the
/// brainstem's safety gate, each starting at its recorded robot time. The loop's own trace recorder samples the replay at
/// the recording's times, so the two traces compare sample by sample.
/// </summary>
public static class EpisodeReplayer
{
    /// <summary>Checks that <paramref name="episode"/> can be replayed here; throws <see cref="ConfigurationException"/> saying why not.</summary>
    public static void CheckReplayable(EpisodeRecord episode, SkillCatalogue catalogue)
    {
        ArgumentNullException.ThrowIfNull(episode);
        if (episode.Trace is null)
            throw new ConfigurationException(
                $"episode {episode.Id} has no trace to compare with: it was stored before traces were recorded (memory schema before 3) " +
                "or by a controller with tracing off; only traced episodes can be replayed");
        if (episode.Steps.IsDefaultOrEmpty)
            throw new ConfigurationException($"episode {episode.Id} executed no skill steps; there is nothing to replay");
        var unknown = episode.Steps.Select(s => PlanText.Parse(s.Skill).Skill).Distinct()
            .Where(skill => catalogue.Find(skill) is null).ToList();
        if (unknown.Count > 0)
            throw new ConfigurationException(
                $"episode {episode.Id} ran skill(s) the skill catalogue no longer has: {string.Join(", ", unknown)}; they cannot be replayed");
    }

    public static async Task<ReplayReport> ReplayAsync(EpisodeRecord episode, ReplayOptions options, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (!(options.ToleranceRad > 0 && double.IsFinite(options.ToleranceRad)))
            throw new ConfigurationException($"--tolerance must be a positive angle in radians, got {options.ToleranceRad}");
        if (!File.Exists(options.ScenePath)) throw new ConfigurationException($"scene file not found: {options.ScenePath}");
        if (!File.Exists(options.SkillCataloguePath)) throw new ConfigurationException($"skill catalogue not found: {options.SkillCataloguePath}");
        var catalogue = SkillCatalogue.Load(options.SkillCataloguePath);
        CheckReplayable(episode, catalogue);
        var recorded = episode.Trace!;
        var wall = Stopwatch.StartNew();
        var notes = new List<string>();
        double period = 1 / recorded.ControlRateHz;

        var starts = episode.Steps.Select(s => s.StartedAtS).ToArray();
        if (!episode.Perturbations.IsDefaultOrEmpty)
            notes.Add("re-applied the episode's perturbations: " + string.Join("; ", episode.Perturbations.Select(p => p.ToString())));
        var pass = await PassAsync(episode, options, starts, notes, ct);
        // A step's recorded start is when the episode asked for it. In fast pacing the loop adopted the program on that
        // very tick; in real-time pacing it ran on while the cerebellum compiled (tens of ms for a first, cold compile).
        // The recorded end (when the result came back) minus the program's length, measured by this replay, is the
        // better start then: replay once more from those starts.
        var better = new double[starts.Length];
        for (int i = 0; i < starts.Length; i++)
        {
            var st = episode.Steps[i];
            double fromEnd = st.StartedAtS + st.DurationS - pass.ProgramTicks[i] * period - period;
            better[i] = double.IsFinite(fromEnd) && fromEnd > st.StartedAtS ? fromEnd : st.StartedAtS;
        }
        if (options.ReestimateStarts && Enumerable.Range(0, starts.Length).Any(i => better[i] - starts[i] > 1.5 * period))
        {
            notes.Add("step starts re-estimated from their recorded ends (real-time pacing): " +
                string.Join(", ", Enumerable.Range(0, starts.Length).Select(i =>
                    FormattableString.Invariant($"step {episode.Steps[i].Index} +{(better[i] - starts[i]) * 1000:F0} ms"))));
            pass = await PassAsync(episode, options, better, [], ct);
        }
        return Compare(episode, recorded, pass.Trace, options.ToleranceRad, pass.Steps, pass.Success, pass.Failure, notes, pass.RobotS,
            wall.Elapsed.TotalSeconds) with { Perturbations = pass.Perturbations };
    }

    private sealed record Pass(List<ReplayStep> Steps, long[] ProgramTicks, EpisodeTrace Trace, bool Success, string? Failure, double RobotS,
        ImmutableArray<AppliedPerturbation> Perturbations);

    /// <summary>One replay in a fresh simulator and control loop, each step started at <paramref name="starts"/> (robot time).</summary>
    private static async Task<Pass> PassAsync(EpisodeRecord episode, ReplayOptions options, double[] starts,
        List<string> notes, CancellationToken ct)
    {
        var recorded = episode.Trace!;
        var arm = ArmModel.FromMjcf(options.ScenePath);
        using var world = new MuJoCoWorld(options.ScenePath);
        if (!world.JointNames.SequenceEqual(recorded.JointNames))
            throw new ConfigurationException(
                $"episode {episode.Id} was traced on joints [{string.Join(", ", recorded.JointNames)}], but the scene {options.ScenePath} has " +
                $"[{string.Join(", ", world.JointNames)}]; replay needs the same arm");
        // The episode ran under these physics (e.g. a slippery cube); without them a slip would not happen again.
        foreach (var p in episode.Perturbations)
        {
            try
            {
                world.SetObjectPhysics(p.Object, new ObjectPhysics(p.Mass, p.Friction));
            }
            catch (Exception ex) when (ex is ArgumentException)
            {
                throw new ConfigurationException($"episode {episode.Id} ran with perturbation {p}, which cannot be re-applied to {options.ScenePath}: {ex.Message}");
            }
        }
        var applied = world.AppliedPerturbations();
        // The same envelope a default run enforces, so the replayed motion is the one the gate let through.
        var gate = new SafetyGate(world, arm, new CortexBotOptions { ScenePath = options.ScenePath }.SafetyEnvelope());
        var kin = new ArmKinematics(arm);

        bool learned = episode.Steps.Any(s => PlanText.Parse(s.Skill).Skill == SkillNames.LearnedPickPlace);
        var loopOptions = new ControlLoopOptions
        {
            RateHz = recorded.ControlRateHz, Pacing = Pacing.Fast, UseRealtimePriority = false,
            Anomalies = CortexBotHosting.AnomalyLimitsFor(new CortexBotOptions(), arm),
            TraceRateHz = 1 / recorded.SamplePeriodS,
        };
        using var loop = new ControlLoop(gate, loopOptions, NullLogger<ControlLoop>.Instance);
        var tracer = loop.Trace!;
        if (Math.Abs(tracer.SamplePeriodS - recorded.SamplePeriodS) > 1e-9)
            throw new ConfigurationException(
                $"episode {episode.Id} was traced every {recorded.SamplePeriodS} s, which is not a whole number of ticks at {recorded.ControlRateHz} Hz");

        LearnedSkillFactory? factory = null;
        try
        {
            if (learned)
            {
                var policy = options.PolicyPath ?? (File.Exists(CortexBotOptions.DefaultPolicyPath) ? CortexBotOptions.DefaultPolicyPath : null)
                    ?? throw new ConfigurationException(
                        $"episode {episode.Id} ran {SkillNames.LearnedPickPlace}, but no policy is configured (--policy FILE, or {CortexBotOptions.DefaultPolicyPath})");
                factory = new LearnedSkillFactory(policy, kin, world, loopOptions);
                if (episode.Policy is { } was && was.Id != factory.Identity.Id)
                    notes.Add($"the episode ran policy {was.File} ({was.Id}); this replay runs {factory.Identity.File} ({factory.Identity.Id})");
                else if (episode.Policy is null)
                    notes.Add($"the episode did not record its policy; this replay runs {factory.Identity.File} ({factory.Identity.Id})");
            }
            foreach (var s in episode.Steps.Where(s => s.Parameters is not null && !SkillTuning.TryParse(s.Parameters, out _, out _)))
                notes.Add($"step {s.Index} recorded parameters this controller does not know ('{s.Parameters}'); it is replayed with the defaults");
            var compiler = new SkillCompiler(kin, null, factory is null ? [] : [factory], world);

            loop.Start();
            long resetTick = -1;
            await loop.InvokeAsync(() =>
            {
                world.ResetScene(episode.Seed);
                gate.Reanchor();
                loop.RehomeHoldTarget();
                resetTick = loop.TotalTicks;
            }).WaitAsync(ct);
            // The reset ran inside a tick that then stepped once; start after that tick, as the episode did.
            WaitPastTick(loop, resetTick);
            long start = loop.TotalTicks;
            tracer.Begin(start);
            var startScene = world.Snapshot();
            double period = 1 / recorded.ControlRateHz;
            double Now() => (loop.TotalTicks - start) * period;

            var steps = new List<ReplayStep>();
            var programTicks = new long[episode.Steps.Length];
            bool lastSucceeded = false;
            for (int i = 0; i < episode.Steps.Length; i++)
            {
                ct.ThrowIfCancellationRequested();
                var step = episode.Steps[i];
                // Recorded idle time (planning while a real-time loop held the arm) is held again, so later steps start on time.
                if (double.IsFinite(starts[i]) && starts[i] - Now() > period / 2)
                    await HoldAsync(loop, starts[i] - Now(), ct);
                var (name, args) = PlanText.Parse(step.Skill);
                var invocation = new SkillInvocation(name, [.. args]);
                double began = Now();
                // The step runs with the tuning it was recorded with (e.g. firm_grip), as the cerebellum ran it.
                var tuning = SkillTuning.TryParse(step.Parameters, out var t, out _) ? t : null;
                // As the cerebellum does: compiled off the control thread from the latest command and the perceived scene.
                var (outcome, detail, _, durationS) = await SkillRunner.RunAsync(loop, compiler, invocation, world.Snapshot(), tuning, options.SkillTimeout, ct);
                programTicks[i] = (long)Math.Round(durationS / period);
                lastSucceeded = outcome == SkillOutcome.Succeeded;
                steps.Add(new ReplayStep(step.Index, step.Skill, step.Parameters, step.StartedAtS, step.Outcome.ToString(), step.Detail,
                    outcome.ToString(), detail, Math.Round(Now() - began, 3), outcome == step.Outcome));
            }
            // The recording goes on while the episode settled and was judged; cover the same span.
            double remaining = recorded.DurationS + period - Now();
            if (remaining > period / 2)
                await HoldAsync(loop, remaining, ct);
            var endScene = world.Snapshot();
            var goal = InstructionGoal.FromInstruction(episode.Instruction, startScene);
            // Judged as the episode was: a failed last step fails it, else the instruction's goal is read from the physics.
            string? failure = !lastSucceeded ? $"{steps[^1].Skill} failed: {steps[^1].ReplayedDetail}" : goal?.Check(startScene, endScene);

            var replayed = tracer.Read(start, loop.TotalTicks)
                ?? throw new InvalidOperationException("the replay's trace was lost (the recorder was restarted)");
            return new Pass(steps, programTicks, replayed, failure is null, failure, Now(), applied);
        }
        finally
        {
            loop.Dispose();
            factory?.Dispose();
        }
    }

    /// <summary>Holds the last command for <paramref name="seconds"/> of robot time, as the loop's own settle does.</summary>
    private static Task<ProgramReport> HoldAsync(ControlLoop loop, double seconds, CancellationToken ct)
    {
        var cmd = loop.LatestCommand();
        var hold = new Segment { Kind = SegmentKind.Wait, Label = "hold", From = cmd, To = cmd, Duration = seconds, Gripper = loop.LatestGripperCommand };
        return loop.RunAsync(new SkillProgram("hold", [hold], 0), ct);
    }

    private static void WaitPastTick(ControlLoop loop, long tick)
    {
        var spin = new SpinWait();
        while (loop.TotalTicks <= tick)
            spin.SpinOnce();
    }

    /// <summary>Sample-by-sample comparison; NaN samples (not traced) are skipped.</summary>
    public static ReplayReport Compare(EpisodeRecord episode, EpisodeTrace recorded, EpisodeTrace replayed, double tolerance,
        IReadOnlyList<ReplayStep> steps, bool replayedSuccess, string? replayedFailure, List<string> notes, double replayedRobotS, double wallS)
    {
        int n = Math.Min(recorded.Count, replayed.Count);
        if (replayed.Count < recorded.Count)
            notes.Add($"the replay traced {replayed.Count} samples, the recording {recorded.Count}; only the first {n} are compared");
        ReplayDivergence? first = null;
        double max = 0, maxAt = 0, maxGrip = 0;
        string? maxJoint = null;
        int compared = 0;
        for (int k = 0; k < n; k++)
        {
            bool any = false;
            for (int j = 0; j < recorded.Joints; j++)
            {
                double a = recorded.Joint(k, j), b = replayed.Joint(k, j);
                if (double.IsNaN(a) || double.IsNaN(b))
                    continue;
                any = true;
                double d = Math.Abs(a - b);
                if (d > max)
                {
                    (max, maxAt, maxJoint) = (d, recorded.TimeOf(k), recorded.JointNames[j]);
                }
                if (d > tolerance && first is null)
                {
                    double t = recorded.TimeOf(k);
                    var step = StepAt(episode, t);
                    first = new ReplayDivergence(Math.Round(t, 4), k, step?.Index, step?.Skill, recorded.JointNames[j], Math.Round(a, 5), Math.Round(b, 5), Math.Round(d, 5));
                }
            }
            double ga = recorded.Gripper(k), gb = replayed.Gripper(k);
            if (!double.IsNaN(ga) && !double.IsNaN(gb))
                maxGrip = Math.Max(maxGrip, Math.Abs(ga - gb));
            if (any)
                compared++;
        }
        return new ReplayReport(episode.Id, episode.Instruction, episode.Seed, tolerance, recorded.SamplePeriodS, recorded.Count, replayed.Count, compared,
            first is not null, first, Math.Round(max, 6), maxJoint, Math.Round(maxAt, 4), Math.Round(maxGrip, 6),
            episode.Success, replayedSuccess, replayedFailure, episode.Success == replayedSuccess, steps, notes,
            Math.Round(replayedRobotS, 3), Math.Round(wallS, 3));
    }

    /// <summary>The step running at robot time <paramref name="t"/>: the last one started at or before it.</summary>
    private static StepRecord? StepAt(EpisodeRecord episode, double t) =>
        episode.Steps.LastOrDefault(s => double.IsFinite(s.StartedAtS) && s.StartedAtS <= t + 1e-9);
}
