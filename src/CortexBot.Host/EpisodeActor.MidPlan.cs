using Akka.Actor;
using System.Collections.Immutable;
using Akka.Event;
using CortexBot.Core.Safety;
using CortexBot.Core.Messages;

namespace CortexBot.Host;

/// <summary>The review during execution: before each step the scene as perceived now is re-screened against the plan's.</summary>
public sealed partial class EpisodeActor
{
    /// <summary>A mid-plan review came back (off the actor's thread).</summary>
    private sealed record MidPlanReviewDone(SafetyVerdict? Verdict, SafetyFact? Fact, Exception? Error);

    /// <summary>
    /// Before the step in force: with a mid-plan screen, the scene is re-screened first (<see cref="ReScreening"/>);
    /// without one the step is sent at the robot time of <paramref name="clock"/>.
    /// </summary>
    private void SendStep(RobotClock clock)
    {
        if (_safety is null) SendStepNow(clock);
        else Become(ReScreening);
    }

    /// <summary>
    /// The fast screen while the plan runs: the scene as perceived now against the one the plan was screened on. A new flag
    /// (an object appeared in a keep-out zone, an unknown object came near a target) slows the arm through the gate's cap,
    /// the step waits, and the case goes to the reviewer as a flagged plan would (remembered reviews first, the answer
    /// re-screened); without one it is refused "needs review" unless unreviewed plans are allowed. The review runs off
    /// this actor's thread, and never on the control tick; the gate keeps holding the hand at zone edges meanwhile.
    /// </summary>
    private void ReScreening()
    {
        var flow = _safety!;
        _organs.Brainstem.Tell(new GetScene());
        Arm(_timeouts.Reset);
        Receive<SceneSnapshot>(scene =>
        {
            var rest = new Plan(_journal.Plan!.Steps[_journal.Step..]);
            var flags = MidPlanScreen.NewFlags(flow.Screener.Policy, _screenedScene ?? scene, scene, rest).Where(f => !_judgedFlags.Contains(f)).ToImmutableArray();
            if (flags.IsEmpty)
            {
                AtRobotTime("before a step", SendStepNow);
                return;
            }
            double slow = MidPlanScreen.SlowToolSpeed(flow.Screener.Policy);
            _organs.Cerebellum.Tell(new CapToolSpeed(Math.Min(slow, _keptCap ?? double.PositiveInfinity)));
            _log.Warning("the scene changed while the plan ran: {0}; tool speed capped at {1} m/s until it is reviewed", string.Join("; ", flags), slow);
            // the flags the steps left raise in this scene join the new ones: the review answers all of them
            var again = flow.Screener.Screen(rest, scene, Request.Instruction);
            var all = again.Flags.Concat(flags).Distinct().ToImmutableArray();
            if (flow.Reviewer is null)
            {
                MidPlanJudged(MidPlanScreen.Unreviewed(all, flow.Screener.AllowUnreviewed), all, slow);
                return;
            }
            var safetyCase = flow.CaseOf(rest, scene, Request.Instruction, again with { Flags = all });
            if (flow.Recall(safetyCase, _journal.SafetyFacts.Concat(_midPlanFacts)) is { } recalled)
            {
                MidPlanJudged(recalled, all, slow);
                return;
            }
            var cts = new CancellationTokenSource();
            var taskId = TaskId;
            Task.Run(() => flow.ReviewAsync(safetyCase, taskId, cts.Token), CancellationToken.None)
                .PipeTo(Self, success: r => new MidPlanReviewDone(r.Verdict, r.Fact, null), failure: e => new MidPlanReviewDone(null, null, e));
            // a review shares the plan's timeout, as the cortex's does
            Arm(_timeouts.Plan);
            Become(() =>
            {
                Receive<MidPlanReviewDone>(d =>
                {
                    cts.Dispose();
                    if (d.Fact is { } fact) _midPlanFacts.Add(fact);
                    // a failed review leaves the scene's flags unjudged: refused, whatever the plan's own screen says
                    var verdict = d.Verdict is { ReviewFailure: null } v ? v : new SafetyVerdict(SafetyDecision.Refuse,
                        [$"review: {d.Verdict?.ReviewFailure ?? $"the safety review failed: {d.Error?.GetBaseException().Message ?? "no verdict"}"}"], null, all)
                        { Escalated = true, ReviewMs = d.Verdict?.ReviewMs ?? 0 };
                    MidPlanJudged(verdict, all, slow);
                });
                Receive<PhaseTimeout>(_ =>
                {
                    cts.Cancel();
                    MidPlanJudged(new SafetyVerdict(SafetyDecision.Refuse,
                        [$"review: the safety review timed out after {_timeouts.Plan.TotalSeconds:0.###} s"], null, all) { Escalated = true }, all, slow);
                });
            });
        });
        Receive<PhaseTimeout>(_ =>
        {
            _journal.Fail("safety: no scene came to re-screen before the step");
            Become(Settling);
        });
    }

    /// <summary>
    /// The mid-plan verdict: a refusal ends the episode failed, naming the rule or review, with the arm holding (no step is
    /// sent, the cap stays); allow lifts the cap and the plan continues; modify keeps the cap on the rest of the episode.
    /// </summary>
    private void MidPlanJudged(SafetyVerdict verdict, ImmutableArray<string> flags, double slow)
    {
        RememberReview(verdict);
        _journal.MidPlanReviewed(verdict);
        if (verdict.Refused)
        {
            _log.Warning("mid-plan safety review refused the rest of the plan: {0}", verdict);
            Become(Settling);
            return;
        }
        _log.Info("mid-plan safety review: {0}", verdict);
        _judgedFlags.UnionWith(flags);
        if (MidPlanScreen.CapAfter(verdict, slow) is { } cap) _keptCap = Math.Min(cap, _keptCap ?? double.PositiveInfinity);
        _organs.Cerebellum.Tell(new CapToolSpeed(_keptCap ?? double.PositiveInfinity));
        AtRobotTime("after a mid-plan review", SendStepNow);
    }
}
