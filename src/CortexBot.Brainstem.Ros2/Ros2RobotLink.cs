using CortexBot.Core;
using CortexBot.Core.Messages;
using CortexBot.Core.Ports;

namespace CortexBot.Brainstem.Ros2;

/// <summary>Counters of the ROS 2 link (read any time, from any thread).</summary>
public sealed record Ros2LinkCounters(
    long JointStatesAccepted, long RejectedMissingJoints, long RejectedNonFinite, long RejectedMalformed,
    long StaleReads, long Reconnects, long CommandsSent, long WritesHeld, long EmergencyStops, long ScenesReceived,
    long ImagesAccepted, long ImagesRejected, long GoalsSent = 0, long GoalsAccepted = 0, long GoalsRejected = 0,
    long TrajectoriesSent = 0, long HoldPointsSent = 0, long TrajectoriesCancelled = 0, long GoalsSucceeded = 0, long GoalsAborted = 0,
    long GoalsCanceled = 0, long FeedbackReceived = 0, long Faults = 0);

/// <summary>
/// The brainstem's ROS 2 link: an arm under ros2_control (a physical robot, Gazebo, or <c>cortexbot sim serve</c>) over
/// Cyclone DDS, with ROS 2's topic, type, encoding and QoS conventions.
/// <list type="bullet">
/// <item>Subscribes sensor_msgs/JointState on <see cref="Ros2Options.JointStatesTopic"/> (best effort, so it matches any
/// publisher). Joints are mapped by name, never by position; a message lacking one of the arm's joints, with
/// non-finite values or inconsistent lengths is rejected and counted.</item>
/// <item>Commands, by <see cref="Ros2Options.CommandInterface"/>. Forward: each tick's command as a
/// std_msgs/Float64MultiArray. Trajectory (<see cref="ITrajectoryLink"/>): each motion the control loop begins (a skill's
/// segment, a policy's chunk) as ONE multi-point trajectory_msgs/JointTrajectory with positions, velocities and
/// accelerations (header stamp 0 = start on receipt) on the controller's topic, or with
/// <see cref="Ros2TrajectoryInterface.Action"/> as ONE FollowJointTrajectory goal with the configured tolerances
/// (see <see cref="Ros2TrajectoryActionClient"/>: results, feedback, cancellation). While a motion is in force the
/// per-tick <see cref="Write"/> sends only the gripper; the motion is over when the loop's command reaches its last
/// point, or on <see cref="Cancel"/>. A hold target that then changes by more than <see cref="HoldDeadband"/> (a program
/// without trajectories, a hold after an anomaly on the topic interface) goes out as a single-point trajectory
/// (time_from_start = a few control periods); an unchanged one sends nothing (at start the controller is taken to hold
/// the measured position), so a controller holding still gets no traffic. The gripper's Float64MultiArray goes
/// out when it changes.</item>
/// <item>Watchdog: <see cref="Read"/> returns false when the newest accepted state is older than
/// <see cref="Ros2Options.StaleAfter"/>; the control loop then holds, and <see cref="Write"/> sends nothing (the
/// controller keeps its last target). Fresh states from a publisher that comes back make it resume ("reconnect").</item>
/// <item>Emergency stop (std_msgs/Bool true on <see cref="Ros2Options.EmergencyStopTopic"/>): from the next tick on,
/// Write holds the command in force when it arrived until a false releases it, the motion in force is cancelled (its goal,
/// or on the topic a single point at the held command) and new trajectories are refused.</item>
/// <item>World resets and the scene can come from the simulator node's topics (<see cref="IWorldReset"/>, <see cref="IScenePerception"/>); a physical
/// arm has no such node (<see cref="DiscoverSimulatorNode"/> tells), and a reset then fails with a clear error after
/// <see cref="Ros2Options.ResetTimeout"/>. Its scene then comes from a perception node's detections (<see cref="Detections"/>,
/// turned into a scene by the host's perceived scene). Gazebo's world is reset through its bridged control service
/// instead (<see cref="ResetGazeboWorld"/>; <see cref="DiscoverWorld"/> finds either).</item>
/// <item>Camera (<see cref="ISceneCamera"/>, when <see cref="Ros2Options.ReceiveImages"/>): subscribes sensor_msgs/Image
/// (rgb8) on <see cref="Ros2Options.ImageTopic"/>; a capture returns the newest valid frame, or fails clearly when none
/// arrived or it is older than <see cref="Ros2Options.ImageStaleAfter"/>. Garbled images are counted and ignored.</item>
/// </list>
/// The link composes one class per seam (<see cref="Ros2JointStateReceiver"/>, <see cref="Ros2CommandPublisher"/>,
/// <see cref="Ros2TrajectoryActionClient"/>, <see cref="Ros2SceneClient"/>, <see cref="Ros2CameraReceiver"/>) and offers
/// their capabilities as the ports. Joint states are taken on DDS's own thread as they are delivered (a listener: no
/// wake-up of a thread of ours between the wire and the buffer), everything else on the link's own thread (a DDS
/// waitset), into seqlock-protected buffers; Read and Write run on the control thread and allocate nothing.
/// </summary>
public sealed unsafe class Ros2RobotLink : IRobotLink, ITrajectoryLink, IScenePerception, IWorldReset, ISceneCamera
{
    private readonly Ros2Options _o;
    private readonly string[] _joints;
    private readonly DdsParticipant _dds;
    private readonly Ros2JointStateReceiver _states;
    private readonly Ros2CommandPublisher _commands;
    private readonly Ros2TrajectoryActionClient? _action;
    private readonly Ros2SceneClient _scene;
    private readonly Ros2GazeboWorldClient _gazebo;
    private readonly Ros2CameraReceiver _camera;
    private readonly Ros2Diagnostics _diagnostics;
    private readonly DdsVendorWatch _vendors;
    private long _lastDiagnosticsNs;
    private readonly int _estopReader, _statusWriter, _waitset;
    private readonly NativeStrings _mem = new();
    private readonly byte* _emptyString;
    private readonly Thread _receiver;
    private volatile bool _stopping;
    private long _lastStatusNs;

    // control-thread state
    private double _period = 0.002;
    private readonly JointCommandBuffer _frozen;
    private bool _frozenValid;
    private long _held;
    // trajectory interfaces (control thread): the arm target the controller was last given (a motion's last point or a
    // hold point), whether a motion is in force, whether the next command is adopted as that target without sending it
    // (the controller holds on its own after a cancel or a reset), and whether it must be sent (a hold on the topic after a
    // cancel). A hold target within HoldDeadband of the target is not sent: the controller already holds there.
    private readonly double[] _target;
    private bool _motionInForce, _adoptNext, _sendNext = true;
    /// <summary>A hold target closer than this (rad, every joint) to the controller's target is not sent again.</summary>
    public const double HoldDeadband = 1e-4;
    private long _holdPoints, _cancels;

    // emergency stop (receiver thread writes, control thread reads)
    private volatile bool _estop;
    private long _estops;

    /// <param name="warn">Receives warnings of the link's own (one line each): participants of another DDS implementation
    /// on the domain, once per vendor. Called on the link's receiver thread. Null: they go to standard error.</param>
    public Ros2RobotLink(IReadOnlyList<string> armJoints, Ros2Options options, Action<string>? warn = null)
    {
        _o = options.Validate();
        _joints = [.. armJoints];
        int dof = _joints.Length;
        if (dof == 0) throw new ConfigurationException("the arm has no joints");
        if (_joints.Distinct().Count() != dof) throw new ConfigurationException("the arm's joint names are not unique");
        if (options.GripperJoints.FirstOrDefault(_joints.Contains) is { } both)
            throw new ConfigurationException($"gripper joint '{both}' is also an arm joint: a joint is either the arm's or the gripper's");
        _frozen = new JointCommandBuffer(dof);
        _target = new double[dof];
        _emptyString = _mem.Add("");

        _dds = new DdsParticipant(options.DomainId, options.EffectiveCycloneConfig, options.NodeName, distro: options.Distro);
        Ros2TrajectoryActionClient? action = null;
        Ros2SceneClient? scene = null;
        Ros2GazeboWorldClient? gazebo = null;
        Ros2CommandPublisher? commands = null;
        try
        {
            _states = new Ros2JointStateReceiver(_dds, _o, _joints, listen: true);
            _estopReader = _dds.Reader(RosType.Bool, options.EmergencyStopTopic, RosQos.Default);
            _scene = scene = new Ros2SceneClient(_dds, _o, _states);
            _gazebo = gazebo = new Ros2GazeboWorldClient(_dds, _o, _states);
            _camera = new Ros2CameraReceiver(_dds, _o);
            bool useAction = options.CommandInterface == Ros2CommandInterface.Trajectory && options.TrajectoryInterface == Ros2TrajectoryInterface.Action;
            if (useAction) _action = action = new Ros2TrajectoryActionClient(_dds, _o, _joints);
            _commands = commands = new Ros2CommandPublisher(_dds, _o, _joints, _action);
            _statusWriter = _dds.Writer(RosType.LinkStatus, options.StatusTopic, RosQos.Default);
            _diagnostics = new Ros2Diagnostics(_dds, _o);
            _vendors = new DdsVendorWatch(_dds, _o.DomainId, warn ?? (line => Console.Error.WriteLine($"warning: {line}")));
            // joint states are taken by their listener on DDS's thread, not here
            List<int> readers = [_estopReader, _scene.Reader];
            if (_camera.Reader > 0) readers.Add(_camera.Reader);
            if (_action is not null)
            {
                readers.Add(_action.SendGoalReplyReader);
                readers.Add(_action.ResultReplyReader);
                readers.Add(_action.CancelReplyReader);
                readers.Add(_action.FeedbackReader);
            }
            _waitset = _dds.Waitset([.. readers]);
        }
        catch
        {
            _states?.Dispose();
            _dds.Dispose();
            commands?.Dispose();
            action?.Dispose();
            scene?.Dispose();
            gazebo?.Dispose();
            _mem.Dispose();
            throw;
        }

        _receiver = new Thread(ReceiveLoop) { IsBackground = true, Name = "cortexbot-ros2-rx", Priority = ThreadPriority.AboveNormal };
        _receiver.Start();
    }

    public Ros2Options Options => _o;

    /// <summary>The control loop's health for <c>/diagnostics</c>, set by the host composition once the loop exists
    /// (called once a second on the receiver thread; null: the loop's status reads STALE).</summary>
    public Func<ControlLoopHealth?>? LoopHealth { get; set; }

    /// <summary>Participants discovered on the domain (this one included), how many are Cyclone DDS's, and the other
    /// DDS implementations found (each warned about once).</summary>
    public (long Participants, long Cyclone, string[] Foreign) DomainVendors => (_vendors.Participants, _vendors.CycloneParticipants, _vendors.Foreign);

    /// <summary>How many DiagnosticArrays were published.</summary>
    public long DiagnosticsPublished => Interlocked.Read(ref _diagnosticsPublished);
    private long _diagnosticsPublished;
    public IReadOnlyList<string> JointNames => _joints;
    public bool EmergencyStopped => _estop;
    /// <summary>The latest reason a joint state was rejected, for diagnostics.</summary>
    public string? LastProblem => _states.LastProblem;

    public Ros2LinkCounters Counters => new(
        _states.Accepted, _states.RejectedMissingJoints, _states.RejectedNonFinite, _states.RejectedMalformed,
        _states.StaleReads, _states.Reconnects, _commands.Sent, Interlocked.Read(ref _held),
        Interlocked.Read(ref _estops), _scene.ScenesReceived, _camera.ImagesAccepted, _camera.ImagesRejected,
        _action?.GoalsSent ?? 0, _action?.GoalsAccepted ?? 0, _action?.GoalsRejected ?? 0,
        _commands.Trajectories, Interlocked.Read(ref _holdPoints), Interlocked.Read(ref _cancels), _action?.GoalsSucceeded ?? 0,
        _action?.GoalsAborted ?? 0, _action?.GoalsCanceled ?? 0, _action?.FeedbackReceived ?? 0, _action?.Faults ?? 0);

    /// <summary>The largest joint position error (rad) of each of the latest action feedback messages (empty without the action).</summary>
    public double[] FeedbackErrors() => _action?.FeedbackErrors() ?? [];

    /// <summary>Why the latest trajectory goal was rejected (the controller's error code and reason), for diagnostics.</summary>
    public string? LastGoalProblem => _action?.LastGoalProblem;

    /// <summary>How many send_goal round trips were measured so far.</summary>
    public long GoalRoundTripCount => _action?.GoalRoundTripCount ?? 0;

    /// <summary>send_goal round trips (request written to acceptance or rejection received) of the latest goals (at most
    /// <paramref name="last"/>, and at most the 8192 kept), in microseconds.</summary>
    public double[] GoalRoundTripsUs(long last = long.MaxValue) => _action?.GoalRoundTripsUs(last) ?? [];

    /// <summary>Why the latest image was rejected, for diagnostics.</summary>
    public string? LastImageProblem => _camera.LastImageProblem;

    /// <summary>Waits for the first valid joint state; a robot that publishes other joint names is a clear error here.</summary>
    public void Start(double controlPeriodSeconds)
    {
        if (!(controlPeriodSeconds > 0)) throw new ArgumentOutOfRangeException(nameof(controlPeriodSeconds));
        _period = controlPeriodSeconds;
        var deadline = MonotonicClock.NowNs + (long)_o.StartTimeout.TotalNanoseconds;
        while (MonotonicClock.NowNs < deadline)
        {
            if (_states.Accepted > 0 && _states.Fresh())
            {
                _action?.WaitForServer(deadline);
                // the controller holds where the arm is: that is its target until told otherwise
                var at = new RobotStateBuffer(_joints.Length);
                if (_states.Read(at)) Array.Copy(at.Position, _target, _target.Length);
                _sendNext = false;
                return;
            }
            Thread.Sleep(5);
        }
        var problem = _states.LastProblem;
        throw new ConfigurationException(problem is not null
            ? $"the robot's joint states on {_o.JointStatesTopic} were rejected: {problem}"
            : $"no joint state on {_o.JointStatesTopic} (ROS domain {_o.DomainId}) within {_o.StartTimeout.TotalSeconds:0.#} s: is the robot driver or `cortexbot sim serve` running on the same domain?");
    }

    public bool Read(RobotStateBuffer state) => _states.Read(state);

    public void Write(JointCommandBuffer command)
    {
        if (_estop)
        {
            if (!_frozenValid)
            {
                _frozen.CopyFrom(command);
                _frozenValid = true;
                // the controller would finish the motion in force on its own
                if (TakesTrajectories) Cancel();
            }
            command = _frozen;
        }
        else _frozenValid = false;

        if (!_states.LastReadFresh || !_states.Fresh())
        {
            // Stale or missing measurements: send nothing; the controller keeps its last target.
            _held++;
            return;
        }
        if (!TakesTrajectories)
        {
            _commands.Publish(command, _period);
            return;
        }
        if (_adoptNext)
        {
            // the controller holds where the arm is on its own (after a cancel or a reset): take that as its target
            _adoptNext = false;
            _motionInForce = false;
            Array.Copy(command.Position, _target, _target.Length);
        }
        else if (_motionInForce)
        {
            // the controller executes the motion; it is over once the loop's command reaches its last point
            if (SameAsTarget(command, 1e-9)) _motionInForce = false;
        }
        else if (_sendNext || !SameAsTarget(command, HoldDeadband))
        {
            if (_commands.PublishPoint(command, _period) >= 0)
            {
                Array.Copy(command.Position, _target, _target.Length);
                _sendNext = false;
                _holdPoints++;
            }
        }
        _commands.PublishGripper(command);
    }

    private bool SameAsTarget(JointCommandBuffer command, double tolerance)
    {
        for (int i = 0; i < _target.Length; i++)
            if (!(Math.Abs(command.Position[i] - _target[i]) <= tolerance)) return false; // NaN is never the same
        return true;
    }

    // ------------------------------------------------------------------ whole trajectories (ITrajectoryLink)

    /// <summary>With the trajectory command interface (topic or action); the forward interface streams a command a tick.</summary>
    public bool TakesTrajectories => _o.CommandInterface == Ros2CommandInterface.Trajectory;

    /// <summary>Control thread: sends <paramref name="trajectory"/> as one message or one goal, replacing the motion in force.</summary>
    public bool Execute(ArmTrajectory trajectory, out string? refusal)
    {
        if (!TakesTrajectories) throw new InvalidOperationException("the forward command interface takes no trajectories");
        refusal = null;
        if (_estop) refusal = $"{trajectory.Label}: emergency stop on {_o.EmergencyStopTopic} in force";
        else if (trajectory.Joints != _joints.Length) refusal = $"{trajectory.Label}: the trajectory has {trajectory.Joints} joints, the arm {_joints.Length}";
        else if (trajectory.Count is < 1 or > ArmTrajectory.MaxPoints) refusal = $"{trajectory.Label}: a trajectory needs 1 to {ArmTrajectory.MaxPoints} points, got {trajectory.Count}";
        else if (_commands.SendTrajectory(trajectory) < 0) refusal = $"{trajectory.Label}: writing the trajectory to {(_action is null ? _o.CommandTopic : _o.TrajectoryAction)} failed";
        if (refusal is not null) return false;
        int last = (trajectory.Count - 1) * trajectory.Joints;
        Array.Copy(trajectory.Position, last, _target, 0, _target.Length);
        _motionInForce = true;
        _adoptNext = _sendNext = false;
        return true;
    }

    /// <summary>
    /// Control thread: stops the motion in force. Action: cancels its goal (the controller holds where the arm is).
    /// Topic: the next command written goes out as a single point (the controller replaces the trajectory with it).
    /// </summary>
    public void Cancel()
    {
        if (!TakesTrajectories) return;
        _motionInForce = false;
        if (_action is not null)
        {
            if (_action.CancelCurrent()) _cancels++;
            _adoptNext = true;
        }
        else
        {
            _sendNext = true;
            _cancels++;
        }
    }

    public long Faults => _action?.Faults ?? 0;
    public TrajectoryFault? LastFault => _action?.LastFault;

    /// <summary>The largest joint position error (rad) in the latest feedback of the goal in force (action only).</summary>
    public double LastFeedbackError => _action?.LastFeedbackError ?? 0;

    // ------------------------------------------------------------------ the simulator node's scene and reset

    public SceneSnapshot Snapshot() => _scene.Snapshot();

    /// <summary>Why the simulator node's scene is not known yet (none arrived), or null.</summary>
    public string? Problem() => _scene.Problem();

    /// <summary>Asks the simulator node to reset to <paramref name="seed"/> and waits for its acknowledgement and a joint state after it.</summary>
    public void ResetScene(int seed)
    {
        _scene.ResetScene(seed);
        // the simulator node holds the arm where the reset put it: nothing to send until the loop commands a change
        _adoptNext = true;
    }

    /// <summary>
    /// Control thread: resets the Gazebo world through its bridged control service (<see cref="Ros2Options.GazeboControlService"/>,
    /// reset.all) and waits for its success and a joint state after it (see <see cref="Ros2GazeboWorldClient.ResetWorld"/>).
    /// Gazebo puts the world back to its initial state (no seed). The controller may still hold its pre-reset target, so the
    /// next command (the loop's hold at the reset pose) goes out as a hold point. Returns the monotonic time the reset was
    /// confirmed: perception stamped before it shows the old world.
    /// </summary>
    public long ResetGazeboWorld()
    {
        long at = _gazebo.ResetWorld();
        _motionInForce = false;
        _adoptNext = false;
        _sendNext = true;
        return at;
    }

    /// <summary>World resets Gazebo's control service confirmed.</summary>
    public long GazeboResets => _gazebo.Resets;

    /// <summary>
    /// What can reset the world, found on the graph: `cortexbot sim serve` (its reset reader or scene writer), Gazebo's world
    /// control service (<see cref="Ros2Options.GazeboControlService"/>, a server matched by our client), both or neither.
    /// Waits until the simulator node is found, or the robot's joint states are matched plus <paramref name="grace"/> (a
    /// participant's endpoints are discovered together), at most <paramref name="timeout"/>.
    /// </summary>
    public (bool SimulatorNode, bool GazeboControl) DiscoverWorld(TimeSpan timeout, TimeSpan grace)
    {
        bool sim = _scene.DiscoverSimulatorNode(timeout, grace);
        return (sim, _gazebo.ServerMatched);
    }

    private Ros2DetectionReceiver? _detections;
    private readonly Lock _detectionsLock = new();

    /// <summary>
    /// The perception node's object detections (<see cref="Ros2Options.DetectionsTopic"/>), subscribed on this link's
    /// participant on first use (only a robot whose scene comes from detections pays for it) and closed with the link.
    /// </summary>
    public Ros2DetectionReceiver Detections()
    {
        lock (_detectionsLock)
        {
            ObjectDisposedException.ThrowIf(_stopping, this);
            return _detections ??= new Ros2DetectionReceiver(_dds, _o);
        }
    }

    private Ros2TfReceiver? _tf;

    /// <summary>Object poses on <see cref="Ros2Options.TfTopic"/> (Gazebo's, bridged), subscribed on first use and closed with the link.</summary>
    public Ros2TfReceiver Transforms()
    {
        lock (_detectionsLock)
        {
            ObjectDisposedException.ThrowIf(_stopping, this);
            return _tf ??= new Ros2TfReceiver(_dds, _o);
        }
    }

    /// <summary>
    /// Whether `cortexbot sim serve` (its reset reader or scene writer) is on the graph; waits until the robot's joint
    /// states are matched plus <paramref name="grace"/>, at most <paramref name="timeout"/>. A physical arm has none.
    /// </summary>
    public bool DiscoverSimulatorNode(TimeSpan timeout, TimeSpan grace) => _scene.DiscoverSimulatorNode(timeout, grace);

    // ------------------------------------------------------------------ camera (the robot's image topic)

    /// <summary>Size of the newest valid frame (0 before the first).</summary>
    public int Width => _camera.Width;
    public int Height => _camera.Height;

    /// <summary>The newest valid frame when it is fresh (within <see cref="Ros2Options.ImageStaleAfter"/>).</summary>
    public bool TryGetFrame(out CameraFrame frame, out string? problem) => _camera.TryGetFrame(out frame, out problem);

    /// <summary>The newest valid frame; fails with the reason when there is none or it is stale (never waits).</summary>
    public Task<CameraFrame> CaptureAsync(CancellationToken cancellationToken = default) => _camera.CaptureAsync(cancellationToken);

    // ------------------------------------------------------------------ receiver thread

    private void ReceiveLoop()
    {
        while (!_stopping)
        {
            int n = Native.Wait(_waitset, 100_000_000);
            if (_stopping) break;
            if (n < 0) { Thread.Sleep(10); continue; }
            DrainEmergencyStop();
            _scene.Drain();
            _camera.Drain();
            _action?.DrainReplies();
            long now = MonotonicClock.NowNs;
            if (now - _lastStatusNs >= 100_000_000)
            {
                _lastStatusNs = now;
                PublishStatus(now);
                _vendors.Poll();
            }
            if (now - _lastDiagnosticsNs >= 1_000_000_000)
            {
                _lastDiagnosticsNs = now;
                PublishDiagnostics(now);
            }
        }
    }

    /// <summary>/diagnostics at 1 Hz (receiver thread). A failing health source is reported, never thrown.</summary>
    private void PublishDiagnostics(long now)
    {
        var c = Counters;
        long stamp = _states.LatestReceivedNs;
        bool any = c.JointStatesAccepted > 0;
        double age = any ? (now - stamp) / 1e9 : -1;
        ControlLoopHealth? loop;
        try { loop = LoopHealth?.Invoke(); }
        catch (Exception e) { loop = new ControlLoopHealth(0, 0, 0, 0, 0, $"reading the control loop failed: {e.Message}", 0); }
        var statuses = Ros2Diagnostics.Compose(loop, any, any && now - stamp <= (long)_o.StaleAfter.TotalNanoseconds, age, c, _estop);
        if (_diagnostics.Publish(statuses) >= 0) Interlocked.Increment(ref _diagnosticsPublished);
    }

    /// <summary>CortexBot's own status at 10 Hz (receiver thread; the waitset wakes at least every 100 ms).</summary>
    private void PublishStatus(long now)
    {
        var c = Counters;
        long stamp = _states.LatestReceivedNs;
        long staleNs = (long)_o.StaleAfter.TotalNanoseconds;
        LinkStatusMsg m = default;
        m.Header.Stamp = RosTime.FromNanoseconds((DateTime.UtcNow - DateTime.UnixEpoch).Ticks * 100);
        m.Header.FrameId = _emptyString;
        m.EmergencyStopped = (byte)(_estop ? 1 : 0);
        m.StateFresh = (byte)(c.JointStatesAccepted > 0 && now - stamp <= staleNs ? 1 : 0);
        m.StateAge = c.JointStatesAccepted > 0 ? (now - stamp) / 1e9 : -1;
        m.JointStatesAccepted = (ulong)c.JointStatesAccepted;
        m.RejectedMissingJoints = (ulong)c.RejectedMissingJoints;
        m.RejectedNonFinite = (ulong)c.RejectedNonFinite;
        m.RejectedMalformed = (ulong)c.RejectedMalformed;
        m.StaleReads = (ulong)c.StaleReads;
        m.Reconnects = (ulong)c.Reconnects;
        m.CommandsSent = (ulong)c.CommandsSent;
        m.WritesHeld = (ulong)c.WritesHeld;
        m.EmergencyStops = (ulong)c.EmergencyStops;
        Native.Write(_statusWriter, &m);
    }

    private void DrainEmergencyStop()
    {
        while (true)
        {
            int r = Native.Take(_estopReader, out void* p, out _);
            if (r == 0 || r < 0) return;
            if (r != 1) continue;
            bool stop = ((BoolMsg*)p)->Data != 0;
            Native.ReturnLoan(_estopReader, p);
            if (stop && !_estop) Interlocked.Increment(ref _estops);
            _estop = stop;
        }
    }

    public void Dispose()
    {
        if (_stopping) return;
        _stopping = true;
        Native.Wake(_waitset);
        _receiver.Join(TimeSpan.FromSeconds(2));
        _states.Dispose(); // no listener call after this
        lock (_detectionsLock)
        {
            // their threads stop before the participant goes
            _detections?.Dispose();
            _tf?.Dispose();
        }
        _dds.Dispose();
        // the messages' native memory outlives every writer that could still read it
        _commands.Dispose();
        _action?.Dispose();
        _scene.Dispose();
        _gazebo.Dispose();
        _mem.Dispose();
    }
}
