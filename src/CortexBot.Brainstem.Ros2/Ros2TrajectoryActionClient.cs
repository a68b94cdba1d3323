using CortexBot.Core;

namespace CortexBot.Brainstem.Ros2;

/// <summary>
/// The client of the controller's control_msgs/action/FollowJointTrajectory (<see cref="Ros2TrajectoryInterface.Action"/>):
/// each trajectory goes out as a goal (each preempting the one before); acceptances are counted and send_goal round
/// trips measured, and for a rejected goal the client asks for its result to report the controller's error code.
/// <para>Threads: <see cref="SendGoal"/> runs on the control thread and allocates nothing; <see cref="DrainReplies"/>
/// runs on the link's receiver thread.</para>
/// </summary>
internal sealed unsafe class Ros2TrajectoryActionClient : IDisposable
{
    private readonly Ros2Options _o;
    private readonly int _sendGoalWriter, _resultWriter;
    private readonly NativeStrings _mem = new();
    private readonly SendGoalRequestMsg* _goal;
    private readonly GetResultRequestMsg* _resultRequest;
    private readonly ulong _clientGuid, _goalIdPrefix;
    private long _goalSeq;
    private const int GoalRing = 1024;
    private readonly long[] _goalSentSeq = new long[GoalRing], _goalSentNs = new long[GoalRing];
    private readonly long[] _goalRoundTripNs = new long[8192];
    private long _goalRoundTrips, _goalsSent, _goalsAccepted, _goalsRejected;
    private volatile string? _lastGoalProblem;

    public Ros2TrajectoryActionClient(DdsParticipant dds, Ros2Options options)
    {
        _o = options;
        var topics = new RosActionTopics(options.TrajectoryAction);
        var q = RosActionTopics.ServiceQos;
        string send = RosActionTopics.PairingUserData(server: false), result = RosActionTopics.PairingUserData(server: false);
        _sendGoalWriter = dds.DdsWriter(RosType.SendGoalRequest, topics.SendGoalRequest, q, send);
        SendGoalReplyReader = dds.DdsReader(RosType.SendGoalResponse, topics.SendGoalReply, q with { Depth = 100 }, send);
        _resultWriter = dds.DdsWriter(RosType.GetResultRequest, topics.GetResultRequest, q, result);
        ResultReplyReader = dds.DdsReader(RosType.GetResultResponse, topics.GetResultReply, q, result);
        // every client reads every reply of the service and keeps those carrying its own guid
        _clientGuid = (ulong)Random.Shared.NextInt64() | 1;
        _goalIdPrefix = (ulong)Random.Shared.NextInt64();

        _goal = _mem.Alloc<SendGoalRequestMsg>(1);
        _goal->ClientGuid = _clientGuid;
        _goal->Goal.MultiDofTrajectory.Header.FrameId = _mem.Add("");
        _resultRequest = _mem.Alloc<GetResultRequestMsg>(1);
        _resultRequest->ClientGuid = _clientGuid;
    }

    /// <summary>The reply readers, for the link's waitset.</summary>
    public int SendGoalReplyReader { get; }
    public int ResultReplyReader { get; }

    public long GoalsSent => Interlocked.Read(ref _goalsSent);
    public long GoalsAccepted => Interlocked.Read(ref _goalsAccepted);
    public long GoalsRejected => Interlocked.Read(ref _goalsRejected);

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
               || DdsParticipant.Matched(_resultWriter, true) <= 0 || DdsParticipant.Matched(ResultReplyReader, false) <= 0)
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
        int rc = Native.Write(_sendGoalWriter, _goal);
        if (rc >= 0) Interlocked.Increment(ref _goalsSent);
        return rc;
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
                // the controller says why only in the goal's result
                _resultRequest->Sequence = seq;
                _resultRequest->GoalId = GoalUuid.From(_goalIdPrefix, (ulong)seq);
                Native.Write(_resultWriter, _resultRequest);
                _lastGoalProblem ??= $"goal {seq} was rejected by {_o.TrajectoryAction}";
            }
        }
        while (Native.Take(ResultReplyReader, out void* p, out _) is int r && r != 0)
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
            finally { Native.ReturnLoan(ResultReplyReader, p); }
        }
    }

    /// <summary>Frees the goal messages; only after the participant (and so every writer) is gone.</summary>
    public void Dispose() => _mem.Dispose();
}
