using System.Diagnostics;
using System.Globalization;
using Akka.Actor;
using Akka.Event;
using CortexBot.Core.Messages;
using CortexBot.Core.Ports;
using CortexBot.Core.Safety;
using CortexBot.Core.Skills;

namespace CortexBot.Cortex;

/// <summary>
/// The cortex organ: answers <see cref="PlanRequest"/> with <see cref="PlanReady"/> or <see cref="PlanRefused"/>.
/// Planning runs off the actor's thread (piped back to itself) so the mailbox stays responsive while a planner thinks;
/// each task gets its own cancellation, a timeout and a <see cref="PlanValidator"/> check before a plan is released.
/// Planner failures become refusals; a bug inside the actor itself crashes it and its supervisor restarts it.
/// With a <see cref="PlanScreener"/> every plan it releases - the first and every replan - has passed the safety screen
/// against the scene it was planned from: a refused plan becomes a <see cref="PlanRefused"/> whose reason names the rule,
/// an allowed or modified one carries the verdict on its <see cref="PlanReady"/>. With an <see cref="ISafetyReviewer"/> too,
/// a plan the screen flagged (and no rule refused) is escalated to it off the actor's thread, within the same plan timeout,
/// unless the request's remembered safety facts (or a review this cortex already made) answer the same case; the answer
/// passes through the screen again (<see cref="SafetyReviewFlow"/>) and its verdict carries the review for the hippocampus.
/// </summary>
public sealed class CortexActor : ReceiveActor, IWithTimers
{
    private readonly IPlanner _planner;
    private readonly ISceneCamera? _camera;
    private readonly SkillCatalogue _catalogue;
    private readonly TimeSpan _planTimeout;
    private readonly SafetyReviewFlow? _safety;
    /// <summary>Reviews made by this cortex, by case key: the same case is not asked twice even before the hippocampus has it.</summary>
    private readonly Dictionary<string, SafetyFact> _reviewed = [];
    private const int MaxReviewedKept = 1000;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly Dictionary<Guid, Attempt> _pending = [];

    public ITimerScheduler Timers { get; set; } = null!;

    /// <param name="camera">When given, every plan request gets a frame of the scene taken just before planning (for
    /// multimodal planners); a failed capture is logged and the plan made from the scene description alone.</param>
    /// <param name="screener">The safety screen every plan passes before it is released (null: none).</param>
    /// <param name="reviewer">The slow reasoning brain flagged plans are escalated to (null: they stay refused "needs review").</param>
    public CortexActor(IPlanner planner, SkillCatalogue catalogue, TimeSpan planTimeout, ISceneCamera? camera = null, PlanScreener? screener = null,
        ISafetyReviewer? reviewer = null)
    {
        ArgumentNullException.ThrowIfNull(planner);
        ArgumentNullException.ThrowIfNull(catalogue);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(planTimeout, TimeSpan.Zero);
        _planner = planner;
        _camera = camera;
        _catalogue = catalogue;
        _planTimeout = planTimeout;
        _safety = screener is null ? null : new SafetyReviewFlow(screener, reviewer);

        Receive<PlanRequest>(OnPlanRequest);
        Receive<CancelPlanning>(OnCancel);
        Receive<PlanningFinished>(OnPlanningFinished);
        Receive<ReviewFinished>(OnReviewFinished);
        Receive<PlanningTimedOut>(OnTimedOut);
    }

    public static Props Props(IPlanner planner, SkillCatalogue catalogue, TimeSpan planTimeout, ISceneCamera? camera = null, PlanScreener? screener = null,
        ISafetyReviewer? reviewer = null)
    {
        ArgumentNullException.ThrowIfNull(planner);
        ArgumentNullException.ThrowIfNull(catalogue);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(planTimeout, TimeSpan.Zero);
        return Akka.Actor.Props.Create(() => new CortexActor(planner, catalogue, planTimeout, camera, screener, reviewer));
    }

    /// <summary>One planning attempt; messages about it carry the instance, so results of superseded attempts are recognised and dropped.</summary>
    private sealed class Attempt(PlanRequest request, IActorRef replyTo)
    {
        public PlanRequest Request { get; } = request;
        public IActorRef ReplyTo { get; } = replyTo;
        /// <summary>The planner's token, then (once escalated) the safety review's.</summary>
        public CancellationTokenSource Cancellation { get; set; } = new();
        /// <summary>The plan is with the safety reviewer.</summary>
        public bool Reviewing { get; set; }
        public long StartedAt { get; } = Stopwatch.GetTimestamp();
        public TimeSpan Elapsed => Stopwatch.GetElapsedTime(StartedAt);
    }

    private sealed record PlanningFinished(Attempt Attempt, PlanResult? Result, Exception? Error);
    private sealed record PlanningTimedOut(Attempt Attempt);
    private sealed record ReviewFinished(Attempt Attempt, Plan Plan, SafetyVerdict? Verdict, SafetyFact? Fact, Exception? Error);

    private void OnPlanRequest(PlanRequest request)
    {
        if (_pending.TryGetValue(request.TaskId, out var previous))
            Finish(previous, Refused(previous, "superseded by a newer plan request for the same task"), cancel: true);
        if (request.Subgoal is { } subgoal)
        {
            RepairSubgoal(request, subgoal);
            return;
        }
        if (FromMemory(request) is { } remembered)
        {
            Sender.Tell(remembered);
            return;
        }

        var attempt = new Attempt(request, Sender);
        _pending[request.TaskId] = attempt;
        Timers.StartSingleTimer(TimerKey(request.TaskId), new PlanningTimedOut(attempt), _planTimeout);

        var context = new PlanningContext(
            request.Instruction ?? "",
            request.Scene,
            _catalogue,
            request.Memories.IsDefault ? [] : request.Memories,
            request.Anomaly) { Facts = request.Facts.IsDefault ? [] : request.Facts, Goal = request.Goal };
        var planner = _planner;
        var camera = _camera;
        var log = _log;
        var token = attempt.Cancellation.Token;
        _log.Debug("planning task {0} with planner {1}: '{2}'", request.TaskId, planner.Name, request.Instruction);

        // Task.Run: even a planner that blocks before its first await must not hold the actor's thread.
        // The frame is taken here, off the actor and off the control tick (the camera renders on its own thread).
        Task.Run(async () =>
            {
                if (camera is not null) context = context with { Image = await CaptureQuietly(camera, log, token).ConfigureAwait(false) };
                return await planner.PlanAsync(context, token).ConfigureAwait(false);
            }, CancellationToken.None)
            .PipeTo(Self,
                success: result => new PlanningFinished(attempt, result, null),
                failure: error => new PlanningFinished(attempt, null, error));
    }

    /// <summary>
    /// A local repair: the skills that bring about one relation from the scene as it is now, read from the catalogue's
    /// effects (no model call), checked like any plan; the episode falls back to a whole new plan when this is refused.
    /// </summary>
    private void RepairSubgoal(PlanRequest request, Core.Goals.Relation subgoal)
    {
        var started = Stopwatch.GetTimestamp();
        var plan = PlanTree.Repair(subgoal, request.Scene, _catalogue, out var reason);
        var invalid = plan is null ? reason : PlanValidator.Validate(plan, _catalogue, request.Scene);
        var latency = Stopwatch.GetElapsedTime(started);
        if (invalid is not null)
        {
            _log.Info("task {0}: no local repair of {1}: {2}", request.TaskId, subgoal, invalid);
            Sender.Tell(new PlanRefused(request.TaskId, $"no local repair of {subgoal}: {invalid}", RepairPlannerName, latency));
            return;
        }
        _log.Info("task {0}: local repair of {1}: [{2}]", request.TaskId, subgoal, string.Join(", ", plan!.Describe()));
        Sender.Tell(new PlanReady(request.TaskId, plan, RepairPlannerName, latency) { Subgoals = PlanTree.Group(plan, _catalogue) });
    }

    /// <summary>The name local repairs carry (they are not the configured planner's).</summary>
    public const string RepairPlannerName = "repair";

    /// <summary>The name plans from the fast path carry (a remembered plan grounded in this scene; no planner call).</summary>
    public const string MemoryPlannerName = "memory";

    /// <summary>
    /// The fast path: the first remembered plan (most recent first) that, grounded in this scene by the goals' binding,
    /// passes the plan validator and, simulated from this scene, brings about every relation of the current goal.
    /// Null (the slow path: the planner) when there is none, on replans after an anomaly, and without a goal.
    /// </summary>
    private PlanReady? FromMemory(PlanRequest request)
    {
        if (request.Anomaly is not null || request.Goal is not { Relations.IsEmpty: false } goal || request.RememberedPlans.IsDefaultOrEmpty)
            return null;
        var started = Stopwatch.GetTimestamp();
        foreach (var remembered in request.RememberedPlans)
        {
            var plan = GroundRemembered(remembered, goal, request.Scene, _catalogue, out var why);
            if (plan is null)
            {
                _log.Info("task {0}: remembered plan of episode {1} does not fit: {2}", request.TaskId, remembered.EpisodeId, why);
                continue;
            }
            // Screened like any plan: a refused one goes to the slow path, whose plan is screened (and refused) in turn. A
            // flagged one is released only when a remembered review answers it (no escalation on the fast path).
            var verdict = _safety?.Screen(plan, request.Scene, request.Instruction ?? "");
            if (verdict is not null && Remembered(plan, request, verdict) is { } recalled) verdict = recalled;
            if (verdict is { Refused: true })
            {
                _log.Info("task {0}: the safety screen refused the remembered plan of episode {1}: {2}", request.TaskId, remembered.EpisodeId, verdict);
                continue;
            }
            var latency = Stopwatch.GetElapsedTime(started);
            // A plan's latency, but no planner call (PlannerCalls counts the slow path only).
            Core.Telemetry.CortexBotMetrics.PlanLatency.Record(latency.TotalMilliseconds);
            _log.Info("task {0}: plan [{1}] from memory (episode {2}) in {3:F1} ms", request.TaskId, string.Join(", ", plan.Describe()),
                remembered.EpisodeId, latency.TotalMilliseconds);
            return new PlanReady(request.TaskId, plan, MemoryPlannerName, latency)
                { Subgoals = PlanTree.Group(plan, _catalogue), FromEpisode = remembered.EpisodeId, Safety = verdict };
        }
        return null;
    }

    /// <summary>
    /// <paramref name="remembered"/>'s plan rewritten for <paramref name="goal"/> in <paramref name="scene"/>, when it is
    /// valid there and reaches every relation of the goal (a cube already in the bin, or a base that is now a container,
    /// makes it refuse); else null with why.
    /// </summary>
    public static Plan? GroundRemembered(RememberedPlan remembered, Core.Goals.TaskGoal goal, SceneSnapshot scene, SkillCatalogue catalogue, out string? why)
    {
        ArgumentNullException.ThrowIfNull(remembered);
        var plan = Core.Goals.GoalStructure.Ground(remembered.Plan, remembered.Goal, goal, scene, out why);
        if (plan is null) return null;
        why = PlanValidator.Validate(plan, catalogue, scene);
        if (why is not null) return null;
        SymbolicState.Simulate(plan, catalogue, scene, out var final);
        var missing = final.Missing(goal).ToList();
        if (missing.Count > 0)
        {
            why = $"the grounded plan leaves {string.Join(", ", missing)} unmet";
            return null;
        }
        // Every step must still be needed: a relation that already holds in this scene means the scene is not the
        // remembered one (e.g. a cube already in the bin), and the planner should decide what is left to do.
        var start = SymbolicState.FromScene(scene);
        if (goal.Relations.FirstOrDefault(start.Holds) is { } already)
        {
            why = $"{already} already holds in this scene";
            return null;
        }
        return plan;
    }

    private void OnPlanningFinished(PlanningFinished finished)
    {
        var attempt = finished.Attempt;
        // The planner's task has completed, so nothing uses the token any more.
        attempt.Cancellation.Dispose();
        if (!IsCurrent(attempt))
        {
            _log.Debug("dropping the late result of planner {0} for task {1}", _planner.Name, attempt.Request.TaskId);
            return;
        }

        object reply;
        if (finished.Error is { } error)
        {
            var cause = Unwrap(error);
            _log.Error(cause, "planner {0} failed for task {1}", _planner.Name, attempt.Request.TaskId);
            reply = Refused(attempt, $"planner '{_planner.Name}' failed: {cause.Message}");
        }
        else if (finished.Result is not { } result)
            reply = Refused(attempt, $"planner '{_planner.Name}' returned nothing");
        else if (result.Plan is not { } plan)
            reply = Refused(attempt, string.IsNullOrWhiteSpace(result.Refusal) ? $"planner '{_planner.Name}' gave neither a plan nor a reason" : result.Refusal);
        else if (PlanValidator.Validate(plan, _catalogue, attempt.Request.Scene) is { } invalid)
        {
            _log.Warning("planner {0} made an invalid plan for task {1}: {2}", _planner.Name, attempt.Request.TaskId, invalid);
            reply = Refused(attempt, $"invalid plan from planner '{_planner.Name}': {invalid}");
        }
        else
        {
            var verdict = _safety?.Screen(plan, attempt.Request.Scene, attempt.Request.Instruction ?? "");
            if (verdict is not null && _safety!.Reviewer is not null && SafetyReviewFlow.Reviewable(verdict))
            {
                if (Remembered(plan, attempt.Request, verdict) is { } recalled) verdict = recalled;
                else
                {
                    Escalate(attempt, plan, _safety.CaseOf(plan, attempt.Request.Scene, attempt.Request.Instruction ?? "", verdict));
                    return;
                }
            }
            reply = Release(attempt, plan, verdict);
        }
        Core.Telemetry.CortexBotMetrics.PlannerCalls.Add(1, new KeyValuePair<string, object?>("outcome", reply is PlanReady ? "plan" : "refused"));
        Finish(attempt, reply, cancel: false);
    }

    /// <summary>The plan with its safety verdict: refused (the reason names the rule) or released.</summary>
    private object Release(Attempt attempt, Plan plan, SafetyVerdict? verdict)
    {
        if (verdict is { Refused: true })
        {
            _log.Info("safety screen refused the plan [{0}] for task {1}: {2}", string.Join(", ", plan.Describe()), attempt.Request.TaskId, verdict);
            return Refused(attempt, $"safety: {verdict}") with { Safety = verdict };
        }
        if (verdict is { Decision: SafetyDecision.Modify }) _log.Info("safety screen modified the plan for task {0}: {1}", attempt.Request.TaskId, verdict);
        Core.Telemetry.CortexBotMetrics.PlanLatency.Record(attempt.Elapsed.TotalMilliseconds);
        _log.Info("task {0}: plan [{1}] from {2} in {3:F0} ms", attempt.Request.TaskId, string.Join(", ", plan.Describe()), _planner.Name, attempt.Elapsed.TotalMilliseconds);
        return new PlanReady(attempt.Request.TaskId, plan, _planner.Name, attempt.Elapsed) { Subgoals = PlanTree.Group(plan, _catalogue), Safety = verdict };
    }

    /// <summary>
    /// A flagged plan's verdict from a remembered review of the same case (the request's facts from the hippocampus, or a
    /// review this cortex made), re-screened; null when there is none, no reviewer is configured, or the plan is not a case.
    /// </summary>
    private SafetyVerdict? Remembered(Plan plan, PlanRequest request, SafetyVerdict fast)
    {
        if (_safety?.Reviewer is null || !SafetyReviewFlow.Reviewable(fast)) return null;
        var safetyCase = _safety.CaseOf(plan, request.Scene, request.Instruction ?? "", fast);
        var known = request.SafetyFacts.IsDefaultOrEmpty ? _reviewed.Values : request.SafetyFacts.Concat(_reviewed.Values);
        var recalled = _safety.Recall(safetyCase, known);
        if (recalled is not null)
            _log.Info("task {0}: safety case {1} answered from memory ({2}, reviewed by {3}): {4}", request.TaskId, safetyCase.Key,
                recalled.Review!.Verdict, recalled.Review.Reviewer, recalled);
        return recalled;
    }

    /// <summary>Asks the slow reasoning brain off the actor's thread; the plan's timer keeps running (planning and review share it).</summary>
    private void Escalate(Attempt attempt, Plan plan, SafetyCase safetyCase)
    {
        var flow = _safety!;
        attempt.Cancellation = new CancellationTokenSource();
        attempt.Reviewing = true;
        var token = attempt.Cancellation.Token;
        var taskId = attempt.Request.TaskId;
        _log.Info("task {0}: plan [{1}] flagged ({2}); escalating case {3} to the safety reviewer {4}", taskId, string.Join(", ", plan.Describe()),
            string.Join("; ", safetyCase.Flags), safetyCase.Key, flow.Reviewer!.Name);
        Task.Run(() => flow.ReviewAsync(safetyCase, taskId, token), CancellationToken.None)
            .PipeTo(Self,
                success: r => new ReviewFinished(attempt, plan, r.Verdict, r.Fact, null),
                failure: e => new ReviewFinished(attempt, plan, null, null, e));
    }

    private void OnReviewFinished(ReviewFinished finished)
    {
        var attempt = finished.Attempt;
        attempt.Cancellation.Dispose();
        if (finished.Fact is { } fact)
        {
            // Knowledge even when the attempt is gone (superseded, timed out): the same case is answered from it next time.
            if (_reviewed.Count >= MaxReviewedKept) _reviewed.Clear();
            _reviewed[fact.CaseKey] = fact;
        }
        if (!IsCurrent(attempt))
        {
            _log.Debug("dropping the late safety review for task {0}", attempt.Request.TaskId);
            return;
        }
        object reply;
        if (finished.Error is { } error || finished.Verdict is null)
        {
            var cause = finished.Error is null ? "no verdict" : Unwrap(finished.Error).Message;
            _log.Error("safety review failed for task {0}: {1}", attempt.Request.TaskId, cause);
            reply = Refused(attempt, $"safety review failed: {cause}");
        }
        else
        {
            _log.Info("task {0}: safety review in {1:F0} ms: {2}", attempt.Request.TaskId, finished.Verdict.ReviewMs, finished.Verdict);
            reply = Release(attempt, finished.Plan, finished.Verdict);
        }
        Core.Telemetry.CortexBotMetrics.PlannerCalls.Add(1, new KeyValuePair<string, object?>("outcome", reply is PlanReady ? "plan" : "refused"));
        Finish(attempt, reply, cancel: false);
    }

    private void OnTimedOut(PlanningTimedOut timedOut)
    {
        var attempt = timedOut.Attempt;
        if (!IsCurrent(attempt)) return;
        var seconds = _planTimeout.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture);
        string what = attempt.Reviewing ? $"safety review by {_safety!.Reviewer!.Name}" : $"planner {_planner.Name}";
        _log.Warning("{0} timed out after {1} s on task {2}", what, seconds, attempt.Request.TaskId);
        Core.Telemetry.CortexBotMetrics.PlannerCalls.Add(1, new KeyValuePair<string, object?>("outcome", "timed_out"));
        Finish(attempt, Refused(attempt, attempt.Reviewing ? $"safety review timed out after {seconds} s (planning and review share --plan-timeout)" : $"planner timed out after {seconds} s"), cancel: true);
    }

    private void OnCancel(CancelPlanning cancel)
    {
        if (!_pending.TryGetValue(cancel.TaskId, out var attempt))
        {
            _log.Debug("nothing to cancel for task {0}", cancel.TaskId);
            return;
        }
        _log.Info("planning cancelled for task {0}", cancel.TaskId);
        Finish(attempt, Refused(attempt, "planning was cancelled"), cancel: true);
    }

    /// <summary>Replies to the requester and forgets the attempt; <paramref name="cancel"/> tells a still-running planner to stop.</summary>
    private void Finish(Attempt attempt, object reply, bool cancel)
    {
        _pending.Remove(attempt.Request.TaskId);
        Timers.Cancel(TimerKey(attempt.Request.TaskId));
        // Not disposed here: the planner may still hold the token; PlanningFinished disposes it.
        if (cancel) CancelQuietly(attempt);
        attempt.ReplyTo.Tell(reply, Self);
    }

    /// <summary>Cancels the planner's token; a planner's cancellation callback that throws is logged, not allowed to crash the cortex.</summary>
    private void CancelQuietly(Attempt attempt)
    {
        try { attempt.Cancellation.Cancel(); }
        catch (AggregateException e) { _log.Warning("planner {0} threw while being cancelled: {1}", _planner.Name, Unwrap(e).Message); }
    }

    protected override void PostStop()
    {
        // Stopped or restarting: nobody will answer these requests otherwise.
        foreach (var attempt in _pending.Values.ToList())
        {
            CancelQuietly(attempt);
            attempt.ReplyTo.Tell(Refused(attempt, "the cortex stopped while planning"), ActorRefs.NoSender);
        }
        _pending.Clear();
        base.PostStop();
    }

    private bool IsCurrent(Attempt attempt) =>
        _pending.TryGetValue(attempt.Request.TaskId, out var current) && ReferenceEquals(current, attempt);

    private PlanRefused Refused(Attempt attempt, string reason) =>
        new(attempt.Request.TaskId, reason, _planner.Name, attempt.Elapsed);

    private static async Task<CameraFrame?> CaptureQuietly(ISceneCamera camera, ILoggingAdapter log, CancellationToken token)
    {
        try
        {
            return await camera.CaptureAsync(token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            log.Warning("camera capture failed ({0}); planning from the scene description alone", e.Message);
            return null;
        }
    }

    private static string TimerKey(Guid taskId) => $"plan-timeout-{taskId:N}";

    private static Exception Unwrap(Exception e)
    {
        while (e is AggregateException { InnerExceptions.Count: 1 } agg && agg.InnerException is { } inner) e = inner;
        return e;
    }
}
