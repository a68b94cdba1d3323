using System.Collections.Immutable;
using System.Globalization;
using CortexBot.Core.Messages;
using CortexBot.Core.Ports;

namespace CortexBot.Cerebellum.Control;

/// <summary>
/// Bounds of the control-rate anomaly screen. Defaults suit the embedded simulator, whose servos track a planned
/// motion within about 7 mrad; a real arm behind a ROS 2 controller lags more and wants wider bounds.
/// </summary>
public sealed record AnomalyLimits
{
    /// <summary>Joint tracking error (last command vs measurement, rad) that counts as the arm being obstructed ...</summary>
    public double TrackingLimit { get; init; } = 0.03;
    /// <summary>... when sustained this long (s). Short, so a blocked arm is caught within tens of milliseconds.</summary>
    public double TrackingDwell { get; init; } = 0.006;
    /// <summary>
    /// A smaller error (rad) also counts when the joint falls short of its commanded speed by <see cref="ObstructionSpeed"/>:
    /// an obstructed joint stops dead while its command moves on, long before the error reaches <see cref="TrackingLimit"/>.
    /// Not smaller: a joint accelerating hard at the start of a motion lags its command's speed with about 4 mrad of error.
    /// </summary>
    public double ObstructionError { get; init; } = 0.008;
    /// <summary>Commanded joint speed (rad/s) above which a joint that is behind and at under half that speed is obstructed.</summary>
    public double ObstructionSpeed { get; init; } = 0.15;
    /// <summary>
    /// Slow motion: a joint commanded faster than this (rad/s) that stays behind at under a quarter of its commanded speed
    /// for <see cref="StallDwell"/> has stalled, and is obstructed once it lags by <see cref="StallError"/>. Its error grows
    /// only as fast as the command moves, so <see cref="ObstructionError"/> would take too long to reach. A joint that
    /// merely lags while it starts to move speeds up: in the embedded simulator the quarter-speed shortfall lasted at
    /// most 18 ms (9 ticks at 500 Hz) in pick and place over 151 episodes (seeds 2000-2049, three cubes) unless the joint was blocked.
    /// </summary>
    public double StallSpeed { get; init; } = 0.03;
    /// <summary>How long (s) a shortfall must last to count as a stall; a stall needs no further <see cref="TrackingDwell"/>.</summary>
    public double StallDwell { get; init; } = 0.024;
    /// <summary>Lag (rad) that, with a shortfall lasting <see cref="StallDwell"/>, counts as an obstruction.</summary>
    public double StallError { get; init; } = 0.0015;
    /// <summary>Distance (rad) from a position limit inside which a joint may not keep moving towards it.</summary>
    public double JointLimitMargin { get; init; } = 0.01;
    /// <summary>Speed (rad/s) towards a limit that counts as moving towards it (noise stays well below).</summary>
    public double JointLimitSpeed { get; init; } = 0.05;
    /// <summary>Seconds a program may leave the arm and gripper still before it counts as stuck.</summary>
    public double NoProgressSeconds { get; init; } = 3.0;
    /// <summary>Joint (rad) or gripper (m) displacement that counts as progress.</summary>
    public double ProgressEpsilon { get; init; } = 0.002;
    /// <summary>Lower and upper position limit of each joint, in the link's joint order; empty disables the limit check.</summary>
    public ImmutableArray<(double Lower, double Upper)> JointRanges { get; init; } = [];

    public void Validate(int joints)
    {
        static bool Positive(double v) => double.IsFinite(v) && v > 0;
        if (!Positive(TrackingLimit) || !Positive(TrackingDwell) || !Positive(ObstructionError) || !Positive(ObstructionSpeed) || !Positive(StallSpeed) || !Positive(StallDwell) || !Positive(StallError) || !Positive(JointLimitMargin) || !Positive(JointLimitSpeed)
            || !Positive(NoProgressSeconds) || !Positive(ProgressEpsilon))
            throw new Core.ConfigurationException($"anomaly limits must be positive numbers: {this}");
        if (!JointRanges.IsDefaultOrEmpty && JointRanges.Length != joints)
            throw new Core.ConfigurationException($"anomaly limits name {JointRanges.Length} joint ranges for {joints} joints");
    }
}

/// <summary>
/// The cerebellum's fast screen (HD-Guard's "fast brain"): every tick, while a program runs, it checks what holds for
/// any program — the arm follows its commands, no joint runs into a limit, something moves — and names the first
/// violation with its evidence. Program-specific expectations (a held object, a target that stays put) are checked by
/// the programs themselves. Runs on the control thread: allocates only when it reports an anomaly, once per program.
/// </summary>
public sealed class AnomalyMonitor
{
    private readonly AnomalyLimits _limits;
    private readonly IReadOnlyList<string> _names;
    private readonly double[] _lastCommand;
    private readonly double[] _commandBefore;
    private readonly double[] _progressRef;
    private readonly long[] _shortfallTicks;
    private readonly bool _checkLimits;
    private double _progressGripperRef;
    private long _trackingBadTicks;
    private long _progressTick;
    private bool _screenTracking;

    public AnomalyMonitor(IReadOnlyList<string> jointNames, AnomalyLimits limits)
    {
        limits.Validate(jointNames.Count);
        _limits = limits;
        _names = jointNames;
        _lastCommand = new double[jointNames.Count];
        _commandBefore = new double[jointNames.Count];
        _progressRef = new double[jointNames.Count];
        _shortfallTicks = new long[jointNames.Count];
        _checkLimits = !limits.JointRanges.IsDefaultOrEmpty;
    }

    public AnomalyLimits Limits => _limits;
    public string? Kind { get; private set; }
    public string? Evidence { get; private set; }

    /// <summary>A program starts at <paramref name="tick"/> from the measured <paramref name="state"/>.</summary>
    public void Begin(long tick, RobotStateBuffer state, JointCommandBuffer lastCommand, bool screenTracking = true)
    {
        _screenTracking = screenTracking;
        Array.Copy(lastCommand.Position, _lastCommand, _lastCommand.Length);
        Array.Copy(lastCommand.Position, _commandBefore, _commandBefore.Length);
        Array.Copy(state.Position, _progressRef, _progressRef.Length);
        _progressGripperRef = state.GripperOpening;
        _progressTick = tick;
        _trackingBadTicks = 0;
        Array.Clear(_shortfallTicks);
        Kind = Evidence = null;
    }

    /// <summary>
    /// Screen this tick's measurement against the command sent last tick. Returns false, with <see cref="Kind"/> and
    /// <see cref="Evidence"/> set, when the running program must stop.
    /// </summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public bool Screen(long tick, double period, RobotStateBuffer state)
    {
        int n = state.Joints;
        if (_screenTracking)
        {
            int worst = 0;
            double worstErr = 0;
            bool bad = false, stalled = false;
            for (int i = 0; i < n; i++)
            {
                double e = Math.Abs(_lastCommand[i] - state.Position[i]);
                // The evidence names an offending joint, not merely the one with the largest error.
                if (!bad && e > worstErr) { worstErr = e; worst = i; }
                // Obstructed: told to move, behind its command in that direction, and moving at less than half the
                // commanded speed (a joint that merely lags keeps most of it; one pushed past its command is not blocked),
                // or stalled: at under a quarter of it for a while, which a joint starting to move outgrows within ms.
                double vc = (_lastCommand[i] - _commandBefore[i]) / period;
                double dir = Math.Sign(vc);
                double behind = (_lastCommand[i] - state.Position[i]) * dir;
                double speed = state.Velocity[i] * dir, commanded = Math.Abs(vc);
                _shortfallTicks[i] = commanded > _limits.StallSpeed && behind > 0 && speed < 0.25 * commanded ? _shortfallTicks[i] + 1 : 0;
                bool stall = _shortfallTicks[i] * period >= _limits.StallDwell && behind > _limits.StallError;
                stalled |= stall;
                bool obstructed = stall || (commanded > _limits.ObstructionSpeed && behind > _limits.ObstructionError && speed < 0.5 * commanded);
                if ((e > _limits.TrackingLimit || obstructed) && (!bad || e > worstErr))
                {
                    bad = true;
                    worst = i;
                    worstErr = e;
                }
            }
            _trackingBadTicks = bad ? _trackingBadTicks + 1 : 0;
            if (_trackingBadTicks * period >= _limits.TrackingDwell || stalled)
                return Report(AnomalyKinds.TrackingError, string.Create(CultureInfo.InvariantCulture,
                    $"{_names[worst]} commanded {_lastCommand[worst]:F4} rad at {(_lastCommand[worst] - _commandBefore[worst]) / period:F3} rad/s, measured {state.Position[worst]:F4} rad at {state.Velocity[worst]:F3} rad/s: error {worstErr * 1e3:F1} mrad for {_trackingBadTicks * period * 1e3:F0} ms{(stalled ? ", stalled" : "")}; the arm may be obstructed"));
        }

        if (_checkLimits)
        {
            var ranges = _limits.JointRanges;
            for (int i = 0; i < n; i++)
            {
                double q = state.Position[i], v = state.Velocity[i];
                var (lo, hi) = ranges[i];
                if ((q < lo + _limits.JointLimitMargin && v < -_limits.JointLimitSpeed) || (q > hi - _limits.JointLimitMargin && v > _limits.JointLimitSpeed))
                    return Report(AnomalyKinds.JointLimit, string.Create(CultureInfo.InvariantCulture,
                        $"{_names[i]} at {q:F4} rad moving {v:F3} rad/s, within {_limits.JointLimitMargin * 1e3:F0} mrad of its range [{lo:F3}, {hi:F3}]"));
            }
        }

        bool moved = Math.Abs(state.GripperOpening - _progressGripperRef) > _limits.ProgressEpsilon;
        for (int i = 0; i < n && !moved; i++) moved = Math.Abs(state.Position[i] - _progressRef[i]) > _limits.ProgressEpsilon;
        if (moved)
        {
            Array.Copy(state.Position, _progressRef, n);
            _progressGripperRef = state.GripperOpening;
            _progressTick = tick;
        }
        else if ((tick - _progressTick) * period > _limits.NoProgressSeconds)
        {
            return Report(AnomalyKinds.NoProgress, string.Create(CultureInfo.InvariantCulture,
                $"the arm and gripper moved less than {_limits.ProgressEpsilon * 1e3:F0} mrad/mm in {(tick - _progressTick) * period:F1} s"));
        }
        return true;
    }

    /// <summary>Remember what this tick commanded, for the next tick's tracking check.</summary>
    public void Commanded(JointCommandBuffer command)
    {
        Array.Copy(_lastCommand, _commandBefore, _lastCommand.Length);
        Array.Copy(command.Position, _lastCommand, _lastCommand.Length);
    }

    private bool Report(string kind, string evidence)
    {
        Kind = kind;
        Evidence = evidence;
        return false;
    }
}
