using System.Collections.Immutable;
using System.Text;
using CortexBot.Core;
using CortexBot.Core.Geometry;
using CortexBot.Core.Messages;
using CortexBot.Core.Ports;

namespace CortexBot.Brainstem.Ros2;

/// <summary>Counters of the ROS 2 link (read any time, from any thread).</summary>
public sealed record Ros2LinkCounters(
    long JointStatesAccepted, long RejectedMissingJoints, long RejectedNonFinite, long RejectedMalformed,
    long StaleReads, long Reconnects, long CommandsSent, long WritesHeld, long EmergencyStops, long ScenesReceived,
    long ImagesAccepted, long ImagesRejected, long GoalsSent = 0, long GoalsAccepted = 0, long GoalsRejected = 0);

/// <summary>
/// The brainstem's ROS 2 link: an arm under ros2_control (a physical robot, Gazebo, or <c>cortexbot sim serve</c>) over
/// Cyclone DDS, with ROS 2's topic, type, encoding and QoS conventions.
/// <list type="bullet">
/// <item>Subscribes sensor_msgs/JointState on <see cref="Ros2Options.JointStatesTopic"/> (best effort, so it matches any
/// publisher). Joints are mapped by name, never by position; a message lacking one of the arm's joints, with
/// non-finite values or inconsistent lengths is rejected and counted.</item>
/// <item>Publishes each tick's command as a single-point trajectory_msgs/JointTrajectory (time_from_start = a few control
/// periods, header stamp 0 = start now) or a std_msgs/Float64MultiArray, plus the gripper's Float64MultiArray. With
/// <see cref="Ros2TrajectoryInterface.Action"/> the trajectory goes out as a goal of the controller's FollowJointTrajectory
/// action instead (each preempting the one before); acceptances are counted, and for a rejected goal the link asks for
/// its result to report the controller's error code.</item>
/// <item>Watchdog: <see cref="Read"/> returns false when the newest accepted state is older than
/// <see cref="Ros2Options.StaleAfter"/>; the control loop then holds, and <see cref="Write"/> sends nothing (the
/// controller keeps its last target). Fresh states from a publisher that comes back make it resume ("reconnect").</item>
/// <item>Emergency stop (std_msgs/Bool true on <see cref="Ros2Options.EmergencyStopTopic"/>): from the next tick on,
/// Write re-sends the command in force when it arrived until a false releases it.</item>
/// <item>World resets and the scene come from the simulator node's topics (<see cref="IWorldReset"/>, <see cref="IScenePerception"/>); a physical
/// arm has no such node, and a reset then fails with a clear error after <see cref="Ros2Options.ResetTimeout"/>.</item>
/// <item>Camera (<see cref="ISceneCamera"/>, when <see cref="Ros2Options.ReceiveImages"/>): subscribes sensor_msgs/Image
/// (rgb8) on <see cref="Ros2Options.ImageTopic"/>; a capture returns the newest valid frame, or fails clearly when none
/// arrived or it is older than <see cref="Ros2Options.ImageStaleAfter"/>. Garbled images are counted and ignored.</item>
/// </list>
/// Receiving runs on the link's own thread (a DDS waitset) into a seqlock-protected buffer; Read and Write run on the
/// control thread and allocate nothing.
/// </summary>
public sealed unsafe class Ros2RobotLink : IRobotLink, IScenePerception, IWorldReset, ISceneCamera
{
    private readonly Ros2Options _o;
    private readonly string[] _joints;
    private readonly byte[][] _jointUtf8;
    private readonly byte[][] _gripperUtf8;
    private readonly int _dof;
    private readonly DdsParticipant _dds;
    private readonly int _stateReader, _estopReader, _sceneReader, _imageReader, _waitset;
    private readonly int _commandWriter, _gripperWriter, _resetWriter, _statusWriter;
    // FollowJointTrajectory action client (Ros2TrajectoryInterface.Action)
    private readonly bool _useAction;
    private readonly RosActionTopics? _actionTopics;
    private readonly int _sendGoalWriter, _sendGoalReplyReader, _resultWriter, _resultReplyReader;
    private readonly SendGoalRequestMsg* _goal;
    private readonly GetResultRequestMsg* _resultRequest;
    private readonly ulong _clientGuid, _goalIdPrefix;
    private long _goalSeq;
    private const int GoalRing = 1024;
    private readonly long[] _goalSentSeq = new long[GoalRing], _goalSentNs = new long[GoalRing];
    private readonly long[] _goalRoundTripNs = new long[8192];
    private long _goalRoundTrips, _goalsSent, _goalsAccepted, _goalsRejected;
    private volatile string? _lastGoalProblem;
    private long _lastStatusNs;
    private readonly Thread _receiver;
    private volatile bool _stopping;

    // seqlock-protected latest state (written by the receiver thread)
    private long _seq;
    private readonly double[] _pos, _vel;
    private double _grip;
    private long _stampNs;       // monotonic receive time
    private long _acceptedCount;
    // receiver scratch and name map (receiver thread only)
    private readonly int[] _map;
    private readonly double[] _rxPos, _rxVel;
    private readonly int[] _gripMap;
    // the last accepted positions and their time, to differentiate states that carry no velocities
    private readonly double[] _prevPos;
    private long _prevStampNs, _prevReceivedNs;
    private bool _havePrev;

    // control-thread state
    private long _staleNs;
    private double _period = 0.002;
    private bool _lastFresh;
    private bool _everFresh;
    private long _staleSinceLastFresh;
    private readonly JointCommandBuffer _frozen;
    private bool _frozenValid;
    private volatile bool _estop;
    private double _lastGripperSent = double.NaN;
    private long _ticksSinceGripper;

    // preallocated outgoing messages in native memory
    private readonly NativeStrings _mem = new();
    private readonly JointTrajectoryMsg* _traj;
    private readonly JointTrajectoryPointMsg* _point;
    private readonly Float64MultiArrayMsg* _forward;
    private readonly Float64MultiArrayMsg* _gripperMsg;
    private readonly double* _cmdPos, _gripData;
    private readonly ResetRequestMsg* _reset;
    private readonly byte* _emptyString;

    // counters
    private long _missing, _nonFinite, _malformed, _staleReads, _reconnects, _sent, _held, _estops, _scenes;
    private volatile string? _lastProblem;

    // camera (receiver thread writes, anyone reads)
    private volatile CameraFrame? _frame;
    private long _imagesAccepted, _imagesRejected;
    private volatile string? _lastImageProblem;

    // scene (receiver thread writes, anyone reads)
    private volatile SceneStatusView? _scene;
    private uint _nextResetId;

    internal sealed record SceneStatusView(uint ResetId, int Seed, double SimTime, SceneSnapshot Snapshot, long ReceivedNs);

    public Ros2RobotLink(IReadOnlyList<string> armJoints, Ros2Options options)
    {
        _o = options.Validate();
        _joints = [.. armJoints];
        _dof = _joints.Length;
        if (_dof == 0) throw new ConfigurationException("the arm has no joints");
        if (_joints.Distinct().Count() != _dof) throw new ConfigurationException("the arm's joint names are not unique");
        if (options.GripperJoints.FirstOrDefault(_joints.Contains) is { } both)
            throw new ConfigurationException($"gripper joint '{both}' is also an arm joint: a joint is either the arm's or the gripper's");
        _jointUtf8 = [.. _joints.Select(Encoding.UTF8.GetBytes)];
        _gripperUtf8 = [.. options.GripperJoints.Select(Encoding.UTF8.GetBytes)];
        _pos = new double[_dof];
        _vel = new double[_dof];
        _rxPos = new double[_dof];
        _rxVel = new double[_dof];
        _prevPos = new double[_dof];
        _map = new int[_dof];
        _gripMap = new int[_gripperUtf8.Length];
        _frozen = new JointCommandBuffer(_dof);
        _staleNs = (long)options.StaleAfter.TotalNanoseconds;

        _dds = new DdsParticipant(options.DomainId, options.EffectiveCycloneConfig, options.NodeName, distro: options.Distro);
        try
        {
            _stateReader = _dds.Reader(RosType.JointState, options.JointStatesTopic, RosQos.SensorData);
            _estopReader = _dds.Reader(RosType.Bool, options.EmergencyStopTopic, RosQos.Default);
            _sceneReader = _dds.Reader(RosType.SceneStatus, options.SceneTopic, RosQos.SensorData);
            if (options.ReceiveImages) _imageReader = _dds.Reader(RosType.Image, options.ImageTopic, RosQos.SensorData);
            _useAction = options.CommandInterface == Ros2CommandInterface.Trajectory && options.TrajectoryInterface == Ros2TrajectoryInterface.Action;
            List<int> readers = [_stateReader, _estopReader, _sceneReader];
            if (options.ReceiveImages) readers.Add(_imageReader);
            if (_useAction)
            {
                _actionTopics = new RosActionTopics(options.TrajectoryAction);
                var q = RosActionTopics.ServiceQos;
                string send = RosActionTopics.PairingUserData(server: false), result = RosActionTopics.PairingUserData(server: false);
                _sendGoalWriter = _dds.DdsWriter(RosType.SendGoalRequest, _actionTopics.SendGoalRequest, q, send);
                _sendGoalReplyReader = _dds.DdsReader(RosType.SendGoalResponse, _actionTopics.SendGoalReply, q with { Depth = 100 }, send);
                _resultWriter = _dds.DdsWriter(RosType.GetResultRequest, _actionTopics.GetResultRequest, q, result);
                _resultReplyReader = _dds.DdsReader(RosType.GetResultResponse, _actionTopics.GetResultReply, q, result);
                readers.Add(_sendGoalReplyReader);
                readers.Add(_resultReplyReader);
                // every client reads every reply of the service and keeps those carrying its own guid
                _clientGuid = (ulong)Random.Shared.NextInt64() | 1;
                _goalIdPrefix = (ulong)Random.Shared.NextInt64();
            }
            else
            {
                _commandWriter = options.CommandInterface == Ros2CommandInterface.Trajectory
                    ? _dds.Writer(RosType.JointTrajectory, options.CommandTopic, RosQos.Default)
                    : _dds.Writer(RosType.Float64MultiArray, options.CommandTopic, RosQos.Default);
            }
            _waitset = _dds.Waitset([.. readers]);
            _gripperWriter = _dds.Writer(RosType.Float64MultiArray, options.GripperTopic, RosQos.Default);
            _resetWriter = _dds.Writer(RosType.ResetRequest, options.ResetTopic, RosQos.Default);
            _statusWriter = _dds.Writer(RosType.LinkStatus, options.StatusTopic, RosQos.Default);
        }
        catch
        {
            _dds.Dispose();
            throw;
        }

        _cmdPos = _mem.Alloc<double>(_dof);
        _point = _mem.Alloc<JointTrajectoryPointMsg>(1);
        _point->Positions = DdsSequence.Of(_cmdPos, _dof);
        _traj = _mem.Alloc<JointTrajectoryMsg>(1);
        _traj->Header.FrameId = _mem.Add("");
        _traj->JointNames = DdsSequence.Of(_mem.AddArray(_joints), _dof);
        _traj->Points = DdsSequence.Of(_point, 1);
        if (_useAction)
        {
            _goal = _mem.Alloc<SendGoalRequestMsg>(1);
            _goal->ClientGuid = _clientGuid;
            _goal->Goal.Trajectory = *_traj;   // the same names and point buffers: Write fills them in place
            _goal->Goal.MultiDofTrajectory.Header.FrameId = _traj->Header.FrameId;
            _resultRequest = _mem.Alloc<GetResultRequestMsg>(1);
            _resultRequest->ClientGuid = _clientGuid;
        }
        _forward = _mem.Alloc<Float64MultiArrayMsg>(1);
        _forward->Data = DdsSequence.Of(_cmdPos, _dof);
        int g = Math.Max(1, _gripperUtf8.Length);
        _gripData = _mem.Alloc<double>(g);
        _gripperMsg = _mem.Alloc<Float64MultiArrayMsg>(1);
        _gripperMsg->Data = DdsSequence.Of(_gripData, _gripperUtf8.Length);
        _reset = _mem.Alloc<ResetRequestMsg>(1);
        _emptyString = _mem.Add("");

        _receiver = new Thread(ReceiveLoop) { IsBackground = true, Name = "cortexbot-ros2-rx", Priority = ThreadPriority.AboveNormal };
        _receiver.Start();
    }

    public Ros2Options Options => _o;
    public IReadOnlyList<string> JointNames => _joints;
    public bool EmergencyStopped => _estop;
    /// <summary>The latest reason a joint state was rejected, for diagnostics.</summary>
    public string? LastProblem => _lastProblem;

    public Ros2LinkCounters Counters => new(
        Interlocked.Read(ref _acceptedCount), Interlocked.Read(ref _missing), Interlocked.Read(ref _nonFinite), Interlocked.Read(ref _malformed),
        Interlocked.Read(ref _staleReads), Interlocked.Read(ref _reconnects), Interlocked.Read(ref _sent), Interlocked.Read(ref _held),
        Interlocked.Read(ref _estops), Interlocked.Read(ref _scenes), Interlocked.Read(ref _imagesAccepted), Interlocked.Read(ref _imagesRejected),
        Interlocked.Read(ref _goalsSent), Interlocked.Read(ref _goalsAccepted), Interlocked.Read(ref _goalsRejected));

    /// <summary>Why the latest trajectory goal was rejected (the controller's error code and reason), for diagnostics.</summary>
    public string? LastGoalProblem => _lastGoalProblem;

    /// <summary>How many send_goal round trips were measured so far.</summary>
    public long GoalRoundTripCount => Interlocked.Read(ref _goalRoundTrips);

    /// <summary>send_goal round trips (request written to acceptance or rejection received) of the latest goals (at most
    /// <paramref name="last"/>, and at most the 8192 kept), in microseconds.</summary>
    public double[] GoalRoundTripsUs(long last = long.MaxValue)
    {
        long count = Interlocked.Read(ref _goalRoundTrips);
        long n = Math.Min(Math.Min(count, _goalRoundTripNs.Length), last);
        var r = new double[n];
        for (long i = 0; i < n; i++) r[i] = Volatile.Read(ref _goalRoundTripNs[(count - n + i) % _goalRoundTripNs.Length]) / 1e3;
        return r;
    }

    /// <summary>Why the latest image was rejected, for diagnostics.</summary>
    public string? LastImageProblem => _lastImageProblem;

    /// <summary>Waits for the first valid joint state; a robot that publishes other joint names is a clear error here.</summary>
    public void Start(double controlPeriodSeconds)
    {
        if (!(controlPeriodSeconds > 0)) throw new ArgumentOutOfRangeException(nameof(controlPeriodSeconds));
        _period = controlPeriodSeconds;
        var deadline = MonotonicClock.NowNs + (long)_o.StartTimeout.TotalNanoseconds;
        while (MonotonicClock.NowNs < deadline)
        {
            if (Interlocked.Read(ref _acceptedCount) > 0 && Fresh())
            {
                if (_useAction) WaitForActionServer(deadline);
                return;
            }
            Thread.Sleep(5);
        }
        var problem = _lastProblem;
        throw new ConfigurationException(problem is not null
            ? $"the robot's joint states on {_o.JointStatesTopic} were rejected: {problem}"
            : $"no joint state on {_o.JointStatesTopic} (ROS domain {_o.DomainId}) within {_o.StartTimeout.TotalSeconds:0.#} s: is the robot driver or `cortexbot sim serve` running on the same domain?");
    }

    private void WaitForActionServer(long deadline)
    {
        // goals sent before the server matched this client would be lost without an answer
        while (DdsParticipant.Matched(_sendGoalWriter, true) <= 0 || DdsParticipant.Matched(_sendGoalReplyReader, false) <= 0
               || DdsParticipant.Matched(_resultWriter, true) <= 0 || DdsParticipant.Matched(_resultReplyReader, false) <= 0)
        {
            if (MonotonicClock.NowNs > deadline)
                throw new ConfigurationException($"no FollowJointTrajectory action server at {_o.TrajectoryAction} (ROS domain {_o.DomainId}) within " +
                    $"{_o.StartTimeout.TotalSeconds:0.#} s: does the controller '{_o.Controller}' serve its action? (or use --trajectory-interface topic)");
            Thread.Sleep(2);
        }
    }

    private bool Fresh() => MonotonicClock.NowNs - Volatile.Read(ref _stampNs) <= _staleNs;

    public bool Read(RobotStateBuffer state)
    {
        long s1, s2;
        do
        {
            s1 = Volatile.Read(ref _seq);
            if ((s1 & 1) != 0) { Thread.SpinWait(1); s2 = s1 - 1; continue; }
            for (int i = 0; i < _dof; i++)
            {
                state.Position[i] = _pos[i];
                state.Velocity[i] = _vel[i];
            }
            state.GripperOpening = _grip;
            state.StampNs = _stampNs;
            Interlocked.MemoryBarrier();
            s2 = Volatile.Read(ref _seq);
        } while (s1 != s2);

        bool fresh = s1 > 0 && MonotonicClock.NowNs - state.StampNs <= _staleNs && state.IsFinite();
        if (!fresh) { _staleReads++; _staleSinceLastFresh++; }
        else
        {
            if (_everFresh && !_lastFresh && _staleSinceLastFresh > 0) _reconnects++;
            _everFresh = true;
            _staleSinceLastFresh = 0;
        }
        _lastFresh = fresh;
        return fresh;
    }

    public void Write(JointCommandBuffer command)
    {
        if (_estop)
        {
            if (!_frozenValid) { _frozen.CopyFrom(command); _frozenValid = true; }
            command = _frozen;
        }
        else _frozenValid = false;

        if (!_lastFresh || !Fresh())
        {
            // Stale or missing measurements: send nothing; the controller keeps its last target.
            _held++;
            return;
        }
        for (int i = 0; i < _dof; i++) _cmdPos[i] = command.Position[i];
        int rc;
        if (_useAction)
        {
            _point->TimeFromStart = RosTime.FromNanoseconds((long)(_o.TrajectoryLeadPeriods * _period * 1e9));
            long seq = ++_goalSeq;
            _goal->Sequence = seq;
            _goal->GoalId = GoalUuid.From(_goalIdPrefix, (ulong)seq);
            int slot = (int)(seq & (GoalRing - 1));
            Volatile.Write(ref _goalSentNs[slot], MonotonicClock.NowNs);
            Volatile.Write(ref _goalSentSeq[slot], seq);
            rc = Native.Write(_sendGoalWriter, _goal);
            if (rc >= 0) Interlocked.Increment(ref _goalsSent);
        }
        else if (_o.CommandInterface == Ros2CommandInterface.Trajectory)
        {
            _point->TimeFromStart = RosTime.FromNanoseconds((long)(_o.TrajectoryLeadPeriods * _period * 1e9));
            rc = Native.Write(_commandWriter, _traj);
        }
        else rc = Native.Write(_commandWriter, _forward);
        if (rc >= 0) _sent++;

        double g = command.GripperOpening;
        if (_gripperUtf8.Length > 0 && (g != _lastGripperSent || ++_ticksSinceGripper >= 50))
        {
            for (int k = 0; k < _gripperUtf8.Length; k++) _gripData[k] = g / _gripperUtf8.Length;
            Native.Write(_gripperWriter, _gripperMsg);
            _lastGripperSent = g;
            _ticksSinceGripper = 0;
        }
    }

    // ------------------------------------------------------------------ simulated world (the simulator node's topics)

    public SceneSnapshot Snapshot() => _scene?.Snapshot ?? new SceneSnapshot(MonotonicClock.NowNs, []);

    /// <summary>Asks the simulator node to reset to <paramref name="seed"/> and waits for its acknowledgement and a joint state after it.</summary>
    public void ResetScene(int seed)
    {
        var deadline = MonotonicClock.NowNs + (long)_o.ResetTimeout.TotalNanoseconds;
        while (DdsParticipant.Matched(_resetWriter, true) <= 0)
        {
            if (MonotonicClock.NowNs > deadline)
                throw new InvalidOperationException($"no simulator node subscribes to {_o.ResetTopic}: this robot cannot reset its world");
            Thread.Sleep(2);
        }
        uint id = ++_nextResetId;
        // ids are unique per link instance: mix in the process id so that two links never collide on one node
        id = (uint)(Environment.ProcessId << 16) ^ id;
        _reset->ResetId = id;
        _reset->Seed = seed;
        // Resent every 250 ms until acknowledged: a reader that has not yet discovered this writer drops what it sends
        // (volatile durability), even though the writer already matched it. The node serves each id once.
        SceneStatusView? ack = null;
        long resendAt = 0;
        while ((ack = _scene) is null || ack.ResetId != id)
        {
            long now = MonotonicClock.NowNs;
            if (now > deadline)
                throw new InvalidOperationException($"the simulator node did not acknowledge reset {id} (seed {seed}) on {_o.SceneTopic} within {_o.ResetTimeout.TotalSeconds:0.#} s " +
                    $"({Interlocked.Read(ref _scenes)} scene statuses received, last acknowledging reset {_scene?.ResetId.ToString() ?? "none"}; reset readers matched: {DdsParticipant.Matched(_resetWriter, true)})");
            if (now >= resendAt)
            {
                int rc = Native.Write(_resetWriter, _reset);
                if (rc < 0) throw new InvalidOperationException($"could not publish the reset request: {Native.Describe(rc)}");
                resendAt = now + 250_000_000;
            }
            Thread.Sleep(1);
        }
        // a joint state received after the acknowledgement reflects the reset arm
        while (Volatile.Read(ref _stampNs) <= ack.ReceivedNs || !Fresh())
        {
            if (MonotonicClock.NowNs > deadline) throw new InvalidOperationException("no joint state after the world reset");
            Thread.Sleep(1);
        }
        _lastFresh = true;
    }

    // ------------------------------------------------------------------ camera (the robot's image topic)

    /// <summary>Size of the newest valid frame (0 before the first).</summary>
    public int Width => _frame?.Width ?? 0;
    public int Height => _frame?.Height ?? 0;

    /// <summary>The newest valid frame when it is fresh (within <see cref="Ros2Options.ImageStaleAfter"/>).</summary>
    public bool TryGetFrame(out CameraFrame frame, out string? problem)
    {
        frame = null!;
        if (!_o.ReceiveImages)
        {
            problem = $"the ROS 2 link does not subscribe {_o.ImageTopic} (images are received only for a planner with an mmproj)";
            return false;
        }
        var f = _frame;
        if (f is null)
        {
            long rejected = Interlocked.Read(ref _imagesRejected);
            problem = $"no valid image on {_o.ImageTopic} yet" + (rejected > 0 ? $" ({rejected} rejected, last: {_lastImageProblem})" : "");
            return false;
        }
        double age = (MonotonicClock.NowNs - f.StampNs) / 1e9;
        if (age > _o.ImageStaleAfter.TotalSeconds)
        {
            problem = $"the newest image on {_o.ImageTopic} is {age:0.0} s old (bound {_o.ImageStaleAfter.TotalSeconds:0.0} s)";
            return false;
        }
        frame = f;
        problem = null;
        return true;
    }

    /// <summary>The newest valid frame; fails with the reason when there is none or it is stale (never waits).</summary>
    public Task<CameraFrame> CaptureAsync(CancellationToken cancellationToken = default)
    {
        if (cancellationToken.IsCancellationRequested) return Task.FromCanceled<CameraFrame>(cancellationToken);
        return TryGetFrame(out var frame, out var problem)
            ? Task.FromResult(frame)
            : Task.FromException<CameraFrame>(new InvalidOperationException(problem));
    }

    private void DrainImages()
    {
        while (true)
        {
            int r = Native.Take(_imageReader, out void* p, out _);
            if (r == 0 || r < 0) return;
            if (r != 1) continue;
            try { AcceptImage((ImageMsg*)p); }
            finally { Native.ReturnLoan(_imageReader, p); }
        }
    }

    /// <summary>Validates one Image and makes it the newest frame, or counts and ignores it. Receiver thread; visible for tests.</summary>
    internal void AcceptImage(ImageMsg* m)
    {
        var frame = ParseImage(m, MonotonicClock.NowNs, out var problem);
        if (frame is null)
        {
            Interlocked.Increment(ref _imagesRejected);
            _lastImageProblem = problem;
            return;
        }
        _frame = frame;
        Interlocked.Increment(ref _imagesAccepted);
    }

    private const int MaxImageSide = 8192;

    /// <summary>An rgb8 Image as a frame (row padding removed), or null with the reason.</summary>
    internal static CameraFrame? ParseImage(ImageMsg* m, long stampNs, out string? problem)
    {
        if (!Native.Equals(m->Encoding, "rgb8"u8))
        {
            problem = $"image encoding '{Native.ToManaged(m->Encoding)}' is not rgb8";
            return null;
        }
        uint w = m->Width, h = m->Height;
        if (w == 0 || h == 0 || w > MaxImageSide || h > MaxImageSide)
        {
            problem = $"image size {w}x{h} is outside 1..{MaxImageSide} a side";
            return null;
        }
        if (m->Step < 3 * w)
        {
            problem = $"image step {m->Step} is shorter than a row of {w} rgb8 pixels ({3 * w} bytes)";
            return null;
        }
        if ((ulong)m->Data.Length != (ulong)m->Step * h || m->Data.Buffer == null)
        {
            problem = $"image data has {m->Data.Length} bytes, step {m->Step} x height {h} needs {(ulong)m->Step * h}";
            return null;
        }
        int row = 3 * (int)w;
        var rgb = new byte[row * (int)h];
        var src = (byte*)m->Data.Buffer;
        for (int y = 0; y < h; y++)
            new ReadOnlySpan<byte>(src + (long)y * m->Step, row).CopyTo(rgb.AsSpan(y * row, row));
        problem = null;
        return new CameraFrame((int)w, (int)h, rgb, stampNs);
    }

    // ------------------------------------------------------------------ receiver thread

    private void ReceiveLoop()
    {
        while (!_stopping)
        {
            int n = Native.Wait(_waitset, 100_000_000);
            if (_stopping) break;
            if (n < 0) { Thread.Sleep(10); continue; }
            DrainJointStates();
            DrainEmergencyStop();
            DrainScene();
            if (_imageReader > 0) DrainImages();
            if (_useAction) DrainGoalReplies();
            long now = MonotonicClock.NowNs;
            if (now - _lastStatusNs >= 100_000_000)
            {
                _lastStatusNs = now;
                PublishStatus(now);
            }
        }
    }

    /// <summary>CortexBot's own status at 10 Hz (receiver thread; the waitset wakes at least every 100 ms).</summary>
    private void PublishStatus(long now)
    {
        var c = Counters;
        long stamp = Volatile.Read(ref _stampNs);
        LinkStatusMsg m = default;
        m.Header.Stamp = RosTime.FromNanoseconds((DateTime.UtcNow - DateTime.UnixEpoch).Ticks * 100);
        m.Header.FrameId = _emptyString;
        m.EmergencyStopped = (byte)(_estop ? 1 : 0);
        m.StateFresh = (byte)(c.JointStatesAccepted > 0 && now - stamp <= _staleNs ? 1 : 0);
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

    /// <summary>send_goal and get_result replies meant for this client (receiver thread).</summary>
    private void DrainGoalReplies()
    {
        while (Native.Take(_sendGoalReplyReader, out void* p, out _) is int r && r != 0)
        {
            if (r < 0) break;
            if (r != 1) continue;
            var m = (SendGoalResponseMsg*)p;
            ulong guid = m->ClientGuid;
            long seq = m->Sequence;
            bool accepted = m->Accepted != 0;
            Native.ReturnLoan(_sendGoalReplyReader, p);
            if (guid != _clientGuid) continue;
            int slot = (int)(seq & (GoalRing - 1));
            long sent = Volatile.Read(ref _goalSentNs[slot]);
            if (Volatile.Read(ref _goalSentSeq[slot]) == seq)
            {
                long k = _goalRoundTrips;
                Volatile.Write(ref _goalRoundTripNs[k % _goalRoundTripNs.Length], MonotonicClock.NowNs - sent);
                Interlocked.Increment(ref _goalRoundTrips);
            }
            if (accepted) Interlocked.Increment(ref _goalsAccepted);
            else
            {
                Interlocked.Increment(ref _goalsRejected);
                // the controller says why only in the goal's result
                _resultRequest->Sequence = seq;
                _resultRequest->GoalId = GoalUuid.From(_goalIdPrefix, (ulong)seq);
                Native.Write(_resultWriter, _resultRequest);
                _lastGoalProblem ??= $"goal {seq} was rejected by {_o.TrajectoryAction}";
            }
        }
        while (Native.Take(_resultReplyReader, out void* p, out _) is int r && r != 0)
        {
            if (r < 0) break;
            if (r != 1) continue;
            var m = (GetResultResponseMsg*)p;
            try
            {
                if (m->ClientGuid != _clientGuid) continue;
                // diagnostics only: allocates, on the receiver thread, for rejected goals
                _lastGoalProblem = $"goal {m->Sequence} was rejected by {_o.TrajectoryAction}: {GoalStatusCode.Name(m->Status)}, " +
                    $"{FollowJointTrajectoryError.Name(m->Result.ErrorCode)} ({Native.ToManaged(m->Result.ErrorString)})";
            }
            finally { Native.ReturnLoan(_resultReplyReader, p); }
        }
    }

    private void DrainJointStates()
    {
        while (true)
        {
            int r = Native.Take(_stateReader, out void* p, out _);
            if (r == 0 || r < 0) return;
            if (r != 1) continue;
            try { Accept((JointStateMsg*)p); }
            finally { Native.ReturnLoan(_stateReader, p); }
        }
    }

    /// <summary>Validates one JointState and publishes it to the control thread. Receiver thread; visible for tests.</summary>
    internal void Accept(JointStateMsg* m)
    {
        int n = (int)m->Name.Length;
        if (m->Position.Length != n || (m->Velocity.Length != 0 && m->Velocity.Length != n) || (m->Effort.Length != 0 && m->Effort.Length != n)
            || (n > 0 && m->Name.Buffer == null) || (n > 0 && m->Position.Buffer == null))
        {
            Interlocked.Increment(ref _malformed);
            _lastProblem = $"malformed JointState: {n} names, {m->Position.Length} positions, {m->Velocity.Length} velocities, {m->Effort.Length} efforts";
            return;
        }
        var names = (byte**)m->Name.Buffer;
        var pos = (double*)m->Position.Buffer;
        var vel = (double*)m->Velocity.Buffer;
        for (int i = 0; i < _dof; i++)
        {
            int k = Find(names, n, _jointUtf8[i], _map[i]);
            if (k < 0) { RejectMissing(names, n, _joints[i]); return; }
            _map[i] = k;
        }
        for (int g = 0; g < _gripMap.Length; g++)
        {
            int k = Find(names, n, _gripperUtf8[g], _gripMap[g]);
            if (k < 0) { RejectMissing(names, n, _o.GripperJoints[g]); return; }
            _gripMap[g] = k;
        }
        double grip = 0;
        bool finite = true;
        long received = MonotonicClock.NowNs, stamp = m->Header.Stamp.TotalNanoseconds;
        // joint_state_broadcaster sends velocities only where the hardware exports them. Without them the screens that
        // need speed (obstruction, joint limits) would see a still arm, so differentiate the positions instead: over the
        // header stamps when they advance, else over the receive times.
        double dt = 0;
        if (m->Velocity.Length == 0 && _havePrev)
            dt = (stamp > _prevStampNs && _prevStampNs > 0 ? stamp - _prevStampNs : received - _prevReceivedNs) * 1e-9;
        bool differentiate = dt > 0 && dt < 0.25;
        for (int i = 0; i < _dof; i++)
        {
            _rxPos[i] = pos[_map[i]];
            _rxVel[i] = m->Velocity.Length != 0 ? vel[_map[i]] : differentiate ? (_rxPos[i] - _prevPos[i]) / dt : 0;
            finite &= double.IsFinite(_rxPos[i]) && double.IsFinite(_rxVel[i]);
        }
        for (int g = 0; g < _gripMap.Length; g++) grip += pos[_gripMap[g]];
        finite &= double.IsFinite(grip);
        if (!finite)
        {
            Interlocked.Increment(ref _nonFinite);
            _lastProblem = "non-finite joint state";
            return;
        }

        Array.Copy(_rxPos, _prevPos, _dof);
        _prevStampNs = stamp;
        _prevReceivedNs = received;
        _havePrev = true;

        long s = _seq;
        Volatile.Write(ref _seq, s + 1);
        Interlocked.MemoryBarrier();
        Array.Copy(_rxPos, _pos, _dof);
        Array.Copy(_rxVel, _vel, _dof);
        _grip = grip;
        _stampNs = received;
        Interlocked.MemoryBarrier();
        Volatile.Write(ref _seq, s + 2);
        Interlocked.Increment(ref _acceptedCount);
    }

    private static int Find(byte** names, int n, byte[] want, int hint)
    {
        if (hint >= 0 && hint < n && Native.Equals(names[hint], want)) return hint;
        for (int k = 0; k < n; k++)
            if (Native.Equals(names[k], want)) return k;
        return -1;
    }

    private void RejectMissing(byte** names, int n, string missing)
    {
        Interlocked.Increment(ref _missing);
        // diagnostics only: allocates, on the receiver thread
        var have = new string[n];
        for (int k = 0; k < n; k++) have[k] = Native.ToManaged(names[k]) ?? "";
        _lastProblem = $"joint '{missing}' is not among the published joints [{string.Join(", ", have)}]; CortexBot's arm needs [{string.Join(", ", _joints.Concat(_o.GripperJoints))}] (mapped by name)";
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

    private void DrainScene()
    {
        while (true)
        {
            int r = Native.Take(_sceneReader, out void* p, out _);
            if (r == 0 || r < 0) return;
            if (r != 1) continue;
            try
            {
                var view = ParseScene((SceneStatusMsg*)p);
                if (view is not null) { _scene = view; Interlocked.Increment(ref _scenes); }
            }
            finally { Native.ReturnLoan(_sceneReader, p); }
        }
    }

    internal static SceneStatusView? ParseScene(SceneStatusMsg* m)
    {
        int n = (int)m->ObjectNames.Length;
        if (m->ObjectKinds.Length != n || m->ObjectColors.Length != n || m->Poses.Length != 7 * n || m->HalfSizes.Length != 3 * n) return null;
        var names = (byte**)m->ObjectNames.Buffer;
        var kinds = (byte**)m->ObjectKinds.Buffer;
        var colors = (byte**)m->ObjectColors.Buffer;
        var poses = (double*)m->Poses.Buffer;
        var half = (double*)m->HalfSizes.Buffer;
        var objects = ImmutableArray.CreateBuilder<SceneObject>(n);
        for (int i = 0; i < n; i++)
        {
            var p = poses + 7 * i;
            var h = half + 3 * i;
            var color = Native.ToManaged(colors[i]);
            objects.Add(new SceneObject(Native.ToManaged(names[i]) ?? "", Native.ToManaged(kinds[i]) ?? "", string.IsNullOrEmpty(color) ? null : color,
                new Pose(new Vec3(p[0], p[1], p[2]), new Quat(p[3], p[4], p[5], p[6])), new Vec3(h[0], h[1], h[2])));
        }
        long now = MonotonicClock.NowNs;
        return new SceneStatusView(m->ResetId, m->Seed, m->SimTime, new SceneSnapshot(now, objects.MoveToImmutable()), now);
    }

    public void Dispose()
    {
        if (_stopping) return;
        _stopping = true;
        Native.Wake(_waitset);
        _receiver.Join(TimeSpan.FromSeconds(2));
        _dds.Dispose();
        _mem.Dispose();
    }
}
