using CortexBot.Core.Ports;
using CortexBot.Core.Robot;

namespace CortexBot.Brainstem;

/// <summary>
/// Sits between the controller and the robot link and enforces, on every command: joint position limits, joint velocity
/// limits (the change per tick), the gripper's range and speed, and finite values. A non-finite command or an emergency
/// stop makes it resend the last safe command, so the arm holds still. Allocation-free; called on the control thread.
/// </summary>
public sealed class SafetyGate : IRobotLink
{
    private readonly IRobotLink _inner;
    private readonly ArmModel _arm;
    private readonly JointCommandBuffer _last;
    private readonly JointCommandBuffer _out;
    private readonly RobotStateBuffer _scratch;
    private double _period = 0.002;
    private bool _anchored;
    private volatile bool _estop;
    private long _clamped;
    private long _rejected;

    public SafetyGate(IRobotLink inner, ArmModel arm)
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
    }

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
        }
    }

    public void EmergencyStop() => _estop = true;
    public void Release() => _estop = false;

    public bool Read(RobotStateBuffer state) => _inner.Read(state) && state.IsFinite();

    public void Write(JointCommandBuffer command)
    {
        if (!_anchored) Reanchor();
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
        }
        _last.CopyFrom(_out);
        _inner.Write(_out);
    }

    private static double Clamp(double v, double lo, double hi, ref bool clamped)
    {
        if (v < lo) { clamped = true; return lo; }
        if (v > hi) { clamped = true; return hi; }
        return v;
    }

    public void Dispose() => _inner.Dispose();
}
