namespace CortexBot.Brainstem.Ros2.Tests;

/// <summary>The link's /diagnostics (diagnostic_msgs/DiagnosticArray, 1 Hz), read back from the wire by a participant of the test's own.</summary>
public sealed unsafe class DiagnosticsTests
{
    private sealed record Status(byte Level, string Name, string Message, string HardwareId, Dictionary<string, string> Values);

    private static List<Status>? TakeLatest(int reader)
    {
        List<Status>? latest = null;
        while (Native.Take(reader, out void* p, out _) is int r && r > 0)
        {
            if (r != 1) continue;
            var m = (DiagnosticArrayMsg*)p;
            var list = new List<Status>();
            var arr = (DiagnosticStatusMsg*)m->Status.Buffer;
            for (int i = 0; i < m->Status.Length; i++)
            {
                var kv = (KeyValueMsg*)arr[i].Values.Buffer;
                var values = new Dictionary<string, string>();
                for (int k = 0; k < arr[i].Values.Length; k++) values[Native.ToManaged(kv[k].Key)!] = Native.ToManaged(kv[k].Value)!;
                list.Add(new Status(arr[i].Level, Native.ToManaged(arr[i].Name)!, Native.ToManaged(arr[i].Message)!, Native.ToManaged(arr[i].HardwareId)!, values));
            }
            Native.ReturnLoan(reader, p);
            latest = list;
        }
        return latest;
    }

    [Fact]
    public void The_link_publishes_control_rate_jitter_state_freshness_emergency_stop_and_the_last_anomaly_at_1_hz()
    {
        int d = TestBus.NewDomain();
        using var robot = new FakeRobot(d);
        var o = TestBus.Options(d) with { StaleAfter = TimeSpan.FromSeconds(2) };
        using var link = new Ros2RobotLink(Ros2Defaults.Arm, o);
        link.LoopHealth = () => new ControlLoopHealth(500, 498.5, 42, 90, 3, "tracking: joint elbow lagged 0.2 rad", 1.5);
        int reader = robot.Dds.Reader(RosType.DiagnosticArray, "/diagnostics", RosQos.Default with { Depth = 20 });
        string[] all = [.. Ros2Defaults.Arm, "finger_left", "finger_right"];
        var sw = System.Diagnostics.Stopwatch.StartNew();
        List<Status>? got = null;
        // states flow at 100 Hz until a DiagnosticArray that saw them fresh arrives
        TestBus.WaitUntil(() =>
        {
            robot.Publish(all, new double[8]);
            Thread.Sleep(10);
            var s = TakeLatest(reader);
            if (s is not null && s.Single(x => x.Name == "cortexbot: joint states").Level == DiagnosticLevel.Ok) got = s;
            return got is not null;
        }, "a DiagnosticArray with fresh joint states", seconds: 15);

        Assert.Equal(["cortexbot: control loop", "cortexbot: joint states", "cortexbot: emergency stop"], got!.Select(s => s.Name));
        Assert.All(got!, s => Assert.Equal("cortexbot", s.HardwareId));
        var loop = got![0];
        Assert.Equal(DiagnosticLevel.Warn, loop.Level); // an anomaly 1.5 s ago
        Assert.Contains("elbow lagged", loop.Message, StringComparison.Ordinal);
        Assert.Equal("500", loop.Values["target_rate_hz"]);
        Assert.Equal("498.5", loop.Values["achieved_rate_hz"]);
        Assert.Equal("42", loop.Values["jitter_p99_us"]);
        Assert.Equal("90", loop.Values["jitter_max_us"]);
        Assert.Equal("3", loop.Values["late_ticks"]);
        Assert.Equal("tracking: joint elbow lagged 0.2 rad", loop.Values["last_anomaly"]);
        Assert.Equal("fresh", got![1].Message);
        Assert.Equal("true", got![1].Values["fresh"]);
        Assert.True(long.Parse(got![1].Values["accepted"], System.Globalization.CultureInfo.InvariantCulture) > 0);
        Assert.Equal(DiagnosticLevel.Ok, got![2].Level);
        Assert.Equal("false", got![2].Values["engaged"]);

        // at 1 Hz: the arrays keep coming about a second apart
        long before = link.DiagnosticsPublished;
        Thread.Sleep(2500);
        long published = link.DiagnosticsPublished - before;
        Assert.InRange(published, 2, 3);

        // an emergency stop and states that stop coming show on the next array
        robot.EmergencyStop(true);
        TestBus.WaitUntil(() => link.EmergencyStopped, "the stop to arrive");
        List<Status>? stopped = null;
        TestBus.WaitUntil(() =>
        {
            var s = TakeLatest(reader);
            if (s is not null && s[2].Level == DiagnosticLevel.Error) stopped = s;
            Thread.Sleep(20);
            return stopped is not null;
        }, "a DiagnosticArray with the stop engaged", seconds: 5);
        Assert.Equal("true", stopped![2].Values["engaged"]);
        Assert.Equal("1", stopped![2].Values["engagements"]);
        TestBus.WaitUntil(() =>
        {
            var s = TakeLatest(reader);
            if (s is not null && s[1].Level == DiagnosticLevel.Error) stopped = s;
            Thread.Sleep(20);
            return stopped![1].Level == DiagnosticLevel.Error;
        }, "a DiagnosticArray with stale joint states", seconds: 8);
        Assert.StartsWith("stale", stopped![1].Message, StringComparison.Ordinal);
        Assert.Equal("false", stopped![1].Values["fresh"]);
    }

    [Fact]
    public void Levels_follow_the_loop_the_states_and_the_stop()
    {
        var c = new Ros2LinkCounters(10, 0, 0, 0, 0, 0, 10, 0, 0, 0, 0, 0);
        var none = Ros2Diagnostics.Compose(null, anyState: false, stateFresh: false, stateAgeS: -1, c, estop: false);
        Assert.Equal([DiagnosticLevel.Stale, DiagnosticLevel.Error, DiagnosticLevel.Ok], none.Select(s => s.Level));
        Assert.Equal("no joint state received", none[1].Message);

        var healthy = new ControlLoopHealth(500, 499.9, 20, 60, 0, null, 0);
        var ok = Ros2Diagnostics.Compose(healthy, true, true, 0.001, c, false);
        Assert.Equal([DiagnosticLevel.Ok, DiagnosticLevel.Ok, DiagnosticLevel.Ok], ok.Select(s => s.Level));
        Assert.Contains(("last_anomaly", "none"), ok[0].Values);

        // below 90 % of the target rate, or an anomaly within the last 10 s: WARN; an old anomaly is only reported
        Assert.Equal(DiagnosticLevel.Warn, Ros2Diagnostics.Compose(healthy with { AchievedHz = 400 }, true, true, 0, c, false)[0].Level);
        Assert.Equal(DiagnosticLevel.Warn, Ros2Diagnostics.Compose(healthy with { LastAnomaly = "stall: x", LastAnomalyAgeS = 9 }, true, true, 0, c, false)[0].Level);
        var old = Ros2Diagnostics.Compose(healthy with { LastAnomaly = "stall: x", LastAnomalyAgeS = 60 }, true, true, 0, c, true);
        Assert.Equal(DiagnosticLevel.Ok, old[0].Level);
        Assert.Contains(("last_anomaly", "stall: x"), old[0].Values);
        Assert.Equal(DiagnosticLevel.Error, old[2].Level);
    }

    [Fact]
    public void The_diagnostics_writer_announces_diagnostic_arrays_type_hash()
        => Assert.Equal("typehash=RIHS01_5a8a36efb05fb25070fa0fb3810290c0e6cd4862b54a8fb975a1ee8dc55a333e;", RosTypeHash.UserData(RosType.DiagnosticArray));
}
