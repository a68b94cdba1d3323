using Akka.Actor;
using Akka.Event;
using CortexBot.Cerebellum.Control;
using CortexBot.Cerebellum.Skills;
using CortexBot.Core;
using CortexBot.Core.Messages;
using CortexBot.Core.Ports;

namespace CortexBot.Cerebellum;

/// <summary>
/// The cerebellum's mailbox: skill commands in, results and anomalies out, and the robot clock and episode traces on
/// request. It compiles skills off the control thread and hands them to the <see cref="ControlLoop"/>, which owns the arm
/// at tick rate. A restart of this actor leaves the loop holding the last safe position.
/// </summary>
public sealed class CerebellumActor : ReceiveActor
{
    private readonly ControlLoop _loop;
    private readonly SkillCompiler _compiler;
    private readonly IScenePerception _perception;
    private readonly SpeedCapping? _capping;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private Running? _running;
    private (ExecuteSkill Command, IActorRef ReplyTo)? _receiving;

    private sealed record Running(ExecuteSkill Command, IActorRef ReplyTo);
    /// <param name="EndTick">The tick after the one that ended the program, read on the control thread.</param>
    private sealed record ProgramEnded(ExecuteSkill Command, ProgramReport Report, long EndTick);

    private long _lastSkillEndTick = -1;

    /// <param name="capping">How a skill's safety speed cap is honoured; without it a capped skill is refused, never run uncapped.</param>
    public CerebellumActor(ControlLoop loop, SkillCompiler compiler, IScenePerception perception, SpeedCapping? capping = null)
    {
        _loop = loop;
        _compiler = compiler;
        _perception = perception;
        _capping = capping;

        Receive<ExecuteSkill>(Execute);
        // a cap asked for between skills (a mid-plan safety review): no lower than a running skill's own
        Receive<CapToolSpeed>(c =>
        {
            if (_capping is null || !(c.MetresPerSecond > 0)) return;
            double running = _running?.Command.MaxToolSpeed ?? double.PositiveInfinity;
            _capping.Gate.CapToolSpeed(_running is null ? c.MetresPerSecond : Math.Min(running, c.MetresPerSecond));
        });
        Receive<ProgramEnded>(Ended);
        Receive<AbortSkill>(a => _loop.Abort(a.Reason));
        Receive<Settle>(s =>
        {
            var replyTo = Sender;
            _loop.HoldForAsync(s.Seconds).PipeTo(replyTo, success: () => new Settled());
        });
        // The robot clock and the episode trace belong to the loop; an episode (on the brain node after the split) asks here.
        Receive<GetRobotClock>(_ => Sender.Tell(new RobotClock(_loop.TotalTicks, _loop.Options.Period, _running is null ? _lastSkillEndTick : -1)));
        Receive<BeginEpisodeTrace>(b =>
        {
            long start = _loop.TotalTicks;
            _loop.Trace?.Begin(start);
            Sender.Tell(new EpisodeTraceStarted(b.TaskId, start, _loop.Options.Period));
        });
        Receive<EndEpisodeTrace>(e =>
        {
            // Copied off the control thread's preallocated buffer; the tick is never touched.
            long end = _loop.TotalTicks;
            Sender.Tell(new EpisodeTraceEnded(e.TaskId, (end - e.StartTick) * _loop.Options.Period, _loop.Trace?.Read(e.StartTick, end)));
        });
    }

    public static Props Props(ControlLoop loop, SkillCompiler compiler, IScenePerception perception, SpeedCapping? capping = null) =>
        Akka.Actor.Props.Create(() => new CerebellumActor(loop, compiler, perception, capping));

    private void Execute(ExecuteSkill cmd)
    {
        _receiving = (cmd, Sender);
        ExecuteCore(cmd);
        _receiving = null;
    }

    private void ExecuteCore(ExecuteSkill cmd)
    {
        if (_running is not null)
        {
            Sender.Tell(new SkillResult(cmd.TaskId, cmd.StepIndex, cmd.Skill, SkillOutcome.Failed, $"busy running {_running.Command.Skill}", TimeSpan.Zero, null));
            return;
        }
        if (cmd.MaxToolSpeed is { } capAsked && (_capping is null || !(capAsked > 0)))
        {
            var why = _capping is null ? $"a safety speed cap of {capAsked} m/s was asked for and this cerebellum cannot enforce one" : $"bad safety speed cap {capAsked} m/s";
            _log.Warning("skill {0} refused: {1}", cmd.Skill, why);
            Sender.Tell(new SkillResult(cmd.TaskId, cmd.StepIndex, cmd.Skill, SkillOutcome.Failed, why, TimeSpan.Zero, new Anomaly(AnomalyKinds.Fault, why, MonotonicClock.NowNs)));
            return;
        }
        var compiler = cmd.MaxToolSpeed is { } cap ? _capping!.CompilerFor(cap) : _compiler;
        var compiled = compiler.Compile(cmd.Skill, _perception.Snapshot(), _loop.CurrentArm(), cmd.Tuning);
        if (compiled.Program is null)
        {
            var anomaly = new Anomaly(compiled.ErrorKind ?? AnomalyKinds.Fault, compiled.Error ?? "skill could not be compiled", MonotonicClock.NowNs);
            _log.Warning("skill {0} refused: {1}", cmd.Skill, compiled.Error);
            Sender.Tell(new SkillResult(cmd.TaskId, cmd.StepIndex, cmd.Skill, SkillOutcome.Failed, compiled.Error, TimeSpan.Zero, anomaly));
            return;
        }
        _running = new Running(cmd, Sender);
        // the gate holds the skill to its cap on every command (and lifts a cap left from before)
        _capping?.Gate.CapToolSpeed(cmd.MaxToolSpeed ?? double.PositiveInfinity);
        var self = Self;
        var loop = _loop;
        // Called once on the control thread, inside the tick that ends the program; Tell is the only thing it does there.
        _loop.Submit(compiled.Program, report => self.Tell(new ProgramEnded(cmd, report, loop.TotalTicks + 1)), cmd.SentUnixNs);
    }

    private void Ended(ProgramEnded ended)
    {
        if (_running is null || !ReferenceEquals(_running.Command, ended.Command)) return;
        var (cmd, replyTo) = (_running.Command, _running.ReplyTo);
        _running = null;
        _lastSkillEndTick = ended.EndTick;
        _capping?.Gate.CapToolSpeed(double.PositiveInfinity);
        var r = ended.Report;
        Anomaly? anomaly = null;
        if (r.Status != ProgramStatus.Succeeded)
        {
            anomaly = new Anomaly(r.AnomalyKind ?? AnomalyKinds.Fault, $"{cmd.Skill}: {r.Detail}", r.StampNs);
            _log.Warning("skill {0} failed: {1}", cmd.Skill, anomaly);
            Context.Parent.Tell(new AnomalyDetected(cmd.TaskId, anomaly));
        }
        var outcome = r.Status == ProgramStatus.Succeeded ? SkillOutcome.Succeeded : SkillOutcome.Failed;
        replyTo.Tell(new SkillResult(cmd.TaskId, cmd.StepIndex, cmd.Skill, outcome, r.Detail, TimeSpan.FromSeconds(r.DurationS), anomaly));
    }

    protected override void PreRestart(Exception reason, object message)
    {
        // The arm must not keep following a program whose owner crashed: hold, and tell the requester.
        _loop.Abort("cerebellum restarted");
        var pending = _running is { } run ? (run.Command, run.ReplyTo) : _receiving;
        if (pending is { } r)
            r.ReplyTo.Tell(new SkillResult(r.Command.TaskId, r.Command.StepIndex, r.Command.Skill, SkillOutcome.Aborted, $"cerebellum restarted: {reason.Message}", TimeSpan.Zero,
                new Anomaly(AnomalyKinds.Fault, reason.Message, MonotonicClock.NowNs)));
        base.PreRestart(reason, message);
    }

    protected override void PostStop()
    {
        if (_running is not null) _loop.Abort("cerebellum stopped");
        base.PostStop();
    }
}
