using CortexBot.Core;

namespace CortexBot.Brainstem.Ros2;

/// <summary>
/// The client of the controller's control_msgs/action/FollowJointTrajectory (<see cref="Ros2TrajectoryInterface.Action"/>):
/// one goal per motion (a skill's segment, a policy's chunk, or a changed hold target), each preempting the one before,
/// as joint_trajectory_controller does with a new goal. Every goal carries the configured tolerances
/// (<see cref="Ros2Options.PathTolerance"/>, <see cref="Ros2Options.GoalTolerance"/>,
/// <see cref="Ros2Options.GoalTimeTolerance"/>) for every arm joint.
/// <list type="bullet">
/// <item>send_goal: acceptances and rejections are counted and round trips measured; for every goal the client asks
/// for its result (get_result), as an rclcpp_action client with a result callback does.</item>
/// <item>Results: SUCCEEDED, CANCELED (preempted by our next goal, or cancelled by us) and ABORTED are counted. When the
/// goal in force was ABORTED (PATH_TOLERANCE_VIOLATED, GOAL_TOLERANCE_VIOLATED or any other code) or rejected, the
/// client reports a fault (<see cref="Faults"/>, <see cref="LastFault"/>) that the control loop turns into an anomaly.
/// Results of goals already replaced or cancelled by us are not faults.</item>
/// <item>Feedback (<c>_action/feedback</c>) of the goal in force is followed: the largest joint position error of the
/// latest message is exposed and every one is counted and kept for percentiles.</item>
/// <item>cancel_goal: <see cref="CancelCurrent"/> cancels the goal in force (on an anomaly, an abort or an emergency
/// stop); the controller then holds where the arm is.</item>
/// </list>
/// <para>Threads: <see cref="SendGoal"/> and <see cref="CancelCurrent"/> run on the control thread and allocate nothing;
/// <see cref="DrainReplies"/> runs on the link's receiver thread (and allocates only a fault's or a rejection's words).</para>
/// </summary>
internal sealed unsafe class Ros2TrajectoryActionClient : IDisposable
{
    private readonly Ros2Options _o;
    private readonly int _sendGoalWriter, _resultWriter, _cancelWriter;
    private readonly NativeStrings _mem = new();
    private readonly SendGoalRequestMsg* _goal;
    private readonly GetResultRequestMsg* _resultRequest;
    private readonly CancelGoalRequestMsg* _cancelRequest;
    private readonly ulong _clientGuid, _goalIdPrefix;
    private long _goalSeq, _cancelSeq;
    // the goal in force (control thread writes, receiver thread reads) and the last goal we cancelled ourselves
    private long _currentGoal, _cancelledGoal;
    private const int GoalRing = 1024;
    private readonly long[] _goalSentSeq = new long[GoalRing], _goalSentNs = new long[GoalRing];
    private readonly long[] _goalRoundTripNs = new long[8192];
    private long _goalRoundTrips, _goalsSent, _goalsAccepted, _goalsRejected;
    private long _goalsSucceeded, _goalsAborted, _goalsCanceled, _cancelsSent, _cancelReplies, _feedbacks, _faults;
    private readonly double[] _feedbackErrors = new double[8192];
    private double _lastFeedbackError;
    private volatile string? _lastGoalProblem;
    private volatile Core.Ports.TrajectoryFault? _lastFault;

    public Ros2TrajectoryActionClient(DdsParticipant dds, Ros2Options options, IReadOnlyList<string> armJoints)
    {
        _o = options;
        var topics = new RosActionTopics(options.TrajectoryAction);
        var q = RosActionTopics.ServiceQos;
        string send = RosActionTopics.PairingUserData(server: false), result = RosActionTopics.PairingUserData(server: false),
            cancel = RosActionTopics.PairingUserData(server: false);
        _sendGoalWriter = dds.DdsWriter(RosType.SendGoalRequest, topics.SendGoalRequest, q, send);
        SendGoalReplyReader = dds.DdsReader(RosType.SendGoalResponse, topics.SendGoalReply, q with { Depth = 100 }, send);
        _resultWriter = dds.DdsWriter(RosType.GetResultRequest, topics.GetResultRequest, q, result);
        ResultReplyReader = dds.DdsReader(RosType.GetResultResponse, topics.GetResultReply, q with { Depth = 100 }, result);
        _cancelWriter = dds.DdsWriter(RosType.CancelGoalRequest, topics.CancelGoalRequest, q, cancel);
        CancelReplyReader = dds.DdsReader(RosType.CancelGoalResponse, topics.CancelGoalReply, q, cancel);
        FeedbackReader = dds.DdsReader(RosType.FeedbackMessage, topics.Feedback, RosQos.Default, null);
        // every client reads every reply of the service and keeps those carrying its own guid
        _clientGuid = (ulong)Random.Shared.NextInt64() | 1;
        _goalIdPrefix = (ulong)Random.Shared.NextInt64();

        _goal = _mem.Alloc<SendGoalRequestMsg>(1);
        _goal->ClientGuid = _clientGuid;
        _goal->Goal.MultiDofTrajectory.Header.FrameId = _mem.Add("");
        // the same tolerances for every goal, per arm joint (control_msgs/JointTolerance: 0 = the controller's default, -1 = none)
        int dof = armJoints.Count;
        var path = _mem.Alloc<JointToleranceMsg>(dof);
        var goal = _mem.Alloc<JointToleranceMsg>(dof);
        var names = _mem.AddArray(armJoints);
        for (int i = 0; i < dof; i++)
        {
            path[i].Name = goal[i].Name = names[i];
            path[i].Position = options.PathTolerance;
            goal[i].Position = options.GoalTolerance;
        }
        _goal->Goal.PathTolerance = DdsSequence.Of(path, dof);
        _goal->Goal.GoalTolerance = DdsSequence.Of(goal, dof);
        _goal->Goal.GoalTimeTolerance = RosTime.FromNanoseconds((long)options.GoalTimeTolerance.TotalNanoseconds);
        _resultRequest = _mem.Alloc<GetResultRequestMsg>(1);
        _resultRequest->ClientGuid = _clientGuid;
        _cancelRequest = _mem.Alloc<CancelGoalRequestMsg>(1);
        _cancelRequest->ClientGuid = _clientGuid;
    }

    /// <summary>The reply readers, for the link's waitset.</summary>
    public int SendGoalReplyReader { get; }
    public int ResultReplyReader { get; }

    public int CancelReplyReader { get; }
    public int FeedbackReader { get; }

    public long GoalsSent => Interlocked.Read(ref _goalsSent);
    public long GoalsAccepted => Interlocked.Read(ref _goalsAccepted);
    public long GoalsRejected => Interlocked.Read(ref _goalsRejected);
    /// <summary>Results received, by outcome (every goal's, the preempted ones as CANCELED).</summary>
    public long GoalsSucceeded => Interlocked.Read(ref _goalsSucceeded);
    public long GoalsAborted => Interlocked.Read(ref _goalsAborted);
    public long GoalsCanceled => Interlocked.Read(ref _goalsCanceled);
    /// <summary>cancel_goal requests sent, and their replies.</summary>
    public long CancelsSent => Interlocked.Read(ref _cancelsSent);
    public long CancelReplies => Interlocked.Read(ref _cancelReplies);
    /// <summary>Feedback messages of the goal in force received.</summary>
    public long FeedbackReceived => Interlocked.Read(ref _feedbacks);
    /// <summary>The largest joint position error (rad) in the latest feedback of the goal in force.</summary>
    public double LastFeedbackError => Volatile.Read(ref _lastFeedbackError);
    /// <summary>Faults of the goal in force (aborted or rejected), see <see cref="LastFault"/>.</summary>
    public long Faults => Interlocked.Read(ref _faults);
    public Core.Ports.TrajectoryFault? LastFault => _lastFault;

    /// <summary>The largest joint position error (rad) of each of the latest feedback messages (at most 8192 kept).</summary>
    public double[] FeedbackErrors()
    {
        long count = Interlocked.Read(ref _feedbacks);
        long n = Math.Min(count, _feedbackErrors.Length);
        var r = new double[n];
        for (long i = 0; i < n; i++) r[i] = Volatile.Read(ref _feedbackErrors[(count - n + i) % _feedbackErrors.Length]);
        return r;
    }

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

    /// <summary>Waits until the server matched every request and reply: goals sent before would be lost without an answer.</summary>
    public void WaitForServer(long deadlineNs)
    {
        while (DdsParticipant.Matched(_sendGoalWriter, true) <= 0 || DdsParticipant.Matched(SendGoalReplyReader, false) <= 0
               || DdsParticipant.Matched(_resultWriter, true) <= 0 || DdsParticipant.Matched(ResultReplyReader, false) <= 0
               || DdsParticipant.Matched(_cancelWriter, true) <= 0 || DdsParticipant.Matched(CancelReplyReader, false) <= 0)
        {
            if (MonotonicClock.NowNs > deadlineNs)
                throw new ConfigurationException($"no FollowJointTrajectory action server at {_o.TrajectoryAction} (ROS domain {_o.DomainId}) within " +
                    $"{_o.StartTimeout.TotalSeconds:0.#} s: does the controller '{_o.Controller}' serve its action? (or use --trajectory-interface topic)");
            Thread.Sleep(2);
        }
    }

    /// <summary>
    /// Control thread: sends <paramref name="trajectory"/> as the next goal. The goal refers to the trajectory's names and
    /// point buffers (copied as a struct, never deeply), so the caller fills them in place. Returns the DDS write's code.
    /// </summary>
    public int SendGoal(JointTrajectoryMsg* trajectory)
    {
        _goal->Goal.Trajectory = *trajectory;
        long seq = ++_goalSeq;
        _goal->Sequence = seq;
        _goal->GoalId = GoalUuid.From(_goalIdPrefix, (ulong)seq);
        int slot = (int)(seq & (GoalRing - 1));
        Volatile.Write(ref _goalSentNs[slot], MonotonicClock.NowNs);
        Volatile.Write(ref _goalSentSeq[slot], seq);
        Volatile.Write(ref _currentGoal, seq);
        int rc = Native.Write(_sendGoalWriter, _goal);
        if (rc >= 0) Interlocked.Increment(ref _goalsSent);
        return rc;
    }

    /// <summary>
    /// Control thread: cancels the goal in force, if any (the controller holds where the arm is). Its CANCELED (or a late
    /// ABORTED) result is then no fault. Returns whether a request went out.
    /// </summary>
    public bool CancelCurrent()
    {
        long seq = Volatile.Read(ref _currentGoal);
        if (seq == 0 || Volatile.Read(ref _cancelledGoal) == seq) return false;
        Volatile.Write(ref _cancelledGoal, seq);
        _cancelRequest->Sequence = ++_cancelSeq;
        _cancelRequest->GoalInfo.GoalId = GoalUuid.From(_goalIdPrefix, (ulong)seq);
        _cancelRequest->GoalInfo.Stamp = default;
        int rc = Native.Write(_cancelWriter, _cancelRequest);
        if (rc >= 0) Interlocked.Increment(ref _cancelsSent);
        return rc >= 0;
    }

    /// <summary>A fault of goal <paramref name="seq"/> counts only while it is the goal in force and we did not cancel it.</summary>
    private void Fault(long seq, string kind, string detail)
    {
        if (seq != Volatile.Read(ref _currentGoal) || seq == Volatile.Read(ref _cancelledGoal)) return;
        _lastFault = new Core.Ports.TrajectoryFault(kind, detail);
        Interlocked.Increment(ref _faults);
    }

    private void RequestResult(long seq)
    {
        _resultRequest->Sequence = seq;
        _resultRequest->GoalId = GoalUuid.From(_goalIdPrefix, (ulong)seq);
        Native.Write(_resultWriter, _resultRequest);
    }

    /// <summary>send_goal and get_result replies meant for this client (receiver thread).</summary>
    public void DrainReplies()
    {
        while (Native.Take(SendGoalReplyReader, out void* p, out _) is int r && r != 0)
        {
            if (r < 0) break;
            if (r != 1) continue;
            var m = (SendGoalResponseMsg*)p;
            ulong guid = m->ClientGuid;
            long seq = m->Sequence;
            bool accepted = m->Accepted != 0;
            Native.ReturnLoan(SendGoalReplyReader, p);
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
                _rejected.Add(seq);
                _lastGoalProblem ??= $"goal {seq} was rejected by {_o.TrajectoryAction}";
                // the reason follows with the result (from the simulator node; rcl_action answers STATUS_UNKNOWN)
                Fault(seq, Core.Messages.AnomalyKinds.ControllerAborted, $"{_o.TrajectoryAction} rejected goal {seq} (see the link's last goal problem)");
            }
            // the outcome (and, for a rejected goal, the controller's reason) comes only with the goal's result
            RequestResult(seq);
        }
        while (Native.Take(ResultReplyReader, out void* p, out _) is int r && r != 0)
        {
            if (r < 0) break;
            if (r != 1) continue;
            var m = (GetResultResponseMsg*)p;
            try
            {
                if (m->ClientGuid != _clientGuid) continue;
                long seq = m->Sequence;
                int code = m->Result.ErrorCode;
                switch (m->Status)
                {
                    case GoalStatusCode.Succeeded: Interlocked.Increment(ref _goalsSucceeded); break;
                    case GoalStatusCode.Canceled:
                        Interlocked.Increment(ref _goalsCanceled);
                        // preempted by our own next goal: not in force any more; cancelled by someone else: a fault
                        Fault(seq, Core.Messages.AnomalyKinds.ControllerAborted, $"{_o.TrajectoryAction} cancelled goal {seq}: {Native.ToManaged(m->Result.ErrorString)}");
                        break;
                    case GoalStatusCode.Aborted:
                        string why = $"{FollowJointTrajectoryError.Name(code)} ({Native.ToManaged(m->Result.ErrorString)})";
                        // a rejected goal's result is ABORTED with the reason (the simulator node answers so; rcl_action would say UNKNOWN)
                        bool rejection = IsRejection(seq);
                        if (rejection) _lastGoalProblem = $"goal {seq} was rejected by {_o.TrajectoryAction}: {GoalStatusCode.Name(m->Status)}, {why}";
                        else Interlocked.Increment(ref _goalsAborted);
                        if (rejection) break; // its fault was raised with the rejection
                        string words = $"{_o.TrajectoryAction} aborted goal {seq}: {why}";
                        Fault(seq, code switch
                        {
                            FollowJointTrajectoryError.PathToleranceViolated => Core.Messages.AnomalyKinds.PathTolerance,
                            FollowJointTrajectoryError.GoalToleranceViolated => Core.Messages.AnomalyKinds.GoalTolerance,
                            _ => Core.Messages.AnomalyKinds.ControllerAborted,
                        }, words);
                        break;
                }
            }
            finally { Native.ReturnLoan(ResultReplyReader, p); }
        }
        while (Native.Take(CancelReplyReader, out void* p, out _) is int r && r != 0)
        {
            if (r < 0) break;
            if (r != 1) continue;
            if (((CancelGoalResponseMsg*)p)->ClientGuid == _clientGuid) Interlocked.Increment(ref _cancelReplies);
            Native.ReturnLoan(CancelReplyReader, p);
        }
        while (Native.Take(FeedbackReader, out void* p, out _) is int r && r != 0)
        {
            if (r < 0) break;
            if (r != 1) continue;
            var m = (FeedbackMessageMsg*)p;
            long seq = Volatile.Read(ref _currentGoal);
            var id = GoalUuid.From(_goalIdPrefix, (ulong)seq);
            if (seq != 0 && m->GoalId.Low == id.Low && m->GoalId.High == id.High)
            {
                var e = m->Feedback.Error.Positions;
                double worst = 0;
                for (int i = 0; i < (int)e.Length; i++) worst = Math.Max(worst, Math.Abs(((double*)e.Buffer)[i]));
                long k = _feedbacks;
                Volatile.Write(ref _feedbackErrors[k % _feedbackErrors.Length], worst);
                Volatile.Write(ref _lastFeedbackError, worst);
                Interlocked.Increment(ref _feedbacks);
            }
            Native.ReturnLoan(FeedbackReader, p);
        }
    }

    // rejected goals whose result (naming the reason) has not come yet (receiver thread only)
    private readonly HashSet<long> _rejected = [];
    private bool IsRejection(long seq) => _rejected.Remove(seq);

    /// <summary>Frees the goal messages; only after the participant (and so every writer) is gone.</summary>
    public void Dispose() => _mem.Dispose();
}
