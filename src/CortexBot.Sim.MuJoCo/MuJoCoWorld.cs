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
