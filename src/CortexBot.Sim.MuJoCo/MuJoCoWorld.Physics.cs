using CortexBot.Core;
using CortexBot.Core.Geometry;
using CortexBot.Core.Ports;

namespace CortexBot.Sim.MuJoCo;

/// <summary>
/// The physics step and the state it leaves: the robot-link port (each <see cref="Write"/> steps the physics and publishes
/// the poses), the published positions and poses other threads read, and the control thread's helpers that read or set
/// the state (site and body poses, object and arm placement).
/// </summary>
public sealed unsafe partial class MuJoCoWorld
{
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

    /// <summary>Number of generalized positions (MuJoCo's nq) in <see cref="CopyPublishedPositions"/>.</summary>
    public int PositionCount => _publishedQpos.Length;

    /// <summary>
    /// Copies the generalized positions (qpos) published after the last <see cref="Write"/> or scene change into
    /// <paramref name="destination"/> and returns their stamp (MonotonicClock ns). Any thread; a short lock, no allocation.
    /// </summary>
    public long CopyPublishedPositions(Span<double> destination)
    {
        if (destination.Length != _publishedQpos.Length)
            throw new ArgumentException($"Expected {_publishedQpos.Length} positions, got a span of {destination.Length}.", nameof(destination));
        lock (_poseLock)
        {
            _publishedQpos.CopyTo(destination);
            return _poseStampNs;
        }
    }

    /// <summary>Reads the pose copy published after the last <see cref="Write"/> (a short lock, no allocation).</summary>
    public bool TryGetPose(int index, out Pose pose)
    {
        int n = _cubeQ.Length;
        if (index >= n && index - n < _containers.Length) { pose = _containers[index - n].Pose; return true; }
        if ((uint)index >= (uint)n) { pose = default; return false; }
        int o = 7 * index;
        lock (_poseLock)
        {
            pose = new Pose(new Vec3(_cubePose[o], _cubePose[o + 1], _cubePose[o + 2]),
                new Quat(_cubePose[o + 3], _cubePose[o + 4], _cubePose[o + 5], _cubePose[o + 6]).Normalized());
        }
        return true;
    }

    // ------------------------------------------------------------------ helpers for tests and tools (control thread; may allocate)

    /// <summary>World position of a site (e.g. <c>tcp</c>) for the current joint positions.</summary>
    public Vec3 SitePosition(string site) => SitePose(site).Position;

    /// <summary>World pose of a site for the current joint positions.</summary>
    public Pose SitePose(string site)
    {
        ThrowIfDisposed();
        int id = Native.SiteId(_h, site);
        if (id < 0) throw new ArgumentException($"No site '{site}' in {ScenePath}.", nameof(site));
        Check(Native.Kinematics(_h), "mj_kinematics");
        double* p = Native.SiteXpos(_h) + 3 * id;
        double* m = Native.SiteXmat(_h) + 9 * id;
        return new Pose(new Vec3(p[0], p[1], p[2]), FromMatrix(m));
    }

    /// <summary>World pose of a body frame for the current joint positions.</summary>
    public Pose BodyPose(string body)
    {
        ThrowIfDisposed();
        int id = Native.BodyId(_h, body);
        if (id < 0) throw new ArgumentException($"No body '{body}' in {ScenePath}.", nameof(body));
        Check(Native.Kinematics(_h), "mj_kinematics");
        return ReadBodyPose(id);
    }

    /// <summary>Moves a cube (free body) to <paramref name="pose"/> at rest, e.g. to set up a test.</summary>
    public void SetObjectPose(string name, Pose pose)
    {
        ThrowIfDisposed();
        int c = Array.IndexOf(_cubeNames, name);
        if (c < 0) throw new ArgumentException($"No movable object '{name}' in {ScenePath}.", nameof(name));
        double* q = _qpos + _cubeQ[c];
        var o = pose.Orientation.Normalized();
        q[0] = pose.Position.X; q[1] = pose.Position.Y; q[2] = pose.Position.Z;
        q[3] = o.W; q[4] = o.X; q[5] = o.Y; q[6] = o.Z;
        // the free joint's 6 dofs follow its qpos address order among the free bodies: clear them all by index
        int dof = FreeDofAddress(name);
        for (int k = 0; k < 6; k++) _qvel[dof + k] = 0;
        Check(Native.Forward(_h), "mj_forward");
        PublishPoses();
    }

    /// <summary>Puts the arm at <paramref name="position"/> (and the gripper at <paramref name="gripperOpening"/>) at rest,
    /// with the servo targets there too.</summary>
    public void SetArmState(ReadOnlySpan<double> position, double gripperOpening)
    {
        ThrowIfDisposed();
        if (position.Length != Dof) ThrowWrongJointCount(position.Length);
        for (int i = 0; i < Dof; i++)
        {
            double q = Math.Clamp(position[i], _armLo[i], _armHi[i]);
            _qpos[_armQ[i]] = q;
            _qvel[_armDof[i]] = 0;
            _ctrl[_armAct[i]] = q;
            _prevCmd[i] = q;
            _ff[i] = 0;
        }
        for (int f = 0; f < 2; f++)
        {
            double q = Math.Clamp(0.5 * gripperOpening, _fingerLo[f], _fingerHi[f]);
            _qpos[_fingerQ[f]] = q;
            _ctrl[_fingerAct[f]] = q;
        }
        Check(Native.Forward(_h), "mj_forward");
        PublishPoses();
    }

    private void PublishPoses()
    {
        lock (_poseLock)
        {
            for (int c = 0; c < _cubeQ.Length; c++)
            {
                double* q = _qpos + _cubeQ[c];
                int o = 7 * c;
                for (int k = 0; k < 7; k++) _cubePose[o + k] = q[k];
            }
            new ReadOnlySpan<double>(_qpos, _publishedQpos.Length).CopyTo(_publishedQpos);
            _poseStampNs = MonotonicClock.NowNs;
            _poseVersion++;
        }
    }

    private Pose ReadBodyPose(int body)
    {
        double* p = Native.Xpos(_h) + 3 * body;
        double* q = Native.Xquat(_h) + 4 * body;
        return new Pose(new Vec3(p[0], p[1], p[2]), new Quat(q[0], q[1], q[2], q[3]));
    }

    /// <summary>Row-major 3x3 rotation matrix (MuJoCo's xmat) to a unit quaternion.</summary>
    private static Quat FromMatrix(double* m)
    {
        double m00 = m[0], m01 = m[1], m02 = m[2], m10 = m[3], m11 = m[4], m12 = m[5], m20 = m[6], m21 = m[7], m22 = m[8];
        double tr = m00 + m11 + m22;
        Quat q;
        if (tr > 0)
        {
            double s = Math.Sqrt(tr + 1.0) * 2;
            q = new Quat(0.25 * s, (m21 - m12) / s, (m02 - m20) / s, (m10 - m01) / s);
        }
        else if (m00 > m11 && m00 > m22)
        {
            double s = Math.Sqrt(1.0 + m00 - m11 - m22) * 2;
            q = new Quat((m21 - m12) / s, 0.25 * s, (m01 + m10) / s, (m02 + m20) / s);
        }
        else if (m11 > m22)
        {
            double s = Math.Sqrt(1.0 + m11 - m00 - m22) * 2;
            q = new Quat((m02 - m20) / s, (m01 + m10) / s, 0.25 * s, (m12 + m21) / s);
        }
        else
        {
            double s = Math.Sqrt(1.0 + m22 - m00 - m11) * 2;
            q = new Quat((m10 - m01) / s, (m02 + m20) / s, (m12 + m21) / s, 0.25 * s);
        }
        if (q.W < 0) q = new Quat(-q.W, -q.X, -q.Y, -q.Z);
        return q.Normalized();
    }
}
