using System.Diagnostics;
using System.Runtime.InteropServices;
using CortexBot.Brainstem.Ros2;
using CortexBot.Brainstem.Ros2.Tests;
using CortexBot.Sim.MuJoCo;
using Xunit.Abstractions;

namespace CortexBot.Sim.Ros2.Tests;

/// <summary>
/// The FollowJointTrajectory server's tolerances, over loopback DDS, as joint_trajectory_controller applies them:
/// path tolerances while the trajectory runs (PATH_TOLERANCE_VIOLATED, the arm holds where it is), goal tolerances
/// after its end within goal_time_tolerance (GOAL_TOLERANCE_VIOLATED), 0 = default (unchecked here), -1 = no limit,
/// and tolerances naming joints the arm does not have (INVALID_JOINTS, saying which list).
/// </summary>
public sealed class ToleranceTests(ITestOutputHelper output)
{
    /// <summary>control_msgs/JointTolerance.</summary>
    private readonly record struct Tol(string Joint, double Position, double Velocity = 0, double Acceleration = 0);

    private readonly record struct Outcome(bool Accepted, int Status, int Error, string ErrorString, double Seconds);

    /// <summary>A test double of a ROS 2 action client of follow_joint_trajectory, plus a /joint_states reader.</summary>
    private sealed unsafe class GoalClient : IDisposable
    {
        private readonly DdsParticipant _dds;
        private readonly int _sendW, _sendR, _resultW, _resultR, _stateR;
        private readonly ulong _guid = (ulong)Random.Shared.NextInt64(1, long.MaxValue);
        private long _seq;

        public GoalClient(int domain, Ros2Options o)
        {
            _dds = new DdsParticipant(domain, DdsParticipant.LoopbackConfig());
            var t = new RosActionTopics(o.TrajectoryAction);
            var q = RosActionTopics.ServiceQos;
            string send = RosActionTopics.PairingUserData(server: false), result = RosActionTopics.PairingUserData(server: false);
            _sendW = _dds.DdsWriter(RosType.SendGoalRequest, t.SendGoalRequest, q, send);
            _sendR = _dds.DdsReader(RosType.SendGoalResponse, t.SendGoalReply, q, send);
            _resultW = _dds.DdsWriter(RosType.GetResultRequest, t.GetResultRequest, q, result);
            _resultR = _dds.DdsReader(RosType.GetResultResponse, t.GetResultReply, q, result);
            _stateR = _dds.Reader(RosType.JointState, o.JointStatesTopic, RosQos.Default);
            TestBus.WaitUntil(() => Native.Matched(_sendW, 1) > 0 && Native.Matched(_sendR, 0) > 0 && Native.Matched(_resultW, 1) > 0
                && Native.Matched(_resultR, 0) > 0, "the action server");
            TestBus.WaitUntil(() => ArmPosition() is not null, "joint states");
        }

        /// <summary>The newest measured arm position (arm joints in the node's order), null when none arrived.</summary>
        private double[]? _last;
        public double[]? ArmPosition()
        {
            while (Native.Take(_stateR, out void* p, out _) is int r && r > 0)
            {
                if (r != 1) continue;
                var m = (JointStateMsg*)p;
                var names = (byte**)m->Name.Buffer;
                var pos = new double[MuJoCoWorld.ArmJoints.Length];
                for (int i = 0; i < pos.Length; i++)
                {
                    Assert.Equal(MuJoCoWorld.ArmJoints[i], Marshal.PtrToStringUTF8((nint)names[i]));
                    pos[i] = ((double*)m->Position.Buffer)[i];
                }
                _last = pos;
                Native.ReturnLoan(_stateR, p);
            }
            return _last;
        }

        /// <summary>Sends a goal moving the arm from <paramref name="from"/> through <paramref name="points"/> and waits for its result.</summary>
        public Outcome Run(double[][] points, double[] seconds, Tol[] path, Tol[] goal, double goalTimeTolerance, double timeout = 15)
        {
            using var mem = new NativeStrings();
            int dof = MuJoCoWorld.ArmJoints.Length;
            var pts = mem.Alloc<JointTrajectoryPointMsg>(points.Length);
            for (int k = 0; k < points.Length; k++)
            {
                var pos = mem.Alloc<double>(dof);
                for (int i = 0; i < dof; i++) pos[i] = points[k][i];
                pts[k] = default;
                pts[k].Positions = DdsSequence.Of(pos, dof);
                pts[k].TimeFromStart = RosTime.FromNanoseconds((long)(seconds[k] * 1e9));
            }
            SendGoalRequestMsg req = default;
            req.ClientGuid = _guid;
            req.Sequence = ++_seq;
            var id = GoalUuid.From((ulong)Random.Shared.NextInt64(), (ulong)Random.Shared.NextInt64());
            req.GoalId = id;
            req.Goal.Trajectory.Header.FrameId = mem.Add("");
            req.Goal.Trajectory.JointNames = DdsSequence.Of(mem.AddArray(MuJoCoWorld.ArmJoints), dof);
            req.Goal.Trajectory.Points = DdsSequence.Of(pts, points.Length);
            req.Goal.MultiDofTrajectory.Header.FrameId = mem.Add("");
            req.Goal.PathTolerance = Tolerances(mem, path);
            req.Goal.GoalTolerance = Tolerances(mem, goal);
            req.Goal.GoalTimeTolerance = RosTime.FromNanoseconds((long)(goalTimeTolerance * 1e9));
            var sw = Stopwatch.StartNew();
            Assert.True(Native.Write(_sendW, &req) >= 0);
            bool accepted = false;
            long sendSeq = req.Sequence;
            Await(_sendR, timeout, p =>
            {
                var m = (SendGoalResponseMsg*)p;
                if (m->ClientGuid != _guid || m->Sequence != sendSeq) return false;
                accepted = m->Accepted != 0;
                return true;
            }, "the send_goal reply");
            GetResultRequestMsg rr = default;
            rr.ClientGuid = _guid;
            rr.Sequence = ++_seq;
            rr.GoalId = id;
            Assert.True(Native.Write(_resultW, &rr) >= 0);
            Outcome o = default;
            long resultSeq = rr.Sequence;
            Await(_resultR, timeout, p =>
            {
                var m = (GetResultResponseMsg*)p;
                if (m->ClientGuid != _guid || m->Sequence != resultSeq) return false;
                o = new Outcome(accepted, m->Status, m->Result.ErrorCode, Native.ToManaged(m->Result.ErrorString) ?? "", sw.Elapsed.TotalSeconds);
                return true;
            }, "the get_result reply");
            return o;
        }

        private static DdsSequence Tolerances(NativeStrings mem, Tol[] list)
        {
            var t = mem.Alloc<JointToleranceMsg>(Math.Max(1, list.Length));
            for (int k = 0; k < list.Length; k++)
                t[k] = new JointToleranceMsg { Name = mem.Add(list[k].Joint), Position = list[k].Position, Velocity = list[k].Velocity, Acceleration = list[k].Acceleration };
            return DdsSequence.Of(t, list.Length);
        }

        private static void Await(int reader, double timeout, Func<nint, bool> mine, string what)
        {
            var sw = Stopwatch.StartNew();
            while (sw.Elapsed.TotalSeconds < timeout)
            {
                while (Native.Take(reader, out void* p, out _) is int r && r > 0)
                {
                    if (r != 1) continue;
                    try { if (mine((nint)p)) return; }
                    finally { Native.ReturnLoan(reader, p); }
                }
                Thread.Sleep(2);
            }
            throw new TimeoutException($"timed out waiting for {what}");
        }

        public void Dispose() => _dds.Dispose();
    }

    private const int Pan = 0; // shoulder_pan: a vertical axis, so gravity does not load it
    private const int Roll2 = 5; // wrist_roll2: range -2.9..2.9 rad

    /// <summary>Two points moving shoulder_pan by <paramref name="delta"/> in <paramref name="seconds"/> (a 35 rad/s servo lags 1 rad/s by about 0.03 rad).</summary>
    private static (double[][] Points, double[] Times) Swing(double[] from, double delta, double seconds)
    {
        var mid = from.ToArray();
        var end = from.ToArray();
        mid[Pan] += delta / 2;
        end[Pan] += delta;
        return ([mid, end], [seconds / 2, seconds]);
    }

    [Fact]
    public void A_path_tolerance_violated_while_moving_aborts_the_goal_and_the_arm_holds_where_it_is()
    {
        using var node = new SimNodeThread();
        using var client = new GoalClient(node.Domain, node.Options);
        var start = client.ArmPosition()!;
        // wrist_roll2 toward 3.9 rad over 4 s: the joint stops at its range's end (2.9 rad) while the reference goes on,
        // so the path is violated where the arm meets the limit, not on the way (the servo tracks a 1 rad/s ramp far
        // within 0.3 rad; a node tick late by tens of ms on a loaded machine, which lets the wall-clock reference run
        // ahead of the stepped physics, stays within it too)
        var end = start.ToArray();
        end[Roll2] = 3.9;
        var mid = start.ToArray();
        mid[Roll2] = (start[Roll2] + 3.9) / 2;
        double limitAt = 4.0 * (2.9 + 0.3 - start[Roll2]) / (3.9 - start[Roll2]);
        var r = client.Run([mid, end], [2.0, 4.0], path: [new Tol("wrist_roll2", 0.3)], goal: [], goalTimeTolerance: 0);
        output.WriteLine($"{r}; the reference passes the limit + tolerance at {limitAt:F2} s");
        Assert.True(r.Accepted);
        Assert.Equal(GoalStatusCode.Aborted, r.Status);
        Assert.Equal(FollowJointTrajectoryError.PathToleranceViolated, r.Error);
        Assert.Contains("wrist_roll2 position", r.ErrorString, StringComparison.Ordinal);
        Assert.True(r.Seconds > limitAt - 0.3 && r.Seconds < 4.0, $"aborted when the joint met its limit ({limitAt:F2} s), before the trajectory's end: {r.Seconds:F2} s");
        // it holds where it was when aborted (at the limit, short of the target), and stays
        Thread.Sleep(300);
        var held = client.ArmPosition()!;
        Thread.Sleep(400);
        var later = client.ArmPosition()!;
        output.WriteLine($"start {start[Roll2]:F3}, held {held[Roll2]:F3}, later {later[Roll2]:F3}, target {end[Roll2]:F3}");
        Assert.InRange(held[Roll2], 2.7, 2.95);
        Assert.True(Math.Abs(later[Roll2] - held[Roll2]) < 0.005, $"holds: {held[Roll2]:F4} then {later[Roll2]:F4}");
        var c = node.Sim.ActionCounters;
        Assert.Equal(1, c.GoalsAborted);
        Assert.Equal(0, c.GoalsSucceeded);

        // a velocity path tolerance: from rest the reference velocity steps to 0.9 rad/s (linear interpolation) while
        // the arm needs tens of ms to follow, so 0.05 rad/s is exceeded at once
        var back = later.ToArray();
        back[Roll2] = later[Roll2] - 0.9;
        var mid2 = later.ToArray();
        mid2[Roll2] = later[Roll2] - 0.45;
        r = client.Run([mid2, back], [0.5, 1.0], path: [new Tol("wrist_roll2", 0, Velocity: 0.05)], goal: [], goalTimeTolerance: 0);
        output.WriteLine($"{r}");
        Assert.Equal(FollowJointTrajectoryError.PathToleranceViolated, r.Error);
        Assert.Contains("wrist_roll2 velocity", r.ErrorString, StringComparison.Ordinal);
    }

    [Fact]
    public void Loose_default_and_unlimited_path_tolerances_let_the_same_motion_succeed()
    {
        using var node = new SimNodeThread();
        using var client = new GoalClient(node.Domain, node.Options);
        double delta = 0.6;
        foreach (var (what, tol) in new (string, Tol[])[]
        {
            ("a loose path tolerance", [new Tol("shoulder_pan", 0.5, Velocity: 5)]),
            ("0 = the controller's default (unchecked)", [new Tol("shoulder_pan", 0, 0, 0)]),
            ("-1 = no limit", [new Tol("shoulder_pan", -1, -1, -1), new Tol("elbow", -1)]),
        })
        {
            var start = client.ArmPosition()!;
            var (points, times) = Swing(start, delta, 0.6);
            // the goal tolerance: where the arm must end within goal_time_tolerance
            var r = client.Run(points, times, path: tol, goal: [new Tol("shoulder_pan", 0.02)], goalTimeTolerance: 2);
            output.WriteLine($"{what}: {r}");
            Assert.True(r.Status == GoalStatusCode.Succeeded && r.Error == FollowJointTrajectoryError.Successful, $"{what}: {r}");
            Assert.True(Math.Abs(client.ArmPosition()![Pan] - points[^1][Pan]) < 0.03, what);
            delta = -delta;
        }
        Assert.Equal(3, node.Sim.ActionCounters.GoalsSucceeded);
        Assert.Equal(0, node.Sim.ActionCounters.GoalsAborted);
    }

    [Fact]
    public void A_goal_tolerance_not_met_within_goal_time_tolerance_aborts_and_zero_waits()
    {
        using var node = new SimNodeThread();
        using var client = new GoalClient(node.Domain, node.Options);
        var start = client.ArmPosition()!;
        // wrist_roll2's range ends at 2.9 rad: a target of 3.2 cannot be reached within 0.02
        const int roll2 = Roll2;
        var target = start.ToArray();
        target[roll2] = 3.2;
        var r = client.Run([target], [0.3], path: [], goal: [new Tol("wrist_roll2", 0.02)], goalTimeTolerance: 0.4);
        output.WriteLine($"{r}");
        Assert.True(r.Accepted);
        Assert.Equal(GoalStatusCode.Aborted, r.Status);
        Assert.Equal(FollowJointTrajectoryError.GoalToleranceViolated, r.Error);
        Assert.Contains("goal_time_tolerance", r.ErrorString, StringComparison.Ordinal);
        Assert.True(r.Seconds >= 0.7, $"not before the end plus goal_time_tolerance ({r.Seconds:F2} s)");
        // held where it is: the setpoint is the measured position, inside the range
        Thread.Sleep(300);
        var held = client.ArmPosition()!;
        Assert.InRange(held[roll2], 2.5, 2.95);

        // goal_time_tolerance 0: the goal waits for the arm without limit (joint_trajectory_controller), so it is
        // neither finished nor aborted after a second; a reachable goal then preempts it
        var aborted = node.Sim.ActionCounters.GoalsAborted;
        using var waiter = new GoalClient(node.Domain, node.Options);
        var pending = Task.Run(() => waiter.Run([target], [0.2], path: [], goal: [new Tol("wrist_roll2", 0.02)], goalTimeTolerance: 0, timeout: 20));
        Thread.Sleep(1500);
        Assert.False(pending.IsCompleted, "a goal with goal_time_tolerance 0 outside its tolerance keeps executing");
        Assert.Equal(aborted, node.Sim.ActionCounters.GoalsAborted);
        var back = client.ArmPosition()!.ToArray();
        back[roll2] = 2.0;
        var ok = client.Run([back], [0.3], path: [], goal: [new Tol("wrist_roll2", 0.02)], goalTimeTolerance: 1);
        Assert.Equal(GoalStatusCode.Succeeded, ok.Status);
        var preempted = pending.GetAwaiter().GetResult();
        Assert.Equal(GoalStatusCode.Canceled, preempted.Status);
    }

    [Theory]
    [InlineData("path")]
    [InlineData("goal")]
    public void A_tolerance_for_a_joint_the_arm_lacks_rejects_the_goal_with_invalid_joints(string which)
    {
        using var node = new SimNodeThread();
        using var client = new GoalClient(node.Domain, node.Options);
        var start = client.ArmPosition()!;
        var (points, times) = Swing(start, 0.1, 0.3);
        Tol[] bad = [new Tol("shoulder_pan", 0.1), new Tol("elbow_typo", 0.1)];
        var r = client.Run(points, times, path: which == "path" ? bad : [], goal: which == "goal" ? bad : [], goalTimeTolerance: 0);
        output.WriteLine($"{r}");
        Assert.False(r.Accepted);
        Assert.Equal(GoalStatusCode.Aborted, r.Status);
        Assert.Equal(FollowJointTrajectoryError.InvalidJoints, r.Error);
        Assert.StartsWith($"{which}_tolerance names a joint the arm does not have", r.ErrorString, StringComparison.Ordinal);
        Assert.Contains("shoulder_pan", r.ErrorString, StringComparison.Ordinal);
        Thread.Sleep(200);
        Assert.True(Math.Abs(client.ArmPosition()![Pan] - start[Pan]) < 0.005, "the arm holds");
        Assert.Equal(1, node.Sim.ActionCounters.GoalsRejected);
    }
}
