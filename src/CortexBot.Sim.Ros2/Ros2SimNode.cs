using System.Runtime.InteropServices;
using System.Text;
using CortexBot.Brainstem.Ros2;
using CortexBot.Core;
using CortexBot.Core.Ports;
using CortexBot.Sim.MuJoCo;

namespace CortexBot.Sim.Ros2;

/// <summary>Counters of the simulator node.</summary>
public sealed record SimNodeCounters(long Ticks, long TrajectoriesApplied, long ForwardCommandsApplied, long GripperCommandsApplied,
    long CommandsRejected, long Resets, long LateTicks, long ControllerStates, long ImagesPublished, long ImageFailures);

/// <summary>Why the simulator node refused trajectories (each also counts in <see cref="SimNodeCounters.CommandsRejected"/>).</summary>
public sealed record TrajectoryRejections(long UnknownOrMissingJoints, long NonFinite, long BadTiming, long TooManyPoints, long Malformed);

/// <summary>
/// The MuJoCo arm as a ROS 2 robot under ros2_control, over Cyclone DDS (<c>cortexbot sim serve</c>):
/// <list type="bullet">
/// <item>publishes sensor_msgs/JointState on <c>/joint_states</c> every tick (the 6 arm joints and both fingers, as
/// joint_state_broadcaster does; reliable, keep last 10);</item>
/// <item>accepts trajectory_msgs/JointTrajectory on <c>/&lt;controller&gt;/joint_trajectory</c> and std_msgs/Float64MultiArray on
/// <c>/&lt;controller&gt;/commands</c> (joints mapped by name for trajectories, in arm order for the array). As
/// joint_trajectory_controller does, a trajectory replaces the one in force and is sampled every tick at
/// now - start (header.stamp zero: start on receipt): from the setpoint in force at receipt to the first point, then
/// between points (cubic Hermite when every point carries velocities, linear otherwise), then holding the last point.
/// A single point is a target at once (CortexBot's link sends one only for a changed hold target; a motion goes out whole,
/// one trajectory per segment; an older CortexBot streamed one a tick). At most <see cref="MaxTrajectoryPoints"/> points; longer,
/// non-finite, non-monotonic or partly named trajectories are refused, counted by reason, and the arm holds;</item>
/// <item>accepts the gripper's Float64MultiArray (one finger position each; their sum is the opening);</item>
/// <item>publishes control_msgs/JointTrajectoryControllerState on <c>/&lt;controller&gt;/controller_state</c> at
/// <see cref="Ros2Options.ControllerStateRateHz"/> (a divisor of the tick rate): reference = the sampled setpoint and
/// its velocity, feedback = measured, error = reference - feedback, output = reference (a position interface);</item>
/// <item>with a camera, publishes sensor_msgs/Image (rgb8) on <see cref="Ros2Options.ImageTopic"/> at
/// <see cref="Ros2Options.ImageRateHz"/> with sensor-data QoS, rendered on a thread of its own, never on the tick;</item>
/// <item>publishes tf2_msgs/TFMessage on <c>/tf</c> with the pose of each scene object (child frame: its name) in
/// <c>world</c>, with the scene; with a robot description, publishes it once as std_msgs/String on
/// <c>/robot_description</c> (reliable, transient local, depth 1: late subscribers get it, as from robot_state_publisher);</item>
/// <item>publishes cortexbot_msgs/SceneStatus on <c>/cortexbot/sim/scene</c> at 50 Hz and right after a reset, and serves
/// cortexbot_msgs/ResetRequest on <c>/cortexbot/sim/reset</c> (the status carries the id of the last reset served).</item>
/// </list>
/// As a robot (<c>--as-robot</c>, <see cref="AsRobot"/>) it offers only what a ros2_control arm with a camera and a
/// perception node offers: no scene status, no resets, no object /tf; instead vision_msgs/Detection3DArray on
/// <see cref="Ros2Options.DetectionsTopic"/> (see <see cref="SimDetectionPublisher"/>).
/// The physics advances one control period per tick, paced to absolute deadlines on its own thread.
/// </summary>
public sealed unsafe partial class Ros2SimNode : IDisposable
{
    /// <summary>The longest trajectory accepted: the buffers are preallocated so the tick never allocates.</summary>
    public const int MaxTrajectoryPoints = 256;

    private readonly MuJoCoWorld _world;
    private readonly Ros2Options _o;
    private readonly double _rate;
    private readonly DdsParticipant _dds;
    private readonly int _stateWriter, _controllerStateWriter, _imageWriter, _trajReader, _fwdReader, _gripReader, _resetReader;
    private readonly NativeStrings _mem = new();
    private readonly JointStateMsg* _js;
    private readonly double* _jsPos, _jsVel;
    private readonly string[] _names;
    private readonly byte[][] _armUtf8;
    private readonly RobotStateBuffer _state;
    private readonly JointCommandBuffer _cmd;
    private uint _resetId;
    private int _seed;
    private long _ticks, _traj, _fwd, _grip, _rejected, _resets, _late, _ctrlStates, _images, _imageFailures;
    private readonly ControllerStateMsg* _cs;
    // Jazzy's layout of the same state (control_msgs 5.x), filled from _cs before it is written
    private readonly ControllerStateJazzyMsg* _csJazzy;
    private readonly double* _refPos, _refVel, _fbPos, _fbVel, _errPos, _errVel;
    private readonly ISceneCamera? _camera;
    private readonly byte* _rgb8, _cameraFrame;
    private volatile string? _imageProblem;
    // two preallocated trajectories: a message is parsed and validated into the spare one, and only a valid one is
    // swapped in, so a refused message never disturbs the trajectory in force (both live on the tick thread)
    private TrajectoryBuffer _active, _spare;
    // the buffer the latest accepted trajectory was parsed into (its final point is a goal's target)
    private TrajectoryBuffer? _lastParsed;
    private bool _following;
    private long _rejUnknown, _rejNonFinite, _rejTiming, _rejTooMany, _rejMalformed;
    private volatile string? _lastRejection;
    // refusal reasons already seen (tick thread only) and those not yet logged (bits of Rejection, set by the tick,
    // taken by the log thread): the tick never formats or writes a log line itself
    private int _rejSeen, _rejToLog;
    private readonly Action<string>? _log;
    // the simulator's scene status and /tf, or (--as-robot) a perception node's detections: exactly one is set
    private readonly SimScenePublisher? _scene;
    private readonly SimDetectionPublisher? _detections;

    /// <param name="camera">Renders the images published on <see cref="Ros2Options.ImageTopic"/>; null: no images.
    /// The node does not own it: dispose it after <see cref="Run"/> returns.</param>
    /// <param name="log">Receives one line the first time a trajectory is refused for each reason (as
    /// joint_trajectory_controller logs a refusal), from a thread of the node's own, never the tick; null: count only.</param>
    /// <param name="robotDescription">The robot's URDF text, published on <see cref="RobotDescriptionTopic"/>; null: none.</param>
    /// <param name="asRobot">Non-null: behave as a plain ros2_control robot with a perception node publishing detections
    /// so (no scene status, resets or object /tf).</param>
    /// <param name="gazeboControl">Non-null: also serve Gazebo's world control service for the world of that name
    /// (<c>/world/NAME/control</c>, see <see cref="GazeboControlService"/>).</param>
    public Ros2SimNode(MuJoCoWorld world, Ros2Options options, double rateHz, int seed, ISceneCamera? camera = null,
        Action<string>? log = null, string? robotDescription = null, SimDetectionOptions? asRobot = null, string? gazeboControl = null)
    {
        asRobot?.Validate();
        _log = log;
        if (!double.IsFinite(rateHz) || rateHz < 10 || rateHz > 5000) throw new ConfigurationException($"--rate must be between 10 and 5000 Hz, got {rateHz}");
        _world = world;
        _o = options.Validate();
        _rate = rateHz;
        _seed = seed;
        _camera = camera;
        int dof = world.JointNames.Count;
        if (options.GripperJoints.FirstOrDefault(world.JointNames.Contains) is { } both)
            throw new ConfigurationException($"gripper joint '{both}' is also an arm joint of the simulated arm");
        _names = [.. world.JointNames, .. options.GripperJoints];
        _armUtf8 = [.. world.JointNames.Select(Encoding.UTF8.GetBytes)];
        _state = new RobotStateBuffer(dof);
        _cmd = new JointCommandBuffer(dof);
        _active = new TrajectoryBuffer(dof);
        _spare = new TrajectoryBuffer(dof);

        _dds = new DdsParticipant(options.DomainId, options.EffectiveCycloneConfig, options.NodeName, distro: options.Distro);
        try
        {
            _stateWriter = _dds.Writer(RosType.JointState, options.JointStatesTopic, RosQos.Default);
            // joint_trajectory_controller publishes its state with SystemDefaultsQoS
            _controllerStateWriter = _dds.Writer(options.Distro == RosDistro.Jazzy ? RosType.ControllerStateJazzy : RosType.ControllerState,
                options.ControllerStateTopic, RosQos.SystemDefault);
            if (camera is not null) _imageWriter = _dds.Writer(RosType.Image, options.ImageTopic, RosQos.SensorData);
            _trajReader = _dds.Reader(RosType.JointTrajectory, $"/{options.Controller}/joint_trajectory", RosQos.SystemDefault);
            _fwdReader = _dds.Reader(RosType.Float64MultiArray, $"/{options.Controller}/commands", RosQos.SystemDefault);
            _gripReader = _dds.Reader(RosType.Float64MultiArray, options.GripperTopic, RosQos.SystemDefault);
            if (asRobot is null)
            {
                _resetReader = _dds.Reader(RosType.ResetRequest, options.ResetTopic, RosQos.Default);
                _scene = new SimScenePublisher(world, _dds, options);
            }
            else _detections = new SimDetectionPublisher(world, _dds, options.DetectionsTopic, asRobot);
            if (robotDescription is not null) SimScenePublisher.PublishRobotDescription(_dds, robotDescription);
            if (gazeboControl is not null) CreateGazeboControl(gazeboControl);
            CreateActionServer();
        }
        catch
        {
            _dds.Dispose();
            throw;
        }

        int n = _names.Length;
        _jsPos = _mem.Alloc<double>(n);
        _jsVel = _mem.Alloc<double>(n);
        _js = _mem.Alloc<JointStateMsg>(1);
        _js->Header.FrameId = _mem.Add("");
        _js->Name = DdsSequence.Of(_mem.AddArray(_names), n);
        _js->Position = DdsSequence.Of(_jsPos, n);
        _js->Velocity = DdsSequence.Of(_jsVel, n);
        _js->Effort = DdsSequence.Of(null, 0);

        _refPos = _mem.Alloc<double>(dof);
        _refVel = _mem.Alloc<double>(dof);
        _fbPos = _mem.Alloc<double>(dof);
        _fbVel = _mem.Alloc<double>(dof);
        _errPos = _mem.Alloc<double>(dof);
        _errVel = _mem.Alloc<double>(dof);
        _cs = _mem.Alloc<ControllerStateMsg>(1);
        _cs->Header.FrameId = _js->Header.FrameId;
        // the trajectory controller's joints are the arm's (the fingers belong to the gripper controller)
        _cs->JointNames = DdsSequence.Of(_mem.AddArray(world.JointNames), dof);
        _cs->Reference.Positions = DdsSequence.Of(_refPos, dof);
        _cs->Reference.Velocities = DdsSequence.Of(_refVel, dof);
        _cs->Feedback.Positions = DdsSequence.Of(_fbPos, dof);
        _cs->Feedback.Velocities = DdsSequence.Of(_fbVel, dof);
        _cs->Error.Positions = DdsSequence.Of(_errPos, dof);
        _cs->Error.Velocities = DdsSequence.Of(_errVel, dof);
        _cs->Output.Positions = DdsSequence.Of(_refPos, dof);
        _cs->Desired = _cs->Reference;
        _cs->Actual = _cs->Feedback;
        _csJazzy = _mem.Alloc<ControllerStateJazzyMsg>(1);
        _csJazzy->Header.FrameId = _cs->Header.FrameId;
        _csJazzy->JointNames = _cs->JointNames;
        _csJazzy->Reference = _cs->Reference;
        _csJazzy->Feedback = _cs->Feedback;
        _csJazzy->Error = _cs->Error;
        _csJazzy->Output = _cs->Output;
        // joint_trajectory_controller's factor when nothing scales it
        _csJazzy->SpeedScalingFactor = 1.0;
        _gzReply = _mem.Alloc<ControlWorldResponseMsg>(1);
        _rgb8 = _mem.Add("rgb8");
        _cameraFrame = _mem.Add("camera");
        InitActionMessages();
    }

    /// <summary>Where the robot description goes (robot_state_publisher's topic).</summary>
    public const string RobotDescriptionTopic = "/robot_description";
    public const string TfTopic = "/tf";

    public double RateHz => _rate;

    /// <summary>Whether the node plays a plain robot (<c>--as-robot</c>): detections instead of scene status, resets and object /tf.</summary>
    public bool AsRobot => _detections is not null;

    /// <summary>Detection frames published (0 unless <see cref="AsRobot"/>).</summary>
    public long DetectionFramesPublished => _detections?.FramesPublished ?? 0;

    /// <summary>Why the latest detection frame could not be published (null: none failed).</summary>
    public string? DetectionProblem => _detections?.Problem;

    public SimNodeCounters Counters => new(Interlocked.Read(ref _ticks), Interlocked.Read(ref _traj), Interlocked.Read(ref _fwd),
        Interlocked.Read(ref _grip), Interlocked.Read(ref _rejected), Interlocked.Read(ref _resets), Interlocked.Read(ref _late),
        Interlocked.Read(ref _ctrlStates), Interlocked.Read(ref _images), Interlocked.Read(ref _imageFailures));

    public TrajectoryRejections TrajectoryRejections => new(Interlocked.Read(ref _rejUnknown), Interlocked.Read(ref _rejNonFinite),
        Interlocked.Read(ref _rejTiming), Interlocked.Read(ref _rejTooMany), Interlocked.Read(ref _rejMalformed));

    /// <summary>Why the latest refused trajectory was refused (null: none refused).</summary>
    public string? LastTrajectoryRejection => _lastRejection;

    /// <summary>Why the latest image could not be rendered or published (null: no failure).</summary>
    public string? ImageProblem => _imageProblem;

    /// <summary>Runs until <paramref name="ct"/> is cancelled. Call from a dedicated thread.</summary>
    public void Run(CancellationToken ct)
    {
        double period = 1.0 / _rate;
        _world.Start(period);
        _world.ResetScene(_seed);
        _world.Read(_state);
        HoldCurrent();
        long periodNs = (long)(period * 1e9);
        long next = MonotonicClock.NowNs;
        int sceneEvery = Math.Max(1, (int)Math.Round(_rate / 50));
        int stateEvery = Math.Max(1, (int)Math.Round(_rate / _o.ControllerStateRateHz));
        using var stopImages = CancellationTokenSource.CreateLinkedTokenSource(ct);
        Thread? images = null;
        if (_camera is not null)
        {
            images = new Thread(() => PublishImages(stopImages.Token)) { IsBackground = true, Name = "cortexbot-sim-node-camera" };
            images.Start();
        }
        Thread? detections = null;
        if (_detections is not null)
        {
            detections = new Thread(() => _detections.Run(stopImages.Token)) { IsBackground = true, Name = "cortexbot-sim-node-detections" };
            detections.Start();
        }
        Thread? logs = null;
        if (_log is not null)
        {
            logs = new Thread(() => LogRefusals(stopImages.Token)) { IsBackground = true, Name = "cortexbot-sim-node-log" };
            logs.Start();
        }
        try
        {
            Tick(ct, periodNs, next, sceneEvery, stateEvery);
        }
        finally
        {
            stopImages.Cancel();
            images?.Join();
            detections?.Join();
            logs?.Join();
        }
    }

    private void Tick(CancellationToken ct, long periodNs, long next, int sceneEvery, int stateEvery)
    {
        while (!ct.IsCancellationRequested)
        {
            bool sceneDue = DrainResets();
            DrainGazeboControl();
            DrainCommands();
            DrainActionRequests();
            if (_following) SampleTrajectory(MonotonicClock.NowNs);
            _world.Write(_cmd);
            _world.Read(_state);
            CheckActiveGoal();
            PublishJointState();
            if (_ticks % stateEvery == 0)
            {
                PublishControllerState();
                PublishGoalFeedback();
            }
            if (sceneDue || _ticks % sceneEvery == 0)
            {
                _scene?.Publish(_resetId, _seed);
                ExpireGoals();
            }
            PublishGoalStatusIfChanged();
            Interlocked.Increment(ref _ticks);

            next += periodNs;
            long now = MonotonicClock.NowNs;
            if (now > next + periodNs)
            {
                Interlocked.Increment(ref _late);
                next = now; // do not try to catch up a backlog: keep real time
            }
            SleepUntil(next);
        }
    }

    private void HoldCurrent()
    {
        for (int i = 0; i < _cmd.Joints; i++) { _cmd.Position[i] = _state.Position[i]; _refVel[i] = 0; }
        _cmd.GripperOpening = _state.GripperOpening;
        _following = false;
    }

    private bool DrainResets()
    {
        bool any = false;
        if (_resetReader == 0) return false; // a robot (--as-robot) cannot be reset
        while (true)
        {
            int r = Native.Take(_resetReader, out void* p, out _);
            if (r <= 0) return any;
            if (r != 1) continue;
            var req = *(ResetRequestMsg*)p;
            Native.ReturnLoan(_resetReader, p);
            if (req.ResetId == _resetId) continue; // a resend of the reset just served
            _world.ResetScene(req.Seed);
            _world.Read(_state);
            HoldCurrent();
            // commands queued before the reset target the old world: drop them
            DiscardCommands();
            EndActiveGoal(GoalStatusCode.Aborted, FollowJointTrajectoryError.InvalidGoal, _msgReset);
            _resetId = req.ResetId;
            _seed = req.Seed;
            Interlocked.Increment(ref _resets);
            any = true;
        }
    }

    private void DiscardCommands()
    {
        foreach (var reader in new[] { _trajReader, _fwdReader, _gripReader })
            while (Native.Take(reader, out void* p, out _) is int r && r != 0 && r > 0)
                if (r == 1) Native.ReturnLoan(reader, p);
    }

    private void DrainCommands()
    {
        while (true)
        {
            int r = Native.Take(_trajReader, out void* p, out _);
            if (r <= 0) break;
            if (r != 1) continue;
            var why = ApplyTrajectory((JointTrajectoryMsg*)p);
            if (why == Rejection.None)
            {
                Interlocked.Increment(ref _traj);
                EndActiveGoal(GoalStatusCode.Aborted, FollowJointTrajectoryError.InvalidGoal, _msgReplacedByTopic);
            }
            else
            {
                Interlocked.Increment(ref _rejected);
                CountRejection(why);
            }
            Native.ReturnLoan(_trajReader, p);
        }
        while (true)
        {
            int r = Native.Take(_fwdReader, out void* p, out _);
            if (r <= 0) break;
            if (r != 1) continue;
            var m = (Float64MultiArrayMsg*)p;
            if (m->Data.Length == _cmd.Joints && AllFinite((double*)m->Data.Buffer, _cmd.Joints))
            {
                // a forward command overrides any trajectory in force, as switching controllers would
                _following = false;
                for (int i = 0; i < _cmd.Joints; i++) { _cmd.Position[i] = ((double*)m->Data.Buffer)[i]; _refVel[i] = 0; }
                Interlocked.Increment(ref _fwd);
                EndActiveGoal(GoalStatusCode.Aborted, FollowJointTrajectoryError.InvalidGoal, _msgReplacedByTopic);
            }
            else Interlocked.Increment(ref _rejected);
            Native.ReturnLoan(_fwdReader, p);
        }
        while (true)
        {
            int r = Native.Take(_gripReader, out void* p, out _);
            if (r <= 0) break;
            if (r != 1) continue;
            var m = (Float64MultiArrayMsg*)p;
            int n = (int)m->Data.Length;
            if (n == _o.GripperJoints.Count && n > 0 && AllFinite((double*)m->Data.Buffer, n))
            {
                double sum = 0;
                for (int k = 0; k < n; k++) sum += ((double*)m->Data.Buffer)[k];
                _cmd.GripperOpening = sum;
                Interlocked.Increment(ref _grip);
            }
            else Interlocked.Increment(ref _rejected);
            Native.ReturnLoan(_gripReader, p);
        }
    }

    private enum Rejection { None, Joints, NonFinite, Timing, TooMany, Malformed, OldStamp }

    // built once: a refusal on the tick must not allocate its reason
    private static readonly string TooManyPoints = $"a trajectory may hold at most {MaxTrajectoryPoints} points";

    private static string Describe(Rejection why) => why switch
    {
        Rejection.Joints => "a trajectory must name every arm joint (and only known joints)",
        Rejection.NonFinite => "a trajectory point holds a NaN or infinite position or velocity",
        Rejection.Timing => "time_from_start must be non-negative and strictly increasing from point to point",
        Rejection.TooMany => TooManyPoints,
        Rejection.OldStamp => "the trajectory ends before now (header.stamp plus the last time_from_start is in the past)",
        _ => "a trajectory needs points whose positions (and velocities, if any) match its joint names",
    };

    private void CountRejection(Rejection why)
    {
        switch (why)
        {
            case Rejection.Joints: Interlocked.Increment(ref _rejUnknown); break;
            case Rejection.NonFinite: Interlocked.Increment(ref _rejNonFinite); break;
            case Rejection.Timing or Rejection.OldStamp: Interlocked.Increment(ref _rejTiming); break;
            case Rejection.TooMany: Interlocked.Increment(ref _rejTooMany); break;
            default: Interlocked.Increment(ref _rejMalformed); break;
        }
        _lastRejection = Describe(why);
        int bit = 1 << (int)why;
        if ((_rejSeen & bit) == 0)
        {
            _rejSeen |= bit;
            Interlocked.Or(ref _rejToLog, bit);
        }
    }

    /// <summary>Logs each refusal reason once, the first time it occurs (its own thread; a last pass at stop).</summary>
    private void LogRefusals(CancellationToken ct)
    {
        while (true)
        {
            bool stopping = ct.WaitHandle.WaitOne(50);
            int bits = Interlocked.Exchange(ref _rejToLog, 0);
            foreach (var why in Enum.GetValues<Rejection>())
                if ((bits & (1 << (int)why)) != 0)
                    _log!($"refused a trajectory: {Describe(why)} (the arm holds; further refusals for this reason are counted, not logged)");
            if (stopping) return;
        }
    }

    /// <summary>Validates a trajectory into the spare buffer and, if valid, makes it the one in force (tick thread).</summary>
    private Rejection ApplyTrajectory(JointTrajectoryMsg* m)
    {
        int n = (int)m->JointNames.Length, count = (int)m->Points.Length, dof = _armUtf8.Length;
        if (count == 0 || n == 0 || m->JointNames.Buffer == null || m->Points.Buffer == null) return Rejection.Malformed;
        if (count > MaxTrajectoryPoints) return Rejection.TooMany;
        var names = (byte**)m->JointNames.Buffer;
        // every arm joint must be present: a partial trajectory would leave joints at stale targets
        Span<int> idx = stackalloc int[dof];
        for (int i = 0; i < dof; i++)
        {
            idx[i] = -1;
            for (int k = 0; k < n; k++)
                if (Native.Equals(names[k], _armUtf8[i])) { idx[i] = k; break; }
            if (idx[i] < 0) return Rejection.Joints;
        }
        if (n != dof) return Rejection.Joints; // a name the arm does not have
        var points = (JointTrajectoryPointMsg*)m->Points.Buffer;
        var t = _spare;
        // velocities are used only when every point has them: a trajectory mixing both is interpolated linearly
        bool withVelocities = true;
        long previous = -1;
        for (int j = 0; j < count; j++)
        {
            var pt = points + j;
            if (pt->Positions.Length != n) return Rejection.Malformed;
            if (pt->Velocities.Length != 0 && pt->Velocities.Length != n) return Rejection.Malformed;
            var pos = (double*)pt->Positions.Buffer;
            if (!AllFinite(pos, n)) return Rejection.NonFinite;
            if (pt->Velocities.Length == 0) withVelocities = false;
            else if (!AllFinite((double*)pt->Velocities.Buffer, n)) return Rejection.NonFinite;
            long tfs = pt->TimeFromStart.TotalNanoseconds;
            if (pt->TimeFromStart.Sec < 0 || tfs <= previous) return Rejection.Timing;
            previous = tfs;
            t.TimeNs[j] = tfs;
            for (int i = 0; i < dof; i++)
            {
                t.Position[j * dof + i] = pos[idx[i]];
                t.Velocity[j * dof + i] = pt->Velocities.Length == n ? ((double*)pt->Velocities.Buffer)[idx[i]] : 0;
            }
        }
        t.Count = count;
        t.WithVelocities = withVelocities;
        long now = MonotonicClock.NowNs;
        long stamp = m->Header.Stamp.TotalNanoseconds;
        // header.stamp is ROS (wall) time; zero means start now, as in joint_trajectory_controller
        t.StartNs = stamp == 0 ? now : now + (stamp - (DateTime.UtcNow - DateTime.UnixEpoch).Ticks * 100);
        _lastParsed = t;

        if (count == 1)
        {
            // a single point is a target at once, unlike joint_trajectory_controller (which would ramp to it over
            // time_from_start): CortexBot's link once streamed one point a tick, and ramping each over its 3-period
            // lead lagged the arm enough to trip the cerebellum's tracking-error check in the two-process run (it now
            // sends a whole trajectory per motion and single points only as hold targets)
            _following = false;
            for (int i = 0; i < dof; i++) { _cmd.Position[i] = t.Position[i]; _refVel[i] = 0; }
            return Rejection.None;
        }
        // the trajectory starts from the setpoint in force (its position and velocity), so replacing one never jumps
        for (int i = 0; i < dof; i++) { t.FromPosition[i] = _cmd.Position[i]; t.FromVelocity[i] = _refVel[i]; }
        (_active, _spare) = (t, _active);
        _following = true;
        return Rejection.None;
    }

    /// <summary>Sets the servo targets and reference velocities to the trajectory in force at <paramref name="nowNs"/>.</summary>
    private void SampleTrajectory(long nowNs)
    {
        var t = _active;
        int dof = _cmd.Joints;
        long at = nowNs - t.StartNs;
        if (at < 0) return; // a start in the future: hold the setpoint in force until then
        int last = t.Count - 1;
        if (at >= t.TimeNs[last])
        {
            for (int i = 0; i < dof; i++) { _cmd.Position[i] = t.Position[last * dof + i]; _refVel[i] = 0; }
            _following = false;
            return;
        }
        int seg = 0;
        while (t.TimeNs[seg] <= at) seg++;
        long t0 = seg == 0 ? 0 : t.TimeNs[seg - 1];
        double span = (t.TimeNs[seg] - t0) * 1e-9, s = (at - t0) * 1e-9 / span;
        for (int i = 0; i < dof; i++)
        {
            double p0 = seg == 0 ? t.FromPosition[i] : t.Position[(seg - 1) * dof + i];
            double p1 = t.Position[seg * dof + i];
            if (t.WithVelocities)
            {
                // cubic Hermite: positions and velocities match at both ends of the segment
                double v0 = seg == 0 ? t.FromVelocity[i] : t.Velocity[(seg - 1) * dof + i];
                double v1 = t.Velocity[seg * dof + i];
                double s2 = s * s, s3 = s2 * s;
                _cmd.Position[i] = (2 * s3 - 3 * s2 + 1) * p0 + (s3 - 2 * s2 + s) * span * v0 + (-2 * s3 + 3 * s2) * p1 + (s3 - s2) * span * v1;
                _refVel[i] = ((6 * s2 - 6 * s) * p0 + (-6 * s2 + 6 * s) * p1) / span + (3 * s2 - 4 * s + 1) * v0 + (3 * s2 - 2 * s) * v1;
            }
            else
            {
                _cmd.Position[i] = p0 + s * (p1 - p0);
                _refVel[i] = (p1 - p0) / span;
            }
        }
    }

    /// <summary>A trajectory in arm joint order, sized once for <see cref="MaxTrajectoryPoints"/>.</summary>
    private sealed class TrajectoryBuffer(int dof)
    {
        public readonly long[] TimeNs = new long[MaxTrajectoryPoints];
        public readonly double[] Position = new double[MaxTrajectoryPoints * dof];
        public readonly double[] Velocity = new double[MaxTrajectoryPoints * dof];
        public readonly double[] FromPosition = new double[dof];
        public readonly double[] FromVelocity = new double[dof];
        public int Count;
        public bool WithVelocities;
        public long StartNs;
    }

    private static bool AllFinite(double* v, int n)
    {
        if (v == null) return false;
        for (int i = 0; i < n; i++) if (!double.IsFinite(v[i])) return false;
        return true;
    }

    private void PublishJointState()
    {
        int dof = _state.Joints;
        for (int i = 0; i < dof; i++) { _jsPos[i] = _state.Position[i]; _jsVel[i] = _state.Velocity[i]; }
        int g = _o.GripperJoints.Count;
        for (int k = 0; k < g; k++) { _jsPos[dof + k] = _state.GripperOpening / g; _jsVel[dof + k] = 0; }
        _js->Header.Stamp = RosTime.FromNanoseconds(DateTime.UtcNow.Ticks * 100 - DateTime.UnixEpoch.Ticks * 100);
        Native.Write(_stateWriter, _js);
    }

    private void PublishControllerState()
    {
        for (int i = 0; i < _state.Joints; i++)
        {
            double r = _cmd.Position[i], p = _state.Position[i], v = _state.Velocity[i];
            _refPos[i] = r;
            _fbPos[i] = p;
            _fbVel[i] = v;
            _errPos[i] = r - p;
            _errVel[i] = _refVel[i] - v;
        }
        _cs->Header.Stamp = _js->Header.Stamp;
        _csJazzy->Header.Stamp = _js->Header.Stamp;
        void* sample = _o.Distro == RosDistro.Jazzy ? _csJazzy : _cs;
        if (Native.Write(_controllerStateWriter, sample) >= 0) Interlocked.Increment(ref _ctrlStates);
    }

    /// <summary>Renders and publishes images at the configured rate (its own thread: a frame takes tens of ms).</summary>
    private void PublishImages(CancellationToken ct)
    {
        long periodNs = (long)(1e9 / _o.ImageRateHz);
        long next = MonotonicClock.NowNs;
        while (!ct.IsCancellationRequested)
        {
            try
            {
                var frame = _camera!.CaptureAsync(ct).GetAwaiter().GetResult();
                int rc = WriteImage(_imageWriter, frame, _rgb8, _cameraFrame);
                if (rc < 0) throw new InvalidOperationException($"could not publish an image on {_o.ImageTopic}: {Native.Describe(rc)}");
                Interlocked.Increment(ref _images);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested) { break; }
            catch (Exception e)
            {
                // the node keeps serving the arm without images; the failure is counted and reported
                Interlocked.Increment(ref _imageFailures);
                _imageProblem = e.Message;
            }
            next += periodNs;
            long now = MonotonicClock.NowNs;
            if (next < now) next = now;
            if (ct.WaitHandle.WaitOne(TimeSpan.FromTicks((next - now) / 100))) break;
        }
    }

    /// <summary>Publishes one frame as sensor_msgs/Image (rgb8, rows top first, no padding). Stamped with the wall time it was rendered.</summary>
    internal static int WriteImage(int writer, CameraFrame frame, byte* rgb8, byte* frameId)
    {
        long wallNs = (DateTime.UtcNow - DateTime.UnixEpoch).Ticks * 100 - (MonotonicClock.NowNs - frame.StampNs);
        fixed (byte* data = frame.Rgb)
        {
            ImageMsg m = default;
            m.Header.Stamp = RosTime.FromNanoseconds(wallNs);
            m.Header.FrameId = frameId;
            m.Height = (uint)frame.Height;
            m.Width = (uint)frame.Width;
            m.Encoding = rgb8;
            m.IsBigendian = 0;
            m.Step = (uint)(3 * frame.Width);
            m.Data = DdsSequence.Of(data, frame.Rgb.Length);
            return Native.Write(writer, &m);
        }
    }

    /// <summary>Sleeps to an absolute monotonic deadline (nanosleep; no spinning).</summary>
    internal static void SleepUntil(long deadlineNs)
    {
        long now = MonotonicClock.NowNs;
        if (deadlineNs <= now) return;
        long d = deadlineNs - now;
        var ts = new Timespec { Sec = d / 1_000_000_000, Nsec = d % 1_000_000_000 };
        nanosleep(&ts, null);
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct Timespec { public long Sec; public long Nsec; }

    [DllImport("libc", SetLastError = false)]
    private static extern int nanosleep(Timespec* req, Timespec* rem);

    public void Dispose()
    {
        _dds.Dispose();
        _detections?.Dispose();
        _mem.Dispose();
    }
}
