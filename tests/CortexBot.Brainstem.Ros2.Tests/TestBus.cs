using System.Diagnostics;
using System.Runtime.InteropServices;

namespace CortexBot.Brainstem.Ros2.Tests;

/// <summary>Test doubles on the DDS bus: a loopback-only participant on a domain of its own per test.</summary>
internal static class TestBus
{
    private static int _next = Random.Shared.Next(0, 60);

    /// <summary>A fresh domain id (tests never share one, so runs cannot cross-talk).</summary>
    public static int NewDomain() => 140 + Interlocked.Increment(ref _next) % 90;

    public static Ros2Options Options(int domain) => new()
    {
        DomainId = domain,
        LoopbackOnly = true,
        // not ROS_DISTRO of whoever runs the tests
        Distro = RosDistro.Jazzy,
        StartTimeout = TimeSpan.FromSeconds(10),
    };

    private static readonly string CliDll = Path.Combine(AppContext.BaseDirectory, "cortexbot.dll");

    /// <summary>The CLI as a second process (`dotnet cortexbot.dll ...`), outside any DDS config or ROS_DISTRO of whoever runs the tests.</summary>
    internal static Process StartCli(string args, string? rosDistro = null)
    {
        // SIGINT at its default, as from a terminal, even where the tests run with it ignored (a CI runner's background job:
        // processes inherit that and .NET keeps it); env execs dotnet, so the pid is the CLI's
        var psi = new ProcessStartInfo("env", $"--default-signal=INT dotnet \"{CliDll}\" {args}") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.Environment.Remove("CYCLONEDDS_URI");
        if (rosDistro is null) psi.Environment.Remove("ROS_DISTRO");
        else psi.Environment["ROS_DISTRO"] = rosDistro;
        return Process.Start(psi)!;
    }

    /// <summary>One node line of the C peer's graph listing as key/value pairs.</summary>
    internal static Dictionary<string, string> ParseNode(string line)
    {
        var f = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        var d = new Dictionary<string, string>();
        for (int i = 0; i + 1 < f.Length; i += 2)
        {
            if (f[i] == "infoqos") { d[f[i]] = string.Join(' ', f.Skip(i + 1).Take(4)); i += 3; continue; }
            d[f[i]] = f[i + 1];
        }
        return d;
    }

    public static void WaitUntil(Func<bool> condition, string what, double seconds = 10)
    {
        var sw = System.Diagnostics.Stopwatch.StartNew();
        while (!condition())
        {
            if (sw.Elapsed.TotalSeconds > seconds) throw new TimeoutException($"timed out waiting for {what}");
            Thread.Sleep(2);
        }
    }
}

/// <summary>A stand-in for a robot driver: publishes JointState with any names and values; records commands.</summary>
internal sealed unsafe class FakeRobot : IDisposable
{
    public readonly DdsParticipant Dds;
    public readonly int StateWriter, EstopWriter, TrajectoryReader, GripperReader;

    public FakeRobot(int domain, Ros2Options? o = null)
    {
        o ??= TestBus.Options(domain);
        Dds = new DdsParticipant(domain, DdsParticipant.LoopbackConfig());
        StateWriter = Dds.Writer(RosType.JointState, o.JointStatesTopic, RosQos.Default);
        EstopWriter = Dds.Writer(RosType.Bool, o.EmergencyStopTopic, RosQos.Default);
        TrajectoryReader = Dds.Reader(RosType.JointTrajectory, o.CommandTopic, RosQos.SystemDefault with { Depth = 1000 });
        GripperReader = Dds.Reader(RosType.Float64MultiArray, o.GripperTopic, RosQos.SystemDefault with { Depth = 1000 });
    }

    public void Publish(string[] names, double[] position, double[]? velocity = null) => PublishRaw(StateWriter, names, position, velocity ?? new double[names.Length]);

    public static void PublishRaw(int writer, string[] names, double[] position, double[] velocity, long stampNs = 0)
    {
        using var mem = new NativeStrings();
        var pos = mem.Alloc<double>(position.Length);
        var vel = mem.Alloc<double>(velocity.Length);
        for (int i = 0; i < position.Length; i++) pos[i] = position[i];
        for (int i = 0; i < velocity.Length; i++) vel[i] = velocity[i];
        JointStateMsg m = default;
        m.Header.FrameId = mem.Add("");
        m.Header.Stamp = RosTime.FromNanoseconds(stampNs);
        m.Name = DdsSequence.Of(mem.AddArray(names), names.Length);
        m.Position = DdsSequence.Of(pos, position.Length);
        m.Velocity = DdsSequence.Of(vel, velocity.Length);
        int rc = Native.Write(writer, &m);
        if (rc < 0) throw new InvalidOperationException(Native.Describe(rc));
    }

    public void EmergencyStop(bool on)
    {
        BoolMsg m = new() { Data = (byte)(on ? 1 : 0) };
        Native.Write(EstopWriter, &m);
    }

    /// <summary>Takes all received trajectories: (joint names, positions of the last point, time_from_start ns).</summary>
    public List<(string[] Names, double[] Positions, long TimeFromStartNs)> TakeTrajectories()
    {
        var list = new List<(string[], double[], long)>();
        while (Native.Take(TrajectoryReader, out void* p, out _) is int r && r > 0)
        {
            if (r != 1) continue;
            var m = (JointTrajectoryMsg*)p;
            var names = new string[m->JointNames.Length];
            for (int i = 0; i < names.Length; i++) names[i] = Marshal.PtrToStringUTF8((nint)((byte**)m->JointNames.Buffer)[i])!;
            var pt = (JointTrajectoryPointMsg*)m->Points.Buffer;
            var pos = new double[pt->Positions.Length];
            for (int i = 0; i < pos.Length; i++) pos[i] = ((double*)pt->Positions.Buffer)[i];
            list.Add((names, pos, pt->TimeFromStart.TotalNanoseconds));
            Native.ReturnLoan(TrajectoryReader, p);
        }
        return list;
    }

    public void Dispose() => Dds.Dispose();
}

internal static class Ros2Defaults
{
    public static readonly string[] Arm = ["shoulder_pan", "shoulder_lift", "elbow", "wrist_roll1", "wrist_pitch", "wrist_roll2"];
}
