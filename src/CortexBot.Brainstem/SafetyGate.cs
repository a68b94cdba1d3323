using CortexBot.Core.Ports;
using CortexBot.Core.Robot;
using CortexBot.Core.Safety;

namespace CortexBot.Brainstem;

/// <summary>
/// Sits between the controller and the robot link and enforces, on every command: joint position limits, joint velocity
/// limits (the change per tick), the gripper's range and speed, and finite values. A non-finite command or an emergency
/// stop makes it resend the last safe command, so the arm holds still. With a <see cref="SafetyEnvelope"/> it also
/// computes the forward kinematics of every command: a step that would move the tool faster than the envelope's tool
/// speed is scaled down uniformly (all joints, same direction), and a command that would put the tool or a fingertip
/// outside the workspace box or below the table top plus margin is replaced by the last safe one (a command that moves
/// back towards the envelope passes, so an arm found outside it can be brought back). Allocation-free; called on the
/// control thread.
/// <para>In front of a link that takes whole trajectories (<see cref="ITrajectoryLink"/>, a joint_trajectory_controller),
/// the gate cannot shape per tick what the controller executes, so it checks each trajectory whole before passing it
/// on (<see cref="Execute"/>): every point within the joint limits and, with an envelope, with the tool and fingertips
/// inside it (or not further out than the arm already is); every point's joint velocities, and the step from the point
/// before, within the joints' velocity limits; the tool's speed at every point (from the point's joint velocities) and
/// between points within the envelope's speed limit. A trajectory that fails any check is refused whole (nothing is
/// sent; the control loop reports <see cref="Core.Messages.AnomalyKinds.TrajectoryRefused"/>), and so is every
/// trajectory during an emergency stop, which also cancels the trajectory in force. The per-tick checks above keep
/// running on the commands the loop writes alongside (the gripper, holds).</para>
/// <para>With the safety policy's <see cref="SafetyZones"/> it also keeps the tool and fingertips out of every keep-out
/// zone as it keeps them in the envelope (a command that would enter one, or go deeper into one the arm is found in, is
/// replaced by the last safe one: the arm holds at the zone's edge, whatever the plan said), and inside a speed zone the
/// tool speed limit is the zone's. A per-skill cap (<see cref="IToolSpeedCap"/>, a <c>modify</c> verdict's) lowers the
/// limit the same way. Trajectories are checked against the same zones and limits.</para>
/// </summary>
public sealed class SafetyGate : IMotionGuard, ITrajectoryLink, IToolSpeedCap
{
    /// <summary>A gate with joint limits only (no envelope), for integrations that take a <see cref="MotionGuardFactory"/>.</summary>
    public static readonly MotionGuardFactory Factory = (link, arm) => new SafetyGate(link, arm);

    private readonly IRobotLink _inner;
    private readonly ArmModel _arm;
    private readonly JointCommandBuffer _last;
    private readonly JointCommandBuffer _out;
    private readonly RobotStateBuffer _scratch;
    private readonly SafetyEnvelope? _envelope;
    private readonly SafetyZones? _zones;
    private Core.Geometry.Vec3 _lastTool;
    private double _lastViolation;
    private double _lastZoneDepth;
    private double _lastZoneGap = double.PositiveInfinity;
    private long _zoneHolds;
    private double _speedCap = double.PositiveInfinity;
    private bool _toolStale;
    private long _envelopeHolds;
    private long _speedScaled;
    private double _peakToolSpeed;
    private double _period = 0.002;
    private bool _anchored;
    private volatile bool _estop;
    private bool _estopCancelled;
    private long _clamped;
    private long _rejected;
    private readonly ITrajectoryLink? _trajectories;
    private readonly double[] _probe, _measured;
    private bool _measuredValid;
    private long _trajectoriesPassed, _trajectoriesRefused;
    private volatile string? _lastRefusal;

    /// <param name="zones">The safety policy's keep-out and speed zones (null: none).</param>
    public SafetyGate(IRobotLink inner, ArmModel arm, SafetyEnvelope? envelope = null, SafetyZones? zones = null)
    {
        if (inner.JointNames.Count != arm.Dof)
            throw new Core.ConfigurationException($"robot link has {inner.JointNames.Count} joints, arm model has {arm.Dof}");
        for (int i = 0; i < arm.Dof; i++)
            if (inner.JointNames[i] != arm.Joints[i].Name)
                throw new Core.ConfigurationException($"joint {i} is '{inner.JointNames[i]}' on the robot link but '{arm.Joints[i].Name}' in the arm model");
        _inner = inner;
        _arm = arm;
        _last = new JointCommandBuffer(arm.Dof);
        _out = new JointCommandBuffer(arm.Dof);
        _scratch = new RobotStateBuffer(arm.Dof);
        _envelope = envelope?.Validate();
        _zones = zones;
        _trajectories = inner as ITrajectoryLink;
        _probe = new double[arm.Dof];
        _measured = new double[arm.Dof];
    }

    /// <summary>The Cartesian limits enforced on every command; null when only joint limits are.</summary>
    public SafetyEnvelope? Envelope => _envelope;
    /// <summary>Commands replaced by the last safe one because the tool or a fingertip would leave the envelope.</summary>
    public long EnvelopeHolds => Interlocked.Read(ref _envelopeHolds);
    /// <summary>Commands whose step was scaled down to keep the tool under the envelope's speed limit.</summary>
    public long SpeedScaled => Interlocked.Read(ref _speedScaled);
    /// <summary>The keep-out and speed zones enforced on every command; null when none are.</summary>
    public SafetyZones? Zones => _zones;
    /// <summary>Commands replaced by the last safe one because the tool or a fingertip would enter a keep-out zone.</summary>
    public long ZoneHolds => Interlocked.Read(ref _zoneHolds);
    /// <summary>The cap in force from <see cref="CapToolSpeed"/> (m/s); infinite when none.</summary>
    public double ToolSpeedCap => Volatile.Read(ref _speedCap);

    public void CapToolSpeed(double metresPerSecond)
    {
        if (!(metresPerSecond > 0)) throw new ArgumentOutOfRangeException(nameof(metresPerSecond), metresPerSecond, "a tool speed cap must be above 0 (infinity lifts it)");
        Volatile.Write(ref _speedCap, metresPerSecond);
    }

    private bool Cartesian => _envelope is not null || _zones is not null || double.IsFinite(Volatile.Read(ref _speedCap));

    /// <summary>The fastest tool speed (m/s) of any command the gate let through (with an envelope; 0 without).</summary>
    public double PeakToolSpeed => Volatile.Read(ref _peakToolSpeed);

    public IReadOnlyList<string> JointNames => _inner.JointNames;
    public bool EmergencyStopped => _estop;
    /// <summary>Commands that had at least one value clamped to a limit.</summary>
    public long ClampedCommands => Interlocked.Read(ref _clamped);
    /// <summary>Commands replaced by the last safe one (non-finite values).</summary>
    public long RejectedCommands => Interlocked.Read(ref _rejected);

    public void Start(double controlPeriodSeconds)
    {
        _period = controlPeriodSeconds;
        _inner.Start(controlPeriodSeconds);
        Reanchor();
    }

    /// <summary>Take the arm's measured position as the reference for rate limiting (after start or a world reset).</summary>
    public void Reanchor()
    {
        if (_inner.Read(_scratch) && _scratch.IsFinite())
        {
            for (int i = 0; i < _arm.Dof; i++)
                _last.Position[i] = Math.Clamp(_scratch.Position[i], _arm.Joints[i].Lower, _arm.Joints[i].Upper);
            _last.GripperOpening = Math.Clamp(_scratch.GripperOpening, 0, _arm.GripperMaxOpening);
            _anchored = true;
            _lastViolation = HandViolation(_last, out _lastTool, out _lastZoneDepth, out _lastZoneGap);
        }
    }

    public void CopySent(JointCommandBuffer into) => into.CopyFrom(_last);

    public void EmergencyStop() => _estop = true;
    public void Release() => _estop = false;

    public bool Read(RobotStateBuffer state)
    {
        bool ok = _inner.Read(state) && state.IsFinite();
        // where the arm is: a trajectory controller starts a new trajectory from there
        if (ok) Array.Copy(state.Position, _measured, _measured.Length);
        _measuredValid = ok;
        return ok;
    }

    public void Write(JointCommandBuffer command)
    {
        if (!_anchored) Reanchor();
        if (_estop && !_estopCancelled && TakesTrajectories)
        {
            // the controller would finish the trajectory in force on its own
            _estopCancelled = true;
            _trajectories!.Cancel();
        }
        else if (!_estop) _estopCancelled = false;
        bool finite = double.IsFinite(command.GripperOpening);
        for (int i = 0; i < command.Joints && finite; i++) finite = double.IsFinite(command.Position[i]);

        if (_estop || !finite)
        {
            if (!finite) { Interlocked.Increment(ref _rejected); Core.Telemetry.CortexBotMetrics.RejectedCommands.Add(1); }
            _out.CopyFrom(_last);
        }
        else
        {
            bool clamped = false;
            for (int i = 0; i < _arm.Dof; i++)
            {
                var j = _arm.Joints[i];
                double step = j.MaxVelocity * _period;
                double v = Clamp(command.Position[i], j.Lower, j.Upper, ref clamped);
                v = Clamp(v, _last.Position[i] - step, _last.Position[i] + step, ref clamped);
                _out.Position[i] = v;
            }
            double g = Clamp(command.GripperOpening, 0, _arm.GripperMaxOpening, ref clamped);
            double gs = _arm.GripperMaxSpeed * _period;
            _out.GripperOpening = Clamp(g, _last.GripperOpening - gs, _last.GripperOpening + gs, ref clamped);
            if (clamped) { Interlocked.Increment(ref _clamped); Core.Telemetry.CortexBotMetrics.ClampedCommands.Add(1); }
            if (Cartesian) ApplyEnvelope();
            else _toolStale = true;
        }
        _last.CopyFrom(_out);
        _inner.Write(_out);
    }

    /// <summary>
    /// Scales <c>_out</c>'s step to the tool speed limit in force (the envelope's, a speed zone's at either end of the step,
    /// the skill's cap), then holds the last command if it leaves the envelope or enters a keep-out zone.
    /// </summary>
    private void ApplyEnvelope()
    {
        // a cap set after ticks without Cartesian checks: measure from where the hand is now, not where it was then
        if (_toolStale) { _lastViolation = HandViolation(_last, out _lastTool, out _lastZoneDepth, out _lastZoneGap); _toolStale = false; }
        double violation = HandViolation(_out, out var tool, out var zoneDepth, out var zoneGap);
        double limit = Math.Min(SpeedLimitAt(_lastTool), SpeedLimitAt(tool));
        // closing on a keep-out zone: no faster than what stops the hand at its face (moving away is not slowed)
        if (zoneGap < _lastZoneGap) limit = Math.Min(limit, _zones!.ApproachLimit(_lastZoneGap));
        double maxStep = limit * _period;
        double dist = (tool - _lastTool).Norm;
        if (dist > maxStep)
        {
            // Forward kinematics is not linear in the step, so shrink until the tool's move fits (two passes nearly always).
            double scale = 1;
            for (int k = 0; k < 6 && dist > maxStep; k++)
            {
                scale *= 0.999 * maxStep / dist;
                for (int i = 0; i < _arm.Dof; i++) _out.Position[i] = _last.Position[i] + (_out.Position[i] - _last.Position[i]) * scale;
                violation = HandViolation(_out, out tool, out zoneDepth, out zoneGap);
                dist = (tool - _lastTool).Norm;
            }
            Interlocked.Increment(ref _speedScaled);
            Core.Telemetry.CortexBotMetrics.SpeedScaledCommands.Add(1);
            if (dist > maxStep) { Hold(); return; }
        }
        // Outside the envelope: only a command that does not go further out passes (an arm found outside can come back).
        if (violation > 0 && violation > _lastViolation + 1e-9) { Hold(); return; }
        // Into a keep-out zone, or deeper into one: hold at its edge (the same rule as the envelope's, counted apart).
        if (zoneDepth > 0 && zoneDepth > _lastZoneDepth + 1e-9)
        {
            _out.CopyFrom(_last);
            Interlocked.Increment(ref _zoneHolds);
            Core.Telemetry.CortexBotMetrics.EnvelopeHolds.Add(1);
            return;
        }
        if (dist / _period > _peakToolSpeed) Volatile.Write(ref _peakToolSpeed, dist / _period);
        _lastTool = tool;
        _lastViolation = violation;
        _lastZoneDepth = zoneDepth;
        _lastZoneGap = zoneGap;
    }

    /// <summary>The tool speed limit (m/s) at <paramref name="p"/>: the envelope's, a speed zone's there, the skill's cap; the lowest.</summary>
    private double SpeedLimitAt(Core.Geometry.Vec3 p)
    {
        double limit = Math.Min(_envelope?.MaxToolSpeed ?? double.PositiveInfinity, Volatile.Read(ref _speedCap));
        return _zones is null ? limit : Math.Min(limit, _zones.SpeedLimitAt(p));
    }

    private void Hold()
    {
        _out.CopyFrom(_last);
        Interlocked.Increment(ref _envelopeHolds);
        Core.Telemetry.CortexBotMetrics.EnvelopeHolds.Add(1);
    }

    /// <summary>
    /// How far the tool point and fingertips of <paramref name="cmd"/> lie outside the envelope (0 inside, or without one),
    /// in <paramref name="zoneDepth"/> how deep they lie inside keep-out zones, summed (0 outside all), and in
    /// <paramref name="zoneGap"/> how far the nearest of them is from a keep-out zone (infinite without zones).
    /// </summary>
    private double HandViolation(JointCommandBuffer cmd, out Core.Geometry.Vec3 tool, out double zoneDepth, out double zoneGap) =>
        HandViolation(cmd.Position, cmd.GripperOpening, out tool, out zoneDepth, out zoneGap);

    /// <summary>As above for joint positions <paramref name="q"/> with the gripper as last commanded (a trajectory leaves it alone).</summary>
    private double HandViolation(ReadOnlySpan<double> q, out Core.Geometry.Vec3 tool, out double zoneDepth) =>
        HandViolation(q, _last.GripperOpening, out tool, out zoneDepth, out _);

    private double HandViolation(ReadOnlySpan<double> q, double gripper, out Core.Geometry.Vec3 tool, out double zoneDepth, out double zoneGap)
    {
        _arm.HandPoints(q, gripper, out tool, out var left, out var right);
        if (_zones is null) { zoneDepth = 0; zoneGap = double.PositiveInfinity; }
        else
        {
            // summed over the three points, as the envelope's violation is: an arm found in a zone can back out of it
            zoneDepth = _zones.KeepOutDepth(tool) + _zones.KeepOutDepth(left) + _zones.KeepOutDepth(right);
            zoneGap = Math.Min(_zones.KeepOutGap(tool), Math.Min(_zones.KeepOutGap(left), _zones.KeepOutGap(right)));
        }
        return _envelope is not { } env ? 0 : env.Violation(tool) + env.Violation(left) + env.Violation(right);
    }

    // ------------------------------------------------------------------ whole trajectories (ITrajectoryLink)

    public bool TakesTrajectories => _trajectories is { TakesTrajectories: true };
    /// <summary>Trajectories checked and passed on to the link.</summary>
    public long TrajectoriesPassed => Interlocked.Read(ref _trajectoriesPassed);
    /// <summary>Trajectories refused whole (a limit or the envelope violated, or an emergency stop in force).</summary>
    public long TrajectoriesRefused => Interlocked.Read(ref _trajectoriesRefused);
    /// <summary>Why the latest trajectory was refused (null: none was).</summary>
    public string? LastTrajectoryRefusal => _lastRefusal;
    public long Faults => _trajectories?.Faults ?? 0;
    public TrajectoryFault? LastFault => _trajectories?.LastFault;

    /// <summary>Checks <paramref name="trajectory"/> whole against the limits and the envelope; passes it on only if it holds.</summary>
    public bool Execute(ArmTrajectory trajectory, out string? refusal)
    {
        if (!TakesTrajectories) throw new InvalidOperationException("the robot link streams commands; it takes no trajectories");
        if (!_anchored) Reanchor();
        refusal = _estop ? $"{trajectory.Label}: emergency stop in force" : Check(trajectory);
        if (refusal is null) return Pass(trajectory, out refusal);
        Interlocked.Increment(ref _trajectoriesRefused);
        _lastRefusal = refusal;
        return false;
    }

    private bool Pass(ArmTrajectory trajectory, out string? refusal)
    {
        if (!_trajectories!.Execute(trajectory, out refusal)) return false;
        Interlocked.Increment(ref _trajectoriesPassed);
        return true;
    }

    /// <summary>
    /// Stops the trajectory in force. The controller then holds where the arm is, so that becomes the reference of the
    /// per-tick limits (else the commands after it would ramp from where the motion was headed back to the arm).
    /// </summary>
    public void Cancel()
    {
        if (!TakesTrajectories) return;
        _trajectories!.Cancel();
        Reanchor();
    }

    /// <summary>Null when every point of <paramref name="t"/> holds; else the first violation (allocates only then).</summary>
    private string? Check(ArmTrajectory t)
    {
        int n = _arm.Dof;
        if (t.Joints != n) return $"{t.Label}: the trajectory has {t.Joints} joints, the arm {n}";
        if (t.Count < 1) return $"{t.Label}: the trajectory has no points";
        bool cartesian = Cartesian;
        // the controller moves into the first point from where the arm is (the last command before the first read)
        ReadOnlySpan<double> previous = _measuredValid ? _measured : _last.Position;
        double previousTime = 0, previousViolation = 0, previousDepth = 0;
        Core.Geometry.Vec3 previousTool = default;
        if (cartesian) previousViolation = Math.Max(0, HandViolation(previous, out previousTool, out previousDepth));
        for (int k = 0; k < t.Count; k++)
        {
            double time = t.TimeFromStart[k];
            var q = new ReadOnlySpan<double>(t.Position, k * n, n);
            var v = new ReadOnlySpan<double>(t.Velocity, k * n, n);
            double dt = time - previousTime;
            if (!double.IsFinite(time) || dt <= 0) return $"{t.Label}: point {k} is not after the point before it (t={time:0.###} s)";
            for (int i = 0; i < n; i++)
            {
                var j = _arm.Joints[i];
                if (!double.IsFinite(q[i]) || (t.HasDerivatives && !double.IsFinite(v[i])))
                    return $"{t.Label}: joint {j.Name} is not a finite number at t={time:0.###} s";
                if (q[i] < j.Lower - 1e-9 || q[i] > j.Upper + 1e-9)
                    return $"{t.Label}: joint {j.Name} at {q[i]:0.####} rad leaves its range [{j.Lower:0.###}, {j.Upper:0.###}] at t={time:0.###} s";
                double speed = Math.Max(t.HasDerivatives ? Math.Abs(v[i]) : 0, Math.Abs(q[i] - previous[i]) / dt);
                if (speed > j.MaxVelocity * (1 + 1e-6))
                    return $"{t.Label}: joint {j.Name} would move at {speed:0.###} rad/s, above its limit {j.MaxVelocity:0.###} rad/s, at t={time:0.###} s";
            }
            if (cartesian)
            {
                double violation = HandViolation(q, out var tool, out var depth);
                // as per tick: outside the envelope only a point that does not go further out passes
                if (violation > 0 && violation > previousViolation + 1e-9)
                    return $"{t.Label}: the hand would leave the safety envelope by {violation * 1e3:0.#} mm at t={time:0.###} s (tool at {tool.X:0.###}, {tool.Y:0.###}, {tool.Z:0.###} m)";
                if (depth > 0 && depth > previousDepth + 1e-9)
                    return $"{t.Label}: the hand would enter a keep-out zone by {depth * 1e3:0.#} mm at t={time:0.###} s (tool at {tool.X:0.###}, {tool.Y:0.###}, {tool.Z:0.###} m)";
                double toolSpeed = (tool - previousTool).Norm / dt;
                if (t.HasDerivatives)
                {
                    // the point's own speed: the tool a millisecond either side along the joint velocities
                    const double h = 1e-3;
                    for (int i = 0; i < n; i++) _probe[i] = q[i] + v[i] * h;
                    var ahead = _arm.ToolPose(_probe).Position;
                    for (int i = 0; i < n; i++) _probe[i] = q[i] - v[i] * h;
                    var behind = _arm.ToolPose(_probe).Position;
                    toolSpeed = Math.Max(toolSpeed, (ahead - behind).Norm / (2 * h));
                }
                double limit = Math.Min(SpeedLimitAt(previousTool), SpeedLimitAt(tool));
                if (toolSpeed > limit * (1 + 1e-3))
                    return _envelope is { } env && limit >= env.MaxToolSpeed
                        ? $"{t.Label}: the tool would move at {toolSpeed:0.###} m/s, above the envelope's {env.MaxToolSpeed:0.###} m/s, at t={time:0.###} s"
                        : $"{t.Label}: the tool would move at {toolSpeed:0.###} m/s, above the limit in force (speed zone or skill cap) {limit:0.###} m/s, at t={time:0.###} s";
                previousViolation = Math.Max(0, violation);
                previousDepth = depth;
                previousTool = tool;
            }
            previous = q;
            previousTime = time;
        }
        return null;
    }

    private static double Clamp(double v, double lo, double hi, ref bool clamped)
    {
        if (v < lo) { clamped = true; return lo; }
        if (v > hi) { clamped = true; return hi; }
        return v;
    }

    public void Dispose() => _inner.Dispose();
}
