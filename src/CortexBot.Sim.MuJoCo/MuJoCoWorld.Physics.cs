using System.Collections.Immutable;
using System.Runtime.InteropServices;
using CortexBot.Core;
using CortexBot.Core.Geometry;
using CortexBot.Core.Messages;
using CortexBot.Core.Ports;

namespace CortexBot.Sim.MuJoCo;

/// <summary>The robot link: starting at a control period, reading the arm's state and stepping the physics with each command (control thread).</summary>
public sealed unsafe partial class MuJoCoWorld
{
    // ------------------------------------------------------------------ IRobotLink

    public void Start(double controlPeriodSeconds)
    {
        ThrowIfDisposed();
        if (!double.IsFinite(controlPeriodSeconds) || controlPeriodSeconds <= 0)
            throw new ArgumentOutOfRangeException(nameof(controlPeriodSeconds), controlPeriodSeconds, "The control period must be a positive number of seconds.");
        int n = Math.Max(1, (int)Math.Round(controlPeriodSeconds / _modelTimestep));
        Native.SetTimestep(_h, controlPeriodSeconds / n);
        _substeps = n;
        _period = controlPeriodSeconds;
    }

    public bool Read(RobotStateBuffer state)
    {
        ThrowIfDisposed();
        if (state.Joints != Dof) ThrowWrongJointCount(state.Joints);
        var pos = state.Position;
        var vel = state.Velocity;
        for (int i = 0; i < Dof; i++)
        {
            pos[i] = _qpos[_armQ[i]];
            vel[i] = _qvel[_armDof[i]];
        }
        state.GripperOpening = _qpos[_fingerQ[0]] + _qpos[_fingerQ[1]];
        state.StampNs = MonotonicClock.NowNs;
        return true;
    }

    public void Write(JointCommandBuffer command)
    {
        ThrowIfDisposed();
        if (command.Joints != Dof) ThrowWrongJointCount(command.Joints);
        var target = command.Position;
        double invPeriod = 1.0 / _period;
        bool feedForward = VelocityFeedForward;
        for (int i = 0; i < Dof; i++)
        {
            double q = target[i];
            double ff = 0;
            if (double.IsFinite(q))
            {
                q = Math.Clamp(q, _armLo[i], _armHi[i]);
                if (feedForward)
                {
                    double v = Math.Clamp((q - _prevCmd[i]) * invPeriod, -_velLimit[i], _velLimit[i]);
                    ff = _damping[i] * v;
                }
                _ctrl[_armAct[i]] = q;
                _prevCmd[i] = q;
            }
            else
            {
                _nonFiniteCommands++;
            }
            _ff[i] = ff;
        }
        double g = command.GripperOpening;
        if (double.IsFinite(g))
        {
            _ctrl[_fingerAct[0]] = Math.Clamp(0.5 * g, _fingerLo[0], _fingerHi[0]);
            _ctrl[_fingerAct[1]] = Math.Clamp(0.5 * g, _fingerLo[1], _fingerHi[1]);
        }
        else
        {
            _nonFiniteCommands++;
        }
        if (Native.StepCompensated(_h, _substeps) != 0) ThrowNativeFailure("mj_step");
        PublishPoses();
    }
}
