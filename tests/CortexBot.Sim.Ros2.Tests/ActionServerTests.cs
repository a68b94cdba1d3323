using System.Diagnostics;
using System.Globalization;
using CortexBot.Brainstem.Ros2;
using Xunit.Abstractions;

namespace CortexBot.Sim.Ros2.Tests;

/// <summary>
/// The simulator node's FollowJointTrajectory server, as joint_trajectory_controller serves it, driven by the plain C
/// peer (native/ros2_peer.c, an independent implementation of the action's wire layout).
/// </summary>
public sealed class ActionServerTests(ITestOutputHelper output)
{
    private static Dictionary<string, string> RunPeerAction(int domain, out string raw)
    {
        var exe = Path.Combine(AppContext.BaseDirectory, "ros2_peer");
        Assert.True(File.Exists(exe), "ros2_peer is built with this test project");
        var psi = new ProcessStartInfo(exe) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { domain.ToString(CultureInfo.InvariantCulture), "20", "joint_trajectory_controller", "action" }) psi.ArgumentList.Add(a);
        using var peer = Process.Start(psi)!;
        var stdout = peer.StandardOutput.ReadToEndAsync();
        var stderr = peer.StandardError.ReadToEndAsync();
        Assert.True(peer.WaitForExit(TimeSpan.FromSeconds(60)), "the C peer finishes");
        raw = stdout.Result + stderr.Result;
        Assert.True(peer.ExitCode == 0, $"peer exit {peer.ExitCode}: {raw}");
        var f = stdout.Result.Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var kv = new Dictionary<string, string>();
        for (int i = 0; i + 1 < f.Length; i += 2) kv[f[i]] = f[i + 1];
        return kv;
    }

    [Fact]
    public void A_plain_c_action_client_gets_success_rejections_with_error_codes_cancel_and_preemption()
    {
        using var node = new SimNodeThread();
        var r = RunPeerAction(node.Domain, out var raw);
        output.WriteLine(raw);
        int I(string k) => int.Parse(r[k], CultureInfo.InvariantCulture);
        double D(string k) => double.Parse(r[k], CultureInfo.InvariantCulture);

        // a valid goal (joint names in another order, goal tolerances): accepted, played, SUCCEEDED / SUCCESSFUL
        Assert.Equal(1, I("ok1"));
        Assert.Equal(GoalStatusCode.Succeeded, I("status1"));
        Assert.Equal(FollowJointTrajectoryError.Successful, I("error1"));
        Assert.True(D("finalerr1") < 0.05, $"the arm reached the goal: {raw}");
        Assert.True(I("feedback1") > 5, "feedback while the goal executed");
        Assert.Equal(GoalStatusCode.Succeeded, I("statusseen1"));
        // an unknown joint: rejected; its result says INVALID_JOINTS
        Assert.Equal(0, I("ok2"));
        Assert.Equal(GoalStatusCode.Aborted, I("status2"));
        Assert.Equal(FollowJointTrajectoryError.InvalidJoints, I("error2"));
        // a NaN: rejected, INVALID_GOAL
        Assert.Equal(0, I("ok3"));
        Assert.Equal(FollowJointTrajectoryError.InvalidGoal, I("error3"));
        // cancel by id: ERROR_NONE naming that goal, which ends CANCELED
        Assert.Equal(1, I("ok4"));
        Assert.Equal(CancelReturnCode.None, I("cancelcode"));
        Assert.Equal(1, I("cancelcount"));
        Assert.Equal(1, I("cancelid"));
        Assert.Equal(GoalStatusCode.Canceled, I("status4"));
        // a new goal preempts the one in force (CANCELED with INVALID_GOAL, as joint_trajectory_controller) and succeeds
        Assert.Equal(1, I("ok5"));
        Assert.Equal(GoalStatusCode.Canceled, I("status5"));
        Assert.Equal(FollowJointTrajectoryError.InvalidGoal, I("error5"));
        Assert.Equal(1, I("ok6"));
        Assert.Equal(GoalStatusCode.Succeeded, I("status6"));

        var c = node.Sim.ActionCounters;
        Assert.Equal(2, c.GoalsRejected);
        Assert.Equal(c.GoalsReceived, c.GoalsAccepted + c.GoalsRejected);
        Assert.True(c.GoalsCanceled >= 2, c.ToString());
        Assert.Equal(1, c.CancelRequests);
        Assert.Equal(1, node.Sim.TrajectoryRejections.UnknownOrMissingJoints);
        Assert.Equal(1, node.Sim.TrajectoryRejections.NonFinite);
        Assert.True(node.Sim.Counters.Ticks > 0);
    }
}
