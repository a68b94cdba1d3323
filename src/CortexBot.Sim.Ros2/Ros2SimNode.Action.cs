using CortexBot.Brainstem.Ros2;
using CortexBot.Core;

namespace CortexBot.Sim.Ros2;

/// <summary>Counters of the simulator node's FollowJointTrajectory action server.</summary>
public sealed record ActionServerCounters(long GoalsReceived, long GoalsAccepted, long GoalsRejected, long GoalsSucceeded,
    long GoalsAborted, long GoalsCanceled, long CancelRequests, long ResultRequests, long FeedbackPublished, long StatusPublished);

/// <summary>
/// joint_trajectory_controller's <c>~/follow_joint_trajectory</c> action (control_msgs/action/FollowJointTrajectory),
/// served on the tick thread beside the topics:
/// <list type="bullet">
/// <item>send_goal: a goal is validated as a topic trajectory is (and its tolerances name arm joints, it has no
/// multi-DOF part, and a stamped trajectory does not end in the past); a valid one is accepted, preempts the goal in
/// force (CANCELED, INVALID_GOAL, as the controller does), starts executing at once and is played by the same
/// sampler. An invalid one is rejected (accepted = false), counted by reason, and the arm holds.</item>
/// <item>Tolerances as joint_trajectory_controller applies control_msgs/JointTolerance: a value above 0 is the limit,
/// 0 the controller's default (none here: unchecked), below 0 (-1) no limit; errors are reference - measured. While
/// the trajectory runs (before its last point's time), a joint outside its path tolerance (position or velocity)
/// aborts the goal with PATH_TOLERANCE_VIOLATED and the arm holds where it is. A goal succeeds once its last point's
/// time has passed and every joint is within its goal tolerance; if not within goal_time_tolerance (when non-zero)
/// after that, it aborts with GOAL_TOLERANCE_VIOLATED and the arm holds where it is (0 waits without limit, as the
/// controller). Acceleration tolerances are accepted and, as by the controller over position and velocity state
/// interfaces, never violated: no acceleration is measured. A single-point goal is a target at once (see the
/// sampler), so it has no path to check. A trajectory or command on the topics, or a world reset, aborts a goal
/// (INVALID_GOAL).</item>
/// <item>cancel_goal: by id, by stamp, or all (action_msgs semantics); a canceled goal holds the measured position.</item>
/// <item>get_result: answered at once for a finished goal, or when the goal finishes. A rejected goal answers
/// ABORTED with its control_msgs error code and reason, so a client can learn why (rcl_action would answer UNKNOWN).</item>
/// <item>feedback (desired, actual, error) at the controller-state rate while a goal executes; the status array on
/// every change. Finished goals stay listed for <see cref="FinishedGoalKeepSeconds"/> s, at most <see cref="MaxGoals"/> goals.</item>
/// </list>
/// </summary>
public sealed unsafe partial class Ros2SimNode
{
    /// <summary>Goals remembered (status and results); the oldest finished one makes room for a new one.</summary>
    public const int MaxGoals = 64;
    public const double FinishedGoalKeepSeconds = 10;
    private const int MaxPendingResults = 32;

    private RosActionTopics _actionTopics = null!;
    private int _sendGoalReader, _sendGoalWriter, _cancelReader, _cancelWriter, _resultReader, _resultWriter, _feedbackWriter, _goalStatusWriter;

    // goal table (tick thread only)
    private readonly GoalUuid[] _goalId = new GoalUuid[MaxGoals];
    private readonly RosTime[] _goalStamp = new RosTime[MaxGoals];
    private readonly sbyte[] _goalStatus = new sbyte[MaxGoals];
    private readonly int[] _goalError = new int[MaxGoals];
    private readonly nint[] _goalErrorString = new nint[MaxGoals];
    private readonly long[] _goalTerminalNs = new long[MaxGoals];
    private readonly bool[] _goalUsed = new bool[MaxGoals];
    private readonly bool[] _goalListed = new bool[MaxGoals];
    private int _goalNext;
    private int _activeGoal = -1;
    private long _goalEndNs, _goalTimeTolNs;
    private double[] _goalFinal = [], _goalFinalVel = [], _goalTolPos = [], _goalTolVel = [], _pathTolPos = [], _pathTolVel = [];
    private bool _goalTolAny, _pathTolAny, _goalHasPath;
    private bool _goalStatusDirty = true;

    // get_result requests waiting for their goal to finish
    private readonly ulong[] _pendGuid = new ulong[MaxPendingResults];
    private readonly long[] _pendSeq = new long[MaxPendingResults];
    private readonly int[] _pendSlot = new int[MaxPendingResults];
    private int _pendCount;

    private GoalStatusMsg* _statusList;
    private GoalStatusArrayMsg* _statusArray;
    private FeedbackMessageMsg* _feedbackMsg;
    private byte* _msgEmpty, _msgPreempted, _msgReset, _msgReplacedByTopic, _msgGoalTolerance, _msgMultiDof, _msgPathToleranceJoint,
        _msgGoalToleranceJoint, _msgTimeTolerance;
    // per arm joint: why a path tolerance was violated (position, velocity), built once so the tick never allocates
    private byte*[] _msgPathPosition = [], _msgPathVelocity = [];
    private byte*[] _msgRejection = [];

    private long _goalsReceived, _goalsAccepted, _goalsRejected, _goalsSucceeded, _goalsAborted, _goalsCanceled, _cancelRequests,
        _resultRequests, _feedbacks, _statuses;

    public ActionServerCounters ActionCounters => new(Interlocked.Read(ref _goalsReceived), Interlocked.Read(ref _goalsAccepted),
        Interlocked.Read(ref _goalsRejected), Interlocked.Read(ref _goalsSucceeded), Interlocked.Read(ref _goalsAborted),
        Interlocked.Read(ref _goalsCanceled), Interlocked.Read(ref _cancelRequests), Interlocked.Read(ref _resultRequests),
        Interlocked.Read(ref _feedbacks), Interlocked.Read(ref _statuses));

    /// <summary>The action's name (<c>/&lt;controller&gt;/follow_joint_trajectory</c>).</summary>
    public string TrajectoryAction => _o.TrajectoryAction;

    private void CreateActionServer()
    {
        _actionTopics = new RosActionTopics(_o.TrajectoryAction);
        var q = RosActionTopics.ServiceQos;
        // each service pairs its request reader and reply writer, as rmw_cyclonedds does
        string send = RosActionTopics.PairingUserData(server: true), cancel = RosActionTopics.PairingUserData(server: true),
            result = RosActionTopics.PairingUserData(server: true);
        // a client streaming a goal per tick (CortexBot's link sends one per motion, but holds and other clients may stream)
        // must not lose goals to a tick that runs tens of ms late:
        // the request reader keeps more than rclcpp's 10 (reader depth is local; it does not affect matching)
        _sendGoalReader = _dds.DdsReader(RosType.SendGoalRequest, _actionTopics.SendGoalRequest, q with { Depth = 100 }, send);
        _sendGoalWriter = _dds.DdsWriter(RosType.SendGoalResponse, _actionTopics.SendGoalReply, q, send);
        _cancelReader = _dds.DdsReader(RosType.CancelGoalRequest, _actionTopics.CancelGoalRequest, q, cancel);
        _cancelWriter = _dds.DdsWriter(RosType.CancelGoalResponse, _actionTopics.CancelGoalReply, q, cancel);
        _resultReader = _dds.DdsReader(RosType.GetResultRequest, _actionTopics.GetResultRequest, q, result);
        _resultWriter = _dds.DdsWriter(RosType.GetResultResponse, _actionTopics.GetResultReply, q, result);
        _feedbackWriter = _dds.DdsWriter(RosType.FeedbackMessage, _actionTopics.Feedback, RosQos.Default, null);
        _goalStatusWriter = _dds.DdsWriter(RosType.GoalStatusArray, _actionTopics.Status, RosActionTopics.StatusQos, null);
    }

    private void InitActionMessages()
    {
        int dof = _cmd.Joints;
        _goalFinal = new double[dof];
        _goalFinalVel = new double[dof];
        _goalTolPos = new double[dof];
        _goalTolVel = new double[dof];
        _pathTolPos = new double[dof];
        _pathTolVel = new double[dof];
        _statusList = _mem.Alloc<GoalStatusMsg>(MaxGoals);
        _statusArray = _mem.Alloc<GoalStatusArrayMsg>(1);
        _feedbackMsg = _mem.Alloc<FeedbackMessageMsg>(1);
        // the feedback shares the controller state's arrays: desired = reference, actual = feedback
        var f = &_feedbackMsg->Feedback;
        f->Header.FrameId = _js->Header.FrameId;
        f->JointNames = _cs->JointNames;
        f->Desired = _cs->Reference;
        f->Actual = _cs->Feedback;
        f->Error = _cs->Error;
        _msgEmpty = _js->Header.FrameId;
        _msgPreempted = _mem.Add("Current goal cancelled due to new incoming action.");
        _msgReset = _mem.Add("the simulator's world was reset");
        _msgReplacedByTopic = _mem.Add($"replaced by a command on /{_o.Controller}/joint_trajectory or /{_o.Controller}/commands");
        _msgGoalTolerance = _mem.Add("Aborted due to goal_time_tolerance exceeding: a joint was outside its goal tolerance");
        _msgMultiDof = _mem.Add("the arm has no multi-DOF joints: multi_dof_trajectory must be empty");
        var arm = string.Join(", ", _world.JointNames);
        _msgPathToleranceJoint = _mem.Add($"path_tolerance names a joint the arm does not have (its joints: {arm})");
        _msgGoalToleranceJoint = _mem.Add($"goal_tolerance names a joint the arm does not have (its joints: {arm})");
        _msgPathPosition = new byte*[dof];
        _msgPathVelocity = new byte*[dof];
        for (int i = 0; i < dof; i++)
        {
            _msgPathPosition[i] = _mem.Add($"Aborted due to path tolerance violation: joint {_world.JointNames[i]} position error above its path tolerance");
            _msgPathVelocity[i] = _mem.Add($"Aborted due to path tolerance violation: joint {_world.JointNames[i]} velocity error above its path tolerance");
        }
        _msgTimeTolerance = _mem.Add("goal_time_tolerance must be non-negative");
        var reasons = Enum.GetValues<Rejection>();
        _msgRejection = new byte*[reasons.Length];
        foreach (var r in reasons) _msgRejection[(int)r] = _mem.Add(r == Rejection.None ? "" : Describe(r));
    }

    private void DrainActionRequests()
    {
        while (Native.Take(_sendGoalReader, out void* p, out _) is int r && r != 0)
        {
            if (r < 0) break;
            if (r != 1) continue;
            try { HandleSendGoal((SendGoalRequestMsg*)p); }
            finally { Native.ReturnLoan(_sendGoalReader, p); }
        }
        while (Native.Take(_cancelReader, out void* p, out _) is int r && r != 0)
        {
            if (r < 0) break;
            if (r != 1) continue;
            try { HandleCancel((CancelGoalRequestMsg*)p); }
            finally { Native.ReturnLoan(_cancelReader, p); }
        }
        while (Native.Take(_resultReader, out void* p, out _) is int r && r != 0)
        {
            if (r < 0) break;
            if (r != 1) continue;
            try { HandleGetResult((GetResultRequestMsg*)p); }
            finally { Native.ReturnLoan(_resultReader, p); }
        }
    }

    private static long WallNowNs => (DateTime.UtcNow - DateTime.UnixEpoch).Ticks * 100;

    private void HandleSendGoal(SendGoalRequestMsg* req)
    {
        Interlocked.Increment(ref _goalsReceived);
        var why = CheckGoal(&req->Goal, out byte* reason);
        if (why == Rejection.None) why = ApplyTrajectory(&req->Goal.Trajectory);
        SendGoalResponseMsg resp = default;
        resp.ClientGuid = req->ClientGuid;
        resp.Sequence = req->Sequence;
        resp.Stamp = RosTime.FromNanoseconds(WallNowNs);
        if (why != Rejection.None)
        {
            CountRejection(why);
            Interlocked.Increment(ref _goalsRejected);
            // remembered (unlisted) only so that get_result can say why
            int s = NewGoalSlot();
            _goalId[s] = req->GoalId;
            _goalStamp[s] = resp.Stamp;
            _goalStatus[s] = GoalStatusCode.Aborted;
            _goalError[s] = why switch
            {
                Rejection.Joints => FollowJointTrajectoryError.InvalidJoints,
                Rejection.OldStamp => FollowJointTrajectoryError.OldHeaderTimestamp,
                _ => FollowJointTrajectoryError.InvalidGoal,
            };
            _goalErrorString[s] = (nint)(reason != null ? reason : _msgRejection[(int)why]);
            _goalTerminalNs[s] = MonotonicClock.NowNs;
            _goalListed[s] = false;
            resp.Accepted = 0;
            Native.Write(_sendGoalWriter, &resp);
            return;
        }

        EndActiveGoal(GoalStatusCode.Canceled, FollowJointTrajectoryError.InvalidGoal, _msgPreempted);
        int g = NewGoalSlot();
        _goalId[g] = req->GoalId;
        _goalStamp[g] = resp.Stamp;
        _goalStatus[g] = GoalStatusCode.Executing;
        _goalError[g] = 0;
        _goalErrorString[g] = (nint)_msgEmpty;
        _goalListed[g] = true;
        _activeGoal = g;
        var t = _lastParsed!;
        int dof = _cmd.Joints, last = t.Count - 1;
        for (int i = 0; i < dof; i++) { _goalFinal[i] = t.Position[last * dof + i]; _goalFinalVel[i] = t.Velocity[last * dof + i]; }
        _goalEndNs = t.StartNs + t.TimeNs[last];
        _goalTimeTolNs = req->Goal.GoalTimeTolerance.TotalNanoseconds;
        _goalHasPath = t.Count > 1;
        _pathTolAny = SetTolerances(req->Goal.PathTolerance, _pathTolPos, _pathTolVel);
        _goalTolAny = SetTolerances(req->Goal.GoalTolerance, _goalTolPos, _goalTolVel);
        Interlocked.Increment(ref _goalsAccepted);
        _goalStatusDirty = true;
        resp.Accepted = 1;
        Native.Write(_sendGoalWriter, &resp);
    }

    /// <summary>What a goal must satisfy beyond its trajectory (checked before the trajectory touches the arm).</summary>
    private Rejection CheckGoal(FollowJointTrajectoryGoalMsg* goal, out byte* reason)
    {
        reason = null;
        if (goal->MultiDofTrajectory.JointNames.Length != 0 || goal->MultiDofTrajectory.Points.Length != 0)
        {
            reason = _msgMultiDof;
            return Rejection.Joints;
        }
        if (goal->GoalTimeTolerance.Sec < 0)
        {
            reason = _msgTimeTolerance;
            return Rejection.Timing;
        }
        var why = CheckTolerances(goal->PathTolerance, _msgPathToleranceJoint, ref reason);
        if (why == Rejection.None) why = CheckTolerances(goal->GoalTolerance, _msgGoalToleranceJoint, ref reason);
        if (why != Rejection.None) return why;
        var traj = &goal->Trajectory;
        long stamp = traj->Header.Stamp.TotalNanoseconds;
        if (stamp != 0 && traj->Points.Length > 0 && traj->Points.Buffer != null)
        {
            // as joint_trajectory_controller: a stamped trajectory that would already be over is refused
            var lastPoint = (JointTrajectoryPointMsg*)traj->Points.Buffer + (traj->Points.Length - 1);
            if (stamp + lastPoint->TimeFromStart.TotalNanoseconds < WallNowNs) return Rejection.OldStamp;
        }
        return Rejection.None;
    }

    private Rejection CheckTolerances(DdsSequence seq, byte* unknownJoint, ref byte* reason)
    {
        var tol = (JointToleranceMsg*)seq.Buffer;
        for (int k = 0; k < (int)seq.Length; k++)
        {
            // joint_trajectory_controller logs an unknown joint and falls back to its default tolerances; a client
            // learns nothing from that, so here the goal is refused (INVALID_JOINTS) saying which tolerance is wrong
            if (ArmIndex(tol[k].Name) < 0)
            {
                reason = unknownJoint;
                return Rejection.Joints;
            }
            if (!double.IsFinite(tol[k].Position) || !double.IsFinite(tol[k].Velocity) || !double.IsFinite(tol[k].Acceleration))
                return Rejection.NonFinite;
        }
        return Rejection.None;
    }

    private int ArmIndex(byte* name)
    {
        for (int i = 0; i < _armUtf8.Length; i++)
            if (Native.Equals(name, _armUtf8[i])) return i;
        return -1;
    }

    /// <summary>
    /// A goal's position and velocity tolerances per arm joint (0: unchecked), as joint_trajectory_controller's
    /// get_segment_tolerances reads control_msgs/JointTolerance: above 0 is the limit, 0 keeps the default (none here),
    /// below 0 (-1) lifts the limit. A later entry for the same joint overrides an earlier one. True when any is checked.
    /// </summary>
    private bool SetTolerances(DdsSequence seq, double[] position, double[] velocity)
    {
        Array.Clear(position);
        Array.Clear(velocity);
        var tol = (JointToleranceMsg*)seq.Buffer;
        for (int k = 0; k < (int)seq.Length; k++)
        {
            int i = ArmIndex(tol[k].Name);
            if (tol[k].Position != 0) position[i] = Math.Max(tol[k].Position, 0);
            if (tol[k].Velocity != 0) velocity[i] = Math.Max(tol[k].Velocity, 0);
        }
        for (int i = 0; i < position.Length; i++)
            if (position[i] > 0 || velocity[i] > 0) return true;
        return false;
    }

    /// <summary>The first arm joint whose reference - measured error exceeds a checked tolerance (-1: none); kind 0 position, 1 velocity.</summary>
    private int Violation(double[] position, double[] velocity, ReadOnlySpan<double> refPosition, ReadOnlySpan<double> refVelocity, out int kind)
    {
        for (int i = 0; i < position.Length; i++)
        {
            if (position[i] > 0 && Math.Abs(refPosition[i] - _state.Position[i]) > position[i]) { kind = 0; return i; }
            if (velocity[i] > 0 && Math.Abs(refVelocity[i] - _state.Velocity[i]) > velocity[i]) { kind = 1; return i; }
        }
        kind = 0;
        return -1;
    }

    /// <summary>
    /// Checks the goal in force against its tolerances (tick thread, after the physics step): the path tolerance while
    /// its trajectory runs, the goal tolerance once its last point's time has passed, as joint_trajectory_controller's
    /// update does; aborting either way holds the arm where it is.
    /// </summary>
    private void CheckActiveGoal()
    {
        if (_activeGoal < 0) return;
        long now = MonotonicClock.NowNs;
        if (now < _goalEndNs)
        {
            if (_pathTolAny && _goalHasPath && Violation(_pathTolPos, _pathTolVel, _cmd.Position, new ReadOnlySpan<double>(_refVel, _cmd.Joints), out int kind) is int j and >= 0)
            {
                HoldMeasured();
                EndActiveGoal(GoalStatusCode.Aborted, FollowJointTrajectoryError.PathToleranceViolated, kind == 0 ? _msgPathPosition[j] : _msgPathVelocity[j]);
            }
            return;
        }
        // past the end the reference is the last point (the sampler may have sampled this tick just before the end)
        bool within = !_goalTolAny || Violation(_goalTolPos, _goalTolVel, _goalFinal, _goalFinalVel, out _) < 0;
        if (within) EndActiveGoal(GoalStatusCode.Succeeded, FollowJointTrajectoryError.Successful, _msgEmpty);
        else if (_goalTimeTolNs > 0 && now > _goalEndNs + _goalTimeTolNs)
        {
            HoldMeasured();
            EndActiveGoal(GoalStatusCode.Aborted, FollowJointTrajectoryError.GoalToleranceViolated, _msgGoalTolerance);
        }
        // else: goal_time_tolerance 0 waits for the arm without limit, as joint_trajectory_controller does
    }

    /// <summary>The setpoint becomes the measured position at rest (joint_trajectory_controller's set_hold_position).</summary>
    private void HoldMeasured()
    {
        for (int i = 0; i < _cmd.Joints; i++) { _cmd.Position[i] = _state.Position[i]; _refVel[i] = 0; }
        _following = false;
    }

    private void EndActiveGoal(sbyte status, int errorCode, byte* errorString)
    {
        int g = _activeGoal;
        if (g < 0) return;
        _activeGoal = -1;
        _goalStatus[g] = status;
        _goalError[g] = errorCode;
        _goalErrorString[g] = (nint)errorString;
        _goalTerminalNs[g] = MonotonicClock.NowNs;
        _goalStatusDirty = true;
        switch (status)
        {
            case GoalStatusCode.Succeeded: Interlocked.Increment(ref _goalsSucceeded); break;
            case GoalStatusCode.Canceled: Interlocked.Increment(ref _goalsCanceled); break;
            default: Interlocked.Increment(ref _goalsAborted); break;
        }
        for (int k = 0; k < _pendCount;)
        {
            if (_pendSlot[k] == g)
            {
                WriteResult(_pendGuid[k], _pendSeq[k], g);
                _pendCount--;
                _pendGuid[k] = _pendGuid[_pendCount];
                _pendSeq[k] = _pendSeq[_pendCount];
                _pendSlot[k] = _pendSlot[_pendCount];
            }
            else k++;
        }
    }

    private int NewGoalSlot()
    {
        while (true)
        {
            int s = _goalNext;
            _goalNext = (_goalNext + 1) % MaxGoals;
            if (s == _activeGoal) continue;
            if (_goalUsed[s] && _goalListed[s]) _goalStatusDirty = true;
            _goalUsed[s] = true;
            return s;
        }
    }

    private int FindGoal(in GoalUuid id)
    {
        ulong lo = id.Low, hi = id.High;
        for (int s = 0; s < MaxGoals; s++)
            if (_goalUsed[s] && _goalId[s].Low == lo && _goalId[s].High == hi) return s;
        return -1;
    }

    private void HandleGetResult(GetResultRequestMsg* req)
    {
        Interlocked.Increment(ref _resultRequests);
        int g = FindGoal(req->GoalId);
        if (g >= 0 && g == _activeGoal && _pendCount < MaxPendingResults)
        {
            _pendGuid[_pendCount] = req->ClientGuid;
            _pendSeq[_pendCount] = req->Sequence;
            _pendSlot[_pendCount] = g;
            _pendCount++;
            return;
        }
        WriteResult(req->ClientGuid, req->Sequence, g);
    }

    /// <summary>Answers a get_result (slot -1: an unknown goal, STATUS_UNKNOWN as rcl_action answers).</summary>
    private void WriteResult(ulong guid, long seq, int slot)
    {
        GetResultResponseMsg resp = default;
        resp.ClientGuid = guid;
        resp.Sequence = seq;
        if (slot < 0)
        {
            resp.Status = GoalStatusCode.Unknown;
            resp.Result.ErrorString = _msgEmpty;
        }
        else
        {
            resp.Status = _goalStatus[slot];
            resp.Result.ErrorCode = _goalError[slot];
            resp.Result.ErrorString = (byte*)_goalErrorString[slot];
        }
        Native.Write(_resultWriter, &resp);
    }

    private void HandleCancel(CancelGoalRequestMsg* req)
    {
        Interlocked.Increment(ref _cancelRequests);
        var info = req->GoalInfo;
        bool anyId = info.GoalId.IsZero;
        long before = info.Stamp.TotalNanoseconds;
        CancelGoalResponseMsg resp = default;
        resp.ClientGuid = req->ClientGuid;
        resp.Sequence = req->Sequence;
        GoalInfoMsg canceling = default;
        int g = _activeGoal;
        // action_msgs/CancelGoal: zero id and zero stamp cancel all goals; a stamp cancels the goals accepted at or
        // before it; an id cancels that goal (and, with a stamp, those before it too)
        bool match = g >= 0 && ((anyId && before == 0)
            || (!anyId && _goalId[g].Low == info.GoalId.Low && _goalId[g].High == info.GoalId.High)
            || (before != 0 && _goalStamp[g].TotalNanoseconds <= before));
        if (match)
        {
            canceling.GoalId = _goalId[g];
            canceling.Stamp = _goalStamp[g];
            // as joint_trajectory_controller: hold where the arm is
            HoldMeasured();
            EndActiveGoal(GoalStatusCode.Canceled, FollowJointTrajectoryError.Successful, _msgEmpty);
            resp.ReturnCode = CancelReturnCode.None;
            resp.GoalsCanceling = DdsSequence.Of(&canceling, 1);
        }
        else if (!anyId)
        {
            int k = FindGoal(info.GoalId);
            resp.ReturnCode = k >= 0 && _goalListed[k] ? CancelReturnCode.GoalTerminated : CancelReturnCode.UnknownGoalId;
        }
        else resp.ReturnCode = CancelReturnCode.None;
        Native.Write(_cancelWriter, &resp);
    }

    private void PublishGoalFeedback()
    {
        int g = _activeGoal;
        if (g < 0) return;
        _feedbackMsg->GoalId = _goalId[g];
        _feedbackMsg->Feedback.Header.Stamp = _js->Header.Stamp;
        if (Native.Write(_feedbackWriter, _feedbackMsg) >= 0) Interlocked.Increment(ref _feedbacks);
    }

    /// <summary>Stops listing goals that finished more than <see cref="FinishedGoalKeepSeconds"/> ago.</summary>
    private void ExpireGoals()
    {
        long cutoff = MonotonicClock.NowNs - (long)(FinishedGoalKeepSeconds * 1e9);
        for (int s = 0; s < MaxGoals; s++)
            if (_goalListed[s] && s != _activeGoal && _goalTerminalNs[s] < cutoff)
            {
                _goalListed[s] = false;
                _goalStatusDirty = true;
            }
    }

    private void PublishGoalStatusIfChanged()
    {
        if (!_goalStatusDirty) return;
        _goalStatusDirty = false;
        int n = 0;
        // oldest first: the ring's next slot is its oldest
        for (int k = 0; k < MaxGoals; k++)
        {
            int s = (_goalNext + k) % MaxGoals;
            if (!_goalUsed[s] || !_goalListed[s]) continue;
            var st = _statusList + n++;
            st->GoalInfo.GoalId = _goalId[s];
            st->GoalInfo.Stamp = _goalStamp[s];
            st->Status = _goalStatus[s];
        }
        _statusArray->StatusList = DdsSequence.Of(_statusList, n);
        if (Native.Write(_goalStatusWriter, _statusArray) >= 0) Interlocked.Increment(ref _statuses);
    }
}
