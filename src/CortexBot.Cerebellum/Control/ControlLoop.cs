using System.Collections.Concurrent;
using System.Globalization;
using System.Runtime;
using System.Runtime.CompilerServices;
using CortexBot.Cerebellum.Skills;
using CortexBot.Core.Messages;
using CortexBot.Core.Ports;
using Microsoft.Extensions.Logging;

namespace CortexBot.Cerebellum.Control;

public enum Pacing
{
    /// <summary>The control thread sleeps to absolute deadlines: one tick per period of wall time.</summary>
    Realtime,
    /// <summary>Lockstep as fast as physics allows: ticks run back to back while there is work.</summary>
    Fast,
}

public sealed record ControlLoopOptions
{
    public double RateHz { get; init; } = 500;
    public Pacing Pacing { get; init; } = Pacing.Realtime;
    public bool UseRealtimePriority { get; init; } = true;
    public int RealtimePriority { get; init; } = 80;
    /// <summary>Bounds of the per-tick anomaly screen applied to every running program.</summary>
    public AnomalyLimits Anomalies { get; init; } = new();
    /// <summary>Sample rate of the episode trace (robot time); 0 records none.</summary>
    public double TraceRateHz { get; init; } = 25;
    public double Period => 1.0 / RateHz;
}

/// <summary>How a program ended; made once per program on the control thread and handed to the submitter.</summary>
public sealed record ProgramReport(string Program, ProgramStatus Status, string? AnomalyKind, string? Detail, double DurationS, long StampNs);

public sealed record ControlStats(
    double TargetHz, double AchievedHz, long Ticks, long LateTicks,
    long JitterP50Us, long JitterP99Us, long JitterMaxUs, string Pacing, bool RealtimePriority, double SimulatedSeconds);

/// <summary>
/// The cerebellum's control loop on a dedicated OS thread. Each tick: read state, compute the command inline from the
/// active skill program (or hold), write it. The tick allocates nothing, takes no lock shared with slow code, and never
/// waits on actors or the planner; skill programs arrive through a single-slot handoff.
/// <para>Trajectory controllers: when the link takes whole trajectories (<see cref="ITrajectoryLink.TakesTrajectories"/>:
/// joint_trajectory_controller over its topic or action), the loop hands it each motion once, on the tick it begins
/// (<see cref="IControlProgram.TakeTrajectory"/>: a skill's segment, a policy's chunk, sampled before the tick), and keeps
/// computing and writing the same motion tick by tick: the anomaly screen compares the measured state with it, and the
/// link sends only what the trajectory does not carry. A trajectory the link (its safety gate) refuses fails the program
/// with <see cref="AnomalyKinds.TrajectoryRefused"/>; a fault the controller reports (an aborted goal, a path or goal
/// tolerance violated) fails it with the fault's kind, and the arm holds where it is; a program that fails or is aborted
/// cancels its trajectory. Everything else (the forward interface, the embedded simulator) streams a command a tick.</para>
/// </summary>
public sealed class ControlLoop : IControlLoop, IDisposable
{
    private readonly IRobotLink _link;
    /// <summary>The safety gate when the loop drives one: the tracking screen compares against what it really sent.</summary>
    private readonly IMotionGuard? _guard;
    private readonly JointCommandBuffer _sent, _sentBefore;
    private long _gateHeldTicks;
    /// <summary>The active program's motion is over; the loop waits for the gate to pass its last command on.</summary>
    private bool _settling;
    private readonly ITrajectoryLink? _trajectories;
    private bool _sendTrajectories;
    private long _faultsSeen;
    private long _trajectoriesSent;
    private readonly ControlLoopOptions _options;
    private readonly ILogger _log;
    private readonly RobotStateBuffer _state;
    private readonly JointCommandBuffer _command;
    private readonly JointCommandBuffer _hold;
    private readonly JitterHistogram _jitter = new();
    // per tick of a tracked program: the largest joint error, last command vs measurement (micro-radians)
    private readonly JitterHistogram _tracking = new();
    // per stamped command: its send (ExecuteSkill.SentUnixNs) to the first tick that wrote its motion (microseconds)
    private readonly JitterHistogram _commandLatency = new();
    private readonly AnomalyMonitor _monitor;
    private readonly ConcurrentQueue<(Action action, TaskCompletionSource done)> _actions = new();
    private readonly SemaphoreSlim _wake = new(0);
    private readonly Thread _thread;
    private readonly double _period;
    private readonly long _periodNs;

    // Published state (seqlock): written by the control thread, copied by readers.
    private readonly double[] _pubPosition;
    private readonly double[] _pubVelocity;
    private readonly double[] _pubCommand;
    private double _pubGripper;
    private long _pubStamp;
    private int _seq;

    private Pending? _pending;
    private string? _abort;
    private IControlProgram? _active;
    private Action<ProgramReport>? _activeDone;
    private long _activeStartTick;
    private long _adoptedSentUnixNs;
    private long _tick;
    private long _ticksInWindow;
    private long _lateTicks;
    private long _windowStartNs;
    private long _windowStartTick;
    private volatile bool _running;
    private bool _realtimePriority;

    private sealed record Pending(IControlProgram Program, Action<ProgramReport> Done, long SentUnixNs);

    /// <param name="objectPoses">When given, the trace also records the poses of <paramref name="tracedObjects"/> (for replays and videos).</param>
    public ControlLoop(IRobotLink link, ControlLoopOptions options, ILogger<ControlLoop> log,
        IObjectPoses? objectPoses = null, IReadOnlyList<string>? tracedObjects = null)
    {
        if (!(options.RateHz is > 0 and <= 10_000)) throw new Core.ConfigurationException($"control rate must be between 0 and 10000 Hz, got {options.RateHz}");
        _link = link;
        _trajectories = link as ITrajectoryLink;
        _guard = link as IMotionGuard;
        _options = options;
        _log = log;
        int n = link.JointNames.Count;
        _state = new RobotStateBuffer(n);
        _command = new JointCommandBuffer(n);
        _hold = new JointCommandBuffer(n);
        _sent = new JointCommandBuffer(n);
        _sentBefore = new JointCommandBuffer(n);
        _pubPosition = new double[n];
        _pubVelocity = new double[n];
        _pubCommand = new double[n];
        _period = options.Period;
        _periodNs = (long)Math.Round(_period * 1e9);
        _monitor = new AnomalyMonitor(link.JointNames, options.Anomalies);
        if (options.TraceRateHz < 0 || !double.IsFinite(options.TraceRateHz))
            throw new Core.ConfigurationException($"trace rate must be 0 (off) or positive, got {options.TraceRateHz}");
        Trace = options.TraceRateHz > 0 ? new TraceRecorder(link.JointNames, options.RateHz, Math.Min(options.TraceRateHz, options.RateHz),
            objects: objectPoses, objectNames: tracedObjects) : null;
        _thread = new Thread(Run) { IsBackground = true, Name = "cerebellum-control" };
    }

    public ControlLoopOptions Options => _options;

    /// <summary>Records episode traces on the control thread (null when <see cref="ControlLoopOptions.TraceRateHz"/> is 0).</summary>
    public TraceRecorder? Trace { get; }
    public int Joints => _state.Joints;
    public bool IsRunning => _running;
    public bool HasActiveProgram => Volatile.Read(ref _active) is not null || Volatile.Read(ref _pending) is not null;

    public void Start()
    {
        if (_running) return;
        Prepare();
        _running = true;
        _thread.Start();
    }

    /// <summary>Test hook: prepare without the thread; the test then drives ticks with <see cref="TickOnce"/>.</summary>
    internal void PrepareInline() => Prepare();
    internal void TickOnce() => Tick();

    /// <summary>
    /// Percentile <paramref name="p"/> (percent) of the tracking error: the largest joint error between the last command and
    /// the measurement, on every tick of a program the screen tracks, in radians, since the stats were last reset.
    /// </summary>
    public double TrackingErrorPercentile(double p) => _tracking.Percentile(p) / 1e6;

    /// <summary>Motions handed to the link as whole trajectories (0 when it streams a command a tick).</summary>
    public long TrajectoriesSent => Interlocked.Read(ref _trajectoriesSent);

    private void Prepare()
    {
        _link.Start(_period);
        _sendTrajectories = _trajectories is { TakesTrajectories: true };
        if (_sendTrajectories) _faultsSeen = _trajectories!.Faults;
        if (!_link.Read(_state) || !_state.IsFinite())
            throw new InvalidOperationException("the robot link gave no valid joint state at start; refusing to command the arm");
        for (int i = 0; i < _state.Joints; i++) _hold.Position[i] = _state.Position[i];
        _hold.GripperOpening = _state.GripperOpening;
        _command.CopyFrom(_hold);
        Publish();
    }

    /// <summary>Run <paramref name="program"/> from the next tick; <paramref name="done"/> is called on the control thread when it ends.</summary>
    /// <param name="sentUnixNs">When the command behind it was sent (<see cref="Core.WallClock.UnixNs"/>; 0: not stamped): the tick
    /// that first writes the program's command records the latency (<see cref="CommandLatency"/>).</param>
    public void Submit(IControlProgram program, Action<ProgramReport> done, long sentUnixNs = 0)
    {
        var previous = Interlocked.Exchange(ref _pending, new Pending(program, done, sentUnixNs));
        previous?.Done(new ProgramReport(previous.Program.Name, ProgramStatus.Failed, AnomalyKinds.Fault, "replaced before it started", 0, Core.MonotonicClock.NowNs));
        _wake.Release();
    }

    /// <summary>
    /// Runs one program and completes once the tick that ended it has also written its command (and, in a simulator,
    /// stepped the physics): the program's callback runs inside that tick, so reading the world right away would race
    /// with its last step. Cancelling aborts the program.
    /// </summary>
    public async Task<ProgramReport> RunAsync(IControlProgram program, CancellationToken ct = default)
    {
        var done = new TaskCompletionSource<(ProgramReport Report, long Tick)>(TaskCreationOptions.RunContinuationsAsynchronously);
        Submit(program, r => done.TrySetResult((r, TotalTicks)));
        (ProgramReport Report, long Tick) ended;
        try { ended = await done.Task.WaitAsync(ct); }
        catch (OperationCanceledException) { Abort("cancelled"); throw; }
        var spin = new SpinWait();
        while (_running && TotalTicks <= ended.Tick) spin.SpinOnce();
        return ended.Report;
    }

    /// <summary>The arm as a skill compiles from it: the latest command (so motion continues where it is headed) and the gripper.</summary>
    public ArmContext CurrentArm() => new(LatestCommand(), LatestGripperCommand, LatestState().GripperOpening);

    /// <summary>Stop the running program at the next tick and hold the last command.</summary>
    public void Abort(string reason)
    {
        // A program submitted but not adopted yet is aborted here, or the next tick would consume the abort with nothing
        // running and then start it. (Taken off the slot atomically: if the tick adopted it first, the flag stops it.)
        if (Interlocked.Exchange(ref _pending, null) is { } notStarted)
            notStarted.Done(new ProgramReport(notStarted.Program.Name, ProgramStatus.Failed, AnomalyKinds.Fault, reason, 0, Core.MonotonicClock.NowNs));
        Volatile.Write(ref _abort, reason);
        _wake.Release();
    }

    /// <summary>Run a rare action (scene reset, re-homing the hold target) on the control thread between ticks.</summary>
    public Task InvokeAsync(Action action)
    {
        var tcs = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        if (!_running) { try { action(); tcs.SetResult(); } catch (Exception e) { tcs.SetException(e); } return tcs.Task; }
        _actions.Enqueue((action, tcs));
        _wake.Release();
        return tcs.Task;
    }

    /// <summary>After the world changed under the arm (reset), hold where the arm now is.</summary>
    public void RehomeHoldTarget()
    {
        if (_link.Read(_state) && _state.IsFinite())
        {
            for (int i = 0; i < _state.Joints; i++) _hold.Position[i] = _state.Position[i];
            _hold.GripperOpening = _state.GripperOpening;
            _command.CopyFrom(_hold);
            Publish();
        }
    }

    /// <summary>Advance the loop by holding still for <paramref name="seconds"/> (lets objects settle in fast mode too).</summary>
    public Task HoldForAsync(double seconds)
    {
        var tcs = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var cmd = (double[])LatestCommand().Clone();
        var seg = new Segment { Kind = SegmentKind.Wait, Label = "settle", From = cmd, To = cmd, Duration = seconds, Gripper = _hold.GripperOpening };
        Submit(new SkillProgram("settle", [seg], 0), _ => tcs.TrySetResult());
        return tcs.Task;
    }

    public RobotStateSnapshot LatestState()
    {
        var pos = new double[_pubPosition.Length];
        var vel = new double[_pubVelocity.Length];
        double grip;
        long stamp;
        int s1, s2;
        do
        {
            s1 = Volatile.Read(ref _seq);
            Array.Copy(_pubPosition, pos, pos.Length);
            Array.Copy(_pubVelocity, vel, vel.Length);
            grip = _pubGripper;
            stamp = _pubStamp;
            s2 = Volatile.Read(ref _seq);
        } while ((s1 & 1) != 0 || s1 != s2);
        return new RobotStateSnapshot(stamp, [.. pos], [.. vel], grip);
    }

    public double[] LatestCommand()
    {
        var cmd = new double[_pubCommand.Length];
        int s1, s2;
        do
        {
            s1 = Volatile.Read(ref _seq);
            Array.Copy(_pubCommand, cmd, cmd.Length);
            s2 = Volatile.Read(ref _seq);
        } while ((s1 & 1) != 0 || s1 != s2);
        return cmd;
    }

    public double LatestGripperCommand => Volatile.Read(ref _hold.GripperOpening);

    public void ResetStats() => InvokeAsync(ResetStatsOnThread);

    private void ResetStatsOnThread()
    {
        _jitter.Clear();
        _tracking.Clear();
        _commandLatency.Clear();
        _lateTicks = 0;
        _ticksInWindow = 0;
        _windowStartNs = Posix.NowNs();
        _windowStartTick = _tick;
    }

    public ControlStats Stats()
    {
        double elapsed = (Posix.NowNs() - Volatile.Read(ref _windowStartNs)) / 1e9;
        long ticks = Volatile.Read(ref _ticksInWindow);
        bool rt = _options.Pacing == Pacing.Realtime;
        return new ControlStats(
            _options.RateHz,
            elapsed > 0 ? Math.Round(ticks / elapsed, 1) : 0,
            ticks,
            Volatile.Read(ref _lateTicks),
            rt ? _jitter.Percentile(50) : 0,
            rt ? _jitter.Percentile(99) : 0,
            rt ? _jitter.MaxUs : 0,
            rt ? "realtime" : "fast",
            _realtimePriority,
            Math.Round((_tick - _windowStartTick) * _period, 3));
    }

    /// <summary>
    /// Stamped commands timed since the last <see cref="ResetStats"/>, and their latency from send to the first tick that
    /// wrote their motion: p50, p99 and max in microseconds (read from any thread; percentiles of a histogram the tick
    /// fills, so a read racing a tick may be off by that tick).
    /// </summary>
    public (long Count, long P50Us, long P99Us, long MaxUs) CommandLatency() =>
        (_commandLatency.Count, _commandLatency.Percentile(50), _commandLatency.Percentile(99), _commandLatency.MaxUs);

    private void Run()
    {
        bool realtime = _options.Pacing == Pacing.Realtime;
        // Blocking (gen2) collections would stop this thread along with every other managed thread; avoid them while controlling.
        if (realtime) GCSettings.LatencyMode = GCLatencyMode.SustainedLowLatency;
        WarmUp();
        if (realtime && _options.UseRealtimePriority)
        {
            var why = Posix.TryRealtime(_options.RealtimePriority);
            _realtimePriority = why is null;
            if (why is null) _log.LogInformation("control thread runs SCHED_FIFO priority {Priority} at {Rate} Hz", _options.RealtimePriority, _options.RateHz);
            else _log.LogWarning("control thread could not get real-time priority ({Reason}); running at normal priority, expect more jitter", why);
        }
        ResetStatsOnThread();
        var clock = new DeadlineClock(_periodNs);
        while (_running)
        {
            if (realtime)
            {
                long errorNs = clock.WaitNext(out bool lateTick);
                _jitter.Record(errorNs / 1000);
                Core.Telemetry.CortexBotMetrics.TickJitter.Record(errorNs / 1000.0);
                if (lateTick) { _lateTicks++; Core.Telemetry.CortexBotMetrics.LateTicks.Add(1); }
            }
            else if (_active is null && Volatile.Read(ref _pending) is null && _actions.IsEmpty && Volatile.Read(ref _abort) is null)
            {
                // Fast lockstep: nothing to do, so no physics to advance. Sleep until work arrives.
                _wake.Wait(50);
                continue;
            }

            try { Tick(); }
            catch (Exception e)
            {
                // A fault in a skill must never leave the arm without a command: hold and report.
                _log.LogError(e, "control tick failed; holding position");
                FinishActive(ProgramStatus.Failed, AnomalyKinds.Fault, e.Message);
                _command.CopyFrom(_hold);
                try { _link.Write(_command); } catch (Exception e2) { _log.LogError(e2, "robot link write failed while holding"); }
            }
        }
    }

    /// <summary>Compile the tick's code fully before the first deadline so tier-up never lands inside the loop.</summary>
    private static void WarmUp()
    {
        RuntimeHelpers.PrepareMethod(typeof(ControlLoop).GetMethod(nameof(Tick), System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Instance)!.MethodHandle);
        RuntimeHelpers.PrepareMethod(typeof(SkillProgram).GetMethod(nameof(SkillProgram.Step), System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Instance)!.MethodHandle);
        RuntimeHelpers.PrepareMethod(typeof(AnomalyMonitor).GetMethod(nameof(AnomalyMonitor.Screen))!.MethodHandle);
        RuntimeHelpers.PrepareMethod(typeof(TraceRecorder).GetMethod(nameof(TraceRecorder.Sample), System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Instance)!.MethodHandle);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void Tick()
    {
        while (_actions.TryDequeue(out var item))
        {
            try { item.action(); item.done.SetResult(); }
            catch (Exception e) { item.done.SetException(e); }
        }

        var abort = Interlocked.Exchange(ref _abort, null);
        if (abort is not null && _active is not null)
            FinishActive(ProgramStatus.Failed, AnomalyKinds.Fault, abort);

        // Read first, so a program adopted this tick begins from the current measurement.
        bool valid = _link.Read(_state) && _state.IsFinite();
        bool screened = false;
        if (valid) Trace?.Sample(_tick, _state);

        var pending = Interlocked.Exchange(ref _pending, null);
        if (pending is not null)
        {
            if (_active is not null) FinishActive(ProgramStatus.Failed, AnomalyKinds.Fault, "replaced by a new skill");
            _active = pending.Program;
            _activeDone = pending.Done;
            _gateHeldTicks = 0;
            _activeStartTick = _tick;
            _adoptedSentUnixNs = pending.SentUnixNs;
            // faults of earlier motions are not this program's
            if (_sendTrajectories) _faultsSeen = _trajectories!.Faults;
            if (valid)
            {
                _monitor.Begin(_tick, _state, _command, _active.ScreenTracking);
                _active.Begin(_tick, _state);
            }
        }
        if (!valid)
        {
            // No trustworthy measurement: stop whatever runs and hold the last command.
            if (_active is not null) FinishActive(ProgramStatus.Failed, AnomalyKinds.InvalidState, "joint state missing or not finite");
            _command.CopyFrom(_hold);
        }
        else if (_active is not null && !_monitor.Screen(_tick, _period, _state))
        {
            // Obstructed or running into a limit: hold where the arm is, not where it was told to go, so it stops pushing.
            bool holdMeasured = _monitor.Kind is AnomalyKinds.TrackingError or AnomalyKinds.JointLimit;
            FinishActive(ProgramStatus.Failed, _monitor.Kind, _monitor.Evidence, holdMeasured);
            _command.CopyFrom(_hold);
        }
        else if (_active is not null && _sendTrajectories && _trajectories!.Faults != _faultsSeen)
        {
            // The controller gave up the motion (aborted goal, tolerance violated): it holds the arm where it is; so do we.
            _faultsSeen = _trajectories.Faults;
            var fault = _trajectories.LastFault;
            FinishActive(ProgramStatus.Failed, fault?.Kind ?? AnomalyKinds.ControllerAborted, fault?.Detail ?? "the trajectory controller gave up the motion", holdMeasured: true);
            _command.CopyFrom(_hold);
        }
        else if (_active is not null)
        {
            if (_active.ScreenTracking)
            {
                double worst = 0;
                for (int i = 0; i < _state.Joints; i++) worst = Math.Max(worst, Math.Abs(_command.Position[i] - _state.Position[i]));
                _tracking.Record((long)(worst * 1e6));
            }
            // settling: the program's motion is over; its last command stays while the gate catches up
            var status = _settling ? ProgramStatus.Running : _active.Step(_tick, _period, _state, _command);
            if (!_settling && _sendTrajectories && _active.TakeTrajectory() is { } trajectory && status == ProgramStatus.Running)
            {
                if (_trajectories!.Execute(trajectory, out var refusal)) _trajectoriesSent++;
                else
                {
                    status = ProgramStatus.Failed;
                    FinishActive(status, AnomalyKinds.TrajectoryRefused, refusal ?? "the robot link refused the trajectory");
                    _command.CopyFrom(_hold);
                }
            }
            // with a gate, a motion is done when the arm was told its last command: the gate may still be bringing it
            // there (slowed in a speed zone) or hold it short (a keep-out zone); see CheckGate
            if (status == ProgramStatus.Succeeded && _guard is not null) _settling = true;
            else if (status != ProgramStatus.Running && _active is not null)
            {
                if (status == ProgramStatus.Succeeded) _hold.CopyFrom(_command);
                FinishActive(status, _active.FailureKind, _active.FailureDetail);
            }
            screened = true;
        }
        else
        {
            _command.CopyFrom(_hold);
        }

        _link.Write(_command);
        if (_adoptedSentUnixNs != 0)
        {
            // the first tick of a stamped command has written its motion (or the hold it failed to)
            _commandLatency.Record((Core.WallClock.UnixNs - _adoptedSentUnixNs) / 1000);
            _adoptedSentUnixNs = 0;
        }
        if (screened)
        {
            // the next measurement is screened against the command the arm got (a gate may have slowed or held it)
            if (_guard is null) _monitor.Commanded(_command);
            else
            {
                _sentBefore.CopyFrom(_sent);
                _guard.CopySent(_sent);
                _monitor.Commanded(_sent);
                if (_active is not null) CheckGate();
            }
        }
        Publish();
        _tick++;
        _ticksInWindow++;
    }

    /// <summary>How long the gate may keep a program's motion still (its command not passed on) before the program fails.</summary>
    private const double GateHoldDwell = 0.1;

    /// <summary>
    /// After this tick's write: a program settling ends when the gate has passed its last command on; a program whose
    /// command the gate keeps still (held at a keep-out zone's edge, the envelope, an emergency stop) for
    /// <see cref="GateHoldDwell"/> fails with <see cref="AnomalyKinds.SafetyHold"/>, so the cortex replans at once instead
    /// of a time-based motion "succeeding" short of its target.
    /// </summary>
    private void CheckGate()
    {
        double off = Math.Abs(_sent.GripperOpening - _command.GripperOpening), moved = Math.Abs(_sent.GripperOpening - _sentBefore.GripperOpening);
        int worst = 0;
        for (int i = 0; i < _command.Joints; i++)
        {
            double d = Math.Abs(_sent.Position[i] - _command.Position[i]);
            if (d > off) { off = d; worst = i; }
            moved = Math.Max(moved, Math.Abs(_sent.Position[i] - _sentBefore.Position[i]));
        }
        if (off <= 1e-9)
        {
            _gateHeldTicks = 0;
            if (_settling)
            {
                _settling = false;
                _hold.CopyFrom(_command);
                FinishActive(ProgramStatus.Succeeded, null, null);
            }
            return;
        }
        _gateHeldTicks = moved <= 1e-12 ? _gateHeldTicks + 1 : 0;
        if (_gateHeldTicks * _period >= GateHoldDwell)
        {
            _gateHeldTicks = 0;
            _settling = false;
            FinishActive(ProgramStatus.Failed, AnomalyKinds.SafetyHold, string.Create(CultureInfo.InvariantCulture,
                $"the safety gate held the arm for {GateHoldDwell * 1e3:0} ms, {_link.JointNames[worst]} {off * 1e3:F1} mrad short of the command (a keep-out zone's edge, the workspace envelope or an emergency stop)"));
            _command.CopyFrom(_sent);
            _hold.CopyFrom(_sent);
        }
    }

    private void FinishActive(ProgramStatus status, string? kind, string? detail, bool holdMeasured = false)
    {
        _settling = false;
        var program = _active;
        var done = _activeDone;
        if (program is null) return;
        if (status == ProgramStatus.Failed && kind is not null)
            Core.Telemetry.CortexBotMetrics.Anomalies.Add(1, new KeyValuePair<string, object?>("kind", kind));
        // Hold exactly what was last commanded, so stopping never jumps (the safety gate limits the step to the measured
        // position when the arm is obstructed).
        if (status != ProgramStatus.Succeeded) _hold.CopyFrom(_command);
        if (holdMeasured) Array.Copy(_state.Position, _hold.Position, _hold.Position.Length);
        // a trajectory controller would go on executing the motion on its own: stop it
        if (status != ProgramStatus.Succeeded && _sendTrajectories) _trajectories!.Cancel();
        _active = null;
        _activeDone = null;
        double duration = (_tick - _activeStartTick) * _period;
        bool anomaly = status == ProgramStatus.Failed && kind is not null;
        if (done is null && !anomaly) return;
        var report = new ProgramReport(program.Name, status, kind, detail, duration, Core.MonotonicClock.NowNs);
        if (anomaly) Volatile.Write(ref _lastAnomaly, report);
        done?.Invoke(report);
    }

    private ProgramReport? _lastAnomaly;

    /// <summary>The report of the latest program that failed with an anomaly (null: none yet); for diagnostics.</summary>
    public ProgramReport? LastAnomaly => Volatile.Read(ref _lastAnomaly);

    private void Publish()
    {
        Interlocked.Increment(ref _seq);
        Array.Copy(_state.Position, _pubPosition, _pubPosition.Length);
        Array.Copy(_state.Velocity, _pubVelocity, _pubVelocity.Length);
        Array.Copy(_command.Position, _pubCommand, _pubCommand.Length);
        _pubGripper = _state.GripperOpening;
        _pubStamp = _state.StampNs;
        Interlocked.Increment(ref _seq);
    }

    /// <summary>Ticks since the loop started; times robot activity in both pacing modes.</summary>
    public long TotalTicks => Volatile.Read(ref _tick);

    public void Dispose()
    {
        if (!_running) return;
        _running = false;
        _wake.Release();
        if (_thread.IsAlive) _thread.Join(TimeSpan.FromSeconds(2));
        if (_active is not null) FinishActive(ProgramStatus.Failed, AnomalyKinds.Fault, "controller stopped");
        while (_actions.TryDequeue(out var item)) item.done.TrySetCanceled();
    }
}
