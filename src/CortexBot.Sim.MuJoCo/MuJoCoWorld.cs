using System.Collections.Immutable;
using System.Runtime.InteropServices;
using CortexBot.Core;
using CortexBot.Core.Geometry;
using CortexBot.Core.Messages;
using CortexBot.Core.Ports;

namespace CortexBot.Sim.MuJoCo;

/// <summary>
/// The embedded MuJoCo simulator behind the robot-link port: a 6-joint arm with a two-finger gripper and, on a table,
/// the scene's movable objects and containers (sim/scene.xml: three cubes and a bin; sim/sort.xml, sim/mixed.xml).
/// <para>
/// Objects are read from the compiled model, not from a fixed list: a movable object is a body of the world with one
/// free joint and a box geom (kind <c>cube</c>, half size that box's); a container is a static body named <c>bin</c> or
/// <c>*_bin</c> made of a floor and walls (kind <c>bin</c>, pose and half size its inner volume). An object's colour is
/// named from its geom's colour as drawn (<see cref="ColorName"/>); grey and white ones have none.
/// </para>
/// <para>
/// Threading: <see cref="Start"/>, <see cref="Read"/>, <see cref="Write"/>, <see cref="ResetScene"/> and the
/// diagnostic helpers belong to the control thread. <see cref="Snapshot"/> may be called from any thread: it reads
/// a copy of the object poses published under a short lock after every <see cref="Write"/>.
/// </para>
/// <para>
/// <see cref="Write"/> emulates an arm whose drives compensate gravity: every substep applies
/// qfrc_applied = qfrc_bias (gravity + Coriolis) to the arm and finger dofs (never to the cubes), plus a velocity
/// feed-forward (joint damping x commanded velocity, clamped to the velocity limits) so the servo damping acts on
/// the velocity error rather than on the velocity; see <see cref="VelocityFeedForward"/>.
/// </para>
/// </summary>
public sealed unsafe partial class MuJoCoWorld : IRobotLink, IScenePerception, IWorldReset, IObjectPoses, IPerturbedWorld
{
    public static readonly ImmutableArray<string> ArmJoints =
        ["shoulder_pan", "shoulder_lift", "elbow", "wrist_roll1", "wrist_pitch", "wrist_roll2"];
    public static readonly ImmutableArray<string> FingerJoints = ["finger_left", "finger_right"];
    /// <summary>The cubes of the default scene (sim/scene.xml), in scene order.</summary>
    public static readonly ImmutableArray<(string Name, string Color)> Cubes =
        [("red_cube", "red"), ("green_cube", "green"), ("blue_cube", "blue")];
    public const string BinName = "bin";
    public const string TcpSite = "tcp";
    public const string HomeKeyframe = "home";
    public const string VelocityLimitsNumeric = "cortexbot_velocity_limits";
    /// <summary>Half size of the default scene's cubes.</summary>
    public const double CubeHalfSize = 0.02;
    /// <summary>Inner half extents of the default scene's bin: 0.08 x 0.08 footprint, 0.08 tall (floor to rim).</summary>
    public static readonly Vec3 BinInnerHalfSize = new(0.08, 0.08, 0.04);
    /// <summary>Bin wall thickness in the scene, used to keep scattered cubes clear of the walls.</summary>
    public const double BinWallThickness = 0.01;

    // Default scatter region for ResetScene (world frame, metres); a scene may give its own (ScatterRegionNumeric).
    public const double ScatterMinX = 0.32, ScatterMaxX = 0.52, ScatterMinY = -0.22, ScatterMaxY = 0.28;
    public const double ScatterMinSeparation = 0.09;
    /// <summary>MJCF custom numeric with the scatter region: min x, max x, min y, max y (m).</summary>
    public const string ScatterRegionNumeric = "cortexbot_scatter_region";
    /// <summary>
    /// How far the open fingers' outer faces reach from the tool axis (40 mm opening half + 12 mm pad) plus 8 mm: two
    /// objects' centres are at least this plus the larger one's half diagonal apart, so either can be picked.
    /// </summary>
    public const double OpenFingerClearance = 0.06;

    private const int Dof = 6;
    private const int ErrorBufferLength = 1024;

    private nint _h;
    private readonly double* _qpos, _qvel, _ctrl, _ff;
    private readonly int[] _armQ = new int[Dof], _armDof = new int[Dof], _armAct = new int[Dof];
    private readonly double[] _armLo = new double[Dof], _armHi = new double[Dof];
    private readonly double[] _damping = new double[Dof], _velLimit = new double[Dof];
    private readonly double[] _prevCmd = new double[Dof];
    private readonly int[] _fingerQ = new int[2], _fingerAct = new int[2];
    private readonly double[] _fingerLo = new double[2], _fingerHi = new double[2];
    private readonly int _homeKey;
    private readonly double[] _home = new double[Dof];

    private readonly string[] _cubeNames;
    private readonly string?[] _cubeColors;
    private readonly int[] _cubeQ;
    private readonly Vec3[] _cubeHalf;
    private readonly SceneObject[] _containers;
    private readonly Vec3[] _containerOuterHalf;  // footprint of the walls (x, y half extents in the container's frame)

    // published object poses (x y z qw qx qy qz per cube), guarded by _poseLock
    private readonly Lock _poseLock = new();
    private readonly double[] _cubePose;
    private readonly double[] _publishedQpos;  // the whole state's positions, for renderers on other threads
    private long _poseStampNs, _poseVersion, _cachedVersion = -1;
    private SceneSnapshot? _cached;

    private readonly double _modelTimestep;
    private double _period;
    private int _substeps = 1;
    private long _nonFiniteCommands;

    /// <summary>Loads <paramref name="scenePath"/> (MJCF) and puts the world in its <c>home</c> keyframe.</summary>
    /// <exception cref="ConfigurationException">The file is missing, MuJoCo rejects it, or it lacks the arm's joints,
    /// actuators, <c>home</c> keyframe or velocity limits; also when the native shim cannot be loaded.</exception>
    public MuJoCoWorld(string scenePath)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(scenePath);
        ScenePath = Path.GetFullPath(scenePath);
        _h = LoadOrThrow(ScenePath);
        try
        {
            _qpos = Native.Qpos(_h);
            _qvel = Native.Qvel(_h);
            _ctrl = Native.Ctrl(_h);
            var problems = new List<string>();

            double* range = Native.JointRange(_h);
            var ranges = ImmutableArray.CreateBuilder<JointRange>(Dof);
            var dofs = new int[Dof + 2];
            for (int i = 0; i < Dof; i++)
            {
                int j = BindJoint(ArmJoints[i], Native.JointHinge, problems);
                int a = BindActuator(ArmJoints[i], j, problems);
                if (j < 0 || a < 0) { ranges.Add(default); continue; }
                _armQ[i] = Native.JointQposAdr(_h, j);
                _armDof[i] = dofs[i] = Native.JointDofAdr(_h, j);
                _armAct[i] = a;
                _damping[i] = Native.DofDamping(_h, _armDof[i]);
                var jr = Native.JointLimited(_h, j) != 0
                    ? new JointRange(range[2 * j], range[2 * j + 1])
                    : new JointRange(double.NegativeInfinity, double.PositiveInfinity);
                ranges.Add(jr);
                (_armLo[i], _armHi[i]) = CtrlRange(a, jr);
            }
            JointRanges = ranges.MoveToImmutable();

            double gripLo = 0, gripHi = 0;
            for (int f = 0; f < 2; f++)
            {
                int j = BindJoint(FingerJoints[f], Native.JointSlide, problems);
                int a = BindActuator(FingerJoints[f], j, problems);
                if (j < 0 || a < 0) continue;
                _fingerQ[f] = Native.JointQposAdr(_h, j);
                dofs[Dof + f] = Native.JointDofAdr(_h, j);
                _fingerAct[f] = a;
                var jr = Native.JointLimited(_h, j) != 0 ? new JointRange(range[2 * j], range[2 * j + 1]) : new JointRange(0, 0.04);
                (_fingerLo[f], _fingerHi[f]) = CtrlRange(a, jr);
                gripLo += _fingerLo[f];
                gripHi += _fingerHi[f];
            }
            GripperRange = new JointRange(gripLo, gripHi);

            _homeKey = Native.KeyId(_h, HomeKeyframe);
            if (_homeKey < 0) problems.Add($"keyframe '{HomeKeyframe}'");

            var limits = new double[Dof];
            fixed (double* p = limits)
            {
                int n = Native.Numeric(_h, VelocityLimitsNumeric, p, Dof);
                if (n < Dof) problems.Add($"<custom><numeric name=\"{VelocityLimitsNumeric}\"> with {Dof} values (rad/s)");
            }
            for (int i = 0; i < Dof; i++)
            {
                if (problems.Count == 0 && !(limits[i] > 0))
                    problems.Add($"a positive velocity limit for {ArmJoints[i]} in '{VelocityLimitsNumeric}'");
                _velLimit[i] = limits[i];
            }
            VelocityLimits = [.. limits];

            if (problems.Count > 0)
                throw new ConfigurationException($"MuJoCo scene {ScenePath} lacks {string.Join(", ", problems)}.");

            fixed (int* p = dofs)
                Check(Native.SetCompensatedDofs(_h, p, dofs.Length), "cbm_set_compensated_dofs");
            _ff = Native.CompensationFeedForward(_h);

            double* keyQpos = Native.KeyQpos(_h) + (long)_homeKey * Native.Nq(_h);
            for (int i = 0; i < Dof; i++) _home[i] = keyQpos[_armQ[i]];
            HomePosition = [.. _home];

            // objects: free bodies with a box geom, in model order; containers: static bodies named bin or *_bin
            var names = new List<string>();
            var colors = new List<string?>();
            var qadr = new List<int>();
            var halves = new List<Vec3>();
            var containerBodies = new List<int>();
            for (int b = 1; b < Native.Nbody(_h); b++)
            {
                if (Native.BodyParentId(_h, b) != 0) continue;
                var name = BodyName(b);
                int jn = Native.BodyJointNum(_h, b);
                int j = Native.BodyJointAdr(_h, b);
                if (jn == 1 && Native.JointType(_h, j) == Native.JointFree)
                {
                    var (box, rgba, _) = FirstBox(b) ?? throw new ConfigurationException($"MuJoCo scene {ScenePath}: movable body '{name}' has no box geom.");
                    names.Add(name);
                    colors.Add(ColorName(rgba.R, rgba.G, rgba.B));
                    halves.Add(box);
                    qadr.Add(Native.JointQposAdr(_h, j));
                }
                else if (jn > 0 && Native.JointType(_h, j) == Native.JointFree)
                {
                    throw new ConfigurationException($"MuJoCo scene {ScenePath}: body '{name}' must have exactly one free joint.");
                }
                else if (jn == 0 && IsContainerName(name))
                {
                    containerBodies.Add(b);
                }
            }
            _cubeNames = [.. names];
            _cubeColors = [.. colors];
            _cubeQ = [.. qadr];
            _cubeHalf = [.. halves];
            _cubePose = new double[7 * _cubeQ.Length];
            _publishedQpos = new double[Native.Nq(_h)];
            ObjectNames = [.. names];
            ScatterRegion = ReadScatterRegion();

            _modelTimestep = Native.GetTimestep(_h);
            _period = _modelTimestep;

            ResetToHome();
            Check(Native.Forward(_h), "mj_forward");
            _containers = new SceneObject[containerBodies.Count];
            _containerOuterHalf = new Vec3[containerBodies.Count];
            for (int k = 0; k < containerBodies.Count; k++)
                (_containers[k], _containerOuterHalf[k]) = ReadContainer(containerBodies[k]);
            Containers = [.. _containers];
            PublishPoses();
        }
        catch (InvalidOperationException e)
        {
            Native.Free(_h);
            _h = 0;
            throw new ConfigurationException($"MuJoCo scene {ScenePath} loads but cannot be simulated: {e.Message}");
        }
        catch
        {
            Native.Free(_h);
            _h = 0;
            throw;
        }
    }

    /// <summary>Opens <see cref="RepoPaths.DefaultScene"/> (sim/scene.xml of the installation).</summary>
    public static MuJoCoWorld OpenDefault() => new(RepoPaths.DefaultScene);

    /// <summary>MuJoCo library version (e.g. 222 for 2.2.2).</summary>
    public static int MuJoCoVersion => Native.Version();

    public string ScenePath { get; }

    /// <summary>The 6 arm joints, in buffer order.</summary>
    public IReadOnlyList<string> JointNames => ArmJointList;
    private static readonly IReadOnlyList<string> ArmJointList = ArmJoints;

    /// <summary>Joint limits of the 6 arm joints from the MJCF (radians).</summary>
    public ImmutableArray<JointRange> JointRanges { get; }

    /// <summary>Velocity limits of the 6 arm joints (rad/s) from the MJCF custom numeric <c>cortexbot_velocity_limits</c>.</summary>
    public ImmutableArray<double> VelocityLimits { get; }

    /// <summary>Arm posture of the <c>home</c> keyframe.</summary>
    public ImmutableArray<double> HomePosition { get; }

    /// <summary>Range of the gripper opening (sum of both fingers), metres; the home opening is <see cref="JointRange.Upper"/>.</summary>
    public JointRange GripperRange { get; }

    /// <summary>Names of the movable objects of the scene, in model order.</summary>
    public ImmutableArray<string> ObjectNames { get; }

    /// <summary>The scene's containers (fixed: their pose and inner volume as loaded).</summary>
    public ImmutableArray<SceneObject> Containers { get; }

    /// <summary>Where <see cref="ResetScene"/> scatters the objects: the scene's <c>cortexbot_scatter_region</c> or the default.</summary>
    public ScatterRegion ScatterRegion { get; }

    IReadOnlyList<string> IObjectPoses.ObjectNames => ObjectNames;

    /// <summary>Timestep written in the MJCF.</summary>
    public double ModelTimestep => _modelTimestep;

    /// <summary>Physics timestep in use: control period / <see cref="Substeps"/>.</summary>
    public double Timestep { get { ThrowIfDisposed(); return Native.GetTimestep(_h); } }

    /// <summary>Physics steps per <see cref="Write"/>.</summary>
    public int Substeps => _substeps;

    /// <summary>Simulated seconds per <see cref="Write"/>.</summary>
    public double ControlPeriod => _period;

    /// <summary>Add joint damping x commanded velocity (from successive commands, clamped to the velocity limits) to the
    /// compensation, as a drive with velocity feed-forward does. On by default; off leaves a lag of damping/kp x velocity.</summary>
    public bool VelocityFeedForward { get; set; } = true;

    /// <summary>Commands ignored because a value was NaN or infinite (the previous target is kept).</summary>
    public long NonFiniteCommands => _nonFiniteCommands;

    /// <summary>Simulated time since the last reset, seconds.</summary>
    public double SimTime { get { ThrowIfDisposed(); return Native.GetTime(_h); } }

    /// <summary>MuJoCo warnings raised since the last reset (e.g. instability, contact buffer full).</summary>
    public int WarningCount { get { ThrowIfDisposed(); return Native.DataWarnings(_h); } }

    /// <summary>Contacts found by the last step.</summary>
    public int ContactCount { get { ThrowIfDisposed(); return Native.Ncon(_h); } }

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

    // ------------------------------------------------------------------ scene

    /// <summary>Movable objects are 0..n-1 (in scene order); the containers follow, n..n+m-1.</summary>
    public int IndexOf(string name)
    {
        int i = Array.IndexOf(_cubeNames, name);
        if (i >= 0) return i;
        for (int k = 0; k < _containers.Length; k++)
            if (_containers[k].Name == name) return _cubeNames.Length + k;
        return -1;
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


    public SceneSnapshot Snapshot()
    {
        ThrowIfDisposed();
        int n = _cubeQ.Length;
        Span<double> poses = n <= 16 ? stackalloc double[7 * 16] : new double[7 * n];
        long stamp, version;
        lock (_poseLock)
        {
            if (_cached is not null && _cachedVersion == _poseVersion) return _cached;
            _cubePose.AsSpan().CopyTo(poses);
            stamp = _poseStampNs;
            version = _poseVersion;
        }
        var objects = ImmutableArray.CreateBuilder<SceneObject>(n + _containers.Length);
        for (int c = 0; c < n; c++)
        {
            var p = poses.Slice(7 * c, 7);
            var pose = new Pose(new Vec3(p[0], p[1], p[2]), new Quat(p[3], p[4], p[5], p[6]).Normalized());
            objects.Add(new SceneObject(_cubeNames[c], SceneKinds.Cube, _cubeColors[c], pose, _cubeHalf[c]));
        }
        objects.AddRange(_containers);
        var snapshot = new SceneSnapshot(stamp, objects.MoveToImmutable());
        lock (_poseLock)
        {
            if (version > _cachedVersion)
            {
                _cached = snapshot;
                _cachedVersion = version;
            }
        }
        return snapshot;
    }

    public void ResetScene(int seed)
    {
        ThrowIfDisposed();
        ResetToHome();
        var placed = ScatterObjects(seed, _cubeHalf, [.. _containers.Select((c, k) => (c.Pose, _containerOuterHalf[k]))], ScatterRegion);
        for (int c = 0; c < _cubeQ.Length; c++)
        {
            var (x, y, yaw) = placed[c];
            double* q = _qpos + _cubeQ[c];
            q[0] = x;
            q[1] = y;
            q[2] = _cubeHalf[c].Z;
            q[3] = Math.Cos(yaw / 2);
            q[4] = 0;
            q[5] = 0;
            q[6] = Math.Sin(yaw / 2);
        }
        Check(Native.Forward(_h), "mj_forward");
        PublishPoses();
    }

    /// <summary>
    /// Placements of <paramref name="count"/> cubes of the default scene for <paramref name="seed"/>, with the default
    /// scene's bin at <paramref name="binCentre"/>: see <see cref="ScatterObjects"/>.
    /// </summary>
    public static (double X, double Y, double Yaw)[] ScatterCubes(int seed, int count, Vec3? binCentre)
    {
        var half = Enumerable.Repeat(new Vec3(CubeHalfSize, CubeHalfSize, CubeHalfSize), count).ToArray();
        (Pose, Vec3)[] bins = binCentre is { } b
            ? [(new Pose(b, Quat.Identity), new Vec3(BinInnerHalfSize.X + BinWallThickness, BinInnerHalfSize.Y + BinWallThickness, 0))]
            : [];
        return ScatterObjects(seed, half, bins, ScatterRegion.Default);
    }

    /// <summary>
    /// Object placements for <paramref name="seed"/>, in order: x and y in <paramref name="region"/>, yaw in [-pi, pi);
    /// two objects' centres at least <see cref="ScatterMinSeparation"/> apart, and at least <see cref="OpenFingerClearance"/>
    /// plus the larger one's half diagonal, so the open fingers fit beside either; each clear of every container's outer
    /// walls by its half diagonal + 1 cm. Deterministic: one System.Random(seed) drawing x, y, yaw per attempt (with three
    /// 4 cm cubes and one bin it gives the placements it always gave). When an object finds no room the whole draw starts
    /// over from where the generator is.
    /// </summary>
    /// <param name="containers">Each container's pose (its centre) and the half extents of its outer walls in its frame.</param>
    public static (double X, double Y, double Yaw)[] ScatterObjects(int seed, IReadOnlyList<Vec3> halfSizes,
        IReadOnlyList<(Pose Pose, Vec3 OuterHalf)> containers, ScatterRegion region)
    {
        var rng = new Random(seed);
        int count = halfSizes.Count;
        var result = new (double X, double Y, double Yaw)[count];
        var radius = halfSizes.Select(h => Math.Sqrt(h.X * h.X + h.Y * h.Y)).ToArray();
        for (int restart = 0; restart < 100; restart++)
        {
            int c = 0;
            for (; c < count; c++)
            {
                bool placed = false;
                for (int attempt = 0; attempt < 20_000 && !placed; attempt++)
                {
                    double x = region.MinX + (region.MaxX - region.MinX) * rng.NextDouble();
                    double y = region.MinY + (region.MaxY - region.MinY) * rng.NextDouble();
                    double yaw = (2 * rng.NextDouble() - 1) * Math.PI;
                    bool ok = true;
                    for (int k = 0; k < c && ok; k++)
                    {
                        double separation = Math.Max(ScatterMinSeparation, OpenFingerClearance + Math.Max(radius[c], radius[k]));
                        ok = Math.Sqrt((x - result[k].X) * (x - result[k].X) + (y - result[k].Y) * (y - result[k].Y)) >= separation;
                    }
                    for (int k = 0; k < containers.Count && ok; k++)
                    {
                        var (pose, outer) = containers[k];
                        var local = pose.Orientation.Conjugate().Rotate(new Vec3(x, y, pose.Position.Z) - pose.Position);
                        double dx = Math.Max(Math.Abs(local.X) - outer.X, 0);
                        double dy = Math.Max(Math.Abs(local.Y) - outer.Y, 0);
                        ok = Math.Sqrt(dx * dx + dy * dy) > radius[c] + 0.01;
                    }
                    if (ok)
                    {
                        result[c] = (x, y, yaw);
                        placed = true;
                    }
                }
                if (!placed) break;
            }
            if (c == count) return result;
        }
        throw new InvalidOperationException($"Could not scatter {count} objects apart and clear of the containers in {region}.");
    }

    /// <summary>The colour word for a drawn colour: its hue's name, or null for greys, whites and blacks (low saturation or value).</summary>
    public static string? ColorName(double r, double g, double b)
    {
        double max = Math.Max(r, Math.Max(g, b)), min = Math.Min(r, Math.Min(g, b));
        if (max < 0.15 || max - min < 0.25 * max) return null;
        double d = max - min;
        double hue = max == r ? 60 * (((g - b) / d) % 6) : max == g ? 60 * ((b - r) / d + 2) : 60 * ((r - g) / d + 4);
        if (hue < 0) hue += 360;
        return hue switch
        {
            < 15 or >= 340 => "red",
            < 40 => "orange",
            < 70 => "yellow",
            < 165 => "green",
            < 195 => "cyan",
            < 255 => "blue",
            < 290 => "purple",
            _ => "pink",
        };
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

    // ------------------------------------------------------------------ lifetime

    /// <summary>Frees the native model and data. Safe to call twice; any later use throws <see cref="ObjectDisposedException"/>.</summary>
    public void Dispose()
    {
        var h = Interlocked.Exchange(ref _h, 0);
        if (h != 0) Native.Free(h);
    }

    // ------------------------------------------------------------------ internals

    private static nint LoadOrThrow(string path)
    {
        byte* error = stackalloc byte[ErrorBufferLength];
        error[0] = 0;
        nint h;
        try
        {
            h = Native.Load(path, error, ErrorBufferLength);
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException or BadImageFormatException)
        {
            throw new ConfigurationException(
                $"The MuJoCo shim (lib{Native.Library}.so) could not be loaded: {e.Message} " +
                "Build CortexBot.Sim.MuJoCo on Linux with MuJoCo 2.2.2 and gcc installed: sudo apt-get install libmujoco-dev gcc");
        }
        if (h != 0) return h;
        var text = (Marshal.PtrToStringUTF8((nint)error) ?? "").Trim();
        if (text.Length == 0) text = "unknown error";
        if (!File.Exists(path)) throw new ConfigurationException($"MuJoCo scene not found: {path} (MuJoCo: {text})");
        throw new ConfigurationException($"MuJoCo could not load scene {path}: {text}");
    }

    private int BindJoint(string name, int expectedType, List<string> problems)
    {
        int j = Native.JointId(_h, name);
        if (j < 0) { problems.Add($"joint '{name}'"); return -1; }
        if (Native.JointType(_h, j) != expectedType)
        {
            problems.Add($"joint '{name}' of type {(expectedType == Native.JointHinge ? "hinge" : "slide")}");
            return -1;
        }
        return j;
    }

    private int BindActuator(string name, int joint, List<string> problems)
    {
        int a = Native.ActuatorId(_h, name);
        if (a < 0) { problems.Add($"actuator '{name}'"); return -1; }
        if (joint >= 0 && Native.ActuatorJoint(_h, a) != joint) { problems.Add($"actuator '{name}' driving joint '{name}'"); return -1; }
        return a;
    }

    private (double Lo, double Hi) CtrlRange(int actuator, JointRange joint)
    {
        double lo, hi;
        bool limited = Native.ActuatorCtrlRange(_h, actuator, &lo, &hi) > 0;
        if (!limited) (lo, hi) = (joint.Lower, joint.Upper);
        return (Math.Max(lo, joint.Lower), Math.Min(hi, joint.Upper));
    }

    private static bool IsContainerName(string name) =>
        name == BinName || name.EndsWith("_" + BinName, StringComparison.Ordinal);

    private string BodyName(int body)
    {
        var p = Native.BodyName(_h, body);
        return p == null ? "" : Marshal.PtrToStringUTF8((nint)p) ?? "";
    }

    private (Vec3 Half, (float R, float G, float B) Rgba, Vec3 Pos)? FirstBox(int body)
    {
        foreach (var g in BoxGeoms(body))
            return g;
        return null;
    }

    private List<(Vec3 Half, (float R, float G, float B) Rgba, Vec3 Pos)> BoxGeoms(int body)
    {
        var list = new List<(Vec3, (float, float, float), Vec3)>();
        int adr = Native.BodyGeomAdr(_h, body), num = Native.BodyGeomNum(_h, body);
        double* size = stackalloc double[3];
        double* pos = stackalloc double[3];
        double* quat = stackalloc double[4];
        float* rgba = stackalloc float[4];
        for (int g = adr; g < adr + num; g++)
        {
            if (Native.GeomType(_h, g) != Native.GeomBox) continue;
            Check(Native.GeomFrame(_h, g, size, pos, quat), "geom frame");
            Check(Native.GeomRgba(_h, g, rgba), "geom rgba");
            if (Math.Abs(Math.Abs(quat[0]) - 1) > 1e-9)
                throw new ConfigurationException($"MuJoCo scene {ScenePath}: body '{BodyName(body)}' has a rotated box geom; objects and containers need axis-aligned boxes in their body frame.");
            list.Add((new Vec3(size[0], size[1], size[2]), (rgba[0], rgba[1], rgba[2]), new Vec3(pos[0], pos[1], pos[2])));
        }
        return list;
    }

    /// <summary>
    /// A container's inner volume from its boxes: the floor is the box with the largest footprint, the walls the others;
    /// inside is what lies between the walls' inner faces (x and y) and from the floor's top to the lowest wall top.
    /// </summary>
    private (SceneObject Inner, Vec3 OuterHalf) ReadContainer(int body)
    {
        var name = BodyName(body);
        var boxes = BoxGeoms(body);
        if (boxes.Count < 5)
            throw new ConfigurationException($"MuJoCo scene {ScenePath}: container '{name}' needs a floor and four walls (box geoms), has {boxes.Count} boxes.");
        var floor = boxes.MaxBy(b => b.Half.X * b.Half.Y);
        double innerX = double.MaxValue, innerY = double.MaxValue, rim = double.MaxValue, outerX = 0, outerY = 0;
        foreach (var w in boxes)
        {
            outerX = Math.Max(outerX, Math.Abs(w.Pos.X) + w.Half.X);
            outerY = Math.Max(outerY, Math.Abs(w.Pos.Y) + w.Half.Y);
            if (w == floor) continue;
            rim = Math.Min(rim, w.Pos.Z + w.Half.Z);
            // a wall is thin across the side it closes
            if (w.Half.X < w.Half.Y) innerX = Math.Min(innerX, Math.Abs(w.Pos.X) - w.Half.X);
            else innerY = Math.Min(innerY, Math.Abs(w.Pos.Y) - w.Half.Y);
        }
        double bottom = floor.Pos.Z + floor.Half.Z;
        if (innerX == double.MaxValue || innerY == double.MaxValue || !(innerX > 0) || !(innerY > 0) || !(rim > bottom))
            throw new ConfigurationException($"MuJoCo scene {ScenePath}: container '{name}' has no closed inner volume (walls on both sides in x and y above its floor).");
        var half = new Vec3(innerX, innerY, (rim - bottom) / 2);
        var bodyPose = ReadBodyPose(body);
        var colour = ColorName(floor.Rgba.R, floor.Rgba.G, floor.Rgba.B);
        var centre = bodyPose.Transform(new Vec3(0, 0, bottom + half.Z));
        return (new SceneObject(name, SceneKinds.Bin, colour, new Pose(centre, bodyPose.Orientation), half), new Vec3(outerX, outerY, 0));
    }

    private ScatterRegion ReadScatterRegion()
    {
        var v = new double[4];
        int n;
        fixed (double* p = v) n = Native.Numeric(_h, ScatterRegionNumeric, p, 4);
        if (n <= 0) return ScatterRegion.Default;
        if (n != 4 || !(v[0] < v[1]) || !(v[2] < v[3]))
            throw new ConfigurationException($"MuJoCo scene {ScenePath}: <numeric name=\"{ScatterRegionNumeric}\"> needs min x < max x, min y < max y (4 values).");
        return new ScatterRegion(v[0], v[1], v[2], v[3]);
    }

    private int FreeDofAddress(string body)
    {
        int b = Native.BodyId(_h, body);
        return Native.JointDofAdr(_h, Native.BodyJointAdr(_h, b));
    }

    private void ResetToHome()
    {
        Check(Native.ResetKeyframe(_h, _homeKey), "mj_resetDataKeyframe");
        ReleaseAllJoints();
        for (int i = 0; i < Dof; i++)
        {
            _qpos[_armQ[i]] = _home[i];
            _ctrl[_armAct[i]] = _home[i];
            _prevCmd[i] = _home[i];
            _ff[i] = 0;
        }
        for (int f = 0; f < 2; f++)
        {
            _qpos[_fingerQ[f]] = _fingerHi[f];
            _ctrl[_fingerAct[f]] = _fingerHi[f];
        }
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

    private void Check(int rc, string what)
    {
        if (rc != 0) ThrowNativeFailure(what);
    }

    private void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(_h == 0, this);

    private static void ThrowWrongJointCount(int joints) =>
        throw new ArgumentException($"The arm has {Dof} joints; the buffer has {joints}.");

    private void ThrowNativeFailure(string what) =>
        throw new InvalidOperationException($"MuJoCo error in {what}: {Native.LastError()} (scene {ScenePath}); call ResetScene to recover.");
}

/// <summary>Where a scene's movable objects are scattered on reset (world frame, metres).</summary>
public sealed record ScatterRegion(double MinX, double MaxX, double MinY, double MaxY)
{
    public static readonly ScatterRegion Default = new(MuJoCoWorld.ScatterMinX, MuJoCoWorld.ScatterMaxX, MuJoCoWorld.ScatterMinY, MuJoCoWorld.ScatterMaxY);
}
